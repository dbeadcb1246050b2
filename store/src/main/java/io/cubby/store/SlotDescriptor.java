package io.cubby.store;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of one slot in the slot array of a table file. Every slot has the same length, fixed at creation.
 * All integers are little-endian. See {@code store/FORMAT.md}, section "Slot".
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 State (0 empty, 1 full, 2 tombstone)          |
 *  +---------------------------------------------------------------+
 *  |                           Checksum                            |
 *  +---------------------------------------------------------------+
 *  |                           Key Hash                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Key Length                           |
 *  +---------------------------------------------------------------+
 *  |                         Value Length                          |
 *  +---------------------------------------------------------------+
 *  |                    Key (Max Key Length bytes)                ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 *  |                  Value (Max Value Length bytes)              ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 *  |                 Zero padding to a multiple of 8              ...
 *  +---------------------------------------------------------------+
 * </pre>
 * The checksum is {@link Hashing#slotChecksum}: the low 32 bits of {@code XXH3(head) ^ (XXH3(value) * 0x9E3779B97F4A7C15)}
 * where head is Key Hash, Key Length, Value Length and the key bytes, and value the value bytes (XXH3-64, seed 0). It is only meaningful while the
 * slot is full. An all-zero slot is empty.
 */
final class SlotDescriptor
{
    static final int STATE_EMPTY = 0;
    static final int STATE_FULL = 1;
    static final int STATE_TOMBSTONE = 2;

    static final int STATE_OFFSET = 0;
    static final int CHECKSUM_OFFSET = STATE_OFFSET + SIZE_OF_INT;
    static final int HASH_OFFSET = CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int KEY_LENGTH_OFFSET = HASH_OFFSET + SIZE_OF_LONG;
    static final int VALUE_LENGTH_OFFSET = KEY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int KEY_OFFSET = VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int HEADER_LENGTH = KEY_OFFSET;
    /** Bytes covered by the checksum before the key: hash and both lengths. */
    static final int CHECKSUMMED_HEADER_LENGTH = KEY_OFFSET - HASH_OFFSET;
    static final int ALIGNMENT = SIZE_OF_LONG;

    /** Largest key or value length accepted at creation. */
    static final int MAX_ENTRY_PART_LENGTH = 1 << 20;

    private SlotDescriptor()
    {
    }

    /**
     * Slot length for the given maximum key and value lengths, aligned to {@link #ALIGNMENT}.
     *
     * @param maxKeyLength   largest key in bytes.
     * @param maxValueLength largest value in bytes.
     * @return slot length in bytes.
     */
    static int slotLength(final int maxKeyLength, final int maxValueLength)
    {
        final int raw = HEADER_LENGTH + maxKeyLength + maxValueLength;
        return (raw + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Offset of the value within a slot.
     *
     * @param maxKeyLength largest key in bytes.
     * @return offset of the first value byte relative to the slot start.
     */
    static int valueOffset(final int maxKeyLength)
    {
        return KEY_OFFSET + maxKeyLength;
    }

    static boolean isValidState(final int state)
    {
        return state == STATE_EMPTY || state == STATE_FULL || state == STATE_TOMBSTONE;
    }
}
