package io.cubby.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@link SegmentGrowth} did, counted for tests and diagnostics (the growth benchmark prints them): how rehash
 * targets came to be, how writers waited, and the compactions begun. Racy where noted; nothing reads them to
 * decide.
 */
final class GrowthCounters
{
    /** The causes of {@link #createdBy}, by index. */
    static final String[] CREATE_CAUSES = {"no request (load below request load)", "no request (budget)",
        "request cancelled (queued)", "request cancelled (waiting for the rehash end)",
        "prepared file unusable or failed", "doubling segment (of the above)"};
    /** {@link #CREATE_CAUSES}' index of a doubling segment, counted besides its cause. */
    static final int DOUBLING = 5;

    /** Rehash targets created by a writer at Max Load because no prepared file was there. */
    final AtomicLong createdByWriters = new AtomicLong();
    /** Growths at Max Load that waited for a file being prepared. */
    final AtomicLong waitedForPrepared = new AtomicLong();
    /** Rehashes begun into a file prepared ahead of need. */
    final AtomicLong beganPrepared = new AtomicLong();
    /** Times a segment's request was refused for the directory budget. */
    final AtomicLong refusedForBudget = new AtomicLong();
    /** Inserts into a segment above Grow Load while its file was on the way. */
    final AtomicLong overGrowLoad = new AtomicLong();
    /** Compactions begun by a removal to clear overflow bits. */
    final AtomicLong cleanupsBegun = new AtomicLong();
    /** Files created by writers at Max Load, by cause (racy counts: writers of different segments add at once). */
    private final long[] createdBy = new long[CREATE_CAUSES.length];

    /** A writer at Max Load created its segment's file, for {@code cause}; a doubling segment is counted too. */
    void createdByWriter(final int cause, final boolean doubling)
    {
        createdByWriters.incrementAndGet();
        createdBy[cause]++;
        if (doubling)
        {
            createdBy[DOUBLING]++;
        }
    }

    /** Files created by writers at Max Load, by cause ({@link #CREATE_CAUSES}). */
    long[] createdBy()
    {
        return createdBy.clone();
    }
}
