package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongConsumer;

import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;

/**
 * A persistent hash store: an open-addressing table of fixed-size slots in a memory-mapped file, with a
 * write-ahead log that makes growth and compaction (an incremental rehash into a new file) crash-safe.
 * <p>
 * Open with {@link #builder(Path)}. A store is thread-safe: writers are serialised by one lock, readers never
 * block each other and normally take no lock at all (optimistic reads validated with a {@link StampedLock}).
 * Keys and values are byte strings up to the maximum sizes fixed at creation. The {@code byte[]} methods allocate
 * their results; the {@link DirectBuffer} methods allocate nothing.
 */
public final class Cubby implements AutoCloseable
{
    /** Returned by the allocation-free {@code get} when the key is absent. */
    public static final int MISSING = -1;
    /** Lowest target load {@link #compact(double, LongConsumer)} accepts: the lowest maximum load a store can have. */
    public static final double MIN_COMPACTION_LOAD = TableDescriptor.MAX_LOAD_PPM_MIN / 1_000_000.0;

    static final System.Logger LOGGER = System.getLogger("io.cubby.store");

    private static final int NOT_APPLIED = -2;
    /** {@code expiresAt} of a write that keeps the expiry of the entry it replaces. */
    private static final long KEEP_EXPIRY = -1;
    private static final int OP_PUT = 0;
    private static final int OP_PUT_IF_ABSENT = 1;
    private static final int OP_REPLACE = 2;
    private static final int OP_REPLACE_IF_EQUALS = 3;
    private static final int OP_REMOVE = 4;
    private static final int OP_REMOVE_IF_EQUALS = 5;
    private static final int OPTIMISTIC_ATTEMPTS = 8;
    private static final int ITERATION_CHUNK = 1024;
    private static final int MIGRATION_CHUNK = 4096;
    private static final int EVICTION_SAMPLE = 16;
    /** Tables up to this size are allocated when a rehash starts; larger ones ahead of time in the background. */
    private static final long SYNC_ALLOCATION_BYTES = 1L << 20;

    private final Path directory;
    private final TableParams params;
    private final Durability durability;
    private final boolean readOnly;
    private final boolean verifyChecksumsOnRead;
    private final int migrationStep;
    private final double tombstoneCompactionRatio;
    private final long minCapacity;
    private final long maxEntries;
    /** Time to live given to writes without one; 0 for none (keep the entry's expiry). */
    private final long expireAfterWriteMillis;
    private final RemovalListener removalListener;
    private final Notifier notifier;
    private final Thread shutdownHook;
    /** The thread running a {@link #compute} function while holding the write lock, else null. */
    private Thread computeOwner;
    /** Highest log sequence written by the writes of the compute in progress. */
    private long computeSequence;
    private final boolean preallocate;
    private final boolean timeAware;
    private final Counters counters;
    private final Duration syncInterval;
    private final Xxh3 hashFunction;
    private final StoreLock fileLock;
    private final StampedLock lock = new StampedLock();
    private Wal wal;
    private final ThreadLocal<UnsafeBuffer> scratch;
    private ScheduledExecutorService maintenance;
    /** Allocates table files ahead of growth. Separate from maintenance, whose tasks take the store lock: a writer
     * holding the lock may wait for an allocation, never for a task that needs the lock. */
    private ScheduledExecutorService allocator;

    private Table current;
    private Table source;
    private long cursor;
    private boolean replaying;
    /** Set by a recovery that left the table above its load limit; cleared once a growth succeeds. */
    private boolean growthDeferred;
    private boolean retirePending;
    private boolean checkpointScheduled;
    private java.util.concurrent.Future<?> prepareTask;
    private volatile Path preparedFile;
    /** The last allocation ahead of growth failed (full disk): grow synchronously until one succeeds. */
    private volatile boolean allocationFailed;
    private volatile long preparedGeneration;
    private volatile long preparedCapacity;
    private long checkpoints;
    private long rehashesStarted;
    private volatile boolean closed;
    private RecoveryReport recoveryReport;
    /** Reads of a read-only store, validated against the tables' Write Sequence (set once, before publication). */
    private LiveReader liveReader;

