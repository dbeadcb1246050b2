package io.cubby.store;

/**
 * Reusable result of a lookup in a {@link Segment}: which file holds the key, in which slot. One instance per
 * caller thread, reset by every lookup, so the lookup path allocates nothing.
 */
final class SegmentLookup
{
    SegmentTable table;
    int slot = SegmentTable.NOT_FOUND;
    long hash;

    boolean found()
    {
        return slot != SegmentTable.NOT_FOUND;
    }

    void clear(final long hash)
    {
        this.hash = hash;
        table = null;
        slot = SegmentTable.NOT_FOUND;
    }
}
