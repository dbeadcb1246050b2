package io.cubby.store;

/**
 * Where a version-2 store reports an entry it removes by itself (an expired entry reclaimed by a write, a
 * migration step or a sweep; an entry evicted for the bound): counted in the {@link Counters} when stats are
 * recorded, and told to the removal listener when there is one. Called under the segment's lock, before the slot
 * is cleared.
 */
final class SegmentRemovals
{
    private final Notifier notifier;
    private final Counters counters;

    /** @return the sink for these, or null if neither is set (nothing to report). */
    static SegmentRemovals of(final Notifier notifier, final Counters counters)
    {
        return null == notifier && null == counters ? null : new SegmentRemovals(notifier, counters);
    }

    private SegmentRemovals(final Notifier notifier, final Counters counters)
    {
        this.notifier = notifier;
        this.counters = counters;
    }

    /** The full slot {@code slot} of {@code table} is about to be removed for {@code cause}. */
    void removed(final SegmentTable table, final int slot, final RemovalCause cause)
    {
        if (null != counters)
        {
            (RemovalCause.EXPIRED == cause ? counters.expired : counters.evictions).increment();
        }
        if (null != notifier)
        {
            notifier.removed(table, slot, cause);
        }
    }
}