    private Cubby(
        final Builder builder,
        final TableParams params,
        final StoreLock fileLock,
        final Table current,
        final Table source,
        final long cursor,
        final Wal wal)
    {
        this.directory = builder.directory;
        this.params = params;
        this.durability = builder.durability;
        this.readOnly = builder.readOnly;
        this.verifyChecksumsOnRead = builder.verifyChecksumsOnRead;
        this.migrationStep = builder.migrationStep;
        this.tombstoneCompactionRatio = builder.tombstoneCompactionRatio;
        this.minCapacity = TableDescriptor.MIN_CAPACITY;
        this.maxEntries = null != builder.maxEntries ? builder.maxEntries : current.maxEntries();
        this.expireAfterWriteMillis = null == builder.expireAfterWrite ? 0 : builder.expireAfterWrite.toMillis();
        this.removalListener = builder.removalListener;
        this.notifier = null == builder.removalListener ? null : new Notifier(builder.removalListener, directory);
        this.preallocate = builder.preallocate;
        this.timeAware = params.expiry || this.maxEntries > 0;
        this.counters = builder.recordStats ? new Counters() : null;
        this.fileLock = fileLock;
        this.current = current;
        this.source = source;
        this.cursor = cursor;
        this.wal = wal;
        this.syncInterval = builder.syncInterval;
        this.hashFunction = Xxh3.withSeed(params.seed);
        final int scratchLength = Math.max(params.maxKeyLength, params.maxValueLength);
        this.scratch = ThreadLocal.withInitial(() -> new UnsafeBuffer(new byte[scratchLength]));
        this.shutdownHook = builder.closeOnJvmShutdown ? new Thread(this::closeOnShutdown, "cubby-shutdown") : null;
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
     * @throws NotAStoreException    if the directory holds no table file.
     * @throws CorruptStoreException if the newest table header is damaged.
     */
    public static StoreInfo inspect(final Path directory)
    {
        MemoryAccess.checkUsable();
        return Inspector.inspect(directory);
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
     */
    public int get(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        checkKey(key, keyOffset, keyLength);
        Objects.requireNonNull(dst, "dst");
        return read(key, keyOffset, keyLength, dst, dstOffset);
    }

    /**
     * @param key       buffer holding the key.
     * @param keyOffset offset of the key.
     * @param keyLength key length.
     * @return true if the key is present.
     */
    public boolean containsKey(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        checkKey(key, keyOffset, keyLength);
        return read(key, keyOffset, keyLength, null, 0) >= 0;
    }

    /**
     * @param key the key.
     * @return a copy of the value, or null if absent. In set mode the key itself.
     */
    public byte[] get(final byte[] key)
    {
        final UnsafeBuffer k = wrapKey(key);
        final UnsafeBuffer dst = scratch.get();
        final int length = read(k, 0, key.length, dst, 0);
        return length < 0 ? null : Arrays.copyOf(dst.byteArray(), length);
    }

    /**
     * @param key the key.
     * @return true if present.
     */
    public boolean containsKey(final byte[] key)
    {
        return read(wrapKey(key), 0, key.length, null, 0) >= 0;
    }

    private int read(
        final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        try
        {
            if (null != liveReader)
            {
                ensureOpen();
                return liveReader.read(Hashing.hash(hashFunction, key, keyOffset, keyLength), key, keyOffset,
                    keyLength, dst, dstOffset);
            }
            return readOptimistically(key, keyOffset, keyLength, dst, dstOffset);
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
    }

    private int readOptimistically(
        final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        final long hash = Hashing.hash(hashFunction, key, keyOffset, keyLength);
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final long stamp = lock.tryOptimisticRead();
            if (0 != stamp)
            {
                try
                {
                    final int result = readLocked(hash, key, keyOffset, keyLength, dst, dstOffset);
                    if (lock.validate(stamp))
                    {
                        if (null != counters)
                        {
                            counters.recordRead(result >= 0);
                        }
                        return result;
                    }
                }
                catch (final RuntimeException ex)
                {
                    if (lock.validate(stamp))
                    {
                        throw ex;
                    }
                }
            }
            Thread.onSpinWait();
        }
        final long stamp = readLockUnlessComputing();
        try
        {
            final int result = readLocked(hash, key, keyOffset, keyLength, dst, dstOffset);
            if (null != counters)
            {
                counters.recordRead(result >= 0);
            }
            return result;
        }
        finally
        {
            unlockRead(stamp);
        }
    }

    /**
     * Take the read lock, or nothing if this thread runs a {@link #compute} function and so holds the write lock
     * (the lock is not reentrant: reads from inside the function would otherwise wait for themselves).
     *
     * @return the stamp to give {@link #unlockRead(long)}; 0 if no lock was taken.
     */
    private long readLockUnlessComputing()
    {
        return computeOwner == Thread.currentThread() ? 0 : lock.readLock();
    }

    private void unlockRead(final long stamp)
    {
        if (0 != stamp)
        {
            lock.unlockRead(stamp);
        }
    }

    private int readLocked(
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        ensureOpen();
        Table table = current;
        final Table old = source;
        long index = table.find(hash, key, keyOffset, keyLength);
        if (index < 0 && null != old)
        {
            table = old;
            index = old.find(hash, key, keyOffset, keyLength);
        }
        if (index < 0 || (table.expiry && table.isExpired(index, System.currentTimeMillis())))
        {
            return MISSING;
        }
        final int length = params.setMode ? table.keyLength(index) : table.valueLength(index);
        if (verifyChecksumsOnRead)
        {
            table.verifyChecksum(index);
        }
        if (null != dst)
        {
            if (!dst.isExpandable() && (dstOffset < 0 || (long)dstOffset + length > dst.capacity()))
            {
                throw new IndexOutOfBoundsException("destination has " + (dst.capacity() - dstOffset) +
                    " bytes from offset " + dstOffset + " but the value has " + length);
            }
            if (params.setMode)
            {
                table.copyKey(index, dst, dstOffset, length);
            }
            else
            {
                table.copyValue(index, dst, dstOffset, length);
            }
        }
        return length;
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
        checkKey(key, keyOffset, keyLength);
        checkValue(value, valueOffset, valueLength);
        return write(OP_PUT, key, keyOffset, keyLength, value, valueOffset, valueLength, null, 0, 0, null,
            defaultExpiry()) < 0;
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
        checkKey(key, keyOffset, keyLength);
        checkValue(value, valueOffset, valueLength);
        return write(OP_PUT, key, keyOffset, keyLength, value, valueOffset, valueLength, null, 0, 0, null,
            expiresAt(ttlMillis)) < 0;
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
        final long expiresAt = expiresAt(ttl.toMillis());
        final UnsafeBuffer k = wrapKey(key);
        final UnsafeBuffer v = wrapValue(value);
        return write(OP_PUT, k, 0, key.length, v, 0, value.length, null, 0, 0, null, expiresAt) < 0;
    }

    /**
     * Expiry of a write that gives no time to live: the builder's {@link Builder#expireAfterWrite(Duration)} if
     * set, else the entry keeps the expiry it has (a new entry never expires).
     */
    private long defaultExpiry()
    {
        if (!params.expiry)
        {
            return 0;
        }
        return expireAfterWriteMillis > 0 ? expiresAt(expireAfterWriteMillis) : KEEP_EXPIRY;
    }

    private long expiresAt(final long ttlMillis)
    {
        if (!params.expiry)
        {
            throw new UnsupportedOperationException("store " + directory + " was created without expiry; " +
                "create it with Cubby.builder(dir).expiry(true) to use time-to-live");
        }
        if (ttlMillis < 1)
        {
            throw new IllegalArgumentException("time to live must be at least 1 ms: " + ttlMillis);
        }
        final long now = System.currentTimeMillis();
        return ttlMillis > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ttlMillis;
    }

    /**
     * Remove an entry, allocating nothing.
     *
     * @return true if the key was present.
     */
    public boolean remove(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        checkKey(key, keyOffset, keyLength);
        return write(OP_REMOVE, key, keyOffset, keyLength, null, 0, 0, null, 0, 0, null, 0L) >= 0;
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
        final UnsafeBuffer k = wrapKey(key);
        final UnsafeBuffer v = wrapValue(value);
        return write(OP_PUT, k, 0, key.length, v, 0, value.length, null, 0, 0, null, defaultExpiry()) < 0;
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
        final UnsafeBuffer previous = scratch.get();
        final int length = write(OP_PUT, wrapKey(key), 0, key.length, wrapValue(value), 0, value.length,
            null, 0, 0, previous, defaultExpiry());
        return length < 0 ? null : Arrays.copyOf(previous.byteArray(), length);
    }

    /**
     * Insert an entry only if the key is absent.
     *
     * @return null if inserted, else the present value (unchanged).
     */
    public byte[] putIfAbsent(final byte[] key, final byte[] value)
    {
        final UnsafeBuffer previous = scratch.get();
        final int length = write(OP_PUT_IF_ABSENT, wrapKey(key), 0, key.length, wrapValue(value), 0, value.length,
            null, 0, 0, previous, defaultExpiry());
        return length < 0 ? null : Arrays.copyOf(previous.byteArray(), length);
    }

    /**
     * Replace the value only if the key is present.
     *
     * @return the previous value, or null if the key was absent and nothing changed.
     */
    public byte[] replace(final byte[] key, final byte[] value)
    {
        final UnsafeBuffer previous = scratch.get();
        final int length = write(OP_REPLACE, wrapKey(key), 0, key.length, wrapValue(value), 0, value.length,
            null, 0, 0, previous, defaultExpiry());
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
        return write(OP_REPLACE_IF_EQUALS, wrapKey(key), 0, key.length, wrapValue(value), 0, value.length,
            e, 0, expected.length, null, defaultExpiry()) >= 0;
    }

    /**
     * Remove an entry.
     *
     * @return true if the key was present.
     */
    public boolean remove(final byte[] key)
    {
        return write(OP_REMOVE, wrapKey(key), 0, key.length, null, 0, 0, null, 0, 0, null, 0L) >= 0;
    }

    /**
     * Remove an entry and return its value.
     *
     * @return the removed value, or null if the key was absent.
     */
    public byte[] getAndRemove(final byte[] key)
    {
        final UnsafeBuffer previous = scratch.get();
        final int length = write(OP_REMOVE, wrapKey(key), 0, key.length, null, 0, 0, null, 0, 0, previous, 0L);
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
        return write(OP_REMOVE_IF_EQUALS, wrapKey(key), 0, key.length, null, 0, 0, e, 0, expected.length,
            null, 0L) >= 0;
    }

    /**
     * Atomically compute a key's new value from its present one. The function runs exactly once per call, while
     * the store's write lock is held (as {@link java.util.concurrent.ConcurrentHashMap#compute} holds its bin's
     * lock): other writers wait, readers do not. It must be short and must not write to this store or iterate it.
     * An exception from the function propagates and changes nothing.
     *
     * @param key       the key.
     * @param remapping receives the key and its present value (null if absent or expired) and returns the new
     *                  value, or null to remove the entry.
     * @return the new value, or null if the entry is now absent.
     */
    public byte[] compute(final byte[] key, final java.util.function.BinaryOperator<byte[]> remapping)
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
    public byte[] compute(
        final byte[] key, final java.util.function.BinaryOperator<byte[]> remapping, final Duration ttl)
    {
        final long ttlMillis = ttl.toMillis();
        expiresAt(ttlMillis);
        return compute(key, remapping, ttlMillis);
    }

    private byte[] compute(
        final byte[] key, final java.util.function.BinaryOperator<byte[]> remapping, final long ttlMillis)
    {
        Objects.requireNonNull(remapping, "remapping");
        final UnsafeBuffer k = wrapKey(key);
        final long hash = Hashing.hash(hashFunction, k, 0, key.length);
        if (computeOwner == Thread.currentThread())
        {
            throw new IllegalStateException("compute called from inside a compute function of " + directory);
        }
        final byte[] result;
        final long sequence;
        final long stamp = lock.writeLock();
        try
        {
            ensureWritable();
            computeOwner = Thread.currentThread();
            computeSequence = 0;
            try
            {
                final UnsafeBuffer present = scratch.get();
                final int length = readLocked(hash, k, 0, key.length, present, 0);
                final byte[] before = length < 0 ? null : Arrays.copyOf(present.byteArray(), length);
                result = remapping.apply(key, before);
                if (null == result)
                {
                    if (null != before)
                    {
                        write(OP_REMOVE, k, 0, key.length, null, 0, 0, null, 0, 0, null, 0L);
                    }
                }
                else
                {
                    write(OP_PUT, k, 0, key.length, wrapValue(result), 0, result.length, null, 0, 0, null,
                        ttlMillis > 0 ? expiresAt(ttlMillis) : defaultExpiry());
                }
            }
            finally
            {
                computeOwner = null;
            }
            sequence = computeSequence;
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
        if (Durability.SYNC == durability && sequence > 0)
        {
            awaitDurable(sequence);
        }
        return result;
    }

    /**
     * The write core. The previous value, if any and if {@code previous} is given, is copied into it.
     *
     * @return the previous value length, {@link #MISSING} if the key was absent, or {@link #NOT_APPLIED} if the
     * key was present but a conditional operation's expectation failed.
     */
    private int write(
        final int op,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final DirectBuffer expected,
        final int expectedOffset,
        final int expectedLength,
        final MutableDirectBuffer previous,
        final long expiresAt)
    {
        final long hash = Hashing.hash(hashFunction, key, keyOffset, keyLength);
        final long now = timeAware ? System.currentTimeMillis() : 0;
        final long sequence;
        final int result;
        final boolean nested = computeOwner == Thread.currentThread();
        final long stamp = nested ? 0 : lock.writeLock();
        try
        {
            ensureWritable();
            final boolean removal = op == OP_REMOVE || op == OP_REMOVE_IF_EQUALS;
            beforeWrite(removal ? WalRecordDescriptor.entryRecordLength(keyLength, 0) :
                WalRecordDescriptor.entryRecordLength(keyLength, valueLength));

            final Table table = current;
            final Table old = source;
            final long slot = table.findForInsert(hash, key, keyOffset, keyLength);
            Table found = null;
            long foundIndex = -1;
            if (slot >= 0)
            {
                found = table;
                foundIndex = slot;
            }
            else if (null != old)
            {
                final long j = old.find(hash, key, keyOffset, keyLength);
                if (j >= 0)
                {
                    found = old;
                    foundIndex = j;
                }
            }
            final int previousLength = null == found || found.isExpired(foundIndex, now) ? MISSING :
                params.setMode ? found.keyLength(foundIndex) : found.valueLength(foundIndex);
            final boolean apply;
            switch (op)
            {
                case OP_PUT_IF_ABSENT:
                    apply = previousLength < 0;
                    break;
                case OP_REPLACE:
                case OP_REMOVE:
                    apply = previousLength >= 0;
                    break;
                case OP_REPLACE_IF_EQUALS:
                case OP_REMOVE_IF_EQUALS:
                    apply = previousLength >= 0 && (params.setMode ?
                        expectedLength == 0 :
                        found.valueEquals(foundIndex, expected, expectedOffset, expectedLength));
                    break;
                default:
                    apply = true;
            }
            if (null != previous && previousLength >= 0)
            {
                if (params.setMode)
                {
                    found.copyKey(foundIndex, previous, 0, previousLength);
                }
                else
                {
                    found.copyValue(foundIndex, previous, 0, previousLength);
                }
            }
            if (!apply)
            {
                return previousLength >= 0 && (op == OP_REPLACE_IF_EQUALS || op == OP_REMOVE_IF_EQUALS) ?
                    NOT_APPLIED : (op == OP_PUT_IF_ABSENT ? previousLength : MISSING);
            }
            if (!removal && slot < 0 && null == found && maxEntries > 0 && size0() >= maxEntries)
            {
                evictOne(now);
            }
            if (null != notifier && null != found && previousLength < 0)
            {
                notifier.removed(found, foundIndex, params.setMode, RemovalCause.EXPIRED);
            }
            final long expiry = KEEP_EXPIRY != expiresAt ? expiresAt :
                previousLength >= 0 ? found.expiresAt(foundIndex) : 0;
            sequence = log(removal ? WalRecordDescriptor.TYPE_REMOVE : WalRecordDescriptor.TYPE_PUT,
                key, keyOffset, keyLength, value, valueOffset, valueLength, expiry);
            CrashPoints.Hook.reached("write.logged");
            // Every step below leaves a state that recovers to the old or the new value, even with nothing
            // logged (NONE): the current table shadows the source, so the source copy goes last on insert and
            // first on remove (FORMAT.md §5a).
            if (removal)
            {
                removeFromSource(hash, key, keyOffset, keyLength);
                if (slot >= 0)
                {
                    table.remove(slot, true);
                    CrashPoints.Hook.reached("remove.current-tombstoned");
                }
            }
            else if (slot >= 0)
            {
                table.update(slot, value, valueOffset, valueLength, expiry, now);
            }
            else
            {
                table.insert(-2 - slot, hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiry,
                    now);
                if (found == old && null != old)
                {
                    old.remove(foundIndex, foundIndex >= cursor);
                    CrashPoints.Hook.reached("insert.source-tombstoned");
                }
            }
            result = op == OP_PUT_IF_ABSENT ? MISSING : previousLength;
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            if (!nested)
            {
                lock.unlockWrite(stamp);
            }
        }
        if (nested)
        {
            computeSequence = Math.max(computeSequence, sequence);
        }
        else if (Durability.SYNC == durability && sequence > 0)
        {
            awaitDurable(sequence);
        }
        return result;
    }

    private void removeFromSource(final long hash, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final Table old = source;
        if (null != old)
        {
            final long j = old.find(hash, key, keyOffset, keyLength);
            if (j >= 0)
            {
                old.remove(j, j >= cursor);
                CrashPoints.Hook.reached("remove.source-tombstoned");
            }
        }
    }

    private long log(
        final short type,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long expiresAt)
    {
        if (Durability.NONE == durability || replaying)
        {
            return 0;
        }
        final boolean removal = type == WalRecordDescriptor.TYPE_REMOVE;
        return wal.appendEntry(type, key, keyOffset, keyLength, removal ? null : value, valueOffset,
            removal ? 0 : valueLength, removal ? 0 : expiresAt);
    }

    private long size0()
    {
        return current.entryCount() + (null == source ? 0 : source.entryCount());
    }

    /**
     * Make room for one entry: sample up to {@link #EVICTION_SAMPLE} full slots from a random position and remove
     * an expired one if any, else the one written longest ago (in a store without expiry all sampled entries tie
     * and the first, a random entry, goes). The removal is logged like any other.
     */
    private boolean evictOne(final long now)
    {
        Table victimTable = null;
        long victim = -1;
        long oldest = Long.MAX_VALUE;
        final Table[] tables = null == source ? new Table[]{ current } : new Table[]{ current, source };
        int sampled = 0;
        for (final Table table : tables)
        {
            final long mask = table.capacity - 1;
            final long start = java.util.concurrent.ThreadLocalRandom.current().nextLong(table.capacity);
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
            notifier.removed(victimTable, victim, params.setMode, cause);
        }
        final StoreEvents.Eviction event = new StoreEvents.Eviction();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.cause = cause.name();
            event.commit();
        }
        log(WalRecordDescriptor.TYPE_REMOVE, window, keyOffset, keyLength, null, 0, 0, 0);
        CrashPoints.Hook.reached("write.logged");
        // As for a remove: the source copy first, so an older value can never reappear.
        if (victimTable == current)
        {
            removeFromSource(hash, window, keyOffset, keyLength);
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

    private void awaitDurable(final long sequence)
    {
        try
        {
            wal.awaitDurable(sequence);
        }
        catch (final java.io.UncheckedIOException ex)
        {
            throw new StoreIOException("forcing the log of " + directory + " failed: " + ex.getMessage(), ex);
        }
    }

    // ================================================================ growth, migration, checkpoints

    /**
     * Housekeeping before each write, with the write lock held: log space, one migration step, growth.
     */
    private void beforeWrite(final int recordLength)
    {
        if (!replaying)
        {
            if (!wal.fits(recordLength + 4 * WalRecordDescriptor.STRUCTURAL_LENGTH))
            {
                checkpointLocked();
            }
            else if (Durability.NONE != durability && !checkpointScheduled && wal.needsCheckpoint())
            {
                scheduleCheckpoint();
            }
        }
        if (null != source)
        {
            // Recovery replays into the tables as they are: no migration, and growth only where no slot is left.
            if (cursor < source.capacity && !replaying)
            {
                migrate(migrationStep);
            }
            if (cursor == source.capacity && !retirePending && !replaying)
            {
                retirePending = true;
                scheduleRetire(source);
            }
            if (current.entryCount() + current.tombstoneCount() + 1 > (replaying ? current.capacity - 1 :
                current.maxFill))
            {
                migrate(Long.MAX_VALUE);
                completeRehashLocked(false);
            }
        }
        if (null == source)
        {
            final long fill = current.entryCount() + current.tombstoneCount();
            if (preallocate && fill > current.maxFill / 2 && null == prepareTask && !replaying)
            {
                prepareNextTable(current.generation + 1, current.capacity * 2);
            }
            // While the next table is still being allocated, the load may overshoot up to half-way to full
            // rather than make this write wait for the allocation.
            final boolean allocating = null != prepareTask && !prepareTask.isDone() &&
                fill + 1 < current.maxFill + (current.capacity - current.maxFill) / 2;
            if (fill + 1 > (replaying ? current.capacity - 1 : current.maxFill) && !allocating)
            {
                final long live = current.entryCount();
                try
                {
                    beginRehash(live * 2 > current.maxFill ?
                        current.capacity * 2 : Math.max(minCapacity, capacityFor(live + 1, params.maxLoad() / 2)));
                    growthDeferred = false;
                }
                catch (final StoreIOException ex)
                {
                    // Above the load limit after a recovery that deferred growth (a full disk): writes that
                    // physically fit go on until growth succeeds.
                    if (!growthDeferred || fill + 1 > current.maxFill + (current.capacity - current.maxFill) / 2)
                    {
                        throw ex;
                    }
                    LOGGER.log(System.Logger.Level.WARNING, "growth of " + directory + " deferred: " +
                        ex.getMessage());
                }
            }
            else if (!replaying && current.tombstoneCount() > current.capacity * tombstoneCompactionRatio &&
                current.tombstoneCount() > 64)
            {
                beginRehash(Math.max(minCapacity, capacityFor(current.entryCount() + 1, params.maxLoad() / 2)));
            }
        }
    }

    /**
     * Smallest power-of-two capacity holding {@code entries} at no more than {@code load}.
     */
    static long capacityFor(final long entries, final double load)
    {
        final long needed = (long)Math.ceil(entries / load);
        long capacity = TableDescriptor.MIN_CAPACITY;
        while (capacity < needed && capacity < TableDescriptor.MAX_CAPACITY)
        {
            capacity <<= 1;
        }
        return capacity;
    }

    private void beginRehash(final long newCapacity)
    {
        if (newCapacity > TableDescriptor.MAX_CAPACITY)
        {
            throw new StoreIOException("store " + directory + " cannot grow beyond " + TableDescriptor.MAX_CAPACITY +
                " slots");
        }
        final long generation = current.generation + 1;
        final Path file = directory.resolve(TableDescriptor.fileName(generation));
        final Table target;
        try
        {
            Files.deleteIfExists(file);
            final Path prepared = takePreparedTable(generation, newCapacity);
            target = Table.create(file, params, newCapacity, generation, current.generation, current.capacity,
                prepared, !preallocate);
        }
        catch (final IOException ex)
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignore)
            {
                // reported through the original failure
            }
            throw new StoreIOException("cannot create " + file + " to rehash into (" + ex.getMessage() +
                "); the store is unchanged and still readable", ex);
        }
        CrashPoints.Hook.reached("rehash-begin.table-created");
        if (!replaying)
        {
            wal.appendStructural(WalRecordDescriptor.TYPE_REHASH_BEGIN, generation, newCapacity, current.generation);
            wal.forceAll();
            CrashPoints.Hook.reached("rehash-begin.logged");
        }
        target.setMaxEntries(maxEntries);
        final StoreEvents.RehashBegin event = new StoreEvents.RehashBegin();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.generation = generation;
            event.sourceCapacity = current.capacity;
            event.capacity = newCapacity;
            event.entries = size0();
            event.commit();
        }
        current.becomeSource(true);
        source = current;
        current = target;
        cursor = 0;
        retirePending = false;
        allocationFailed = false;
        rehashesStarted++;
        LOGGER.log(System.Logger.Level.DEBUG, () -> "rehash of " + directory + " into " + file.getFileName() +
            " (" + newCapacity + " slots) started");
    }

    /**
     * Allocate the file of the next table in the background once the current table is half full, so that a
     * large rehash starts without writing gigabytes of zeros while holding the lock.
     */
    private void prepareNextTable(final long generation, final long capacity)
    {
        if (capacity > TableDescriptor.MAX_CAPACITY || Table.fileLength(params, capacity) <= SYNC_ALLOCATION_BYTES ||
            allocationFailed)
        {
            return;
        }
        final Path file = Table.preparedPath(directory.resolve(TableDescriptor.fileName(generation)));
        prepareTask = allocator().submit(() ->
        {
            try
            {
                Table.preallocate(file, Table.fileLength(params, capacity));
                preparedGeneration = generation;
                preparedCapacity = capacity;
                preparedFile = file;
            }
            catch (final IOException ex)
            {
                if (closed)
                {
                    // close() interrupted the allocation: an orderly stop, not a failure
                    try
                    {
                        Files.deleteIfExists(file);
                    }
                    catch (final IOException ignore)
                    {
                        // a leftover .prep file is deleted by the next writable open
                    }
                    return;
                }
                allocationFailed = true;
                LOGGER.log(System.Logger.Level.WARNING, "cannot allocate " + file + " ahead of growth: " + ex);
            }
        });
    }

    /**
     * The file allocated ahead for this rehash, waiting for its allocation to end if needed; null if none fits.
     */
    private Path takePreparedTable(final long generation, final long capacity) throws IOException
    {
        final java.util.concurrent.Future<?> task = prepareTask;
        if (null == task)
        {
            return null;
        }
        prepareTask = null;
        try
        {
            task.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "allocation ahead of growth failed", ex.getCause());
        }
        final Path file = preparedFile;
        preparedFile = null;
        if (null == file)
        {
            return null;
        }
        if (preparedGeneration == generation && preparedCapacity == capacity)
        {
            return file;
        }
        Files.deleteIfExists(file);
        return null;
    }

