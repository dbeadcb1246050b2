package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BinaryOperator;
import java.util.function.LongConsumer;

import static io.cubby.store.Engine.Operation.PUT;
import static io.cubby.store.Engine.Operation.PUT_IF_ABSENT;
import static io.cubby.store.Engine.Operation.REMOVE;
import static io.cubby.store.Engine.Operation.REMOVE_IF_EQUALS;
import static io.cubby.store.Engine.Operation.REPLACE;
import static io.cubby.store.Engine.Operation.REPLACE_IF_EQUALS;

/**
 * A persistent hash store: open-addressing tables of fixed-size slots in memory-mapped files, with a write-ahead
 * log that makes growth and compaction (an incremental rehash into a new file) crash-safe.
 * <p>
 * Open with {@link #builder(Path)}. A store is thread-safe; readers never block each other and take no lock.
 * Keys and values are byte strings up to the maximum sizes fixed at creation (the empty key is a key). The
 * {@code byte[]} methods allocate their results; the {@link DirectBuffer} methods allocate nothing.
 * <p>
 * <b>Format version 2</b>, the format of a new store ({@link Builder#formatVersion(int)}): the key's hash picks
 * one of 2^k segments, each a table with tag groups in its own file with its own write lock, so writers of
 * different segments run in parallel; every operation below keeps its meaning and its atomicity per key (a
 * compound operation decides and writes under its segment's lock), except where a method says otherwise for
 * version 2. <b>Format version 1</b> (one table file, one write lock, readers validated with a
 * {@link StampedLock}) stores keep opening as they are; {@code formatVersion(1)} creates one.
 */
public final class Cubby implements AutoCloseable
{
    // A facade: it checks arguments and delegates to a StoreCore, one per format version: TableCore over version
    // 1's parts (Opener opens and recovers them), SegmentCore over engine v2's SegmentStore (SegmentOpener opens
    // it). StoreFormat tells an existing directory's version.

    /** Returned by the allocation-free {@code get} when the key is absent. */
    public static final int MISSING = -1;
    /** Lowest target load {@link #compact(double, LongConsumer)} accepts: the lowest maximum load a store can have. */
    public static final double MIN_COMPACTION_LOAD = TableDescriptor.MAX_LOAD_PPM_MIN / 1_000_000.0;

    private static final byte[] EMPTY = new byte[0];

    private final Arguments arguments;
    private final StoreCore core;

    Cubby(final Arguments arguments, final StoreCore core)
    {
        this.arguments = arguments;
        this.core = core;
    }

    /**
     * Start configuring a store in a directory.
     *
     * @param directory the store directory; created if missing when the store is created.
     * @return a builder.
     */
    public static Builder builder(final Path directory)
    {
        return new Builder(directory);
    }

    /**
     * Describe a store from its file headers without opening it or taking its lock.
     *
     * @param directory the store directory.
     * @return the description.
     * @throws NotAStoreException    if the directory holds no table file (version 1) or manifest (version 2).
     * @throws CorruptStoreException if the newest table header, or a version-2 manifest, is damaged.
     */
    public static StoreInfo inspect(final Path directory)
    {
        MemoryAccess.checkUsable();
        return 2 == StoreFormat.detect(directory) ? SegmentReports.inspect(directory) : Inspector.inspect(directory);
    }

    /**
     * Upgrade the format-version-1 store in a directory to format version 2, in place, or finish an upgrade that
     * was interrupted (FORMAT-v2.md §10.1). The store must not be open anywhere; one not closed cleanly is
     * recovered first. Every entry is copied into a version-2 store built in the directory's {@code .upgrade-v2}
     * staging directory, which then replaces the version-1 files. A crash at any point leaves either the
     * unchanged version-1 store or one that both versions refuse to open until this method is called again.
     *
     * @param directory the store directory.
     * @param progress  receives the number of entries copied so far, now and then; may be null.
     * @return the number of entries the version-2 store holds.
     * @throws IncompatibleStoreException if the store already has format version 2; nothing is changed.
     * @throws StoreLockedException       if the store is open.
     * @throws NotAStoreException         if the directory holds no store.
     * @throws StoreIOException           if a file operation fails (the store stays as it was, or, past the
     *                                    commit point, is finished by the next call).
     */
    public static long upgrade(final Path directory, final LongConsumer progress)
    {
        MemoryAccess.checkUsable();
        try
        {
            return StoreUpgrade.run(directory, progress).entries();
        }
        catch (final java.io.IOException ex)
        {
            throw new StoreIOException("cannot upgrade " + directory + ": " + ex, ex);
        }
    }

