package io.cubby.store;

import java.nio.file.Path;

import static io.cubby.store.Log.LOGGER;

/**
 * Checkpoints (FORMAT.md §5a): log a CHECKPOINT record naming the tables and the migration cursor, force the
 * tables, then move the log start to the record, so the log only holds what the tables may lack. In the
 * foreground with the write lock held, or in the background without stopping writers while the tables are forced.
 */
final class Checkpointer
{
    private final Path directory;
    private final Durability durability;
    private final Guard guard;
    private final TableSet tables;
    private final LogWriter log;
    private final Rehasher rehasher;
    private final Background background;
    private final FileWatch fileWatch;
    private boolean checkpointScheduled;
    private long checkpoints;

    Checkpointer(
        final Options options,
        final Guard guard,
        final TableSet tables,
        final LogWriter log,
        final Rehasher rehasher,
        final Background background,
        final FileWatch fileWatch)
    {
        this.directory = options.directory;
        this.durability = options.durability;
        this.guard = guard;
        this.tables = tables;
        this.log = log;
        this.rehasher = rehasher;
        this.background = background;
        this.fileWatch = fileWatch;
    }

    /**
     * Before each write, with the write lock held: checkpoint now if the log has no room for the record and the
     * structural records that may follow it, or in the background once the log asks for one.
     */
    void beforeWrite(final int recordLength)
    {
        final Wal wal = log.wal();
        if (!wal.fits(recordLength + 4 * WalRecordDescriptor.STRUCTURAL_LENGTH))
        {
            checkpointLocked();
        }
        else if (Durability.NONE != durability && !checkpointScheduled && wal.needsCheckpoint())
        {
            scheduleCheckpoint();
        }
    }

    /**
     * Force all changes to disk and trim the log. Blocks writers while the tables are forced.
     */
    void checkpoint()
    {
        final long stamp = guard.lock.writeLock();
        try
        {
            guard.ensureWritable();
            checkpointLocked();
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            guard.lock.unlockWrite(stamp);
        }
    }

    /**
     * Make every change durable in the tables and start a new log generation; the caller holds the write lock.
     */
    void checkpointLocked()
    {
        final StoreEvents.Checkpoint event = StoreEvents.checkpointBegin();
        checkpointLockedUntimed();
        StoreEvents.checkpointEnd(event, directory, log.wal().usedBytes());
    }

    private void checkpointLockedUntimed()
    {
        fileWatch.checkFilesUnchanged();
        final Wal wal = log.wal();
        final Table current = tables.current;
        final Table source = tables.source;
        final long sequence = wal.appendStructural(WalRecordDescriptor.TYPE_CHECKPOINT, current.generation,
            null == source ? 0 : source.generation, tables.cursor);
        final int position = wal.lastRecordPosition();
        CrashPoints.Hook.reached("checkpoint.logged");
        current.force();
        if (null != source)
        {
            source.force();
            CrashPoints.Hook.reached("checkpoint.forced");
            if (tables.cursor == source.capacity)
            {
                rehasher.completeLocked(true);
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
        background.maintenance().execute(() ->
        {
            final long sequence;
            final int position;
            final Table table;
            final Table old;
            long stamp = guard.lock.writeLock();
            try
            {
                if (guard.isClosed())
                {
                    checkpointScheduled = false;
                    return;
                }
                final Wal wal = log.wal();
                sequence = wal.appendStructural(WalRecordDescriptor.TYPE_CHECKPOINT, tables.current.generation,
                    null == tables.source ? 0 : tables.source.generation, tables.cursor);
                position = wal.lastRecordPosition();
                CrashPoints.Hook.reached("checkpoint.logged");
                table = tables.current;
                old = tables.source;
            }
            finally
            {
                guard.lock.unlockWrite(stamp);
            }
            boolean forced = false;
            try
            {
                fileWatch.checkFilesUnchanged();
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
            stamp = guard.lock.writeLock();
            try
            {
                if (forced && !guard.isClosed())
                {
                    log.wal().advanceStart(position, sequence);
                    checkpoints++;
                    CrashPoints.Hook.reached("checkpoint.start-moved");
                }
                checkpointScheduled = false;
            }
            finally
            {
                guard.lock.unlockWrite(stamp);
            }
        });
    }

    /**
     * @return background checkpoints completed.
     */
    long checkpoints()
    {
        return checkpoints;
    }
}
