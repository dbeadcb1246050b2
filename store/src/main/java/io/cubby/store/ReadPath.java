package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.concurrent.locks.StampedLock;

/**
 * The read path: lookups by key under an optimistic stamp of the store lock, validated afterwards and retried a
 * few times before falling back to the read lock; the size, the stats and the verification of the live tables.
 * Allocates nothing per lookup: each reading thread has its own {@link TableSet.Lookup}.
 */
final class ReadPath
{
    /** Returned by lookups when the key is absent. */
    static final int MISSING = Cubby.MISSING;
    private static final int OPTIMISTIC_ATTEMPTS = 8;

    private final Options options;
    private final TableParams params;
    private final Guard guard;
    private final StampedLock lock;
    private final TableSet tables;
    private final LogWriter log;
    private final Rehasher rehasher;
    private final FileWatch fileWatch;
    private final Counters counters;
    private final Xxh3 hashFunction;
    private final ThreadLocal<TableSet.Lookup> lookups = ThreadLocal.withInitial(TableSet.Lookup::new);

    ReadPath(
        final Options options,
        final Guard guard,
        final TableSet tables,
        final LogWriter log,
        final Rehasher rehasher,
        final FileWatch fileWatch,
        final Counters counters,
        final Xxh3 hashFunction)
    {
        this.options = options;
        this.params = options.params;
        this.guard = guard;
        this.lock = guard.lock;
        this.tables = tables;
        this.log = log;
        this.rehasher = rehasher;
        this.fileWatch = fileWatch;
        this.counters = counters;
        this.hashFunction = hashFunction;
    }

    /**
     * Copy a key's value (its key in set mode) into {@code dst}, if given.
     *
     * @return the value length, or {@link #MISSING}.
     */
    int read(
        final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        try
        {
            return readOptimistically(key, keyOffset, keyLength, dst, dstOffset);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    private int readOptimistically(
        final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        final long hash = Hashing.hash(hashFunction, key, keyOffset, keyLength);
        final TableSet.Lookup lookup = lookups.get();
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final long stamp = lock.tryOptimisticRead();
            if (0 != stamp)
            {
                try
                {
                    final int result = readLocked(lookup, hash, key, keyOffset, keyLength, dst, dstOffset);
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
        final long stamp = guard.readLockUnlessComputing();
        try
        {
            final int result = readLocked(lookup, hash, key, keyOffset, keyLength, dst, dstOffset);
            if (null != counters)
            {
                counters.recordRead(result >= 0);
            }
            return result;
        }
        finally
        {
            guard.unlockRead(stamp);
        }
    }

    /**
     * One lookup, under a stamp or a lock the caller validates or holds.
     *
     * @return the value length, or {@link #MISSING}.
     */
    int readLocked(
        final TableSet.Lookup lookup,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        guard.ensureOpen();
        if (!tables.lookup(lookup, false, hash, key, keyOffset, keyLength))
        {
            return MISSING;
        }
        final Table table = lookup.table;
        final long index = lookup.index;
        lookup.release();
        if (table.expiry && table.isExpired(index, ExpiryClock.now()))
        {
            return MISSING;
        }
        final int length = params.setMode ? table.keyLength(index) : table.valueLength(index);
        if (options.verifyChecksumsOnRead)
        {
            table.verifyChecksum(index);
        }
        if (null != dst)
        {
            table.copyOut(index, params.setMode, length, dst, dstOffset);
        }
        return length;
    }

    /**
     * @return when a key's entry expires, 0 if never, or {@link #MISSING} if absent or expired.
     */
    long expiresAtMillis(final DirectBuffer key, final int keyLength)
    {
        final long hash = Hashing.hash(hashFunction, key, 0, keyLength);
        final TableSet.Lookup lookup = lookups.get();
        try
        {
            // optimistic first, like get: a visitor of forEach may call this while a writer waits for the lock
            for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
            {
                final long stamp = lock.tryOptimisticRead();
                if (0 != stamp)
                {
                    try
                    {
                        final long result = expiresAtLocked(lookup, hash, key, keyLength);
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
                return expiresAtLocked(lookup, hash, key, keyLength);
            }
            finally
            {
                lock.unlockRead(stamp);
            }
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    private long expiresAtLocked(
        final TableSet.Lookup lookup, final long hash, final DirectBuffer key, final int keyLength)
    {
        guard.ensureOpen();
        if (!tables.lookup(lookup, false, hash, key, 0, keyLength))
        {
            return MISSING;
        }
        final Table table = lookup.table;
        final long index = lookup.index;
        lookup.release();
        if (table.isExpired(index, ExpiryClock.now()))
        {
            return MISSING;
        }
        return table.expiresAt(index);
    }

    /**
     * @return the number of entries in constant time, expired ones included.
     */
    long estimatedSize()
    {
        for (int attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++)
        {
            final long stamp = lock.tryOptimisticRead();
            final Table table = tables.current;
            final Table old = tables.source;
            final long size = table.entryCount() + (null == old ? 0 : old.entryCount());
            if (0 != stamp && lock.validate(stamp))
            {
                guard.ensureOpen();
                return size;
            }
        }
        final long stamp = guard.readLockUnlessComputing();
        try
        {
            guard.ensureOpen();
            return tables.size();
        }
        finally
        {
            guard.unlockRead(stamp);
        }
    }

    CubbyStats stats()
    {
        final long stamp = lock.readLock();
        try
        {
            guard.ensureOpen();
            final Table current = tables.current;
            final Table old = tables.source;
            final Wal wal = log.wal();
            return new CubbyStats(
                current.entryCount() + (null == old ? 0 : old.entryCount()),
                current.capacity,
                current.tombstoneCount(),
                params.maxLoad(),
                current.slotLength,
                current.generation,
                null != old,
                null == old ? 0 : tables.cursor,
                null == old ? 0 : old.capacity,
                current.fileLength() + (null == old ? 0 : old.fileLength()),
                null == wal ? 0 : wal.usedBytes(),
                null == wal ? 0 : wal.capacity,
                rehasher.rehashesStarted(),
                params.probing,
                options.durability,
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

    VerifyReport verify()
    {
        final long stamp = lock.readLock();
        try
        {
            guard.ensureOpen();
            return Verifier.verify(tables.current, tables.source, tables.cursor);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            lock.unlockRead(stamp);
        }
    }
}
