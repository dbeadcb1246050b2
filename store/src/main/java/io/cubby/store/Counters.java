package io.cubby.store;

import java.util.concurrent.atomic.LongAdder;

/**
 * Cache counters, kept only when {@link Cubby.Builder#recordStats(boolean)} is set.
 */
final class Counters
{
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder expired = new LongAdder();

    void recordRead(final boolean hit)
    {
        (hit ? hits : misses).increment();
    }
}
