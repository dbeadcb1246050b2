package io.cubby.store;

/**
 * Creation parameters shared by every segment file of a version-2 store, and the slot layout they imply.
 * Immutable. See {@code store/FORMAT-v2.md}, sections 3.1 and 4.1.
 */
final class SegmentParams
{
    static final int MAX_LOAD_PPM_MIN = 500_000;
    static final int MAX_LOAD_PPM_MAX = 960_000;
    static final int DEFAULT_MAX_LOAD_PPM = 960_000;

    final int segmentBits;
    final int maxKeyLength;
    final int maxValueLength;
    final int flags;
    final long seed;
    final int maxLoadPpm;

    final boolean expiry;
    final int keyLengthWidth;
    final int valueLengthWidth;
    final int valueLengthOffset;
    final int expiresAtOffset;
    final int keyOffset;
    final int valueOffset;
    final int slotLength;
    final int headerLength;

    /**
     * @throws IllegalArgumentException if a parameter is out of the range the format allows.
     */
    SegmentParams(
        final int segmentBits,
        final int maxKeyLength,
        final int maxValueLength,
        final int flags,
        final long seed,
        final int maxLoadPpm)
    {
        require(segmentBits >= 0 && segmentBits <= SegmentDescriptor.MAX_SEGMENT_BITS, "segment bits", segmentBits);
        require(maxKeyLength >= 1 && maxKeyLength <= SegmentDescriptor.MAX_ENTRY_PART_LENGTH, "max key length",
            maxKeyLength);
        require(maxValueLength >= 0 && maxValueLength <= SegmentDescriptor.MAX_ENTRY_PART_LENGTH,
            "max value length", maxValueLength);
        require((flags & ~SegmentDescriptor.KNOWN_FLAGS) == 0, "flags", flags);
        require(0 != seed, "hash seed", seed);
        require(maxLoadPpm >= MAX_LOAD_PPM_MIN && maxLoadPpm <= MAX_LOAD_PPM_MAX, "max load", maxLoadPpm);
        this.segmentBits = segmentBits;
        this.maxKeyLength = maxKeyLength;
        this.maxValueLength = maxValueLength;
        this.flags = flags;
        this.seed = seed;
        this.maxLoadPpm = maxLoadPpm;
        this.expiry = (flags & SegmentDescriptor.FLAG_EXPIRY) != 0;
        this.keyLengthWidth = SegmentDescriptor.lengthWidth(maxKeyLength);
        this.valueLengthWidth = SegmentDescriptor.lengthWidth(maxValueLength);
        this.valueLengthOffset = SegmentDescriptor.slotValueLengthOffset(keyLengthWidth);
        this.expiresAtOffset = SegmentDescriptor.slotExpiresAtOffset(keyLengthWidth, valueLengthWidth);
        this.keyOffset = SegmentDescriptor.slotKeyOffset(keyLengthWidth, valueLengthWidth, expiry);
        this.valueOffset = SegmentDescriptor.slotValueOffset(keyLengthWidth, valueLengthWidth, expiry, maxKeyLength);
        this.slotLength = SegmentDescriptor.slotLength(maxKeyLength, maxValueLength, expiry);
        this.headerLength = SegmentDescriptor.headerLength(slotLength);
    }

    /**
     * Most entries a segment of {@code groupCount} groups may hold: {@code floor(Max Load x slots)}, leaving at
     * least one slot empty.
     */
    long maxEntries(final long groupCount)
    {
        final long slots = groupCount * SegmentDescriptor.GROUP_SLOTS;
        return Math.max(1, Math.min(slots - 1, slots * maxLoadPpm / 1_000_000L));
    }

    boolean sameAs(final SegmentParams other)
    {
        return segmentBits == other.segmentBits && maxKeyLength == other.maxKeyLength &&
            maxValueLength == other.maxValueLength && flags == other.flags && seed == other.seed;
    }

    private static void require(final boolean ok, final String name, final long value)
    {
        if (!ok)
        {
            throw new IllegalArgumentException("invalid " + name + ": " + value);
        }
    }
}
