package io.cubby.store;

/**
 * Reusable result of a lookup in a {@link Segment}: which file holds the key, in which slot. One instance per
 * caller thread, reset by every lookup, so the lookup path allocates nothing.
 */
final class SegmentLookup
{
    private static final int MOSTLY_FOUND = 7;
    private static final int MOSTLY_ABSENT = -8;

    SegmentTable table;
    int slot = SegmentTable.NOT_FOUND;
    long hash;
    /**
     * Expiry stores: the Expires At of the entry a read found ({@link SegmentSet#get}), or the one a put wrote, its
     * "keep the current expiry" resolved ({@link Segment#put}); epoch ms, 0 for never.
     */
    long expiresAt;
    /**
     * Saturating count of this caller's recent lookups, up for found keys and down for absent ones: the lookup
     * reads a key's preferred slot before its tags only while found keys dominate (SegmentTable.find).
     */
    private int foundTrend;
    /**
     * The key of the entry a put evicted to stay within the store's entry bound ({@link SegmentEvictor}), for the
     * caller's log record; {@code victimKeyLength} is -1 when the put evicted nothing.
     */
    org.agrona.concurrent.UnsafeBuffer victimKey;
    int victimKeyLength = -1;

    boolean expectFound()
    {
        return foundTrend >= 0;
    }

    void record(final boolean found)
    {
        foundTrend = found ? Math.min(MOSTLY_FOUND, foundTrend + 1) : Math.max(MOSTLY_ABSENT, foundTrend - 1);
    }

    boolean found()
    {
        return slot != SegmentTable.NOT_FOUND;
    }

    void clear(final long hash)
    {
        this.hash = hash;
        table = null;
        slot = SegmentTable.NOT_FOUND;
        expiresAt = 0;
    }
}
