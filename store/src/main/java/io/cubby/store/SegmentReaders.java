package io.cubby.store;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per segment, the lock-free reads in flight, so that a retired rehash source is unmapped only once none can be
 * reading it ({@link SegmentSet}'s class note has the argument). Writers that may touch a source whose rehash end
 * is being retired (a removal clearing a copy, an eviction, an expiry sweep) count as readers too.
 */
final class SegmentReaders
{
    /** Longs between two segments' counts: 128 bytes, so counts of different segments share no line. */
    private static final int STRIDE = 16;

    private final AtomicLongArray counts;

    SegmentReaders(final int segments)
    {
        counts = new AtomicLongArray(segments * STRIDE);
    }

    /** A read of segment {@code s} begins; the atomic increment is a full fence before its sequence read. */
    void enter(final int s)
    {
        counts.getAndIncrement(s * STRIDE);
    }

    void exit(final int s)
    {
        counts.getAndDecrement(s * STRIDE);
    }

    /** Whether no read of segment {@code s} is in flight; a full fence first. */
    boolean gone(final int s)
    {
        VarHandle.fullFence();
        return counts.get(s * STRIDE) == 0;
    }
}
