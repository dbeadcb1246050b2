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
 *  |        Expires At (epoch ms, 0 = never; expiry stores only)   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |        Written At (epoch ms; expiry stores only)              |
 *  |                                                               |
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
 * where head is every byte from Key Hash to the end of the key (the lengths, the expiry fields if present, the key),
 * and value the value bytes (XXH3-64, seed 0). It is only meaningful while the
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
    /** Key offset in a store without expiry. */
    static final int KEY_OFFSET = VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    /** Present only in stores created with expiry ({@link TableDescriptor#FLAG_EXPIRY}). */
    static final int EXPIRES_AT_OFFSET = VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int WRITTEN_AT_OFFSET = EXPIRES_AT_OFFSET + SIZE_OF_LONG;
    /** Key offset in a store with expiry. */
    static final int EXPIRY_KEY_OFFSET = WRITTEN_AT_OFFSET + SIZE_OF_LONG;
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
     * @param expiry         whether the store was created with expiry.
     * @return slot length in bytes.
     */
    static int slotLength(final int maxKeyLength, final int maxValueLength, final boolean expiry)
    {
        final int raw = keyOffset(expiry) + maxKeyLength + maxValueLength;
        return (raw + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Offset of the key within a slot.
     *
     * @param expiry whether the store was created with expiry.
     * @return {@link #EXPIRY_KEY_OFFSET} or {@link #KEY_OFFSET}.
     */
    static int keyOffset(final boolean expiry)
    {
        return expiry ? EXPIRY_KEY_OFFSET : KEY_OFFSET;
    }

    /**
     * Offset of the value within a slot.
     *
     * @param maxKeyLength largest key in bytes.
     * @param expiry       whether the store was created with expiry.
     * @return offset of the first value byte relative to the slot start.
     */
    static int valueOffset(final int maxKeyLength, final boolean expiry)
    {
        return keyOffset(expiry) + maxKeyLength;
    }

    static boolean isValidState(final int state)
    {
        return state == STATE_EMPTY || state == STATE_FULL || state == STATE_TOMBSTONE;
    }
}