    // ================================================================ reads

    /**
     * Copy the value of a key into a buffer, allocating nothing.
     *
     * @param key       buffer holding the key.
     * @param keyOffset offset of the key.
     * @param keyLength key length.
     * @param dst       buffer receiving the value; it must have room for it.
     * @param dstOffset where the value goes.
     * @return the value length, or {@link #MISSING}.
     * @throws IndexOutOfBoundsException if {@code dstOffset} is outside {@code dst}, or the value does not fit; no
     *                                   byte of {@code dst} is written then.
     */
    public int get(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        arguments.checkKey(key, keyOffset, keyLength);
        Arguments.checkDestination(dst, dstOffset);
        return core.read(key, keyOffset, keyLength, dst, dstOffset);
    }

    /**
     * @param key       buffer holding the key.
     * @param keyOffset offset of the key.
     * @param keyLength key length.
     * @return true if the key is present.
     */
    public boolean containsKey(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        arguments.checkKey(key, keyOffset, keyLength);
        return core.read(key, keyOffset, keyLength, null, 0) >= 0;
    }

    /**
     * @param key the key.
     * @return a copy of the value, or null if absent. In set mode the key itself.
     */
    public byte[] get(final byte[] key)
    {
        final UnsafeBuffer k = arguments.wrapKey(key);
        final UnsafeBuffer dst = arguments.scratch();
        final int length = core.read(k, 0, key.length, dst, 0);
        return length < 0 ? null : Arrays.copyOf(dst.byteArray(), length);
    }

    /**
     * @param key the key.
     * @return true if present.
     */
    public boolean containsKey(final byte[] key)
    {
        final UnsafeBuffer k = arguments.wrapKey(key);
        return core.read(k, 0, key.length, null, 0) >= 0;
    }

    // ================================================================ writes

    /**
     * Insert or replace an entry, allocating nothing.
     *
     * @return true if the key was absent.
     */
    public boolean put(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        arguments.checkKey(key, keyOffset, keyLength);
        arguments.checkValue(value, valueOffset, valueLength);
        return core.write(PUT, key, keyOffset, keyLength, value, valueOffset, valueLength, null, 0, 0, null,
            arguments.defaultExpiry()) < 0;
    }

    /**
     * Insert or replace an entry that expires after a time to live, allocating nothing. The store must have been
     * created with {@link Builder#expiry(boolean) expiry}.
     *
     * @param ttlMillis time to live in milliseconds, at least 1.
     * @return true if the key was absent (or expired).
     */
    public boolean put(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long ttlMillis)
    {
        arguments.checkKey(key, keyOffset, keyLength);
        arguments.checkValue(value, valueOffset, valueLength);
        return core.write(PUT, key, keyOffset, keyLength, value, valueOffset, valueLength, null, 0, 0, null,
            arguments.expiresAt(ttlMillis)) < 0;
    }

    /**
     * Insert or replace an entry that expires after a time to live. The store must have been created with
     * {@link Builder#expiry(boolean) expiry}. Expired entries read as absent and are reclaimed by rehash and
     * compaction.
     *
     * @param key   the key.
     * @param value the value.
     * @param ttl   time to live, positive.
     * @return true if the key was absent (or expired).
     */
    public boolean put(final byte[] key, final byte[] value, final Duration ttl)
    {
        final long expiresAt = arguments.expiresAt(ttl.toMillis());
        final UnsafeBuffer k = arguments.wrapKey(key);
        final UnsafeBuffer v = arguments.wrapValue(value);
        return core.write(PUT, k, 0, key.length, v, 0, value.length, null, 0, 0, null, expiresAt) < 0;
    }

    /**
     * Remove an entry, allocating nothing.
     *
     * @return true if the key was present.
     */
    public boolean remove(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        arguments.checkKey(key, keyOffset, keyLength);
        return core.write(REMOVE, key, keyOffset, keyLength, null, 0, 0, null, 0, 0, null, 0L) >= 0;
    }

    /**
     * Insert or replace an entry.
     *
     * @param key   the key.
     * @param value the value; must be empty in set mode.
     * @return true if the key was absent.
     */
    public boolean put(final byte[] key, final byte[] value)
    {
        final UnsafeBuffer k = arguments.wrapKey(key);
        final UnsafeBuffer v = arguments.wrapValue(value);
        return core.write(PUT, k, 0, key.length, v, 0, value.length, null, 0, 0, null,
            arguments.defaultExpiry()) < 0;
    }

