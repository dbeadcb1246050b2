package io.cubby.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/**
 * What a warmed-up round of work allocates on the calling thread, from HotSpot's per-thread allocation counter.
 * <p>
 * Up to {@link #ROUNDS} rounds are measured, stopping at the first that allocates nothing. A round can allocate a
 * few hundred bytes once that are not the work's: while the C2 compiler replaces code under a running loop (seen
 * at round 41 of a log's appends: 864 bytes, with nothing allocated under the interpreter or C1), or when a lock is
 * contended by a background thread and queues a node. An allocation per operation shows in every round.
 */
final class ThreadAllocation
{
    static final int ROUNDS = 3;

    /** One round of the work under measurement; returns a checksum so that the work cannot be optimised away. */
    @FunctionalInterface
    interface Round
    {
        long run() throws Exception;
    }

    private final com.sun.management.ThreadMXBean threads;
    private final long thread = Thread.currentThread().getId();
    private long checksum;
    private int measured;

    private ThreadAllocation(final com.sun.management.ThreadMXBean threads)
    {
        this.threads = threads;
    }

    /** A counter for the calling thread; skips the test where the JVM has no such counter. */
    static ThreadAllocation ofThisThread()
    {
        final java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs HotSpot's allocation counter");
        return new ThreadAllocation((com.sun.management.ThreadMXBean)bean);
    }

    /** Run {@code round} unmeasured, {@code times} times. */
    ThreadAllocation warm(final int times, final Round round) throws Exception
    {
        for (int i = 0; i < times; i++)
        {
            checksum += round.run();
        }
        return this;
    }

    /** Bytes allocated by the last of up to {@link #ROUNDS} measured rounds: 0 once one allocates nothing. */
    long measure(final Round round) throws Exception
    {
        long allocated = -1;
        for (int i = 0; i < ROUNDS && 0 != allocated; i++)
        {
            measured++;
            final long before = threads.getThreadAllocatedBytes(thread);
            checksum += round.run();
            allocated = threads.getThreadAllocatedBytes(thread) - before;
        }
        return allocated;
    }

    /** How many rounds {@link #measure} ran. */
    int measured()
    {
        return measured;
    }

    /** The sum of the rounds' checksums, for failure messages. */
    long checksum()
    {
        return checksum;
    }
}
