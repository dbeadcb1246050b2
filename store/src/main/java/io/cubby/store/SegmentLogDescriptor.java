package io.cubby.store;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

import java.nio.ByteOrder;

import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;

/**
 * Layout of the version-2 log ({@code wal.log}): its 64-byte header, the 24-byte record header and every record
 * type's payload, each offset summed from the previous field, and the range checks a record must pass to count.
 * See {@code store/FORMAT-v2.md} section 7. All integers are little-endian.
 */
final class SegmentLogDescriptor
{
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** "CUBBYWAL" read as a little-endian long (as version 1). */
    static final long MAGIC = 0x4C41575942425543L;
    static final int VERSION = 2;

    // ---------------------------------------------------------------- file header
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    static final int HEADER_LENGTH_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    static final int CAPACITY_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;
    static final int STORE_SEED_OFFSET = CAPACITY_OFFSET + SIZE_OF_LONG;
    static final int SALT_OFFSET = STORE_SEED_OFFSET + SIZE_OF_LONG;
    /** Log State: {@link #LOG_STATE_LIVE} or {@link #LOG_STATE_CLOSED} (FORMAT-v2.md 7.1). */
    static final int LOG_STATE_OFFSET = SALT_OFFSET + SIZE_OF_INT;
    static final int START_OFFSET_OFFSET = LOG_STATE_OFFSET + SIZE_OF_INT;
    static final int FIRST_SEQUENCE_OFFSET = START_OFFSET_OFFSET + SIZE_OF_LONG;
    static final int HEADER_CHECKSUM_OFFSET = FIRST_SEQUENCE_OFFSET + SIZE_OF_LONG;
    static final int HEADER_PADDING_OFFSET = HEADER_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int HEADER_LENGTH = HEADER_PADDING_OFFSET + SIZE_OF_INT;

    /** Records from Start Offset on may count: read them, and scan the ring for later valid ones. */
    static final int LOG_STATE_LIVE = 0;
    /**
     * Written by a clean close after its checkpoint moved Start Offset to the append position: no record counts,
     * and readers read none. A writer writes {@link #LOG_STATE_LIVE} (forced) before its first append.
     */
    static final int LOG_STATE_CLOSED = 1;

    static final long MIN_CAPACITY = 1L << 16;
    static final long MAX_CAPACITY = 1L << 30;

    // ---------------------------------------------------------------- record header
    static final int RECORD_LENGTH_OFFSET = 0;
    static final int TYPE_OFFSET = RECORD_LENGTH_OFFSET + SIZE_OF_INT;
    static final int RECORD_RESERVED_OFFSET = TYPE_OFFSET + SIZE_OF_SHORT;
    static final int RECORD_SALT_OFFSET = RECORD_RESERVED_OFFSET + SIZE_OF_SHORT;
    static final int CHECKSUM_OFFSET = RECORD_SALT_OFFSET + SIZE_OF_INT;
    static final int SEQUENCE_OFFSET = CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int PAYLOAD_OFFSET = SEQUENCE_OFFSET + SIZE_OF_LONG;
    static final int RECORD_HEADER_LENGTH = PAYLOAD_OFFSET;
    static final int ALIGNMENT = SIZE_OF_LONG;

    static final short TYPE_PUT = 1;
    static final short TYPE_REMOVE = 2;
    static final short TYPE_PADDING = 6;
    static final short TYPE_SEGMENT_REHASH_BEGIN = 7;
    static final short TYPE_SEGMENT_REHASH_END = 8;
    static final short TYPE_CHECKPOINT = 9;
    static final short TYPE_UPGRADE_BEGIN = 10;
    static final short TYPE_UPGRADE_END = 11;

    // ---------------------------------------------------------------- PUT and REMOVE
    static final int KEY_LENGTH_OFFSET = PAYLOAD_OFFSET;
    static final int VALUE_LENGTH_OFFSET = KEY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int EXPIRES_AT_OFFSET = VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int KEY_OFFSET = EXPIRES_AT_OFFSET + SIZE_OF_LONG;

