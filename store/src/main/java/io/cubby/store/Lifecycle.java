package io.cubby.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;

import static io.cubby.store.Log.LOGGER;

/**
 * The end of an open (after recovery: checkpoint, log resize, entry bound, tables marked open, background log
 * forces) and the close (checkpoint, tables marked clean, threads stopped, files and lock released).
 */
final class Lifecycle
{
    private final Options options;
    private final Path directory;
    private final Guard guard;
    private final StampedLock lock;
    private final TableSet tables;
    private final LogWriter log;
    private final Checkpointer checkpointer;
    private final Rehasher rehasher;
    private final Engine engine;
    private final TableAllocator allocator;
    private final Background background;
    private final FileWatch fileWatch;
    private final Notifier notifier;
    private final StoreLock fileLock;
    private final Thread shutdownHook;
    private RecoveryReport recoveryReport;

    Lifecycle(
        final Options options,
        final Guard guard,
        final TableSet tables,
        final LogWriter log,
        final Checkpointer checkpointer,
        final Rehasher rehasher,
        final Engine engine,
        final TableAllocator allocator,
        final Background background,
        final FileWatch fileWatch,
        final Notifier notifier,
        final StoreLock fileLock)
    {
        this.options = options;
        this.directory = options.directory;
        this.guard = guard;
        this.lock = guard.lock;
        this.tables = tables;
        this.log = log;
        this.checkpointer = checkpointer;
        this.rehasher = rehasher;
        this.engine = engine;
        this.allocator = allocator;
        this.background = background;
        this.fileWatch = fileWatch;
        this.notifier = notifier;
        this.fileLock = fileLock;
        this.shutdownHook = options.closeOnJvmShutdown ? new Thread(this::closeOnShutdown, "cubby-shutdown") : null;
    }

    RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    /**
     * Called by the opener once replay is done: checkpoint if anything was recovered, mark tables open.
     */
    void finishOpen(final RecoveryReport report, final boolean checkpoint, final long newLogSize)
    {
        this.recoveryReport = report;
        StoreEvents.recovery(directory, report);
        if (null != shutdownHook)
        {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        if (options.readOnly)
        {
            return;
        }
        final long stamp = lock.writeLock();
        try
        {
            if (checkpoint)
            {
                checkpointer.checkpointLocked();
            }
            if (newLogSize > 0)
            {
                final Wal replacement;
                try
                {
                    replacement = Wal.create(directory.resolve(WalDescriptor.FILE_NAME), newLogSize,
                        options.params.seed, log.wal().nextSequence());
                }
                catch (final IOException ex)
                {
                    throw new StoreIOException("cannot resize the log of " + directory + ": " + ex, ex);
                }
                log.replace(replacement);
                checkpointer.checkpointLocked();
            }
            engine.applyEntryBound();
            final Table current = tables.current;
            current.setOpenState(TableDescriptor.OPEN_STATE_OPEN);
            current.forceHeader();
            CrashPoints.Hook.reached("open.current-marked-open");
            final Table source = tables.source;
            if (null != source)
            {
                source.setOpenState(TableDescriptor.OPEN_STATE_OPEN);
                source.forceHeader();
                if (tables.cursor == source.capacity)
                {
                    rehasher.completeLocked(false);
                }
            }
            if (Durability.ASYNC == options.durability)
            {
                final long interval = Math.max(1, options.syncInterval.toMillis());
                background.maintenance().scheduleWithFixedDelay(this::backgroundSync, interval, interval,
                    TimeUnit.MILLISECONDS);
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
            if (!guard.isClosed())
            {
                log.wal().forceAll();
            }
        }
        catch (final RuntimeException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "background log sync of " + directory + " failed", ex);
        }
    }

    /**
     * Close the store: checkpoint, mark it cleanly closed, release its lock. Idempotent.
     */
    void close()
    {
        final long stamp = lock.writeLock();
        try
        {
            if (guard.isClosed())
            {
                return;
            }
            guard.markClosed();
            if (!options.readOnly)
            {
                try
                {
                    checkpointer.checkpointLocked();
                    tables.current.setOpenState(TableDescriptor.OPEN_STATE_CLEAN);
                    tables.current.forceHeader();
                    CrashPoints.Hook.reached("close.current-marked-clean");
                    final Table source = tables.source;
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
                    throw fileWatch.mappedFault(ex);
                }
            }
        }
        finally
        {
            lock.unlockWrite(stamp);
            background.shutdown();
            allocator.deleteUntaken();
            log.close();
            tables.close();
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
}
