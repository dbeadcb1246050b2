package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import static io.cubby.store.TableDescriptor.ENTRY_COUNT_OFFSET;
import static io.cubby.store.TableDescriptor.TOMBSTONE_COUNT_OFFSET;

/**
 * The Entry Count and Tombstone Count of one table: kept in memory for the writer, stored into the mapped header
 * on every change, and read from it as it is now for a reader in another process.
 */
final class TableCounters
{
    private final UnsafeBuffer header;
    private final long capacity;

    private long entryCount;
    private long tombstoneCount;

    TableCounters(final UnsafeBuffer header, final long capacity)
    {
        this.header = header;
        this.capacity = capacity;
        entryCount = header.getLong(ENTRY_COUNT_OFFSET);
        tombstoneCount = header.getLong(TOMBSTONE_COUNT_OFFSET);
    }

    long entryCount()
    {
        return entryCount;
    }

    long tombstoneCount()
    {
        return tombstoneCount;
    }

    void setEntryCount(final long count)
    {
        // bounded, so that a counter damaged on disk cannot go negative or past the table (recovery recounts)
        entryCount = Math.max(0, Math.min(capacity, count));
        header.putLong(ENTRY_COUNT_OFFSET, entryCount);
    }

    void setTombstoneCount(final long count)
    {
        tombstoneCount = Math.max(0, Math.min(capacity, count));
        header.putLong(TOMBSTONE_COUNT_OFFSET, tombstoneCount);
    }

    /**
     * Replace the in-memory counters without writing them (a read-only store recounted after an unclean
     * shutdown).
     */
    void useCounts(final long entries, final long tombstones)
    {
        entryCount = entries;
        tombstoneCount = tombstones;
    }

    /**
     * Entry Count as the mapped header holds it now (a reader in another process; may be mid-change).
     */
    long mappedEntryCount()
    {
        return header.getLong(ENTRY_COUNT_OFFSET);
    }

    /**
     * Tombstone Count as the mapped header holds it now.
     */
    long mappedTombstoneCount()
    {
        return header.getLong(TOMBSTONE_COUNT_OFFSET);
    }
}