    /**
     * Add a key to a set-mode store (created with {@code maxValueSize(0)}).
     *
     * @param key the key.
     * @return true if the key was absent.
     */
    public boolean add(final byte[] key)
    {
        return put(key, EMPTY);
    }

    /**
     * Insert or replace an entry and return the previous value.
     *
     * @return the previous value, or null if the key was absent.
     */
    public byte[] getAndPut(final byte[] key, final byte[] value)
    {
        return writeReturningPrevious(PUT, key, value);
    }

    /**
     * Insert an entry only if the key is absent.
     *
     * @return null if inserted, else the present value (unchanged).
     */
    public byte[] putIfAbsent(final byte[] key, final byte[] value)
    {
        return writeReturningPrevious(PUT_IF_ABSENT, key, value);
    }

    /**
     * Replace the value only if the key is present.
     *
     * @return the previous value, or null if the key was absent and nothing changed.
     */
    public byte[] replace(final byte[] key, final byte[] value)
    {
        return writeReturningPrevious(REPLACE, key, value);
    }

    private byte[] writeReturningPrevious(final Engine.Operation op, final byte[] key, final byte[] value)
    {
        final UnsafeBuffer previous = arguments.scratch();
        final int length = core.write(op, arguments.wrapKey(key), 0, key.length, arguments.wrapValue(value), 0,
            value.length, null, 0, 0, previous, arguments.defaultExpiry());
        return length < 0 ? null : Arrays.copyOf(previous.byteArray(), length);
    }

    /**
     * Replace the value only if the key is present with the expected value.
     *
     * @return true if replaced.
     */
    public boolean replace(final byte[] key, final byte[] expected, final byte[] value)
    {
        Objects.requireNonNull(expected, "expected");
        final UnsafeBuffer e = new UnsafeBuffer(expected);
        return core.write(REPLACE_IF_EQUALS, arguments.wrapKey(key), 0, key.length, arguments.wrapValue(value), 0,
            value.length, e, 0, expected.length, null, arguments.defaultExpiry()) >= 0;
    }

    /**
     * Remove an entry.
     *
     * @return true if the key was present.
     */
    public boolean remove(final byte[] key)
    {
        return core.write(REMOVE, arguments.wrapKey(key), 0, key.length, null, 0, 0, null, 0, 0, null, 0L) >= 0;
    }

    /**
     * Remove an entry and return its value.
     *
     * @return the removed value, or null if the key was absent.
     */
    public byte[] getAndRemove(final byte[] key)
    {
        final UnsafeBuffer previous = arguments.scratch();
        final int length = core.write(REMOVE, arguments.wrapKey(key), 0, key.length, null, 0, 0, null, 0, 0,
            previous, 0L);
        return length < 0 ? null : Arrays.copyOf(previous.byteArray(), length);
    }

    /**
     * Remove an entry only if it has the expected value.
     *
     * @return true if removed.
     */
    public boolean remove(final byte[] key, final byte[] expected)
    {
        Objects.requireNonNull(expected, "expected");
        final UnsafeBuffer e = new UnsafeBuffer(expected);
        return core.write(REMOVE_IF_EQUALS, arguments.wrapKey(key), 0, key.length, null, 0, 0, e, 0,
            expected.length, null, 0L) >= 0;
    }

    /**
     * Atomically compute a key's new value from its present one. The function runs exactly once per call, while
     * the store's write lock is held (as {@link java.util.concurrent.ConcurrentHashMap#compute} holds its bin's
     * lock): other writers wait, readers do not. It must be short and must not write to this store or iterate it:
     * in a version-2 store, where it holds one segment's lock, every write, compute, checkpoint, compaction or close
     * it attempts is refused with an {@link IllegalStateException} (two functions writing each other's segments
     * would otherwise wait for each other forever). An exception from the function propagates and changes nothing.
     *
     * @param key       the key.
     * @param remapping receives the key and its present value (null if absent or expired) and returns the new
     *                  value, or null to remove the entry.
     * @return the new value, or null if the entry is now absent.
     */
    public byte[] compute(final byte[] key, final BinaryOperator<byte[]> remapping)
    {
        return compute(key, remapping, 0);
    }