    /**
     * Move up to {@code slots} slots of the old table into the current one. The old table is only read: entries
     * stay in it until the old file is deleted, so a crash at any point can resume from a logged cursor.
     */
    private void migrate(final long slots)
    {
        final Table old = source;
        final Table table = current;
        final long end = Math.min(old.capacity, cursor + Math.min(slots, old.capacity));
        final long now = old.expiry ? System.currentTimeMillis() : 0;
        for (long i = cursor; i < end; i++)
        {
            if (STATE_FULL != old.state(i))
            {
                continue;
            }
            if (!old.slotIntact(i))
            {
                throw new CorruptStoreException("slot " + i + " of " + old.file.getFileName() + " fails its checksum " +
                    "and cannot be migrated; writes are refused until it is repaired: reopen with salvage(true) " +
                    "(`cubby recover --salvage`) to drop it");
            }
            if (old.isExpired(i, now))
            {
                if (null != notifier)
                {
                    notifier.removed(old, i, params.setMode, RemovalCause.EXPIRED);
                }
                old.setEntryCount(old.entryCount() - 1);
                if (null != counters)
                {
                    counters.expired.increment();
                }
                continue;
            }
            final int keyLength = old.keyLength(i);
            final long hash = old.slotHash(i);
            final long slot = table.findForInsert(hash, old.window(i), old.keyOffsetInWindow(i), keyLength);
            if (slot < 0)
            {
                table.insertCopy(-2 - slot, old, i);
            }
            old.setEntryCount(old.entryCount() - 1);
        }
        cursor = end;
        table.setMigrationCursor(end);
        CrashPoints.Hook.reached("migrate.cursor-written");
    }

