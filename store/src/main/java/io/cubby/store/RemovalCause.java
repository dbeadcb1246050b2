package io.cubby.store;

/**
 * Why the store removed an entry by itself, as told to a {@link RemovalListener}.
 */
public enum RemovalCause
{
    /** The entry's time to live had passed; it was reclaimed by eviction, rehash, compaction or a write. */
    EXPIRED,

    /** The store was at {@link Cubby.Builder#maxEntries(long) maxEntries} and evicted the entry for a new one. */
    SIZE
}
