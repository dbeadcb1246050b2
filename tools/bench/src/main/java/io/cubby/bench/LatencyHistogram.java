package io.cubby.bench;

/**
 * A log-linear histogram of nanosecond latencies: 32 sub-buckets per power of two (about 3% resolution), no
 * allocation when recording.
 */
final class LatencyHistogram
{
    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;
    private final long[] counts = new long[64 * SUB];
    private long total;
    private long max;

    void record(final long nanos)
    {
        final long value = Math.max(1, nanos);
        counts[index(value)]++;
        total++;
        if (value > max)
        {
            max = value;
        }
    }

    private static int index(final long value)
    {
        final int magnitude = 63 - Long.numberOfLeadingZeros(value);
        if (magnitude < SUB_BITS)
        {
            return (int)value;
        }
        final int sub = (int)((value >>> (magnitude - SUB_BITS)) & (SUB - 1));
        return (magnitude - SUB_BITS + 1) * SUB + sub;
    }

    private static long lowerBound(final int index)
    {
        if (index < SUB)
        {
            return index;
        }
        final int magnitude = index / SUB + SUB_BITS - 1;
        final long sub = index % SUB;
        return (1L << magnitude) | (sub << (magnitude - SUB_BITS));
    }

    long percentile(final double fraction)
    {
        final long rank = (long)Math.ceil(fraction * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++)
        {
            seen += counts[i];
            if (seen >= rank && counts[i] > 0)
            {
                return lowerBound(i);
            }
        }
        return max;
    }

    long max()
    {
        return max;
    }

    long count()
    {
        return total;
    }

    void reset()
    {
        java.util.Arrays.fill(counts, 0);
        total = 0;
        max = 0;
    }

    void add(final LatencyHistogram other)
    {
        for (int i = 0; i < counts.length; i++)
        {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }
}
