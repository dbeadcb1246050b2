package io.cubby.store;

/**
 * A snapshot of a store's counters, cheap to take. See {@link Cubby#stats()}.
 */
public final class CubbyStats
{
    /** Live entries. */
    public final long size;
    /** Slots of the current table. */
    public final long capacity;
    /** Tombstones in the current table. */
    public final long tombstones;
    /** (entries + tombstones) / capacity of the current table. */
    public final double load;
    /** Configured maximum load. */
    public final double maxLoad;
    /** Slot width in bytes. */
    public final int slotLength;
    /** Generation of the current table file. */
    public final long generation;
    /** True while entries migrate from an old table. */
    public final boolean rehashInProgress;
    /** Slots of the old table migrated so far (0 when no rehash runs). */
    public final long migratedSlots;
    /** Slots of the old table (0 when no rehash runs). */
    public final long sourceCapacity;
    /** Bytes of all table files. */
    public final long tableFileBytes;
    /** Bytes in use in the write-ahead log, and its capacity. */
    public final long logBytesUsed;
    public final long logCapacity;
    /** Rehashes (growth and compaction) started since open. */
    public final long rehashesStarted;
    /** Probing strategy and durability. */
    public final Probing probing;
    public final Durability durability;
    /** Reads that found a live entry, or -1 unless statistics are recorded. */
    public final long hits;
    /** Reads that found nothing (absent or expired), or -1 unless statistics are recorded. */
    public final long misses;
    /** Entries evicted to respect the maximum entry count, or -1 unless statistics are recorded. */
    public final long evictions;
    /** Expired entries reclaimed (by eviction or rehash), or -1 unless statistics are recorded. */
    public final long expiredReclaimed;

    CubbyStats(
        final long size,
        final long capacity,
        final long tombstones,
        final double maxLoad,
        final int slotLength,
        final long generation,
        final boolean rehashInProgress,
        final long migratedSlots,
        final long sourceCapacity,
        final long tableFileBytes,
        final long logBytesUsed,
        final long logCapacity,
        final long rehashesStarted,
        final Probing probing,
        final Durability durability,
        final long currentEntries,
        final long hits,
        final long misses,
        final long evictions,
        final long expiredReclaimed)
    {
        this.hits = hits;
        this.misses = misses;
        this.evictions = evictions;
        this.expiredReclaimed = expiredReclaimed;
        this.size = size;
        this.capacity = capacity;
        this.tombstones = tombstones;
        this.load = (currentEntries + tombstones) / (double)capacity;
        this.maxLoad = maxLoad;
        this.slotLength = slotLength;
        this.generation = generation;
        this.rehashInProgress = rehashInProgress;
        this.migratedSlots = migratedSlots;
        this.sourceCapacity = sourceCapacity;
        this.tableFileBytes = tableFileBytes;
        this.logBytesUsed = logBytesUsed;
        this.logCapacity = logCapacity;
        this.rehashesStarted = rehashesStarted;
        this.probing = probing;
        this.durability = durability;
    }

    /**
     * Hits over reads, as Caffeine's {@code CacheStats.hitRate()}: 1.0 when nothing was read yet, NaN when stats
     * are not recorded ({@link Cubby.Builder#recordStats(boolean)}).
     *
     * @return the hit rate.
     */
    public double hitRate()
    {
        if (hits < 0)
        {
            return Double.NaN;
        }
        final long reads = hits + misses;
        return 0 == reads ? 1.0 : (double)hits / reads;
    }

    /**
     * @return misses over reads: {@code 1 - hitRate()}.
     */
    public double missRate()
    {
        return 1.0 - hitRate();
    }

    @Override
    public String toString()
    {
        // a version-2 store (probing null) has no tombstones and no probing strategy: tag groups
        return "entries=" + size + ", capacity=" + capacity + (null == probing ? "" : ", tombstones=" + tombstones) +
            String.format(", load=%.3f/%.3f", load, maxLoad) + ", slot=" + slotLength + "B" +
            ", generation=" + generation +
            (rehashInProgress ? ", rehash " + migratedSlots + "/" + sourceCapacity : "") +
            ", table bytes=" + tableFileBytes + ", log=" + logBytesUsed + "/" + logCapacity +
            (null == probing ? "" : ", probing=" + probing) + ", durability=" + durability +
            (hits >= 0 ? ", hits=" + hits + ", misses=" + misses + String.format(", hit rate=%.3f", hitRate()) +
            ", evictions=" + evictions +
            ", expired=" + expiredReclaimed : "");
    }
}
