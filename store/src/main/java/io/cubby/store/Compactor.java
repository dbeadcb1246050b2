package io.cubby.store;

import java.util.concurrent.locks.StampedLock;
import java.util.function.LongConsumer;

/**
 * Explicit compaction: a rehash into the smallest table that holds the live entries at a target load, driven to
 * its end a chunk per write-lock hold, then completed and checkpointed.
 */
final class Compactor
{
    private final Guard guard;
    private final StampedLock lock;
    private final TableSet tables;
    private final Rehasher rehasher;
    private final Checkpointer checkpointer;
    private final FileWatch fileWatch;

    Compactor(
        final Guard guard,
        final TableSet tables,
        final Rehasher rehasher,
        final Checkpointer checkpointer,
        final FileWatch fileWatch)
    {
        this.guard = guard;
        this.lock = guard.lock;
        this.tables = tables;
        this.rehasher = rehasher;
        this.checkpointer = checkpointer;
        this.fileWatch = fileWatch;
    }

    /**
     * @param load     load of the rebuilt table, checked by the caller.
     * @param fit      true for the default: the live entries plus one within the maximum load.
     * @param progress receives the number of migrated slots after each step; may be null.
     */
    void compact(final double load, final boolean fit, final LongConsumer progress)
    {
        long stamp = lock.writeLock();
        try
        {
            guard.ensureWritable();
            rehasher.finishLocked();
            // the default fits the live entries plus one within the maximum load, so a store without tombstones
            // keeps its size; an explicit load is the load of the rebuilt table
            rehasher.begin(Rehasher.capacityFor(Math.max(1, tables.current.entryCount() + (fit ? 1 : 0)), load));
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
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
                guard.ensureWritable();
                final Table source = tables.source;
                if (null == source)
                {
                    return;
                }
                if (tables.cursor < source.capacity)
                {
                    rehasher.migrateChunk();
                    if (null != progress)
                    {
                        progress.accept(tables.cursor);
                    }
                }
                if (tables.cursor == source.capacity)
                {
                    rehasher.completeLocked(false);
                    checkpointer.checkpointLocked();
                    return;
                }
            }
            catch (final InternalError ex)
            {
                throw fileWatch.mappedFault(ex);
            }
            finally
            {
                lock.unlockWrite(stamp);
            }
        }
    }
}