    private void scheduleRetire(final Table old)
    {
        maintenance().execute(() ->
        {
            final Table target;
            long stamp = lock.readLock();
            try
            {
                if (closed || source != old)
                {
                    return;
                }
                target = current;
            }
            finally
            {
                lock.unlockRead(stamp);
            }
            try
            {
                target.force();
            }
            catch (final RuntimeException ex)
            {
                LOGGER.log(System.Logger.Level.WARNING, "forcing " + target.file + " failed; retrying later", ex);
                stamp = lock.writeLock();
                retirePending = false;
                lock.unlockWrite(stamp);
                return;
            }
            boolean retired = false;
            stamp = lock.writeLock();
            try
            {
                if (!closed && source == old && current == target)
                {
                    completeRehashLocked(true, false);
                    retired = true;
                }
            }
            catch (final RuntimeException ex)
            {
                LOGGER.log(System.Logger.Level.WARNING, "finishing rehash of " + directory + " failed", ex);
            }
            finally
            {
                lock.unlockWrite(stamp);
            }
            if (retired)
            {
                // Unlinking a large cached file takes a while: not while holding the lock.
                deleteRetired(old);
            }
        });
    }

    /**
     * Finish a rehash whose migration is complete: make the new table durable, mark it complete, log the end and
     * delete the old file.
     */
    private void completeRehashLocked(final boolean currentForced)
    {
        completeRehashLocked(currentForced, true);
    }

