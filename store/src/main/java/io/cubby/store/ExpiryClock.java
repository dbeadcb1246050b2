package io.cubby.store;

/**
 * The wall clock that expiry reads, in epoch milliseconds: deadlines are computed from it ({@link Arguments}) and
 * entries are compared against it by both format versions. Tests move it forward ({@link #advance}) instead of
 * sleeping past deadlines; it never moves back, and it is {@link System#currentTimeMillis()} unless a test moved
 * it. One static read on the paths of stores with expiry only, allocating nothing.
 */
final class ExpiryClock
{
    private static volatile long offsetMillis;

    private ExpiryClock()
    {
    }

    /** @return the current time, epoch milliseconds. */
    static long now()
    {
        return System.currentTimeMillis() + offsetMillis;
    }

    /** Tests: move the clock forward by {@code millis} (at least 0) for every store of this JVM. */
    static void advance(final long millis)
    {
        if (millis < 0)
        {
            throw new IllegalArgumentException("the expiry clock never moves back: " + millis);
        }
        offsetMillis += millis;
    }

    /** Whether an entry with this Expires At (0 for never) has expired at {@code now}. */
    static boolean expired(final long expiresAt, final long now)
    {
        return 0 != expiresAt && expiresAt <= now;
    }
}
