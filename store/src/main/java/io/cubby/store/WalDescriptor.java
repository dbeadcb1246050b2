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
 *  |                        First Sequence                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            Header Checksum (CRC32C of bytes 0 .. 43)          |
 *  +---------------------------------------------------------------+
 *  |                Zero padding up to Header Length              ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Records start at {@code Header Length}; see {@link WalRecordDescriptor}. A log reset (after a checkpoint)
 * rewrites the salt and first sequence, which invalidates every record written under the previous salt.
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
    static final int FIRST_SEQUENCE_OFFSET = RESERVED_OFFSET + SIZE_OF_INT;
    static final int HEADER_CHECKSUM_OFFSET = FIRST_SEQUENCE_OFFSET + SIZE_OF_LONG;
    static final int HEADER_LENGTH = 64;

    static final long MIN_CAPACITY = 1L << 16;
    static final long DEFAULT_CAPACITY = 64L << 20;
    static final long MAX_CAPACITY = 1L << 30;

    private WalDescriptor()
    {
    }
}
