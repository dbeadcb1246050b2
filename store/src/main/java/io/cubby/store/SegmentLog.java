package io.cubby.store;

import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The version-2 log as {@link SegmentStore}'s writes use it (FORMAT-v2.md 7.4, 7.5): room promised to a record
 * before its segment changes, the append under the log lock, durability (SYNC: a writer returns once a force
 * covers its record, writers waiting together sharing one force; ASYNC: a background force every sync interval;
 * NONE: no force outside a checkpoint), the log's half of a checkpoint (note the append position, later move the
 * start there and force) and of a close (Log State closed), and the replacement of an empty log by one of another
 * capacity at open (7.1). Segment locks are the store's: a writer calls {@link #reserve} and {@link #append} while
 * holding its segment's lock, so the log's order is the apply order for every key.
 * <p>
 * The append path allocates nothing. Once the log is more than half full it asks for a checkpoint by unparking
 * the store's checkpointer, which runs it and calls {@link #checkpointDone}.
 */
final class SegmentLog implements AutoCloseable
{
    /** Where the log stood when a checkpoint began: every record before {@code position} was applied first. */
    record Mark(int position, long sequence, boolean empty)
    {
    }

    private final Path directory;
    private final Durability durability;
    private final SegmentParams params;
    private final ReentrantLock lock = new ReentrantLock();
    /** Held by whoever forces the log, and by a start move with its force. */
    private final Object forceLock = new Object();
    private final int maxRecordLength;
    private final Thread checkpointer;
    private final Thread forcer;
    /** Replaced only by {@link #replace}, at open, before the threads start. */
    private SegmentLogWriter writer;
    /** Bytes promised to writers that passed the room check and have not appended yet (under the lock). */
    private long reserved;
    private volatile long appendedSequence;
    private volatile long durableSequence;
    private volatile boolean checkpointWanted;
    private volatile boolean stopped;

    /**
     * @param checkpointer the thread {@link #append} unparks once the log is half full.
     */
    SegmentLog(final Path directory, final SegmentLogWriter writer, final SegmentParams params,
        final Durability durability, final Duration syncInterval, final Thread checkpointer)
    {
        this.directory = directory;
        this.writer = writer;
        this.durability = durability;
        this.params = params;
        this.checkpointer = checkpointer;
        this.maxRecordLength = SegmentLogDescriptor.maxRecordLength(params);
        appendedSequence = writer.nextSequence() - 1;
        durableSequence = appendedSequence;
        if (durability == Durability.ASYNC)
        {
            forcer = new Thread(() -> forceEvery(syncInterval.toNanos()), "cubby-v2-log-force " + directory);
            forcer.setDaemon(true);
        }
        else
        {
            forcer = null;
        }
    }

    /** Start the background force of ASYNC. */
    void start()
    {
        if (null != forcer)
        {
            forcer.start();
        }
    }

    // ---------------------------------------------------------------- writes