    // ---------------------------------------------------------------- SEGMENT_REHASH_BEGIN and _END
    static final int REHASH_SEGMENT_OFFSET = PAYLOAD_OFFSET;
    static final int REHASH_RESERVED_OFFSET = REHASH_SEGMENT_OFFSET + SIZE_OF_INT;
    static final int REHASH_TARGET_GENERATION_OFFSET = REHASH_RESERVED_OFFSET + SIZE_OF_INT;
    /** BEGIN: Target Group Count; END: Source Generation. */
    static final int REHASH_FIELD_2_OFFSET = REHASH_TARGET_GENERATION_OFFSET + SIZE_OF_LONG;
    /** BEGIN: Source Generation; END: zero. */
    static final int REHASH_FIELD_3_OFFSET = REHASH_FIELD_2_OFFSET + SIZE_OF_LONG;
    static final int REHASH_RECORD_LENGTH = REHASH_FIELD_3_OFFSET + SIZE_OF_LONG;

    // ---------------------------------------------------------------- CHECKPOINT_V2
    static final int CHECKPOINT_SEGMENT_COUNT_OFFSET = PAYLOAD_OFFSET;
    static final int CHECKPOINT_RESERVED_OFFSET = CHECKPOINT_SEGMENT_COUNT_OFFSET + SIZE_OF_INT;
    static final int CHECKPOINT_ENTRIES_OFFSET = CHECKPOINT_RESERVED_OFFSET + SIZE_OF_INT;
    static final int CHECKPOINT_CURRENT_GENERATION_OFFSET = 0;
    static final int CHECKPOINT_SOURCE_GENERATION_OFFSET = CHECKPOINT_CURRENT_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int CHECKPOINT_MIGRATION_CURSOR_OFFSET = CHECKPOINT_SOURCE_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int CHECKPOINT_ENTRY_LENGTH = CHECKPOINT_MIGRATION_CURSOR_OFFSET + SIZE_OF_LONG;

    // ---------------------------------------------------------------- UPGRADE_BEGIN and _END
    static final int UPGRADE_GENERATION_OFFSET = PAYLOAD_OFFSET;
    /** BEGIN: Version-1 Capacity; END: zero. */
    static final int UPGRADE_FIELD_2_OFFSET = UPGRADE_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int UPGRADE_FIELD_3_OFFSET = UPGRADE_FIELD_2_OFFSET + SIZE_OF_LONG;
    static final int UPGRADE_RECORD_LENGTH = UPGRADE_FIELD_3_OFFSET + SIZE_OF_LONG;

    static final long MAX_GENERATION = 1L << 48;

    private SegmentLogDescriptor()
    {
    }

    static int align(final int length)
    {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Length of a PUT (value length) or REMOVE (value length 0) record. */
    static int entryRecordLength(final int keyLength, final int valueLength)
    {
        return align(KEY_OFFSET + keyLength + valueLength);
    }

    static int checkpointRecordLength(final int segmentBits)
    {
        return CHECKPOINT_ENTRIES_OFFSET + CHECKPOINT_ENTRY_LENGTH * (1 << segmentBits);
    }

    /** Smallest log capacity for a store of 2^segmentBits segments (section 7.1). */
    static long minCapacity(final int segmentBits)
    {
        return Math.max(MIN_CAPACITY, align(4 * checkpointRecordLength(segmentBits)));
    }

    /** Longest valid record of a store with these parameters, padding excluded. */
    static int maxRecordLength(final SegmentParams params)
    {
        return Math.max(entryRecordLength(params.maxKeyLength, params.maxValueLength),
            checkpointRecordLength(params.segmentBits));
    }

    /** Length of the scratch array {@link #recordChecksum} copies through. */
    static final int CHECKSUM_CHUNK = 4096;

    /**
     * CRC32C of the record at {@code position}: bytes {@code [0, 12)} then {@code [16, length)}. Computed over heap
     * copies of at most {@link #CHECKSUM_CHUNK} bytes (no allocation; an {@code Unsafe} copy turns a truncated
     * mapping into an error instead of a crash of the CRC intrinsic reading the mapping directly).
     */
    static int recordChecksum(
        final DirectBuffer buffer, final int position, final int length, final CRC32C crc, final byte[] scratch)
    {
        crc.reset();
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(scratch.length, length - done);
            buffer.getBytes(position + done, scratch, 0, n);
            if (0 == done)
            {
                crc.update(scratch, 0, CHECKSUM_OFFSET);
                crc.update(scratch, SEQUENCE_OFFSET, n - SEQUENCE_OFFSET);
            }
            else
            {
                crc.update(scratch, 0, n);
            }
            done += n;
        }
        return (int)crc.getValue();
    }

