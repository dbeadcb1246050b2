package io.cubby.bench;

/** xorshift64*: a cheap per-thread random index, allocation-free. */
final class Random
{
    private Random()
    {
    }

    /** @return a non-negative pseudo-random long; advances {@code state[0]} (never 0). */
    static long next(final long[] state)
    {
        long x = state[0];
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        state[0] = x;
        return (x * 0x2545F4914F6CDD1DL) >>> 1;
    }
}