    /**
     * Promise room for one record (plus the padding a wrap may need), so that it can be appended after the segment
     * changed. @return false if the log must be checkpointed first.
     */
    boolean reserve(final int recordLength)
    {
        lock.lock();
        try
        {
            if (!writer.fits((int)Math.min(Integer.MAX_VALUE, reserved + recordLength + maxRecordLength)))
            {
                if (reserved == 0 && !writer.fits(recordLength + maxRecordLength) && writer.usedBytes() == 0)
                {
                    throw new IllegalStateException("log capacity " + writer.capacity() + " below one record");
                }
                return false;
            }
            reserved += recordLength;
            return true;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Return room {@link #reserve} promised and no record will use. */
    void release(final int recordLength)
    {
        lock.lock();
        try
        {
            reserved -= recordLength;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Append a PUT (or a REMOVE if {@code valueLength < 0}) for which room was reserved, its Expires At resolved.
     *
     * @return the record's sequence.
     */
    long append(final int recordLength, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final long expiresAt)
    {
        lock.lock();
        try
        {
            reserved -= recordLength;
            final long sequence = valueLength < 0 ? writer.appendRemove(key, keyOffset, keyLength) :
                writer.appendPut(key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt);
            appendedSequence = sequence;
            if (!checkpointWanted && writer.usedBytes() * 2 > writer.capacity())
            {
                checkpointWanted = true;
                LockSupport.unpark(checkpointer);
            }
            return sequence;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** What the durability asks of a write whose record has {@code sequence}, after its segment's lock is released. */
    void afterWrite(final long sequence)
    {
        if (durability == Durability.SYNC)
        {
            awaitDurable(sequence);
        }
    }

    /** Return once the log is forced past {@code sequence}; writers waiting together share one force. */
    private void awaitDurable(final long sequence)
    {
        if (durableSequence >= sequence)
        {
            return;
        }
        synchronized (forceLock)
        {
            if (durableSequence >= sequence)
            {
                return;
            }
            forceLocked();
        }
    }

    /** Under the force lock: force everything appended so far. */
    private void forceLocked()
    {
        final long through = appendedSequence;
        writer.force();
        if (through > durableSequence)
        {
            durableSequence = through;
        }
    }

    private void forceEvery(final long intervalNanos)
    {
        while (!stopped)
        {
            LockSupport.parkNanos(intervalNanos);
            if (stopped)
            {
                return;
            }
            try
            {
                synchronized (forceLock)
                {
                    if (!stopped && durableSequence < appendedSequence)
                    {
                        forceLocked();
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                System.getLogger(SegmentStore.class.getName()).log(System.Logger.Level.WARNING,
                    "background force of " + writer.file() + " failed: " + ex);
            }
        }
    }

    // ---------------------------------------------------------------- checkpoint, close, resize

    /** Whether the log is more than half full and no checkpoint has run since it said so. */
    boolean checkpointWanted()
    {
        return checkpointWanted;
    }

    /** A checkpoint {@link #checkpointWanted} asked for has run (or failed). */
    void checkpointDone()
    {
        checkpointWanted = false;
    }

    /** First half of a checkpoint's log step: where the log stands now. */
    Mark mark()
    {
        lock.lock();
        try
        {
            return new Mark(writer.appendPosition(), writer.nextSequence(), writer.usedBytes() == 0);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Second half, once the segment files holding every change before {@code mark} are forced: move the start
     * there (one positional write of the header) and force the log.
     */
    void moveStart(final Mark mark)
    {
        synchronized (forceLock)
        {
            lock.lock();
            try
            {
                writer.moveStart(mark.position(), mark.sequence());
                forceLocked();
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    /** At close, after the last checkpoint: write Log State closed if the ring is empty (FORMAT-v2.md 7.1). */
    void markClosedIfEmpty()
    {
        synchronized (forceLock)
        {
            lock.lock();
            try
            {
                if (writer.usedBytes() == 0)
                {
                    writer.markClosed();
                }
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    /**
     * Replace the log, which holds no live record, by the file {@link SegmentLogWriter#prepare} allocated at
     * {@code prepared} (FORMAT-v2.md 7.1, "Resize at open"): its header written and forced, renamed over the log,
     * the directory forced, then the old log closed. Called by the open before the threads start and before any
     * write; a kill at any instant leaves either log, both empty. The new log continues the old one's sequence, so
     * its records are never taken for an earlier lap's. {@code prepared} is deleted if this fails.
     */
    void replace(final Path prepared, final long capacity) throws IOException
    {
        final SegmentLogWriter old = writer;
        final SegmentLogWriter replacement;
        try
        {
            if (old.usedBytes() != 0)
            {
                throw new IllegalStateException("the log of " + directory + " holds live records");
            }
            replacement = SegmentLogWriter.publish(old.file(), prepared, params, capacity,
                ThreadLocalRandom.current().nextInt() | 1, old.nextSequence());
        }
        catch (final IOException | RuntimeException ex)
        {
            java.nio.file.Files.deleteIfExists(prepared);
            throw ex;
        }
        writer = replacement;
        // before any append: a power loss must not bring back the old name over records in the new file
        Storage.syncDirectory(directory);
        CrashPoints.Hook.reached("v2.log.replaced");
        try
        {
            old.close();
        }
        catch (final IOException ex)
        {
            // the old log is unlinked: closing its channel failing loses nothing
            Log.LOGGER.log(System.Logger.Level.WARNING, "closing the replaced log of " + directory + ": " + ex);
        }
    }

    /** Stop the background force (the store's close, after its last checkpoint). */
    void stop()
    {
        stopped = true;
        if (null != forcer)
        {
            LockSupport.unpark(forcer);
            try
            {
                forcer.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() throws IOException
    {
        writer.close();
    }

    // ---------------------------------------------------------------- state

    long usedBytes()
    {
        return writer.usedBytes();
    }

    /** @return {log bytes in use, log capacity}, for statistics. */
    long[] usage()
    {
        lock.lock();
        try
        {
            return new long[] {writer.usedBytes(), writer.capacity()};
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Forces of the log since the open (tests). */
    long forceCount()
    {
        return writer.forceCount();
    }

    /** What another process did to the log file, or null ({@link Storage#changedFile}). */
    String changedFile()
    {
        return writer.changedFile();
    }
}
