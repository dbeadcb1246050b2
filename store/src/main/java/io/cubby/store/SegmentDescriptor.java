package io.cubby.store;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_BYTE;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

/**
 * Layout of a version-2 segment file ({@code seg-<segment>-<generation>.cubby}): header, tag array, slot array.
 * All integers are little-endian. See {@code store/FORMAT-v2.md}, sections 4 to 6.
 * <p>
 * Header:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "CUBBYSEG"                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Read Version                         |
 *  +---------------------------------------------------------------+
 *  |                          Write Version                        |
 *  +---------------------------------------------------------------+
 *  |                 Header Length (multiple of 64)                |
 *  +---------------------------------------------------------------+
 *  |                          Slot Length                          |
 *  +---------------------------------------------------------------+
 *  |                         Max Key Length                        |
 *  +---------------------------------------------------------------+
 *  |                        Max Value Length                       |
 *  +---------------+---------------+-------------------------------+
 *  |  Key Len Width| Val Len Width |         Segment Bits          |
 *  +---------------+---------------+-------------------------------+
 *  |                         Segment Index                         |
 *  +---------------------------------------------------------------+
 *  |                          Group Count                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           Hash Seed                           |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           Generation                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Source Generation                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Source Group Count                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                             Flags                             |
 *  +---------------------------------------------------------------+
 *  |                         Hash Algorithm                        |
 *  +---------------------------------------------------------------+
 *  |                      Created (epoch millis)                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Header Checksum (CRC32C of bytes 0 .. 95)            |
 *  +---------------------------------------------------------------+
 *  |               Reserved (28 bytes, must be zero)              ...
 *  +---------------------------------------------------------------+  offset 128
 *  |                          Entry Count                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Stale Overflow                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Migration Cursor                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           Open State                          |
 *  +---------------------------------------------------------------+
 *  |                         Undo Checksum                         |
 *  +---------------------------------------------------------------+
 *  |                     Undo Slot Index (or -1)                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     Reserved (must be zero)                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+  offset 176
 *  |                  Undo Image (Slot Length bytes)              ...
 *  +---------------------------------------------------------------+
 *  |            Zero padding up to Header Length                  ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Tag group (16 bytes, four to a cache line), then slot:
 * <pre>
 *  +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 *  |T0 |T1 |T2 |T3 |T4 |T5 |T6 |T7 |T8 |T9 |T10|T11|T12|T13|T14|OVF|
 *  +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
 *
 *  +---------------------------------------------------------------+
 *  |                      Checksum (4 bytes)                       |
 *  +---------------------------------------------------------------+
 *  | Key Length (1, 2 or 4 bytes) | Value Length (1, 2 or 4 bytes) |
 *  +---------------------------------------------------------------+
 *  |      Expires At, Written At (8 + 8, expiry stores only)      ...
 *  +---------------------------------------------------------------+
 *  |                    Key (Max Key Length bytes)                ...
 *  +---------------------------------------------------------------+
 *  |                  Value (Max Value Length bytes)              ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Tag byte 0 is an empty slot, 1 to 255 a full slot holding that tag. OVF holds the overflow bits.
 */
final class SegmentDescriptor
{
    /** ASCII "CUBBYSEG" read as a little-endian long. */
    static final long MAGIC = 0x4745535942425543L;
    static final int READ_VERSION = 2;
    static final int WRITE_VERSION = 2;
    static final int HASH_ALGORITHM_XXH3 = 1;
    static final int OPEN_STATE_CLOSED = 0;
    static final int OPEN_STATE_OPEN = 1;
    static final long NO_UNDO = -1;
    static final String FILE_PREFIX = "seg-";
    static final String FILE_SUFFIX = ".cubby";
    static final String PREPARED_SUFFIX = ".prep";

