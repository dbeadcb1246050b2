package io.cubby.store;

import java.nio.file.Path;
import java.util.concurrent.locks.StampedLock;

/**
 * The store's one lock and the states that every operation checks under it: closed, read-only, and which
 * thread runs a {@link Cubby#compute} function while holding the write lock.
 * <p>
 * Writers are serialised by the write lock; readers take optimistic stamps and fall back to the read lock.
 */
final class Guard
{
    final StampedLock lock = new StampedLock();
    private final Path directory;
    private final boolean readOnly;
    private volatile boolean closed;
    /** The thread running a {@link Cubby#compute} function while holding the write lock, else null. */
    private Thread computeOwner;

    Guard(final Path directory, final boolean readOnly)
    {
        this.directory = directory;
        this.readOnly = readOnly;
    }

    boolean isClosed()
    {
        return closed;
    }

    /**
     * Mark the store closed; the caller holds the write lock.
     */
    void markClosed()
    {
        closed = true;
    }

    void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("store " + directory + " is closed");
        }
    }

    void ensureWritable()
    {
        ensureOpen();
        if (readOnly)
        {
            throw new ReadOnlyStoreException("store " + directory + " is open read-only");
        }
    }

    /**
     * @return true if the calling thread runs a compute function and so holds the write lock.
     */
    boolean isComputing()
    {
        return computeOwner == Thread.currentThread();
    }

    void computeOwner(final Thread owner)
    {
        computeOwner = owner;
    }

    /**
     * Take the read lock, or nothing if this thread runs a {@link Cubby#compute} function and so holds the write
     * lock (the lock is not reentrant: reads from inside the function would otherwise wait for themselves).
     *
     * @return the stamp to give {@link #unlockRead(long)}; 0 if no lock was taken.
     */
    long readLockUnlessComputing()
    {
        return isComputing() ? 0 : lock.readLock();
    }

    void unlockRead(final long stamp)
    {
        if (0 != stamp)
        {
            lock.unlockRead(stamp);
        }
    }
}