    private void completeRehashLocked(final boolean currentForced, final boolean deleteOld)
    {
        final Table old = source;
        if (!currentForced)
        {
            current.force();
        }
        CrashPoints.Hook.reached("rehash-end.forced");
        // One positional write of the header's first bytes: Source Generation, Source Capacity, Header Checksum
        // and Migration Cursor change together or not at all.
        current.clearSource();
        current.forceHeader();
        old.markSequence(TableDescriptor.SEQUENCE_RETIRED);
        CrashPoints.Hook.reached("rehash-end.source-cleared");
        if (!replaying)
        {
            if (wal.fits(WalRecordDescriptor.STRUCTURAL_LENGTH))
            {
                wal.appendStructural(WalRecordDescriptor.TYPE_REHASH_END, current.generation, old.generation, 0);
                wal.forceAll();
                CrashPoints.Hook.reached("rehash-end.logged");
            }
        }
        source = null;
        cursor = 0;
        retirePending = false;
        final StoreEvents.RehashEnd event = new StoreEvents.RehashEnd();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.generation = current.generation;
            event.capacity = current.capacity;
            event.entries = current.entryCount();
            event.commit();
        }
        if (deleteOld)
        {
            deleteRetired(old);
            CrashPoints.Hook.reached("rehash-end.source-deleted");
        }
    }

    /**
     * Delete the file of a table no longer in use. Its mapping stays valid for readers still holding it.
     */
    private void deleteRetired(final Table old)
    {
        try
        {
            old.delete();
            Storage.syncDirectory(directory);
        }
        catch (final IOException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "could not delete " + old.file + "; it is deleted on next open",
                ex);
        }
    }

    /**
     * Make every change durable in the tables and start a new log generation.
     */
    private void checkpointLocked()
    {
        final StoreEvents.Checkpoint event = new StoreEvents.Checkpoint();
        event.begin();
        checkpointLockedUntimed();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.logBytes = wal.usedBytes();
            event.commit();
        }
    }

    private void checkpointLockedUntimed()
    {
        checkFilesUnchanged();
        final long sequence = wal.appendStructural(WalRecordDescriptor.TYPE_CHECKPOINT, current.generation,
            null == source ? 0 : source.generation, cursor);
        final int position = wal.lastRecordPosition();
        CrashPoints.Hook.reached("checkpoint.logged");
        current.force();
        if (null != source)
        {
            source.force();
            CrashPoints.Hook.reached("checkpoint.forced");
            if (cursor == source.capacity)
            {
                completeRehashLocked(true);
            }
        }
        else
        {
            CrashPoints.Hook.reached("checkpoint.forced");
        }
        wal.advanceStart(position, sequence);
        wal.forceAll();
        CrashPoints.Hook.reached("checkpoint.start-moved");
    }

    /**
     * A checkpoint that does not stop writers: log a CHECKPOINT record under the lock, force the tables without
     * it, then move the log start to the record. Changes made meanwhile stay in the log after the record.
     */
    private void scheduleCheckpoint()
    {
        checkpointScheduled = true;
        maintenance().execute(() ->
        {
            final long sequence;
            final int position;
            final Table table;
            final Table old;
            long stamp = lock.writeLock();
            try
            {
                if (closed)
                {
                    checkpointScheduled = false;
                    return;
                }
                sequence = wal.appendStructural(WalRecordDescriptor.TYPE_CHECKPOINT, current.generation,
                    null == source ? 0 : source.generation, cursor);
                position = wal.lastRecordPosition();
                CrashPoints.Hook.reached("checkpoint.logged");
                table = current;
                old = source;
            }
            finally
            {
                lock.unlockWrite(stamp);
            }
            boolean forced = false;
            try
            {
                checkFilesUnchanged();
                table.force();
                if (null != old)
                {
                    old.force();
                }
                forced = true;
            }
            catch (final RuntimeException ex)
            {
                LOGGER.log(System.Logger.Level.WARNING, "checkpoint of " + directory + " failed; retrying later", ex);
            }
            stamp = lock.writeLock();
            try
            {
                if (forced && !closed)
                {
                    wal.advanceStart(position, sequence);
                    checkpoints++;
                    CrashPoints.Hook.reached("checkpoint.start-moved");
                }
                checkpointScheduled = false;
            }
            finally
            {
                lock.unlockWrite(stamp);
            }
        });
    }

    /**
     * Force all changes to disk and trim the log. Blocks writers while the tables are forced.
     */
    public void checkpoint()
    {
        final long stamp = lock.writeLock();
        try
        {
            ensureWritable();
            checkpointLocked();
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * Rebuild the table without tombstones into the smallest table that holds the live entries within the maximum
     * load, crash-safely, and wait for it to finish. Readers and writers continue meanwhile; each step holds the
     * write lock briefly.
     */
    public void compact()
    {
        compact(-1, null);
    }

    /**
     * Rebuild the table without tombstones, crash-safely, and wait for the migration to finish.
     *
     * @param targetLoad load of the rebuilt table in [{@value #MIN_COMPACTION_LOAD}, maxLoad], or a negative number
     *                   for the smallest table holding the live entries within the maximum load (the default). A
     *                   lower load would make a table mostly empty: at most 1/{@value #MIN_COMPACTION_LOAD} times
     *                   the slots of the live entries, rounded up to a power of two.
     * @param progress   receives the number of migrated slots out of the old capacity after each step; may be null.
     */
    public void compact(final double targetLoad, final LongConsumer progress)
    {
        final boolean fit = targetLoad < 0;
        final double load = fit ? params.maxLoad() : targetLoad;
        if (!(load >= MIN_COMPACTION_LOAD) || load > params.maxLoad())
        {
            throw new IllegalArgumentException("target load must be in [" + MIN_COMPACTION_LOAD + ", " +
                params.maxLoad() + "]: " + targetLoad);
        }
        long stamp = lock.writeLock();
        try
        {
            ensureWritable();
            finishMigrationLocked();
            // the default fits the live entries plus one within the maximum load, so a store without tombstones
            // keeps its size; an explicit load is the load of the rebuilt table
            beginRehash(capacityFor(Math.max(1, current.entryCount() + (fit ? 1 : 0)), load));
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
        while (true)
        {
            stamp = lock.writeLock();
            try
            {
                ensureWritable();
                if (null == source)
                {
                    return;
                }
                if (cursor < source.capacity)
                {
                    migrate(MIGRATION_CHUNK);
                    if (null != progress)
                    {
                        progress.accept(cursor);
                    }
                }
                if (cursor == source.capacity)
                {
                    completeRehashLocked(false);
                    checkpointLocked();
                    return;
                }
            }
            catch (final InternalError ex)
            {
                throw mappedFault(ex);
            }
            finally
            {
                lock.unlockWrite(stamp);
            }
        }
    }

    private void finishMigrationLocked()
    {
        if (null != source)
        {
            migrate(Long.MAX_VALUE);
            completeRehashLocked(false);
        }
    }

    /**
     * Drive an in-progress migration to its end, one chunk per write-lock hold.
     */
    private void finishMigrationInChunks()
    {
        while (true)
        {
            final long stamp = lock.writeLock();
            try
            {
                ensureOpen();
                if (readOnly || null == source || cursor == source.capacity)
                {
                    return;
                }
                migrate(MIGRATION_CHUNK);
            }
            catch (final InternalError ex)
            {
                throw mappedFault(ex);
            }
            finally
            {
                lock.unlockWrite(stamp);
            }
        }
    }

    private ScheduledExecutorService maintenance()
    {
        if (null == maintenance)
        {
            maintenance = newExecutor("cubby-maintenance-");
        }
        return maintenance;
    }

    private ScheduledExecutorService allocator()
    {
        if (null == allocator)
        {
            allocator = newExecutor("cubby-allocate-");
        }
        return allocator;
    }

    private ScheduledExecutorService newExecutor(final String name)
    {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable ->
        {
            final Thread thread = new Thread(runnable, name + directory.getFileName());
            thread.setDaemon(true);
            return thread;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
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
        if (params.expiry)
        {
            return countLive(Long.MAX_VALUE);
        }
        return estimatedSize();
    }

    /**
     * Count live (unexpired) entries, stopping once {@code limit} are found.
     */
    private long countLive(final long limit)
    {
        if (null != liveReader)
        {
            ensureOpen();
            return liveReader.countLive(limit);
        }
        final long stamp = readLockUnlessComputing();
        try
        {
            ensureOpen();
            final long[] count = new long[1];
            final EntryVisitor counter = (k, ko, kl, v, vo, vl) -> count[0]++;
            final CorruptEntryHandler corrupt = (k, ko, kl, ex) -> count[0]++;
            for (long from = 0; from < current.capacity && count[0] < limit; from += ITERATION_CHUNK)
            {
                visitTable(current, from, Math.min(current.capacity, from + ITERATION_CHUNK), null, counter, corrupt);
            }
            if (null != source)
            {
                for (long from = cursor; from < source.capacity && count[0] < limit; from += ITERATION_CHUNK)
                {
                    visitTable(source, from, Math.min(source.capacity, from + ITERATION_CHUNK), current, counter,
                        corrupt);
                }
            }
            return count[0];
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            unlockRead(stamp);
        }
    }

    /**
     * The number of entries in constant time: in a store with expiry, expired entries are counted until rehash,
     * compaction, eviction or a write reclaims them.
     *
     * @return the number of entries, expired ones included.
     */
    public long estimatedSize()
    {
        if (null != liveReader)
        {
            ensureOpen();
            return liveReader.estimatedSize();
        }
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final long stamp = lock.tryOptimisticRead();
            final Table table = current;
            final Table old = source;
            final long size = table.entryCount() + (null == old ? 0 : old.entryCount());
            if (0 != stamp && lock.validate(stamp))
            {
                ensureOpen();
                return size;
            }
        }
        final long stamp = readLockUnlessComputing();
        try
        {
            ensureOpen();
            return size0();
        }
        finally
        {
            unlockRead(stamp);
        }
    }

    /**
     * @return true if the store has no entries.
     */
    public boolean isEmpty()
    {
        return params.expiry ? 0 == countLive(1) : 0 == estimatedSize();
    }

    /**
     * Visit every entry of a consistent snapshot. Writers wait until the visit ends; readers do not.
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
        if (null != liveReader)
        {
            ensureOpen();
            try
            {
                liveReader.forEach(visitor, onCorrupt);
                return;
            }
            catch (final InternalError ex)
            {
                throw mappedFault(ex);
            }
        }
        final long stamp = lock.readLock();
        try
        {
            ensureOpen();
            visitTable(current, 0, current.capacity, null, visitor, onCorrupt);
            if (null != source)
            {
                visitTable(source, cursor, source.capacity, current, visitor, onCorrupt);
            }
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            lock.unlockRead(stamp);
        }
    }

    private void visitTable(
        final Table table,
        final long from,
        final long to,
        final Table shadowing,
        final EntryVisitor visitor,
        final CorruptEntryHandler onCorrupt)
    {
        final long now = table.expiry ? System.currentTimeMillis() : 0;
        for (long i = from; i < to; i++)
        {
            if (STATE_FULL != table.state(i) || table.isExpired(i, now))
            {
                continue;
            }
            final UnsafeBuffer window = table.window(i);
            final int keyOffset = table.keyOffsetInWindow(i);
            final int keyLength;
            final int valueLength;
            try
            {
                keyLength = table.keyLength(i);
                valueLength = params.setMode ? keyLength : table.valueLength(i);
                if (verifyChecksumsOnRead)
                {
                    table.verifyChecksum(i);
                }
            }
            catch (final CorruptStoreException ex)
            {
                if (null == onCorrupt)
                {
                    throw ex;
                }
                final int rawKeyLength = window.getInt(table.slotOffset(i) + SlotDescriptor.KEY_LENGTH_OFFSET);
                onCorrupt.onCorrupt(window, keyOffset, Math.max(0, Math.min(table.maxKeyLength, rawKeyLength)), ex);
                continue;
            }
            if (null != shadowing &&
                shadowing.find(table.slotHash(i), window, keyOffset, keyLength) >= 0)
            {
                continue;
            }
            final int valueOffset = params.setMode ? keyOffset : table.valueOffsetInWindow(i);
            visitor.visit(window, keyOffset, keyLength, window, valueOffset, valueLength);
        }
    }

    /**
     * Iterate over copies of the entries. The iterator is weakly consistent: it returns every entry present
     * from its creation to its end exactly once, and may or may not reflect changes made meanwhile. Creating it
     * first finishes any rehash in progress.
     *
     * @return an iterator; {@link Iterator#remove()} removes the last returned key from the store.
     */
    public Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        if (null != liveReader)
        {
            // read-only: copies of the entries as one scan reads them (each consistent on its own)
            final List<Map.Entry<byte[], byte[]>> copies = new ArrayList<>();
            forEach((k, ko, kl, v, vo, vl) ->
            {
                final byte[] key = new byte[kl];
                k.getBytes(ko, key);
                final byte[] value = new byte[vl];
                v.getBytes(vo, value);
                copies.add(Map.entry(key, value));
            });
            return Collections.unmodifiableList(copies).iterator();
        }
        finishMigrationInChunks();
        return new ChunkedIterator();
    }

    /**
     * @return an iterator over copies of the keys, with the guarantees of {@link #entries()}.
     */
    public Iterator<byte[]> keys()
    {
        final Iterator<Map.Entry<byte[], byte[]>> entries = entries();
        return new Iterator<>()
        {
            public boolean hasNext()
            {
                return entries.hasNext();
            }

            public byte[] next()
            {
                return entries.next().getKey();
            }

            public void remove()
            {
                entries.remove();
            }
        };
    }

    private final class ChunkedIterator implements Iterator<Map.Entry<byte[], byte[]>>
    {
        private final ArrayDeque<Map.Entry<byte[], byte[]>> buffered = new ArrayDeque<>();
        private final Table table;
        private final Table old;
        private final long oldFrom;
        private long index;
        private boolean inOld;
        private boolean done;
        private byte[] lastKey;

        ChunkedIterator()
        {
            final long stamp = lock.readLock();
            try
            {
                ensureOpen();
                table = current;
                old = source;
                oldFrom = cursor;
            }
            finally
            {
                lock.unlockRead(stamp);
            }
        }

        public boolean hasNext()
        {
            while (buffered.isEmpty() && !done)
            {
                fill();
            }
            return !buffered.isEmpty();
        }

        public Map.Entry<byte[], byte[]> next()
        {
            if (!hasNext())
            {
                throw new NoSuchElementException();
            }
            final Map.Entry<byte[], byte[]> entry = buffered.poll();
            lastKey = entry.getKey();
            return entry;
        }

        public void remove()
        {
            if (null == lastKey)
            {
                throw new IllegalStateException("next() has not returned an entry since the last remove()");
            }
            Cubby.this.remove(lastKey);
            lastKey = null;
        }

        private void fill()
        {
            final long stamp = lock.readLock();
            try
            {
                ensureOpen();
                final Table t = inOld ? old : table;
                final long end = Math.min(t.capacity, index + ITERATION_CHUNK);
                visitTable(t, index, end, inOld ? table : null, (k, ko, kl, v, vo, vl) ->
                {
                    final byte[] key = new byte[kl];
                    k.getBytes(ko, key);
                    final byte[] value = new byte[vl];
                    v.getBytes(vo, value);
                    buffered.add(Map.entry(key, value));
                }, null);
                index = end;
                if (end == t.capacity)
                {
                    if (!inOld && null != old)
                    {
                        inOld = true;
                        index = oldFrom;
                    }
                    else
                    {
                        done = true;
                    }
                }
            }
            catch (final InternalError ex)
            {
                throw mappedFault(ex);
            }
            finally
            {
                lock.unlockRead(stamp);
            }
        }
    }

    /**
     * @return a snapshot of the store's counters.
     */
    public CubbyStats stats()
    {
        if (null != liveReader)
        {
            ensureOpen();
            return liveStats();
        }
        final long stamp = lock.readLock();
        try
        {
            ensureOpen();
            final Table old = source;
            return new CubbyStats(
                current.entryCount() + (null == old ? 0 : old.entryCount()),
                current.capacity,
                current.tombstoneCount(),
                params.maxLoad(),
                current.slotLength,
                current.generation,
                null != old,
                null == old ? 0 : cursor,
                null == old ? 0 : old.capacity,
                current.fileLength() + (null == old ? 0 : old.fileLength()),
                null == wal ? 0 : wal.usedBytes(),
                null == wal ? 0 : wal.capacity,
                rehashesStarted,
                params.probing,
                durability,
                current.entryCount(),
                null == counters ? -1 : counters.hits.sum(),
                null == counters ? -1 : counters.misses.sum(),
                null == counters ? -1 : counters.evictions.sum(),
                null == counters ? -1 : counters.expired.sum());
        }
        finally
        {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Scan every slot: states, lengths, checksums, reachability from the home slot, duplicates and counts. Writers
     * wait during the scan. On a read-only store while a writer (in another process) is active, an online check
     * instead: each slot as read at one instant, and {@link VerifyReport#notChecked} says what is left out.
     *
     * @return the report.
     */
    public VerifyReport verify()
    {
        if (null != liveReader)
        {
            ensureOpen();
            try
            {
                if (hasLiveWriter())
                {
                    return liveReader.verify(true);
                }
                // no writer: the full scan over the tables as they stand
                final LiveReader.View v = liveReader.view();
                final long from = null == v.source ? 0 : v.current == current ? cursor :
                    Math.max(0, Math.min(v.source.capacity, v.current.mappedMigrationCursor()));
                return Verifier.verify(v.current, v.source, from);
            }
            catch (final InternalError ex)
            {
                throw mappedFault(ex);
            }
        }
        final long stamp = lock.readLock();
        try
        {
            ensureOpen();
            return Verifier.verify(current, source, cursor);
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
        finally
        {
            lock.unlockRead(stamp);
        }
    }

    /**
     * @return what opening this store had to recover.
     */
    public RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    /**
     * @return the store directory.
     */
    public Path directory()
    {
        return directory;
    }

    /**
     * @return the largest key in bytes.
     */
    public int maxKeySize()
    {
        return params.maxKeyLength;
    }

    /**
     * @return the largest value in bytes; 0 in set mode.
     */
    public int maxValueSize()
    {
        return params.maxValueLength;
    }

    /**
     * @return the entry bound in force ({@link Builder#maxEntries(long)}, as stored), 0 for none.
     */
    public long maxEntries()
    {
        return maxEntries;
    }

    /**
     * @return true for a set-mode store.
     */
    public boolean isSetMode()
    {
        return params.setMode;
    }

    /**
     * @return true if the store was created with {@link Builder#expiry(boolean) expiry} (per-entry time to live).
     */
    public boolean hasExpiry()
    {
        return params.expiry;
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
        final UnsafeBuffer k = wrapKey(key);
        final long hash = Hashing.hash(hashFunction, k, 0, key.length);
        try
        {
            if (null != liveReader)
            {
                ensureOpen();
                return liveReader.expiresAt(hash, k, 0, key.length);
            }
            // optimistic first, like get: a visitor of forEach may call this while a writer waits for the lock
            for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
            {
                final long stamp = lock.tryOptimisticRead();
                if (0 != stamp)
                {
                    try
                    {
                        final long result = expiresAtLocked(hash, k, key.length);
                        if (lock.validate(stamp))
                        {
                            return result;
                        }
                    }
                    catch (final RuntimeException ex)
                    {
                        if (lock.validate(stamp))
                        {
                            throw ex;
                        }
                    }
                }
                Thread.onSpinWait();
            }
            final long stamp = lock.readLock();
            try
            {
                return expiresAtLocked(hash, k, key.length);
            }
            finally
            {
                lock.unlockRead(stamp);
            }
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
    }

    private long expiresAtLocked(final long hash, final DirectBuffer key, final int keyLength)
    {
        ensureOpen();
        Table table = current;
        final Table old = source;
        long index = table.find(hash, key, 0, keyLength);
        if (index < 0 && null != old)
        {
            table = old;
            index = table.find(hash, key, 0, keyLength);
        }
        if (index < 0 || table.isExpired(index, System.currentTimeMillis()))
        {
            return MISSING;
        }
        return table.expiresAt(index);
    }

    /**
     * @return true if opened read-only.
     */
    public boolean isReadOnly()
    {
        return readOnly;
    }

    /**
     * Whether a writer (another process, or another instance in this one) has this read-only store open now: its
     * reads then follow the writer's changes, each key consistent on its own (see the README).
     *
     * @return true while a read-only store's writer is alive; false for a writable store.
     */
    public boolean hasLiveWriter()
    {
        return null != liveReader && StoreLock.WRITER_NONE != StoreLock.probeWriter(directory);
    }

    // ================================================================ read-only stores (cross-process readers)

    /**
     * Called by the opener of a read-only store before it is published: every read goes through {@code reader}.
     */
    void readLive(final LiveReader reader)
    {
        this.liveReader = reader;
    }

    private CubbyStats liveStats()
    {
        final LiveReader.View v = liveReader.view();
        final Table cur = v.current;
        final Table old = v.source;
        final long currentEntries = Math.max(0, cur.mappedEntryCount());
        return new CubbyStats(
            liveReader.estimatedSize(),
            cur.capacity,
            Math.max(0, cur.mappedTombstoneCount()),
            params.maxLoad(),
            cur.slotLength,
            cur.generation,
            null != old,
            null == old ? 0 : Math.max(0, Math.min(old.capacity, cur.mappedMigrationCursor())),
            null == old ? 0 : old.capacity,
            cur.fileLength() + (null == old ? 0 : old.fileLength()),
            0,
            0,
            0,
            params.probing,
            durability,
            currentEntries,
            -1,
            -1,
            -1,
            -1);
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
        final long stamp = lock.writeLock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            if (!readOnly)
            {
                try
                {
                    checkpointLocked();
                    current.setOpenState(TableDescriptor.OPEN_STATE_CLEAN);
                    current.forceHeader();
                    CrashPoints.Hook.reached("close.current-marked-clean");
                    if (null != source)
                    {
                        source.setOpenState(TableDescriptor.OPEN_STATE_CLEAN);
                        source.forceHeader();
                    }
                }
                catch (final RuntimeException ex)
                {
                    throw new StoreIOException("closing " + directory + " failed; the next open recovers: " +
                        ex.getMessage(), ex);
                }
                catch (final InternalError ex)
                {
                    throw mappedFault(ex);
                }
            }
        }
        finally
        {
            lock.unlockWrite(stamp);
            for (final ScheduledExecutorService executor : new ScheduledExecutorService[]{ maintenance, allocator })
            {
                if (null != executor)
                {
                    executor.shutdownNow();
                    try
                    {
                        executor.awaitTermination(10, TimeUnit.SECONDS);
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            final Path prepared = preparedFile;
            if (null != prepared)
            {
                try
                {
                    Files.deleteIfExists(prepared);
                }
                catch (final IOException ignore)
                {
                    // deleted on next open
                }
            }
            if (null != wal)
            {
                wal.close();
            }
            if (null != liveReader)
            {
                liveReader.close();
            }
            current.close();
            if (null != source)
            {
                source.close();
            }
            fileLock.close();
            if (null != notifier)
            {
                notifier.close();
            }
            if (null != shutdownHook && Thread.currentThread() != shutdownHook)
            {
                try
                {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                }
                catch (final IllegalStateException | IllegalArgumentException ignore)
                {
                    // the JVM is shutting down, or the hook was never added (a failed open)
                }
            }
        }
    }

    private void closeOnShutdown()
    {
        try
        {
            close();
        }
        catch (final RuntimeException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "closing " + directory + " at JVM shutdown failed", ex);
        }
    }

    /**
     * @return true once {@link #close()} has been called.
     */
    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public String toString()
    {
        return "Cubby[" + directory + "]";
    }

    // ================================================================ files changed by other processes

    /**
     * What other processes did to the mapped files: empty while every file is as mapped.
     */
    private String changedFiles()
    {
        final List<String> changes = new ArrayList<>(3);
        for (final String change : new String[]{ current.changedFile(),
            null == source ? null : source.changedFile(), null == wal ? null : wal.changedFile() })
        {
            if (null != change)
            {
                changes.add(change);
            }
        }
        return String.join("; ", changes);
    }

    /**
     * Refuse to checkpoint into files that another process truncated, replaced or deleted: writes since the open
     * went to the mapped originals, and moving the log start would lose them.
     */
    private void checkFilesUnchanged()
    {
        final String changes = changedFiles();
        if (!changes.isEmpty())
        {
            throw new StoreIOException("store " + directory + ": " + changes + "; nothing was checkpointed. Close " +
                "the store and find out what changed its files before opening it again");
        }
    }

    /**
     * Translate a fault on a mapped page, the one place where this is done. Touching a page that another process
     * truncated away (or that the disk cannot read) raises SIGBUS, which the JVM turns into an
     * {@link InternalError} for the {@code Unsafe} access. In compiled code the JVM may raise it a little later
     * than the access, so an error caught here can come from the operation before; other errors are rethrown.
     */
    private StoreIOException mappedFault(final InternalError error)
    {
        final String message = error.getMessage();
        if (null == message || !message.contains("unsafe memory access"))
        {
            throw error;
        }
        final String changes = changedFiles();
        return new StoreIOException("store " + directory + ": a mapped page could not be accessed (" +
            (changes.isEmpty() ? "no file changed size: the disk may have failed" : changes) +
            "); close the store", error);
    }

    // ================================================================ argument checks

    private static final byte[] EMPTY = new byte[0];

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("store " + directory + " is closed");
        }
    }

    private void ensureWritable()
    {
        ensureOpen();
        if (readOnly)
        {
            throw new ReadOnlyStoreException("store " + directory + " is open read-only");
        }
    }

    private UnsafeBuffer wrapKey(final byte[] key)
    {
        Objects.requireNonNull(key, "key");
        checkKeyLength(key.length);
        return new UnsafeBuffer(key);
    }

    private UnsafeBuffer wrapValue(final byte[] value)
    {
        Objects.requireNonNull(value, "value");
        checkValueLength(value.length);
        return new UnsafeBuffer(value);
    }

    private void checkKey(final DirectBuffer key, final int offset, final int length)
    {
        Objects.requireNonNull(key, "key");
        checkKeyLength(length);
        checkRange(key, offset, length, "key");
    }

    private void checkValue(final DirectBuffer value, final int offset, final int length)
    {
        Objects.requireNonNull(value, "value");
        checkValueLength(length);
        checkRange(value, offset, length, "value");
    }

    private void checkKeyLength(final int length)
    {
        if (length > params.maxKeyLength)
        {
            throw new EntryTooLargeException("key of " + length + " bytes exceeds the maximum key size " +
                params.maxKeyLength + " of store " + directory);
        }
        if (length < 0)
        {
            throw new IllegalArgumentException("negative key length " + length);
        }
    }

    private void checkValueLength(final int length)
    {
        if (length > params.maxValueLength)
        {
            throw new EntryTooLargeException(params.setMode ?
                "store " + directory + " is a set: values must be empty, got " + length + " bytes" :
                "value of " + length + " bytes exceeds the maximum value size " + params.maxValueLength +
                " of store " + directory);
        }
        if (length < 0)
        {
            throw new IllegalArgumentException("negative value length " + length);
        }
    }

    private static void checkRange(final DirectBuffer buffer, final int offset, final int length, final String what)
    {
        if (offset < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IndexOutOfBoundsException(what + " range [" + offset + ", " + ((long)offset + length) +
                ") outside buffer of capacity " + buffer.capacity());
        }
    }

    // ================================================================ opening and recovery

    static Cubby openStore(final Builder builder)
    {
        return Opener.open(builder);
    }

    /**
     * Package-private construction for the opener, which has already validated and recovered the files.
     */
    static Cubby create(
        final Builder builder,
        final TableParams params,
        final StoreLock fileLock,
        final Table current,
        final Table source,
        final long cursor,
        final Wal wal)
    {
        return new Cubby(builder, params, fileLock, current, source, cursor, wal);
    }

    /**
     * Apply one logged operation again during recovery, without logging it.
     */
    void replay(final boolean removal, final DirectBuffer buffer, final int keyOffset, final int keyLength,
        final int valueOffset, final int valueLength, final long expiresAt)
    {
        replaying = true;
        try
        {
            if (removal)
            {
                write(OP_REMOVE, buffer, keyOffset, keyLength, null, 0, 0, null, 0, 0, null, 0L);
            }
            else
            {
                write(OP_PUT, buffer, keyOffset, keyLength, buffer, valueOffset, valueLength, null, 0, 0, null,
                    expiresAt);
            }
        }
        finally
        {
            replaying = false;
        }
    }

    /**
     * Called by the opener once replay is done: checkpoint if anything was recovered, mark tables open.
     */
    void finishOpen(final RecoveryReport report, final boolean checkpoint, final long newLogSize)
    {
        this.recoveryReport = report;
        final StoreEvents.Recovery event = new StoreEvents.Recovery();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.clean = report.cleanShutdown;
            event.recordsReplayed = report.operationsReplayed;
            event.summary = report.toString();
            event.commit();
        }
        if (null != shutdownHook)
        {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        if (readOnly)
        {
            return;
        }
        final long stamp = lock.writeLock();
        try
        {
            if (checkpoint)
            {
                checkpointLocked();
            }
            if (newLogSize > 0)
            {
                final Wal replacement;
                try
                {
                    replacement = Wal.create(directory.resolve(WalDescriptor.FILE_NAME), newLogSize, params.seed,
                        wal.nextSequence());
                }
                catch (final IOException ex)
                {
                    throw new StoreIOException("cannot resize the log of " + directory + ": " + ex, ex);
                }
                wal.close();
                wal = replacement;
                checkpointLocked();
            }
            if (current.maxEntries() != maxEntries)
            {
                current.setMaxEntries(maxEntries);
                // A smaller bound than the store holds: evict down to it now, as writes would.
                final long now = System.currentTimeMillis();
                boolean evicted = false;
                while (maxEntries > 0 && size0() > maxEntries)
                {
                    beforeWrite(WalRecordDescriptor.entryRecordLength(params.maxKeyLength, 0));
                    if (!evictOne(now))
                    {
                        break;
                    }
                    evicted = true;
                }
                if (evicted)
                {
                    checkpointLocked();
                }
            }
            current.setOpenState(TableDescriptor.OPEN_STATE_OPEN);
            current.forceHeader();
            CrashPoints.Hook.reached("open.current-marked-open");
            if (null != source)
            {
                source.setOpenState(TableDescriptor.OPEN_STATE_OPEN);
                source.forceHeader();
                if (cursor == source.capacity)
                {
                    completeRehashLocked(false);
                }
            }
            if (Durability.ASYNC == durability)
            {
                final long interval = Math.max(1, syncInterval.toMillis());
                maintenance().scheduleWithFixedDelay(this::backgroundSync, interval, interval, TimeUnit.MILLISECONDS);
            }
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
    }

    private void backgroundSync()
    {
        try
        {
            if (!closed)
            {
                wal.forceAll();
            }
        }
        catch (final RuntimeException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "background log sync of " + directory + " failed", ex);
        }
    }

    /**
     * Recovery left the current table above its load limit: until a growth succeeds, a growth that fails (a full
     * disk) lets the write go on while the table has room.
     */
    void deferGrowth()
    {
        growthDeferred = true;
    }

    Table currentTable()
    {
        return current;
    }

    Table sourceTable()
    {
        return source;
    }

    long migrationCursor()
    {
        return cursor;
    }

    /**
     * Cache counters, kept only when {@link Builder#recordStats(boolean)} is set.
     */
    static final class Counters
    {
        final java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder misses = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder evictions = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder expired = new java.util.concurrent.atomic.LongAdder();

        void recordRead(final boolean hit)
        {
            (hit ? hits : misses).increment();
        }
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

        /** Maximum (entries + tombstones) / capacity before the table grows (creation). Default 0.75. */
        public Builder maxLoad(final double load)
        {
            this.maxLoad = load;
            return this;
        }

        /** Probing strategy (creation). Default {@link Probing#LINEAR}. */
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
         * {@link Durability#NONE}. A checkpoint runs whenever the log is half full.
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
         * store holds evicts down to it before {@code open()} returns. At most 2^32 - 1.
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
            return openStore(this);
        }
    }
}