    static int headerChecksum(final DirectBuffer buffer, final CRC32C crc, final byte[] scratch)
    {
        buffer.getBytes(0, scratch, 0, HEADER_CHECKSUM_OFFSET);
        crc.reset();
        crc.update(scratch, 0, HEADER_CHECKSUM_OFFSET);
        return (int)crc.getValue();
    }

    static String typeName(final int type)
    {
        switch (type)
        {
            case TYPE_PUT: return "PUT";
            case TYPE_REMOVE: return "REMOVE";
            case TYPE_PADDING: return "PADDING";
            case TYPE_SEGMENT_REHASH_BEGIN: return "SEGMENT_REHASH_BEGIN";
            case TYPE_SEGMENT_REHASH_END: return "SEGMENT_REHASH_END";
            case TYPE_CHECKPOINT: return "CHECKPOINT_V2";
            case TYPE_UPGRADE_BEGIN: return "UPGRADE_BEGIN";
            case TYPE_UPGRADE_END: return "UPGRADE_END";
            default: return "type " + type;
        }
    }

    /**
     * The type-specific checks of the record at {@code position} (section 7.2), given that its length is at least
     * a record header and lies within {@code capacity}. Reads only inside {@code [position, position + length)}.
     *
     * @return null if the record passes, else the problem.
     */
    static String check(
        final DirectBuffer buffer, final int position, final int length, final long capacity,
        final SegmentParams params)
    {
        final int type = buffer.getShort(position + TYPE_OFFSET, LE);
        final String name = typeName(type);
        switch (type)
        {
            case TYPE_PUT:
            case TYPE_REMOVE:
            {
                if (length < KEY_OFFSET)
                {
                    return name + " record of length " + length;
                }
                final int keyLength = buffer.getInt(position + KEY_LENGTH_OFFSET, LE);
                final int valueLength = buffer.getInt(position + VALUE_LENGTH_OFFSET, LE);
                final long expiresAt = buffer.getLong(position + EXPIRES_AT_OFFSET, LE);
                if (keyLength < 0 || keyLength > params.maxKeyLength)
                {
                    return name + " record with key length " + keyLength;
                }
                if (valueLength < 0 || valueLength > params.maxValueLength ||
                    (TYPE_REMOVE == type && 0 != valueLength))
                {
                    return name + " record with value length " + valueLength;
                }
                if (expiresAt < 0 || (0 != expiresAt && (TYPE_REMOVE == type || !params.expiry)))
                {
                    return name + " record with expiry " + expiresAt;
                }
                return length == entryRecordLength(keyLength, valueLength) ? null :
                    name + " record of length " + length + " for key length " + keyLength + " and value length " +
                    valueLength;
            }
            case TYPE_PADDING:
                return position + (long)length == capacity ? null : "PADDING record not ending at the log's end";
            case TYPE_SEGMENT_REHASH_BEGIN:
            case TYPE_SEGMENT_REHASH_END:
            {
                if (length != REHASH_RECORD_LENGTH)
                {
                    return name + " record of length " + length;
                }
                final int segment = buffer.getInt(position + REHASH_SEGMENT_OFFSET, LE);
                final long target = buffer.getLong(position + REHASH_TARGET_GENERATION_OFFSET, LE);
                final long field2 = buffer.getLong(position + REHASH_FIELD_2_OFFSET, LE);
                final long field3 = buffer.getLong(position + REHASH_FIELD_3_OFFSET, LE);
                if (segment < 0 || segment >= 1 << params.segmentBits)
                {
                    return name + " record for segment " + segment;
                }
                if (target < 2 || target > MAX_GENERATION)
                {
                    return name + " record with target generation " + target;
                }
                if (TYPE_SEGMENT_REHASH_BEGIN == type)
                {
                    if (field2 < 1 || field2 > SegmentDescriptor.maxGroupCount(params.slotLength))
                    {
                        return name + " record with target group count " + field2;
                    }
                    return field3 >= 1 && field3 < target ? null : name + " record with source generation " + field3;
                }
                if (field2 < 1 || field2 >= target)
                {
                    return name + " record with source generation " + field2;
                }
                return 0 == field3 ? null : name + " record with a non-zero last field";
            }
            case TYPE_CHECKPOINT:
            {
                if (length < CHECKPOINT_ENTRIES_OFFSET)
                {
                    return name + " record of length " + length;
                }
                final int count = buffer.getInt(position + CHECKPOINT_SEGMENT_COUNT_OFFSET, LE);
                if (count != 1 << params.segmentBits)
                {
                    return name + " record for " + count + " segments in a store of " + (1 << params.segmentBits);
                }
                if (length != checkpointRecordLength(params.segmentBits))
                {
                    return name + " record of length " + length;
                }
                for (int s = 0; s < count; s++)
                {
                    final int entry = position + CHECKPOINT_ENTRIES_OFFSET + CHECKPOINT_ENTRY_LENGTH * s;
                    final long current = buffer.getLong(entry + CHECKPOINT_CURRENT_GENERATION_OFFSET, LE);
                    final long source = buffer.getLong(entry + CHECKPOINT_SOURCE_GENERATION_OFFSET, LE);
                    final long cursor = buffer.getLong(entry + CHECKPOINT_MIGRATION_CURSOR_OFFSET, LE);
                    if (current < 1 || current > MAX_GENERATION)
                    {
                        return name + " record with current generation " + current + " for segment " + s;
                    }
                    if (source < 0 || source >= current)
                    {
                        return name + " record with source generation " + source + " for segment " + s;
                    }
                    if (cursor < 0 || cursor > SegmentDescriptor.MAX_GROUP_COUNT || (0 == source && 0 != cursor))
                    {
                        return name + " record with migration cursor " + cursor + " for segment " + s;
                    }
                }
                return null;
            }
            case TYPE_UPGRADE_BEGIN:
            case TYPE_UPGRADE_END:
            {
                if (length != UPGRADE_RECORD_LENGTH)
                {
                    return name + " record of length " + length;
                }
                final long generation = buffer.getLong(position + UPGRADE_GENERATION_OFFSET, LE);
                final long field2 = buffer.getLong(position + UPGRADE_FIELD_2_OFFSET, LE);
                final long field3 = buffer.getLong(position + UPGRADE_FIELD_3_OFFSET, LE);
                if (generation < 1 || generation > MAX_GENERATION)
                {
                    return name + " record with version-1 generation " + generation;
                }
                if (TYPE_UPGRADE_BEGIN == type)
                {
                    if (!TableDescriptor.isPowerOfTwo(field2) || field2 < TableDescriptor.MIN_CAPACITY ||
                        field2 > TableDescriptor.MAX_CAPACITY)
                    {
                        return name + " record with version-1 capacity " + field2;
                    }
                }
                else if (0 != field2)
                {
                    return name + " record with a non-zero second field";
                }
                return 0 == field3 ? null : name + " record with a non-zero last field";
            }
            default:
                return "record of unknown " + name;
        }
    }
}
