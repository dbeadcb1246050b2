package io.cubby.store;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import static io.cubby.store.TableDescriptor.SEQUENCE_RETIRED;
import static io.cubby.store.TableDescriptor.SEQUENCE_SUPERSEDED;
import static io.cubby.store.TableDescriptor.SEQUENCE_WRITING;

/**
 * The validation side of a read-only store's reads (FORMAT.md §3.4): what the tables' Write Sequence words read
 * before a lookup allow (proceed, map the table set again, or wait), the wait for a write in progress, and a
 * writer that died mid-write detected through its lock instead of waited for.
 */
final class LiveValidation
{
    /** Busy spins on a write in progress before backing off. */
    static final int SPIN_LIMIT = 1 << 10;
    /** One back-off pause while a write is in progress. */
    static final long BACKOFF_NANOS = 20_000;
    /** A write in progress this long makes the reader check the writer's liveness through its lock. */
    static final long LIVENESS_CHECK_NANOS = 10_000_000L;
    /** A live writer that keeps one write in progress this long is reported instead of waited for. */
    static final long STUCK_WRITER_NANOS = 60_000_000_000L;
    /** With no writer session on the current table, how often the directory is checked for a newer table. */
    static final long DIRECTORY_CHECK_NANOS = 100_000_000L;

    static final int PROCEED = 0;
    static final int REFRESH = 1;
    static final int WAIT = 2;

    private final Path directory;

    LiveValidation(final Path directory)
    {
        this.directory = directory;
    }

    /**
     * What the words read before a lookup allow: proceed, map the table set again, or wait for a write.
     */
    int decide(final LiveView v, final int c1, final int s1)
    {
        if (0 != (c1 & (SEQUENCE_SUPERSEDED | SEQUENCE_RETIRED) & ~v.acceptedCurrentFlags))
        {
            return REFRESH;
        }
        if (null != v.source && (0 != (s1 & SEQUENCE_RETIRED) ||
            v.current.headerSourceGeneration() != v.source.generation))
        {
            return REFRESH;
        }
        if (0 == c1 && v.sawSession)
        {
            // the writer closed the store: the table set may have changed while no lookup ran
            return REFRESH;
        }
        if (0 == c1 || c1 == v.deadCurrentWord)
        {
            // no live writer session on the current table (none yet, or its writer died): a newer table may
            // appear without this one changing (a writer that opened and rehashed between two lookups, salvage);
            // look for one now and then
            final long now = System.nanoTime();
            if (now - v.nextDirectoryCheck > 0)
            {
                v.nextDirectoryCheck = now + DIRECTORY_CHECK_NANOS;
                if (Files.exists(v.nextTable, LinkOption.NOFOLLOW_LINKS))
                {
                    return REFRESH;
                }
            }
        }
        else if (!v.sawSession)
        {
            v.sawSession = true;
        }
        if ((0 != (c1 & SEQUENCE_WRITING) && c1 != v.deadCurrentWord) ||
            (0 != (s1 & SEQUENCE_WRITING) && s1 != v.deadSourceWord))
        {
            return WAIT;
        }
        return PROCEED;
    }

    /**
     * Wait for a write in progress: spin, then back off, then check through the lock whether the writer is still
     * alive. A dead writer's odd word is remembered, and the table is read as it stands (what any later
     * recovery starts from); a torn slot then reports that the store needs recovery.
     *
     * @return the time the wait began.
     */
    long awaitWriter(final LiveView v, final int c1, final int s1, final int waits, final long waitStart)
    {
        if (waits < SPIN_LIMIT)
        {
            Thread.onSpinWait();
            return waitStart;
        }
        final long now = System.nanoTime();
        if (0 == waitStart)
        {
            LockSupport.parkNanos(BACKOFF_NANOS);
            return now;
        }
        if (now - waitStart < LIVENESS_CHECK_NANOS)
        {
            LockSupport.parkNanos(BACKOFF_NANOS);
            return waitStart;
        }
        if (StoreLock.WRITER_NONE == StoreLock.probeWriter(directory))
        {
            if (0 != (c1 & SEQUENCE_WRITING))
            {
                v.deadCurrentWord = c1;
            }
            if (0 != (s1 & SEQUENCE_WRITING))
            {
                v.deadSourceWord = s1;
            }
            Log.LOGGER.log(System.Logger.Level.WARNING, () -> "the writer of " + directory + " died during a " +
                "write; reading the tables as they stand until a writable open recovers the store");
            return 0;
        }
        if (now - waitStart > STUCK_WRITER_NANOS)
        {
            throw new StoreIOException("the writer of " + directory + StoreLock.holder(directory) + " has had a " +
                "write in progress for " + STUCK_WRITER_NANOS / 1_000_000_000L + " s (stopped or hung?); retry later");
        }
        LockSupport.parkNanos(LIVENESS_CHECK_NANOS);
        return waitStart;
    }

    RuntimeException deadWriterProblem(final LiveView v, final int c1, final int s1, final RuntimeException ex)
    {
        final boolean dead = (0 != (c1 & SEQUENCE_WRITING)) || (0 != (s1 & SEQUENCE_WRITING));
        if (dead && ex instanceof CorruptStoreException)
        {
            return new CorruptStoreException("store " + directory + " needs recovery: its writer died during a " +
                "write to " + (0 != (c1 & SEQUENCE_WRITING) ? v.current : v.source).file.getFileName() + " (" +
                ex.getMessage() + "); open it writable (`cubby recover`) to recover it", ex);
        }
        return ex;
    }
}
