package io.cubby.store;

import java.util.Arrays;

/**
 * Diagnostics for the growth benchmark ({@code -Dcubby.growth.steps=true}): the time of each step of a put, for
 * every put over {@link #SLOW_NS} the step that took most of it (counted, summed), and the {@link #TOP} slowest
 * puts with their steps, so that the maxima are named. Off by default: the JIT removes the disabled branches.
 * Single writer only (plain counters).
 */
final class GrowthSteps
{
    static final boolean ENABLED = Boolean.getBoolean("cubby.growth.steps");
    static final long SLOW_NS = 1_000_000;
    static final int TOP = 10;
    static final int LOCK = 0;
    static final int WRITE = 1;
    static final int BEGIN_PREPARED = 2;
    static final int GROW_FINISH_MIGRATION = 3;
    static final int GROW_WAIT_PREPARED = 4;
    static final int GROW_CREATE = 5;
    static final int GROW_BEGIN = 6;
    static final int MIGRATE = 7;
    static final int ADVANCE = 8;
    static final String[] NAMES = {"lock", "write (slot, incl. page faults)", "begin a prepared rehash",
        "grow at Max Load: finish migration", "grow at Max Load: wait for file being prepared",
        "grow at Max Load: create file", "grow at Max Load: begin rehash",
        "migrate step, rehash end hand-off, request file", "advance growth (drive a migration)"};
    private static final GrowthSteps INSTANCE = new GrowthSteps();

    final long[] slowCount = new long[NAMES.length];
    final long[] slowSumNs = new long[NAMES.length];
    final long[] maxNs = new long[NAMES.length];
    /** The slowest puts: total ns, their put number, and the ns of each step, slowest first. */
    final long[] topTotalNs = new long[TOP];
    final long[] topPut = new long[TOP];
    final long[][] topSteps = new long[TOP][NAMES.length];
    private final long[] spent = new long[NAMES.length];
    private long last;
    private long puts;

    private GrowthSteps()
    {
    }

    static GrowthSteps begin()
    {
        final GrowthSteps steps = INSTANCE;
        Arrays.fill(steps.spent, 0);
        steps.last = System.nanoTime();
        return steps;
    }

    static GrowthSteps current()
    {
        return INSTANCE;
    }

    static GrowthSteps totals()
    {
        return INSTANCE;
    }

    void mark(final int step)
    {
        final long now = System.nanoTime();
        spent[step] += now - last;
        last = now;
    }

    void end()
    {
        long total = 0;
        int top = 0;
        for (int i = 0; i < spent.length; i++)
        {
            total += spent[i];
            maxNs[i] = Math.max(maxNs[i], spent[i]);
            if (spent[i] > spent[top])
            {
                top = i;
            }
        }
        if (total > SLOW_NS)
        {
            slowCount[top]++;
            slowSumNs[top] += spent[top];
        }
        if (total > topTotalNs[TOP - 1])
        {
            int at = TOP - 1;
            while (at > 0 && topTotalNs[at - 1] < total)
            {
                topTotalNs[at] = topTotalNs[at - 1];
                topPut[at] = topPut[at - 1];
                System.arraycopy(topSteps[at - 1], 0, topSteps[at], 0, NAMES.length);
                at--;
            }
            topTotalNs[at] = total;
            topPut[at] = puts;
            System.arraycopy(spent, 0, topSteps[at], 0, NAMES.length);
        }
        puts++;
    }

    /** The name of the step that took most of the {@code rank}-th slowest put. */
    String topStep(final int rank)
    {
        int top = 0;
        for (int i = 0; i < NAMES.length; i++)
        {
            if (topSteps[rank][i] > topSteps[rank][top])
            {
                top = i;
            }
        }
        return NAMES[top];
    }
}