    // Header, immutable part (covered by the header checksum).
    static final int MAGIC_OFFSET = 0;
    static final int READ_VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    static final int WRITE_VERSION_OFFSET = READ_VERSION_OFFSET + SIZE_OF_INT;
    static final int HEADER_LENGTH_OFFSET = WRITE_VERSION_OFFSET + SIZE_OF_INT;
    static final int SLOT_LENGTH_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;
    static final int MAX_KEY_LENGTH_OFFSET = SLOT_LENGTH_OFFSET + SIZE_OF_INT;
    static final int MAX_VALUE_LENGTH_OFFSET = MAX_KEY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int KEY_LENGTH_WIDTH_OFFSET = MAX_VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int VALUE_LENGTH_WIDTH_OFFSET = KEY_LENGTH_WIDTH_OFFSET + SIZE_OF_BYTE;
    static final int SEGMENT_BITS_OFFSET = VALUE_LENGTH_WIDTH_OFFSET + SIZE_OF_BYTE;
    static final int SEGMENT_INDEX_OFFSET = SEGMENT_BITS_OFFSET + SIZE_OF_SHORT;
    static final int GROUP_COUNT_OFFSET = SEGMENT_INDEX_OFFSET + SIZE_OF_INT;
    static final int HASH_SEED_OFFSET = GROUP_COUNT_OFFSET + SIZE_OF_LONG;
    static final int GENERATION_OFFSET = HASH_SEED_OFFSET + SIZE_OF_LONG;
    static final int SOURCE_GENERATION_OFFSET = GENERATION_OFFSET + SIZE_OF_LONG;
    static final int SOURCE_GROUP_COUNT_OFFSET = SOURCE_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int FLAGS_OFFSET = SOURCE_GROUP_COUNT_OFFSET + SIZE_OF_LONG;
    static final int HASH_ALGORITHM_OFFSET = FLAGS_OFFSET + SIZE_OF_INT;
    static final int CREATED_OFFSET = HASH_ALGORITHM_OFFSET + SIZE_OF_INT;
    static final int HEADER_CHECKSUM_OFFSET = CREATED_OFFSET + SIZE_OF_LONG;
    static final int RESERVED_1_OFFSET = HEADER_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int RESERVED_1_LENGTH = 28;

    // Header, mutable part.
    static final int ENTRY_COUNT_OFFSET = RESERVED_1_OFFSET + RESERVED_1_LENGTH;
    static final int STALE_OVERFLOW_OFFSET = ENTRY_COUNT_OFFSET + SIZE_OF_LONG;
    static final int MIGRATION_CURSOR_OFFSET = STALE_OVERFLOW_OFFSET + SIZE_OF_LONG;
    static final int OPEN_STATE_OFFSET = MIGRATION_CURSOR_OFFSET + SIZE_OF_LONG;
    static final int UNDO_CHECKSUM_OFFSET = OPEN_STATE_OFFSET + SIZE_OF_INT;
    static final int UNDO_SLOT_INDEX_OFFSET = UNDO_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int RESERVED_2_OFFSET = UNDO_SLOT_INDEX_OFFSET + SIZE_OF_LONG;
    static final int UNDO_IMAGE_OFFSET = RESERVED_2_OFFSET + SIZE_OF_LONG;

    // Tag group.
    static final int GROUP_SLOTS = 15;
    static final int GROUP_TAGS_OFFSET = 0;
    static final int GROUP_OVERFLOW_OFFSET = GROUP_TAGS_OFFSET + GROUP_SLOTS;
    static final int GROUP_LENGTH = GROUP_OVERFLOW_OFFSET + SIZE_OF_BYTE;
    static final int TAG_EMPTY = 0;

    // Slot; the length fields have widths fixed per file, so later offsets are functions below.
    static final int SLOT_CHECKSUM_OFFSET = 0;
    static final int SLOT_KEY_LENGTH_OFFSET = SLOT_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int EXPIRY_FIELDS_LENGTH = SIZE_OF_LONG + SIZE_OF_LONG;

    static final int MAX_ENTRY_PART_LENGTH = 1 << 20;
    static final int MAX_SEGMENT_BITS = 16;
    /** Largest group count this version writes or opens (one mapping per file, at most 2 GiB). */
    static final long MAX_GROUP_COUNT = 1L << 27;
    static final long MAX_FILE_LENGTH = Integer.MAX_VALUE;
    static final int FLAG_SET_MODE = 1;
    static final int FLAG_EXPIRY = 2;
    static final int KNOWN_FLAGS = FLAG_SET_MODE | FLAG_EXPIRY;

    private SegmentDescriptor()
    {
    }

    /**
     * Width of a length field that must hold values up to {@code max}.
     *
     * @param max largest value.
     * @return 1, 2 or 4 bytes.
     */
    static int lengthWidth(final int max)
    {
        return max <= 0xFF ? SIZE_OF_BYTE : max <= 0xFFFF ? SIZE_OF_SHORT : SIZE_OF_INT;
    }

    static int slotValueLengthOffset(final int keyLengthWidth)
    {
        return SLOT_KEY_LENGTH_OFFSET + keyLengthWidth;
    }

    /** Offset of Expires At within a slot (expiry stores only); Written At follows it. */
    static int slotExpiresAtOffset(final int keyLengthWidth, final int valueLengthWidth)
    {
        return slotValueLengthOffset(keyLengthWidth) + valueLengthWidth;
    }

