package io.cubby.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of one open store: the {@link Cubby.Builder}'s values, validated by the builder's setters and the
 * opener, with the table parameters stored in the store. Immutable.
 */
final class Options
{
    final Path directory;
    final TableParams params;
    final Durability durability;
    final boolean readOnly;
    final boolean verifyChecksumsOnRead;
    /** Old-table slots migrated per write during a rehash. */
    final int migrationStep;
    final double tombstoneCompactionRatio;
    final long minCapacity;
    /** The entry bound in force: the builder's if set, else the one stored in the current table; 0 for none. */
    final long maxEntries;
    /** Time to live given to writes without one; 0 for none (keep the entry's expiry). */
    final long expireAfterWriteMillis;
    final RemovalListener removalListener;
    final boolean preallocate;
    /** Writes need the time: for expiry, write times or eviction. */
    final boolean timeAware;
    final boolean recordStats;
    final boolean closeOnJvmShutdown;
    final Duration syncInterval;

    Options(final Cubby.Builder builder, final TableParams params, final long storedMaxEntries)
    {
        this.directory = builder.directory;
        this.params = params;
        this.durability = builder.durability;
        this.readOnly = builder.readOnly;
        this.verifyChecksumsOnRead = builder.verifyChecksumsOnRead;
        this.migrationStep = builder.migrationStep;
        this.tombstoneCompactionRatio = builder.tombstoneCompactionRatio;
        this.minCapacity = TableDescriptor.MIN_CAPACITY;
        this.maxEntries = null != builder.maxEntries ? builder.maxEntries : storedMaxEntries;
        this.expireAfterWriteMillis = null == builder.expireAfterWrite ? 0 : builder.expireAfterWrite.toMillis();
        this.removalListener = builder.removalListener;
        this.preallocate = builder.preallocate;
        this.timeAware = params.expiry || this.maxEntries > 0;
        this.recordStats = builder.recordStats;
        this.closeOnJvmShutdown = builder.closeOnJvmShutdown;
        this.syncInterval = builder.syncInterval;
    }
}
