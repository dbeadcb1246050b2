package io.cubby.store;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the header of the write-ahead log file ({@code wal.log}). All integers are little-endian.
 * See {@code store/FORMAT.md}, section "Write-ahead log".
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "CUBBYWAL"                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                            Version                            |
 *  +---------------------------------------------------------------+
 *  |                         Header Length                         |
 *  +---------------------------------------------------------------+
 *  |                         Log Capacity                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           Store Seed                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                              Salt                             |
 *  +---------------------------------------------------------------+
 *  |                     Reserved (must be zero)                   |
 *  +---------------------------------------------------------------+
 *  |                 Start Offset (first live record)              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |              First Sequence (of the record at Start)          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            Header Checksum (CRC32C of bytes 0 .. 55)          |
 *  +---------------------------------------------------------------+
 *  |                Zero padding up to Header Length              ...
 *  +---------------------------------------------------------------+
 * </pre>
 * The bytes from {@code Header Length} to {@code Log Capacity} form a ring of records (see
 * {@link WalRecordDescriptor}). The live records run from {@code Start Offset}, whose record has sequence
 * {@code First Sequence}, with consecutive sequences, wrapping from the end of the file to {@code Header Length}
 * (after a PADDING record, or when fewer than a record header's bytes remain). A checkpoint moves the start
 * forward by rewriting these two fields. Sequences never repeat, so records of an earlier lap are recognised by
 * their lower sequence.
 */
final class WalDescriptor
{
    /** "CUBBYWAL" read as a little-endian long. */
    static final long MAGIC = 0x4C41575942425543L;
    static final int VERSION = 1;
    static final String FILE_NAME = "wal.log";

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    static final int HEADER_LENGTH_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    static final int CAPACITY_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;
    static final int STORE_SEED_OFFSET = CAPACITY_OFFSET + SIZE_OF_LONG;
    static final int SALT_OFFSET = STORE_SEED_OFFSET + SIZE_OF_LONG;
    static final int RESERVED_OFFSET = SALT_OFFSET + SIZE_OF_INT;
    static final int START_OFFSET_OFFSET = RESERVED_OFFSET + SIZE_OF_INT;
    static final int FIRST_SEQUENCE_OFFSET = START_OFFSET_OFFSET + SIZE_OF_LONG;
    static final int HEADER_CHECKSUM_OFFSET = FIRST_SEQUENCE_OFFSET + SIZE_OF_LONG;
    /** Zero padding from here up to {@link #HEADER_LENGTH}. */
    static final int PADDING_OFFSET = HEADER_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int HEADER_LENGTH = 64;

    static final long MIN_CAPACITY = 1L << 16;
    static final long DEFAULT_CAPACITY = 64L << 20;
    static final long MAX_CAPACITY = 1L << 30;

    private WalDescriptor()
    {
    }
}