    static int slotKeyOffset(final int keyLengthWidth, final int valueLengthWidth, final boolean expiry)
    {
        return slotExpiresAtOffset(keyLengthWidth, valueLengthWidth) + (expiry ? EXPIRY_FIELDS_LENGTH : 0);
    }

    static int slotValueOffset(
        final int keyLengthWidth, final int valueLengthWidth, final boolean expiry, final int maxKeyLength)
    {
        return slotKeyOffset(keyLengthWidth, valueLengthWidth, expiry) + maxKeyLength;
    }

    /**
     * Slot length: no padding, every field is read with unaligned access.
     *
     * @param maxKeyLength   largest key.
     * @param maxValueLength largest value.
     * @param expiry         whether slots carry the expiry fields.
     * @return bytes per slot.
     */
    static int slotLength(final int maxKeyLength, final int maxValueLength, final boolean expiry)
    {
        return slotValueOffset(lengthWidth(maxKeyLength), lengthWidth(maxValueLength), expiry, maxKeyLength) +
            maxValueLength;
    }

    /**
     * Header length: the fixed fields and the undo image, rounded up to a cache line so that the tag array, and
     * therefore every group, is cache-line aligned.
     *
     * @param slotLength bytes per slot.
     * @return header length in bytes.
     */
    static int headerLength(final int slotLength)
    {
        return (UNDO_IMAGE_OFFSET + slotLength + CACHE_LINE_LENGTH - 1) & -CACHE_LINE_LENGTH;
    }

    static long tagArrayOffset(final int headerLength)
    {
        return headerLength;
    }

    static long slotArrayOffset(final int headerLength, final long groupCount)
    {
        return headerLength + groupCount * GROUP_LENGTH;
    }

    static long fileLength(final int headerLength, final int slotLength, final long groupCount)
    {
        return slotArrayOffset(headerLength, groupCount) + groupCount * GROUP_SLOTS * (long)slotLength;
    }

    /**
     * Largest group count whose file fits one mapping.
     *
     * @param slotLength bytes per slot.
     * @return the largest group count this version supports for that slot length.
     */
    static long maxGroupCount(final int slotLength)
    {
        final int headerLength = headerLength(slotLength);
        final long perGroup = GROUP_LENGTH + GROUP_SLOTS * (long)slotLength;
        return Math.min(MAX_GROUP_COUNT, (MAX_FILE_LENGTH - headerLength) / perGroup);
    }

    /**
     * File name of a segment file.
     *
     * @param segment    segment index.
     * @param generation generation.
     * @return e.g. {@code seg-002a-0000000000000003.cubby}.
     */
    static String fileName(final int segment, final long generation)
    {
        // as String.format("%s%04x-%016x%s", ...), without parsing a format on every call (an open names every
        // segment file several times)
        final char[] name = new char[FILE_PREFIX.length() + 4 + 1 + 16 + FILE_SUFFIX.length()];
        FILE_PREFIX.getChars(0, FILE_PREFIX.length(), name, 0);
        int i = FILE_PREFIX.length();
        for (int shift = 12; shift >= 0; shift -= 4)
        {
            name[i++] = Character.forDigit((segment >>> shift) & 0xF, 16);
        }
        name[i++] = '-';
        for (int shift = 60; shift >= 0; shift -= 4)
        {
            name[i++] = Character.forDigit((int)(generation >>> shift) & 0xF, 16);
        }
        FILE_SUFFIX.getChars(0, FILE_SUFFIX.length(), name, i);
        return new String(name);
    }

    // Hash bits (FORMAT-v2.md section 6.1).

    static int segmentOf(final long hash, final int segmentBits)
    {
        return 0 == segmentBits ? 0 : (int)(hash >>> (Long.SIZE - segmentBits));
    }

    /** Lemire's multiply-shift reduction of hash bits 16 to 47 onto {@code [0, groupCount)}. */
    static long homeGroup(final long hash, final long groupCount)
    {
        return (((hash >>> 16) & 0xFFFF_FFFFL) * groupCount) >>> 32;
    }

    static int preferredPosition(final long hash)
    {
        return (int)((((hash >>> 19) & 0xFF) * GROUP_SLOTS) >>> 8);
    }

    static int overflowBit(final long hash)
    {
        return 1 << (int)((hash >>> 16) & 7);
    }

    static int tag(final long hash)
    {
        return 1 + (int)(((hash & 0xFFFF) * 255) >>> 16);
    }
}
