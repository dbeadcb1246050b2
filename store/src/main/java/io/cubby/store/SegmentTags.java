package io.cubby.store;

import static io.cubby.store.SegmentDescriptor.GROUP_LENGTH;
import static io.cubby.store.SegmentDescriptor.GROUP_OVERFLOW_OFFSET;
import static io.cubby.store.SegmentDescriptor.GROUP_SLOTS;
import static io.cubby.store.SegmentDescriptor.TAG_EMPTY;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The tag array of one mapped segment file (FORMAT-v2.md 6.2): a group of 16 bytes per 15 slots, a tag byte per
 * slot (0 for empty) and an overflow byte whose bit {@code b} says that a key with overflow bit {@code b} was
 * pushed past the group. Groups are compared 8 bytes at a time (SWAR: SwissTable/F14's idea without vector
 * instructions), and probing is linear over groups, wrapping at the last.
 * <p>
 * It knows nothing of slots' contents: a lookup asks its {@link SegmentTable} whether a candidate slot holds the
 * key. Every offset is computed from {@link SegmentDescriptor}; nothing allocates. Not thread-safe, as its table.
 */
final class SegmentTags
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final long LOW_BITS = 0x0101_0101_0101_0101L;
    private static final long LOW_SEVEN_BITS = 0x7F7F_7F7F_7F7F_7F7FL;
    /** Tag bytes 8 to 14 of a group's second word; byte 15 is the overflow byte. */
    private static final long HIGH_WORD_TAGS = 0x00FF_FFFF_FFFF_FFFFL;
    private static final long HIGH_WORD_TAG_FLAGS = 0x0080_8080_8080_8080L;
    private static final int OVERFLOW_SHIFT = 56;

    private final UnsafeBuffer buffer;
    private final int base;
    private final long groupCount;
    private final int slotCount;

    /**
     * @param base the tag array's offset in {@code buffer} ({@link SegmentDescriptor#tagArrayOffset}).
     */
    SegmentTags(final UnsafeBuffer buffer, final int base, final long groupCount)
    {
        this.buffer = buffer;
        this.base = base;
        this.groupCount = groupCount;
        this.slotCount = (int)(groupCount * GROUP_SLOTS);
    }

    /**
     * The slot holding a key (FORMAT-v2.md 6.2, lookup): from the key's home group, every slot whose tag matches
     * is asked of {@code slots}; a group without the key's overflow bit ends the walk. No slot is read unless its
     * tag matches.
     *
     * @return the slot index, or {@link SegmentTable#NOT_FOUND}.
     */
    int find(final long hash, final SegmentTable slots, final DirectBuffer key, final int offset, final int length)
    {
        final long broadcast = SegmentDescriptor.tag(hash) * LOW_BITS;
        final long overflowBit = SegmentDescriptor.overflowBit(hash);
        long group = SegmentDescriptor.homeGroup(hash, groupCount);
        for (long probed = 0; probed < groupCount; probed++)
        {
            final int groupOffset = base + (int)group * GROUP_LENGTH;
            final long low = buffer.getLong(groupOffset, LE);
            final long high = buffer.getLong(groupOffset + Long.BYTES, LE);
            final int firstSlot = (int)group * GROUP_SLOTS;
            for (long m = zeroBytes(low ^ broadcast); m != 0; m &= m - 1)
            {
                final int slot = firstSlot + (Long.numberOfTrailingZeros(m) >>> 3);
                if (slots.keyEquals(slot, key, offset, length))
                {
                    return slot;
                }
            }
            for (long m = zeroBytes((high & HIGH_WORD_TAGS) ^ broadcast); m != 0; m &= m - 1)
            {
                final int slot = firstSlot + Long.BYTES + (Long.numberOfTrailingZeros(m) >>> 3);
                if (slots.keyEquals(slot, key, offset, length))
                {
                    return slot;
                }
            }
            if (((high >>> OVERFLOW_SHIFT) & overflowBit) == 0)
            {
                return SegmentTable.NOT_FOUND;
            }
            group = next(group);
        }
        // every group carries the key's overflow bit (removals leave them set): every tag was compared
        return SegmentTable.NOT_FOUND;
    }

    /**
     * Step 1 of an insert (FORMAT-v2.md 8.1): walk from the home group, setting the key's overflow bit in every
     * full group passed, and return the slot to fill: the preferred position of the first group with an empty
     * slot if it is empty, else that group's lowest empty slot.
     *
     * @return the slot index, or {@link SegmentTable#NOT_FOUND} if no group has an empty slot.
     */
    int claim(final long hash)
    {
        final int overflowBit = SegmentDescriptor.overflowBit(hash);
        final int preferred = SegmentDescriptor.preferredPosition(hash);
        long group = SegmentDescriptor.homeGroup(hash, groupCount);
        for (long probed = 0; probed < groupCount; probed++)
        {
            final int groupOffset = base + (int)group * GROUP_LENGTH;
            final long low = buffer.getLong(groupOffset, LE);
            final long high = buffer.getLong(groupOffset + Long.BYTES, LE);
            final long emptyLow = zeroBytes(low);
            final long emptyHigh = zeroBytes(high) & HIGH_WORD_TAG_FLAGS;
            if ((emptyLow | emptyHigh) != 0)
            {
                final int firstSlot = (int)group * GROUP_SLOTS;
                if (buffer.getByte(groupOffset + preferred) == TAG_EMPTY)
                {
                    return firstSlot + preferred;
                }
                return firstSlot + (0 != emptyLow ? Long.numberOfTrailingZeros(emptyLow) >>> 3 :
                    Long.BYTES + (Long.numberOfTrailingZeros(emptyHigh) >>> 3));
            }
            final int overflow = (int)(high >>> OVERFLOW_SHIFT);
            if ((overflow & overflowBit) == 0)
            {
                buffer.putByte(groupOffset + GROUP_OVERFLOW_OFFSET, (byte)(overflow | overflowBit));
            }
            group = next(group);
        }
        return SegmentTable.NOT_FOUND;
    }

    /** Store a slot's tag: an insert's publication (after the slot body), or {@link SegmentDescriptor#TAG_EMPTY}. */
    void store(final int slot, final int tag)
    {
        buffer.putByte(offset(slot), (byte)tag);
    }

    /**
     * The groups a lookup of an absent key with this hash reads: from the home group up to the first without the
     * key's overflow bit, at most every group. Read only (diagnostics: how far removals' stale overflow bits make
     * lookups walk).
     */
    long groupsWalked(final long hash)
    {
        final int overflowBit = SegmentDescriptor.overflowBit(hash);
        long group = SegmentDescriptor.homeGroup(hash, groupCount);
        long read = 1;
        while ((overflowByte(group) & overflowBit) != 0 && read < groupCount)
        {
            group = next(group);
            read++;
        }
        return read;
    }

    /**
     * Whether a lookup of a key with this hash reaches {@code slot}'s group: from the home group, every group
     * before it has the key's overflow bit set. Read only.
     */
    boolean onProbePath(final long hash, final int slot)
    {
        final long target = slot / GROUP_SLOTS;
        final int overflowBit = SegmentDescriptor.overflowBit(hash);
        long group = SegmentDescriptor.homeGroup(hash, groupCount);
        for (long probed = 0; probed < groupCount; probed++)
        {
            if (group == target)
            {
                return true;
            }
            if ((overflowByte(group) & overflowBit) == 0)
            {
                return false;
            }
            group = next(group);
        }
        return false;
    }

    /**
     * Recovery repair of a missing overflow bit (a torn tag page, FORMAT-v2.md 8.4): set the key's overflow bit in
     * every group from its home group up to {@code slot}'s group, so that lookups reach the slot again. Extra
     * bits cost probes, never correctness.
     */
    void repairProbePath(final long hash, final int slot)
    {
        final long target = slot / GROUP_SLOTS;
        final int overflowBit = SegmentDescriptor.overflowBit(hash);
        long group = SegmentDescriptor.homeGroup(hash, groupCount);
        for (long probed = 0; probed < groupCount && group != target; probed++)
        {
            final int offset = base + (int)group * GROUP_LENGTH + GROUP_OVERFLOW_OFFSET;
            buffer.putByte(offset, (byte)(buffer.getByte(offset) | overflowBit));
            group = next(group);
        }
    }

    /**
     * First full slot at or after {@code from}, in slot order.
     *
     * @return the slot index, or {@link SegmentTable#NOT_FOUND}.
     */
    int nextFull(final int from)
    {
        for (int slot = from; slot < slotCount; slot++)
        {
            if (buffer.getByte(offset(slot)) != TAG_EMPTY)
            {
                return slot;
            }
        }
        return SegmentTable.NOT_FOUND;
    }

    /** The full slots, counted from the tags (eight at a time). */
    long countFull()
    {
        long empty = 0;
        for (long group = 0; group < groupCount; group++)
        {
            final int groupOffset = base + (int)group * GROUP_LENGTH;
            empty += Long.bitCount(zeroBytes(buffer.getLong(groupOffset, LE))) +
                Long.bitCount(zeroBytes(buffer.getLong(groupOffset + Long.BYTES, LE)) & HIGH_WORD_TAG_FLAGS);
        }
        return slotCount - empty;
    }

    boolean isFull(final int slot)
    {
        return buffer.getByte(offset(slot)) != TAG_EMPTY;
    }

    int tagAt(final int slot)
    {
        return buffer.getByte(offset(slot)) & 0xFF;
    }

    int overflowByte(final long group)
    {
        return buffer.getByte(base + (int)group * GROUP_LENGTH + GROUP_OVERFLOW_OFFSET) & 0xFF;
    }

    private long next(final long group)
    {
        return group + 1 == groupCount ? 0 : group + 1;
    }

    private int offset(final int slot)
    {
        final int group = slot / GROUP_SLOTS;
        return base + group * GROUP_LENGTH + (slot - group * GROUP_SLOTS);
    }

    /**
     * High bit of every byte of {@code x} that is zero, exactly (no false positives from borrows).
     */
    static long zeroBytes(final long x)
    {
        return ~(((x & LOW_SEVEN_BITS) + LOW_SEVEN_BITS) | x | LOW_SEVEN_BITS);
    }
}
