package io.cubby.store;

import java.util.List;

/**
 * Result of a full scan of a store: problems found, counts, and distributions for tooling. See
 * {@link Cubby#verify()}.
 */
public final class VerifyReport
{
    /** Maximum number of problems listed; {@link #problemCount} has the total. */
    public static final int MAX_LISTED_PROBLEMS = 1000;

    /** Problems, one line each, at most {@link #MAX_LISTED_PROBLEMS}. */
    public final List<String> problems;
    /** Total problems found. */
    public final long problemCount;
    /** Full slots counted across tables (live entries). */
    public final long entriesCounted;
    /** Tombstones counted in the current table. */
    public final long tombstonesCounted;
    /** Slots scanned across tables. */
    public final long slotsScanned;
    /**
     * Probe lengths of live entries in the current table: element i counts entries found after i + 1 probes;
     * the last element counts all longer ones.
     */
    public final long[] probeLengthHistogram;
    /** Occupancy (full + tombstone slots / slots) of equal regions of the current table, in slot order. */
    public final double[] regionOccupancy;
    /** Longest probe sequence seen. */
    public final long maxProbeLength;
    /** Mean probe length of live entries. */
    public final double meanProbeLength;
    /**
     * What this verification could not check, one line each: empty for a store no writer had open; while a
     * writer is active, what changes under it (see {@link Cubby#verify()}).
     */
    public final List<String> notChecked;

    VerifyReport(
        final List<String> problems,
        final long problemCount,
        final long entriesCounted,
        final long tombstonesCounted,
        final long slotsScanned,
        final long[] probeLengthHistogram,
        final double[] regionOccupancy,
        final long maxProbeLength,
        final double meanProbeLength)
    {
        this(problems, problemCount, entriesCounted, tombstonesCounted, slotsScanned, probeLengthHistogram,
            regionOccupancy, maxProbeLength, meanProbeLength, List.of());
    }

    VerifyReport(
        final List<String> problems,
        final long problemCount,
        final long entriesCounted,
        final long tombstonesCounted,
        final long slotsScanned,
        final long[] probeLengthHistogram,
        final double[] regionOccupancy,
        final long maxProbeLength,
        final double meanProbeLength,
        final List<String> notChecked)
    {
        this.notChecked = List.copyOf(notChecked);
        this.problems = List.copyOf(problems);
        this.problemCount = problemCount;
        this.entriesCounted = entriesCounted;
        this.tombstonesCounted = tombstonesCounted;
        this.slotsScanned = slotsScanned;
        this.probeLengthHistogram = probeLengthHistogram.clone();
        this.regionOccupancy = regionOccupancy.clone();
        this.maxProbeLength = maxProbeLength;
        this.meanProbeLength = meanProbeLength;
    }

    /**
     * @return true when no problem was found.
     */
    public boolean isOk()
    {
        return 0 == problemCount;
    }

    @Override
    public String toString()
    {
        return (isOk() ? "OK" : problemCount + " problem(s)") + ": entries=" + entriesCounted +
            ", tombstones=" + tombstonesCounted + ", slots scanned=" + slotsScanned +
            String.format(", mean probe=%.3f, max probe=%d", meanProbeLength, maxProbeLength);
    }
}