    /**
     * {@link #compute(byte[], java.util.function.BinaryOperator)} whose new value expires after a time to live.
     * The store must have been created with {@link Builder#expiry(boolean) expiry}.
     *
     * @param key       the key.
     * @param remapping as for {@link #compute(byte[], java.util.function.BinaryOperator)}.
     * @param ttl       time to live of the new value, at least 1 ms.
     * @return the new value, or null if the entry is now absent.
     */
    public byte[] compute(final byte[] key, final BinaryOperator<byte[]> remapping, final Duration ttl)
    {
        final long ttlMillis = ttl.toMillis();
        arguments.expiresAt(ttlMillis);
        return compute(key, remapping, ttlMillis);
    }

    private byte[] compute(final byte[] key, final BinaryOperator<byte[]> remapping, final long ttlMillis)
    {
        Objects.requireNonNull(remapping, "remapping");
        return core.compute(key, arguments.wrapKey(key), remapping, ttlMillis);
    }

    // ================================================================ checkpoints and compaction

    /**
     * Force all changes to disk and trim the log. Blocks writers while the tables are forced (format version 2:
     * writers go on).
     */
    public void checkpoint()
    {
        core.checkpoint();
    }

    /**
     * Rebuild the table without tombstones into the smallest table that holds the live entries within the maximum
     * load, crash-safely, and wait for it to finish. Readers and writers continue meanwhile; each step holds the
     * write lock briefly.
     * <p>
     * Format version 2, whose removals leave no tombstone: one segment at a time, its expired entries are removed,
     * then if its file has more groups than its entries need at the store's target load (the load growth sizes new
     * files for) it is shrunk by the same crash-safe incremental rehash as growth, into a smaller file; a segment
     * already at its size keeps its file. Each step holds that segment's write lock briefly; readers and the
     * writers of every segment continue meanwhile. On return the larger files are deleted.
     */
    public void compact()
    {
        compact(-1, null);
    }

    /**
     * Rebuild the table without tombstones, crash-safely, and wait for the migration to finish. Format version 2:
     * shrink the segments whose files are larger than their entries need at {@code targetLoad} (see
     * {@link #compact()}).
     *
     * @param targetLoad load of the rebuilt table in [{@value #MIN_COMPACTION_LOAD}, maxLoad], or a negative number
     *                   for the smallest table holding the live entries within the maximum load (the default). A
     *                   lower load would make a table mostly empty: at most 1/{@value #MIN_COMPACTION_LOAD} times
     *                   the slots of the live entries, rounded up to a power of two. Format version 2: the load of
     *                   each shrunk segment's file (the default: the store's target load, with room for one more
     *                   entry); a segment that would not get fewer groups at it is left alone.
     * @param progress   receives the number of migrated slots out of the old capacity after each step; may be null.
     *                   Format version 2: the slots of the shrunk segments' former files migrated so far, at most
     *                   the capacity before the compaction.
     */
    public void compact(final double targetLoad, final LongConsumer progress)
    {
        core.compact(targetLoad, progress);
    }

    // ================================================================ size, iteration, stats

    /**
     * The number of entries. In a store with {@link Builder#expiry(boolean) expiry} expired entries are not
     * counted, which takes a scan of the table (O(capacity), readers are not blocked, writers wait); use
     * {@link #estimatedSize()} for the constant-time count that includes expired entries not yet reclaimed.
     *
     * @return the number of live entries.
     */
    public long size()
    {
        return core.size();
    }

    /**
     * The number of entries in constant time: in a store with expiry, expired entries are counted until rehash,
     * compaction, eviction or a write reclaims them.
     *
     * @return the number of entries, expired ones included.
     */
    public long estimatedSize()
    {
        return core.estimatedSize();
    }

    /**
     * @return true if the store has no entries.
     */
    public boolean isEmpty()
    {
        return core.isEmpty();
    }

    /**
     * Visit every entry of a consistent snapshot. Writers wait until the visit ends; readers do not. In format
     * version 2 each segment is a consistent snapshot, visited under its lock (its writers wait, others go on).
     *
     * @param visitor receives each entry; must not write to this store.
     */
    public void forEach(final EntryVisitor visitor)
    {
        forEach(visitor, null);
    }

