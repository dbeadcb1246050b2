package io.cubby.store;

/**
 * Diagnostics of a background thread's batches: the total and the longest time of each named phase. Written by
 * one thread; read (racily, for the benchmark's report) by any.
 */
final class PhaseTimes
{
    final String[] names;
    private final long[] maxNs;
    private final long[] sumNs;

    PhaseTimes(final String... names)
    {
        this.names = names;
        this.maxNs = new long[names.length];
        this.sumNs = new long[names.length];
    }

    /** Account the time since {@code start} to {@code phase}; returns now, the next phase's start. */
    long mark(final int phase, final long start)
    {
        final long now = System.nanoTime();
        maxNs[phase] = Math.max(maxNs[phase], now - start);
        sumNs[phase] += now - start;
        return now;
    }

    /** Account {@code ns} to {@code phase}. */
    void record(final int phase, final long ns)
    {
        maxNs[phase] = Math.max(maxNs[phase], ns);
        sumNs[phase] += ns;
    }

    long maxNs(final int phase)
    {
        return maxNs[phase];
    }

    long sumNs(final int phase)
    {
        return sumNs[phase];
    }
}
