package io.cubby.store;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;
import static org.agrona.BitUtil.SIZE_OF_SHORT;

/**
 * Layout of one write-ahead log record. Records are aligned to {@link #ALIGNMENT} bytes and follow each other
 * from the end of the log header. All integers are little-endian. See {@code store/FORMAT.md}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                Record Length (header + payload)               |
 *  +-------------------------------+-------------------------------+
 *  |             Type              |     Reserved (must be zero)   |
 *  +-------------------------------+-------------------------------+
 *  |                              Salt                             |
 *  +---------------------------------------------------------------+
 *  |                            Checksum                           |
 *  +---------------------------------------------------------------+
 *  |                           Sequence                            |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Payload (by type)                       ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 * </pre>
 * The checksum is CRC32C over bytes {@code [0, CHECKSUM_OFFSET)} followed by bytes
 * {@code [SEQUENCE_OFFSET, Record Length)}. A record counts only if its length is in range, its salt equals
 * the log header's salt, its sequence is the next expected one and its checksum matches.
 * <p>
 * Payloads:
 * <ul>
 *     <li>PUT: key length (int), value length (int), expires at (long, epoch ms, 0 = never), key bytes, value
 *     bytes.</li>
 *     <li>REMOVE: key length (int), zero (int), zero (long), key bytes.</li>
 *     <li>REHASH_BEGIN: target generation (long), target capacity (long), source generation (long).</li>
 *     <li>CHECKPOINT: table generation (long), source generation (long), migration cursor (long).</li>
 *     <li>REHASH_END: table generation (long), source generation (long), zero (long).</li>
 *     <li>PADDING: any bytes up to the end of the file; reading continues at the start of the record area.</li>
 * </ul>
 */
final class WalRecordDescriptor
{
    static final short TYPE_INVALID = 0;
    static final short TYPE_PUT = 1;
    static final short TYPE_REMOVE = 2;
    static final short TYPE_REHASH_BEGIN = 3;
    static final short TYPE_CHECKPOINT = 4;
    static final short TYPE_REHASH_END = 5;
    static final short TYPE_PADDING = 6;

    static final int LENGTH_OFFSET = 0;
    static final int TYPE_OFFSET = LENGTH_OFFSET + SIZE_OF_INT;
    static final int RESERVED_OFFSET = TYPE_OFFSET + SIZE_OF_SHORT;
    static final int SALT_OFFSET = RESERVED_OFFSET + SIZE_OF_SHORT;
    static final int CHECKSUM_OFFSET = SALT_OFFSET + SIZE_OF_INT;
    static final int SEQUENCE_OFFSET = CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int PAYLOAD_OFFSET = SEQUENCE_OFFSET + SIZE_OF_LONG;
    static final int HEADER_LENGTH = PAYLOAD_OFFSET;

    static final int KEY_LENGTH_OFFSET = PAYLOAD_OFFSET;
    static final int VALUE_LENGTH_OFFSET = KEY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int EXPIRES_AT_OFFSET = VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int KEY_OFFSET = EXPIRES_AT_OFFSET + SIZE_OF_LONG;

    static final int STRUCTURAL_FIELD_1_OFFSET = PAYLOAD_OFFSET;
    static final int STRUCTURAL_FIELD_2_OFFSET = STRUCTURAL_FIELD_1_OFFSET + SIZE_OF_LONG;
    static final int STRUCTURAL_FIELD_3_OFFSET = STRUCTURAL_FIELD_2_OFFSET + SIZE_OF_LONG;
    static final int STRUCTURAL_LENGTH = STRUCTURAL_FIELD_3_OFFSET + SIZE_OF_LONG;

    static final int ALIGNMENT = SIZE_OF_LONG;

    private WalRecordDescriptor()
    {
    }

    static int align(final int length)
    {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Aligned length of a PUT or REMOVE record.
     *
     * @param keyLength   key length in bytes.
     * @param valueLength value length in bytes, 0 for REMOVE.
     * @return record length including padding.
     */
    static int entryRecordLength(final int keyLength, final int valueLength)
    {
        return align(KEY_OFFSET + keyLength + valueLength);
    }

    /**
     * Range checks of a structural record's fields (those a checksum cannot vouch for).
     *
     * @return null if valid, else the problem.
     */
    static String checkStructural(final int type, final long field1, final long field2, final long field3)
    {
        final String name = typeName(type);
        switch (type)
        {
            case TYPE_REHASH_BEGIN:
                if (field1 < 2 || field1 > TableDescriptor.MAX_GENERATION)
                {
                    return name + " record with target generation " + field1;
                }
                if (!TableDescriptor.isPowerOfTwo(field2) || field2 < TableDescriptor.MIN_CAPACITY ||
                    field2 > TableDescriptor.MAX_CAPACITY)
                {
                    return name + " record with target capacity " + field2;
                }
                return field3 >= 1 && field3 < field1 ? null : name + " record with source generation " + field3;
            case TYPE_CHECKPOINT:
                if (field1 < 1 || field1 > TableDescriptor.MAX_GENERATION)
                {
                    return name + " record with table generation " + field1;
                }
                if (field2 < 0 || field2 >= field1)
                {
                    return name + " record with source generation " + field2;
                }
                if (field3 < 0 || field3 > TableDescriptor.MAX_CAPACITY || (0 == field2 && 0 != field3))
                {
                    return name + " record with migration cursor " + field3;
                }
                return null;
            case TYPE_REHASH_END:
                if (field1 < 2 || field1 > TableDescriptor.MAX_GENERATION)
                {
                    return name + " record with table generation " + field1;
                }
                if (field2 < 1 || field2 >= field1)
                {
                    return name + " record with source generation " + field2;
                }
                return 0 == field3 ? null : name + " record with a non-zero third field";
            default:
                return null;
        }
    }

    static boolean isValidType(final int type)
    {
        return type >= TYPE_PUT && type <= TYPE_PADDING;
    }

    static String typeName(final int type)
    {
        switch (type)
        {
            case TYPE_PUT: return "PUT";
            case TYPE_REMOVE: return "REMOVE";
            case TYPE_REHASH_BEGIN: return "REHASH_BEGIN";
            case TYPE_CHECKPOINT: return "CHECKPOINT";
            case TYPE_REHASH_END: return "REHASH_END";
            case TYPE_PADDING: return "PADDING";
            default: return "INVALID(" + type + ")";
        }
    }
}
