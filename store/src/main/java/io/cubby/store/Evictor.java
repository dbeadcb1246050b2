package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static io.cubby.store.SlotDescriptor.STATE_FULL;

/**
 * Size-bound eviction ({@link Cubby.Builder#maxEntries(long)}): makes room for one entry by removing an expired
 * entry or the least recently written of a random sample. Runs with the write lock held.
 */
final class Evictor
{
    private static final int EVICTION_SAMPLE = 16;

    private final Path directory;
    private final boolean setMode;
    private final TableSet tables;
    private final LogWriter log;
    private final Notifier notifier;
    private final Counters counters;

    Evictor(
        final Options options,
        final TableSet tables,
        final LogWriter log,
        final Notifier notifier,
        final Counters counters)
    {
        this.directory = options.directory;
        this.setMode = options.params.setMode;
        this.tables = tables;
        this.log = log;
        this.notifier = notifier;
        this.counters = counters;
    }

    /**
     * Make room for one entry, logging the removal like any other.
     *
     * @return false if the store holds no entry to evict.
     */
    boolean evictOne(final long now)
    {
        return evict(now, true);
    }

    /**
     * Make room for one entry during log replay: the same choice and removal, nothing logged.
     *
     * @return false if the store holds no entry to evict.
     */
    boolean evictOneUnlogged(final long now)
    {
        return evict(now, false);
    }

    /**
     * Sample up to {@link #EVICTION_SAMPLE} full slots from a random position and remove an expired one if any,
     * else the one written longest ago (in a store without expiry all sampled entries tie and the first, a random
     * entry, goes).
     */
    private boolean evict(final long now, final boolean logged)
    {
        final Table current = tables.current;
        final Table source = tables.source;
        final long cursor = tables.cursor;
        Table victimTable = null;
        long victim = -1;
        long oldest = Long.MAX_VALUE;
        int sampled = 0;
        for (int t = 0; t < 2; t++)
        {
            final Table table = 0 == t ? current : source;
            if (null == table)
            {
                break;
            }
            final long mask = table.capacity - 1;
            final long start = ThreadLocalRandom.current().nextLong(table.capacity);
            for (long n = 0; n < table.capacity && sampled < EVICTION_SAMPLE; n++)
            {
                final long i = (start + n) & mask;
                if (STATE_FULL != table.state(i) || (table == source && i < cursor))
                {
                    continue;
                }
                sampled++;
                final long writtenAt = table.isExpired(i, now) ? Long.MIN_VALUE : table.writtenAt(i);
                if (writtenAt < oldest)
                {
                    oldest = writtenAt;
                    victim = i;
                    victimTable = table;
                }
            }
        }
        if (null == victimTable)
        {
            return false;
        }
        final UnsafeBuffer window = victimTable.window(victim);
        final int keyOffset = victimTable.keyOffsetInWindow(victim);
        final int keyLength = victimTable.keyLength(victim);
        final long hash = victimTable.slotHash(victim);
        final RemovalCause cause = oldest == Long.MIN_VALUE ? RemovalCause.EXPIRED : RemovalCause.SIZE;
        if (null != notifier)
        {
            notifier.removed(victimTable, victim, setMode, cause);
        }
        StoreEvents.eviction(directory, true, cause);
        if (logged)
        {
            log.logEntry(WalRecordDescriptor.TYPE_REMOVE, window, keyOffset, keyLength, null, 0, 0, 0);
        }
        CrashPoints.Hook.reached("write.logged");
        // As for a remove: the source copy first, so an older value can never reappear.
        if (victimTable == current)
        {
            tables.removeFromSource(hash, window, keyOffset, keyLength);
        }
        victimTable.remove(victim, victimTable == current || victim >= cursor);
        CrashPoints.Hook.reached("remove.current-tombstoned");
        if (null != counters)
        {
            if (oldest == Long.MIN_VALUE)
            {
                counters.expired.increment();
            }
            else
            {
                counters.evictions.increment();
            }
        }
        return true;
    }
}