    /**
     * Visit every entry of a consistent snapshot, handing entries that fail their checksum to a handler instead
     * of stopping. Writers wait until the visit ends; readers do not.
     *
     * @param visitor   receives each intact entry; must not write to this store.
     * @param onCorrupt receives each corrupt entry, which is then skipped; null to throw
     *                  {@link CorruptStoreException} at the first one (what {@link #forEach(EntryVisitor)} does).
     */
    public void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        Objects.requireNonNull(visitor, "visitor");
        core.forEach(visitor, onCorrupt);
    }

    /**
     * Iterate over copies of the entries. The iterator is weakly consistent: it returns every entry present
     * from its creation to its end exactly once, and may or may not reflect changes made meanwhile. Creating it
     * first finishes any rehash in progress (format version 2: it copies one segment at a time under its lock and
     * leaves rehashes to the writers).
     *
     * @return an iterator; {@link Iterator#remove()} removes the last returned key from the store.
     */
    public Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        return core.entries();
    }

    /**
     * @return an iterator over copies of the keys, with the guarantees of {@link #entries()}.
     */
    public Iterator<byte[]> keys()
    {
        return core.keys();
    }

    /**
     * In format version 2: {@code capacity}, {@code sourceCapacity}, {@code migratedSlots} and
     * {@code tableFileBytes} sum the segments' files; {@code generation} is the highest segment generation;
     * {@code tombstones} and {@code rehashesStarted} are 0 (no tombstones, no counter yet), {@code probing} is
     * null (tag groups, not a probing strategy); with {@link Builder#recordStats(boolean) recordStats} the hit
     * and miss counts are the reads' since the open (the eviction and expiry counts 0), else all four are -1 (not
     * recorded).
     *
     * @return a snapshot of the store's counters.
     */
    public CubbyStats stats()
    {
        return core.stats();
    }

    /**
     * Scan every slot: states, lengths, checksums, reachability from the home slot, duplicates and counts. Writers
     * wait during the scan. On a read-only store while a writer (in another process) is active, an online check
     * instead: each slot as read at one instant, and {@link VerifyReport#notChecked} says what is left out. In
     * format version 2 each segment is checked under its lock (its writers wait) by the segment verifier; the probe
     * length histogram and region occupancy are empty there and the tombstone count 0.
     *
     * @return the report.
     */
    public VerifyReport verify()
    {
        return core.verify();
    }

    /**
     * In format version 2, {@code logBytesDiscarded}, {@code rehashResumedAt} and {@code filesDeleted} are 0 or
     * empty; what the replay did beyond the counts is in {@code notes}.
     *
     * @return what opening this store had to recover.
     */
    public RecoveryReport recoveryReport()
    {
        return core.recoveryReport();
    }

    /**
     * @return the store directory.
     */
    public Path directory()
    {
        return arguments.directory();
    }

    /**
     * @return the largest key in bytes.
     */
    public int maxKeySize()
    {
        return arguments.maxKeyLength();
    }

    /**
     * @return the largest value in bytes; 0 in set mode.
     */
    public int maxValueSize()
    {
        return arguments.maxValueLength();
    }

    /**
     * @return the entry bound in force ({@link Builder#maxEntries(long)}, as stored), 0 for none.
     */
    public long maxEntries()
    {
        return core.maxEntries();
    }

    /** @return the store's format version: 1, or 2 for engine v2 (see {@link Builder#formatVersion(int)}). */
    public int formatVersion()
    {
        return core.formatVersion();
    }

    /**
     * @return true for a set-mode store.
     */
    public boolean isSetMode()
    {
        return arguments.setMode();
    }

    /**
     * @return true if the store was created with {@link Builder#expiry(boolean) expiry} (per-entry time to live).
     */
    public boolean hasExpiry()
    {
        return arguments.expiry();
    }

    /**
     * When an entry expires, as written by {@link #put(byte[], byte[], Duration)}; for dumps and tools.
     *
     * @param key the key.
     * @return its expiry time in milliseconds since the epoch, 0 if it never expires (always 0 in a store without
     *         expiry), or {@link #MISSING} if the key is absent or has expired.
     */
    public long expiresAtMillis(final byte[] key)
    {
        final UnsafeBuffer k = arguments.wrapKey(key);
        return core.expiresAtMillis(k, key.length);
    }

    /**
     * @return true if opened read-only.
     */
    public boolean isReadOnly()
    {
        return core.isReadOnly();
    }

    /**
     * Whether a writer (another process, or another instance in this one) has this read-only store open now: its
     * reads then follow the writer's changes, each key consistent on its own (see the README).
     *
     * @return true while a read-only store's writer is alive; false for a writable store.
     */
    public boolean hasLiveWriter()
    {
        return core.hasLiveWriter();
    }

    /**
     * A {@link java.util.concurrent.ConcurrentMap} view converting keys and values with codecs.
     *
     * @param keyCodec   key codec.
     * @param valueCodec value codec.
     * @param <K>        key type.
     * @param <V>        value type.
     * @return the view; it shares this store's lifetime.
     */
    public <K, V> CubbyMap<K, V> asMap(final Codec<K> keyCodec, final Codec<V> valueCodec)
    {
        return new CubbyMap<>(this, keyCodec, valueCodec);
    }

    // ================================================================ lifecycle

    /**
     * Close the store: checkpoint, mark it cleanly closed, release its lock. Idempotent.
     */
    @Override
    public void close()
    {
        core.close();
    }

    /**
     * @return true once {@link #close()} has been called.
     */
    public boolean isClosed()
    {
        return core.isClosed();
    }

    @Override
    public String toString()
    {
        return "Cubby[" + arguments.directory() + "]";
    }

    // ================================================================ for the opener and tests

    /** @return the version-1 store behind this one (tests and the opener of version 1). */
    TableCore tableCore()
    {
        if (core instanceof TableCore)
        {
            return (TableCore)core;
        }
        throw new IllegalStateException("store " + arguments.directory() + " has format version " +
            core.formatVersion() + ", not 1");
    }

    /** @return engine v2's store behind this one (tests). */
    SegmentCore segmentCore()
    {
        return (SegmentCore)core;
    }

    /**
     * @return this store's log (tests that track what is durable read its sequences).
     */
    Wal wal()
    {
        return tableCore().parts.log.wal();
    }

    /**
     * @return the path by which recovery applies logged operations to this store's tables.
     */
    LogApplier logApplier()
    {
        return tableCore().parts.applier;
    }

    Table currentTable()
    {
        return tableCore().parts.tables.current;
    }

    Table sourceTable()
    {
        return tableCore().parts.tables.source;
    }

    long migrationCursor()
    {
        return tableCore().parts.tables.cursor;
    }

    /**
     * Configures and opens a {@link Cubby}. Parameters left unset take the values stored in an existing store, or
     * the defaults when creating one; a parameter set explicitly must match an existing store.
     */
    public static final class Builder
    {
        final Path directory;
        Integer maxKeySize;
        Integer maxValueSize;
        long expectedEntries = 1024;
        Double maxLoad;
        Probing probing;
        Durability durability = Durability.NONE;
        Duration syncInterval = Duration.ofMillis(100);
        long logSize = -1;
        boolean readOnly;
        boolean createIfMissing = true;
        boolean verifyChecksumsOnRead = true;
        boolean salvage;
        int migrationStep = 8;
        boolean expiry;
        Long maxEntries;
        Duration expireAfterWrite;
        RemovalListener removalListener;
        boolean closeOnJvmShutdown;
        boolean recordStats;
        boolean preallocate = true;
        double tombstoneCompactionRatio = 0.25;
        Integer formatVersion;
        Integer segments;

        private Builder(final Path directory)
        {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /** Largest key in bytes (creation). Default 64. */
        public Builder maxKeySize(final int bytes)
        {
            this.maxKeySize = bytes;
            return this;
        }

        /** Largest value in bytes (creation). 0 makes a set. Default 256. */
        public Builder maxValueSize(final int bytes)
        {
            this.maxValueSize = bytes;
            return this;
        }

        /** Entries to size the first table for (creation). Default 1024. The table grows beyond it as needed. */
        public Builder expectedEntries(final long entries)
        {
            if (entries < 0)
            {
                throw new IllegalArgumentException("expected entries must be >= 0: " + entries);
            }
            this.expectedEntries = entries;
            return this;
        }

        /**
         * Maximum load before a table grows (creation): in format version 2 entries / slots of a segment, in
         * [0.5, 0.96], default 0.96; in version 1 (entries + tombstones) / capacity, default 0.75.
         */
        public Builder maxLoad(final double load)
        {
            this.maxLoad = load;
            return this;
        }

        /** Probing strategy of a format-version-1 store (creation). Default {@link Probing#LINEAR}. */
        public Builder probing(final Probing probing)
        {
            this.probing = Objects.requireNonNull(probing, "probing");
            return this;
        }

        /** Durability of this open. Default {@link Durability#NONE}. */
        public Builder durability(final Durability durability)
        {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** Interval of background log forces in {@link Durability#ASYNC} mode. Default 100 ms. */
        public Builder syncInterval(final Duration interval)
        {
            if (interval.isNegative() || interval.isZero())
            {
                throw new IllegalArgumentException("sync interval must be positive: " + interval);
            }
            this.syncInterval = interval;
            return this;
        }

        /**
         * Size of the preallocated log file in bytes. Default 64 MiB when operations are logged, 1 MiB in
         * {@link Durability#NONE}. A checkpoint runs whenever the log is half full. A reopen resizes the log to
         * an explicit size, and without one grows a log smaller than this open's durability's default to it (a
         * store created in NONE and reopened in SYNC gets 64 MiB); the new log is allocated before anything else
         * is done, so an open that cannot allocate it (a full disk) fails with {@link StoreIOException} having
         * changed nothing.
         */
        public Builder logSize(final long bytes)
        {
            this.logSize = bytes;
            return this;
        }

        /** Open without writing anything; takes a shared lock. Default false. */
        public Builder readOnly(final boolean readOnly)
        {
            this.readOnly = readOnly;
            return this;
        }

        /** Create the store if the directory holds none. Default true. */
        public Builder createIfMissing(final boolean create)
        {
            this.createIfMissing = create;
            return this;
        }

        /** Check each slot's checksum when reading it. Default true. */
        public Builder verifyChecksumsOnRead(final boolean verify)
        {
            this.verifyChecksumsOnRead = verify;
            return this;
        }

        /**
         * On open, scan every slot (even after a clean shutdown) and drop slots that fail their checksum even when
         * the log cannot restore them, instead of refusing to open. Each dropped slot is counted in the recovery
         * report. Default false.
         */
        public Builder salvage(final boolean salvage)
        {
            this.salvage = salvage;
            return this;
        }

        /**
         * Store an expiry time and a write time in every slot, enabling per-entry time-to-live
         * ({@link Cubby#put(byte[], byte[], Duration)}) and least-recently-written eviction (creation). Costs 16
         * bytes per slot. Default false.
         */
        public Builder expiry(final boolean expiry)
        {
            this.expiry = expiry;
            return this;
        }

        /**
         * Largest number of entries; inserting a new key into a full store first evicts one: an expired entry, or
         * the least recently written of a random sample of 16 (a random entry in a store without
         * {@link #expiry(boolean) expiry}). 0 means unbounded, the default at creation. The bound is stored in
         * the store and kept by later opens that do not set it; a writable open that sets a smaller bound than the
         * store holds evicts down to it before {@code open()} returns. At most 2^32 - 1. In a format-version-2
         * store the entry evicted belongs to the put's own segment (sampled there), and writers in different
         * segments may together pass the bound by one entry each until their next puts.
         */
        public Builder maxEntries(final long entries)
        {
            if (entries < 0 || entries > TableDescriptor.MAX_MAX_ENTRIES)
            {
                throw new IllegalArgumentException("max entries must be in [0, " + TableDescriptor.MAX_MAX_ENTRIES +
                    "]: " + entries);
            }
            this.maxEntries = entries;
            return this;
        }

        /**
         * Time to live of every write that gives none, as Caffeine's {@code expireAfterWrite}: each put, replace,
         * compute or merge, through the byte API or a {@link CubbyMap}, sets the entry to expire this long after
         * the write. Without it such writes keep the entry's present expiry (a new entry never expires); a write
         * with its own time to live always uses that. Needs a store with {@link #expiry(boolean) expiry}; applies
         * to this open.
         */
        public Builder expireAfterWrite(final Duration ttl)
        {
            if (ttl.isNegative() || ttl.toMillis() < 1)
            {
                throw new IllegalArgumentException("expireAfterWrite must be at least 1 ms: " + ttl);
            }
            this.expireAfterWrite = ttl;
            this.expiry = true;
            return this;
        }

        /**
         * Listener told of expired entries as they are reclaimed and of entries evicted by
         * {@link #maxEntries(long)}; see {@link RemovalListener}. Applies to this open. Default none.
         */
        public Builder removalListener(final RemovalListener listener)
        {
            this.removalListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Close the store from a JVM shutdown hook if the application has not closed it (as MapDB's
         * {@code closeOnJvmShutdown}): an orderly JVM exit then leaves a clean store that the next open need not
         * recover. The hook is removed by {@link Cubby#close()}. Does not help against kill -9 or a crash.
         * Default false.
         */
        public Builder closeOnJvmShutdown(final boolean close)
        {
            this.closeOnJvmShutdown = close;
            return this;
        }

        /** Count hits, misses, evictions and expirations, reported by {@link Cubby#stats()}. Default false. */
        public Builder recordStats(final boolean record)
        {
            this.recordStats = record;
            return this;
        }

        /**
         * Allocate table files by writing zeros before mapping them (large ones in the background, ahead of
         * growth), so a full disk shows as a {@link StoreIOException} and never as a fault on a mapped page.
         * With false, table files are sparse after a free-space check: growth is cheaper, but a disk filled by
         * another process meanwhile can fault. Default true.
         */
        public Builder preallocate(final boolean preallocate)
        {
            this.preallocate = preallocate;
            return this;
        }

        /** Old-table slots migrated per write during a rehash. Default 8. */
        public Builder migrationStep(final int slots)
        {
            if (slots < 1)
            {
                throw new IllegalArgumentException("migration step must be >= 1: " + slots);
            }
            this.migrationStep = slots;
            return this;
        }

        /** Tombstones as a fraction of capacity that trigger an automatic compaction. Default 0.25. */
        public Builder tombstoneCompactionRatio(final double ratio)
        {
            if (!(ratio > 0) || ratio >= 1)
            {
                throw new IllegalArgumentException("tombstone ratio must be in (0, 1): " + ratio);
            }
            this.tombstoneCompactionRatio = ratio;
            return this;
        }

        /**
         * Format version of a store being created: 2 (the default; engine v2: 2^k segment files, each its own
         * open-addressing table with its own write lock and its own incremental growth; see
         * {@code store/FORMAT-v2.md}) or 1 (one table file; {@code store/FORMAT.md}). An existing store is opened
         * in the version its directory holds ({@code manifest.cubby} and {@code seg-*.cubby} files: 2;
         * {@code table-*.cubby}: 1), whatever this says when it is not set; set, it must match, else
         * {@link IncompatibleStoreException} and nothing is changed.
         * <p>
         * Version 2 does not support yet, and {@link #open()} refuses with an {@link UnsupportedOperationException}
         * naming the option before any file is touched (a new store with one of them needs
         * {@code formatVersion(1)}): {@link #probing(Probing) probing}, {@code verifyChecksumsOnRead(false)}
         * (version 2 always checks), {@code preallocate(false)}, and a
         * {@link #migrationStep(int) migrationStep} or {@link #tombstoneCompactionRatio(double)
         * tombstoneCompactionRatio} other than the default. In a version-2 store {@link Cubby#compact()} shrinks
         * the segments larger than their entries need (a removal frees its slot at once, leaving no tombstone).
         * {@link #expiry(boolean) expiry} and {@link #expireAfterWrite(Duration) expireAfterWrite} work as in
         * version 1: expiry is fixed at creation (a reopen asking for it on a store without it is refused),
         * expired entries read as absent for every operation, and a rehash's migration reclaims them.
         * {@link #maxLoad(double) maxLoad} must lie in [0.5, 0.96] for version 2.
         */
        public Builder formatVersion(final int version)
        {
            if (version != 1 && version != 2)
            {
                throw new IllegalArgumentException("format version must be 1 or 2: " + version);
            }
            this.formatVersion = version;
            return this;
        }

        /**
         * Number of segments of a format-version-2 store being created (a power of two from 1 to 65,536): each
         * segment has its own file, write lock and growth. Default: 16
         * below 64K expected entries, 64 below 1M, else 256. Must match when opening an existing version-2 store;
         * refused for version 1.
         */
        public Builder segments(final int count)
        {
            if (count < 1 || Integer.bitCount(count) != 1 || count > 1 << SegmentDescriptor.MAX_SEGMENT_BITS)
            {
                throw new IllegalArgumentException("segments must be a power of two in [1, " +
                    (1 << SegmentDescriptor.MAX_SEGMENT_BITS) + "]: " + count);
            }
            this.segments = count;
            return this;
        }

        /**
         * Open or create the store.
         *
         * @return the open store.
         * @throws NotAStoreException         if the path is a file or a directory of other files.
         * @throws StoreLockedException       if another process or instance has the store open.
         * @throws IncompatibleStoreException if explicit parameters differ from the store's.
         * @throws CorruptStoreException      if validation or recovery fails.
         * @throws CubbyException             naming the JVM flag, if the JVM does not let Agrona use
         *                                    {@code jdk.internal.misc.Unsafe} (checked before any file is touched).
         */
        public Cubby open()
        {
            MemoryAccess.checkUsable();
            return StoreFormat.open(this);
        }
    }
}
