package io.cubby.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The checkpoints of a version-2 store (FORMAT-v2.md 7.5 step 3): note the log's append position (every record
 * before it was appended after its change was applied), force the files of the segments whose sequence word moved
 * since their last force ({@link SegmentSet#forceChanged}) while writers go on, then move the log's start to the
 * noted position and force the log. Every record before the start is then in forced segment files, so replay of the
 * records after it is enough. With an empty log (always in NONE) a checkpoint forces the changed segment files
 * and stops there.
 * <p>
 * A checkpoint runs on this class's thread once the log is half full ({@link SegmentLog#checkpointWanted}), so that
 * writers meet a full log only if it cannot keep up; on a writer's thread when the log has no room for its record;
 * on request; and at close. One runs at a time.
 * <p>
 * A checkpoint first checks that no other process changed the store's files ({@link #changedFiles}): the writes
 * since the open went to the files as mapped, and moving the log's start past a changed file would lose them.
 */
final class SegmentCheckpointer
{
    private final Path directory;
    private final SegmentSet set;
    private final Object lock = new Object();
    private final Thread thread;
    private SegmentLog log;
    private volatile boolean stopping;
    private long count;

    SegmentCheckpointer(final Path directory, final SegmentSet set)
    {
        this.directory = directory;
        this.set = set;
        thread = new Thread(this::runWhenWanted, "cubby-v2-checkpoint " + directory);
        thread.setDaemon(true);
    }

    /** The background thread, which {@link SegmentLog#append} unparks once the log is half full. */
    Thread thread()
    {
        return thread;
    }

    /** The log whose start the checkpoints move: once, before the first checkpoint (the store's constructor). */
    void attach(final SegmentLog log)
    {
        this.log = log;
    }

    /** Start the background thread, once the open is done. */
    void start()
    {
        thread.start();
    }

    /** Checkpoints that moved the log's start since the open. */
    long count()
    {
        return count;
    }

    /**
     * Make every logged change durable in the segment files and free the log: see the class comment. Called by a
     * thread holding no segment lock; writers go on meanwhile (their records stay after the new start).
     */
    void checkpoint() throws IOException
    {
        checkpoint(changedFiles());
    }

    /**
     * {@link #checkpoint()} for a store whose changed files are {@code changes} ({@link #changedFiles}, which the
     * close has asked already).
     */
    void checkpoint(final String changes) throws IOException
    {
        synchronized (lock)
        {
            FileWatch.checkUnchanged(directory, changes);
            final StoreEvents.Checkpoint event = StoreEvents.checkpointBegin();
            // every record before the mark was appended after its change was applied to its segment
            final SegmentLog.Mark mark = log.mark();
            // also with an empty log: NONE logs no entry write, and evictions and sweeps are not logged; a file
            // whose rehash ended meanwhile is skipped, its target holding its entries, forced by the rehash end
            set.forceChanged();
            if (!mark.empty())
            {
                log.moveStart(mark);
                count++;
            }
            StoreEvents.checkpointEnd(event, directory, log.usedBytes());
        }
    }

    /**
     * What other processes did to the store's files (truncated, replaced, deleted): empty while every file is as
     * mapped ({@link FileWatch}).
     */
    String changedFiles()
    {
        final List<String> changes = new ArrayList<>(2);
        set.changedFiles(changes);
        final String logChange = log.changedFile();
        if (null != logChange)
        {
            changes.add(logChange);
        }
        return String.join("; ", changes);
    }

    /** Let the background thread end (it runs no checkpoint it has not begun), and wait for it. */
    void stop()
    {
        stopping = true;
        LockSupport.unpark(thread);
        if (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** From the close's first step on, the background thread begins no checkpoint. */
    void stopping()
    {
        stopping = true;
    }

    private void runWhenWanted()
    {
        while (!stopping)
        {
            if (!log.checkpointWanted())
            {
                LockSupport.park(this);
                continue;
            }
            try
            {
                checkpoint();
            }
            catch (final IOException | RuntimeException | InternalError ex)
            {
                // a writer that finds the log full runs the checkpoint itself and meets the failure
                System.getLogger(SegmentCheckpointer.class.getName()).log(System.Logger.Level.WARNING,
                    "background checkpoint of " + directory + " failed: " + ex);
                LockSupport.parkNanos(100_000_000L);
            }
            finally
            {
                log.checkpointDone();
            }
        }
    }
}
