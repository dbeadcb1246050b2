package io.cubby.store;

import static org.agrona.BitUtil.CACHE_LINE_LENGTH;
import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the version-2 store manifest ({@code manifest.cubby}): a 4096-byte header, then one 64-byte entry per
 * segment holding its sequence word and its live files. All integers are little-endian. See
 * {@code store/FORMAT-v2.md}, section 3.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "CUBBYMAN"                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Read Version                         |
 *  +---------------------------------------------------------------+
 *  |                          Write Version                        |
 *  +---------------------------------------------------------------+
 *  |                      Header Length (4096)                     |
 *  +---------------------------------------------------------------+
 *  |                          Segment Bits                         |
 *  +---------------------------------------------------------------+
 *  |                        Entry Length (64)                      |
 *  +---------------------------------------------------------------+
 *  |                             Flags                             |
 *  +---------------------------------------------------------------+
 *  |                           Hash Seed                           |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         Max Key Length                        |
 *  +---------------------------------------------------------------+
 *  |                        Max Value Length                       |
 *  +---------------------------------------------------------------+
 *  |                         Hash Algorithm                        |
 *  +---------------------------------------------------------------+
 *  |                      Max Load (ppm)                           |
 *  +---------------------------------------------------------------+
 *  |                      Target Load (ppm)                        |
 *  +---------------------------------------------------------------+
 *  |                      Early Load (ppm)                         |
 *  +---------------------------------------------------------------+
 *  |                      Created (epoch millis)                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Upgrade Source (v1 generation)                |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Header Checksum (CRC32C of bytes 0 .. 79)            |
 *  +---------------------------------------------------------------+
 *  |               Reserved (44 bytes, must be zero)              ...
 *  +---------------------------------------------------------------+  offset 128
 *  |                          Writer Epoch                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           Open State                          |
 *  +---------------------------------------------------------------+
 *  |                          Next Segment                         |
 *  +---------------------------------------------------------------+
 *  |                         Upgrade Cursor                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+  offset 152
 *  |                  Max Entries (0 for no bound)                 |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Reserved (32 bytes, ignored)                 ...
 *  +---------------------------------------------------------------+  offset 192
 *  |                   Writer Boot ID (16 bytes)                  ...
 *  +---------------------------------------------------------------+
 *  |                        Manifest Device                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Manifest Inode                         |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Reserved up to offset 4096                   ...
 *  +---------------------------------------------------------------+
 * </pre>
 * Segment entry (one cache line):
 * <pre>
 *  +---------------------------------------------------------------+
 *  |            Sequence (seqlock: odd while being written)        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Current Generation                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Source Generation (0 = none)                 |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Current Group Count                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Source Group Count                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                Reserved (24 bytes, must be zero)             ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class ManifestDescriptor
{
    /** ASCII "CUBBYMAN" read as a little-endian long. */
    static final long MAGIC = 0x4E414D5942425543L;
    static final int READ_VERSION = 2;
    static final int WRITE_VERSION = 2;
    static final String FILE_NAME = "manifest.cubby";
    static final int HEADER_LENGTH = 4096;
    static final int ENTRY_LENGTH = CACHE_LINE_LENGTH;
    static final int OPEN_STATE_CLOSED = 0;
    static final int OPEN_STATE_OPEN = 1;
    static final int DEFAULT_TARGET_LOAD_PPM = 833_334;
    static final int DEFAULT_EARLY_LOAD_PPM = 900_000;
    static final int MIN_TARGET_LOAD_PPM = 300_000;

    static final int MAGIC_OFFSET = 0;
    static final int READ_VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    static final int WRITE_VERSION_OFFSET = READ_VERSION_OFFSET + SIZE_OF_INT;
    static final int HEADER_LENGTH_OFFSET = WRITE_VERSION_OFFSET + SIZE_OF_INT;
    static final int SEGMENT_BITS_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;
    static final int ENTRY_LENGTH_OFFSET = SEGMENT_BITS_OFFSET + SIZE_OF_INT;
    static final int FLAGS_OFFSET = ENTRY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int HASH_SEED_OFFSET = FLAGS_OFFSET + SIZE_OF_INT;
    static final int MAX_KEY_LENGTH_OFFSET = HASH_SEED_OFFSET + SIZE_OF_LONG;
    static final int MAX_VALUE_LENGTH_OFFSET = MAX_KEY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int HASH_ALGORITHM_OFFSET = MAX_VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int MAX_LOAD_OFFSET = HASH_ALGORITHM_OFFSET + SIZE_OF_INT;
    static final int TARGET_LOAD_OFFSET = MAX_LOAD_OFFSET + SIZE_OF_INT;
    static final int EARLY_LOAD_OFFSET = TARGET_LOAD_OFFSET + SIZE_OF_INT;
    static final int CREATED_OFFSET = EARLY_LOAD_OFFSET + SIZE_OF_INT;
    static final int UPGRADE_SOURCE_OFFSET = CREATED_OFFSET + SIZE_OF_LONG;
    static final int HEADER_CHECKSUM_OFFSET = UPGRADE_SOURCE_OFFSET + SIZE_OF_LONG;
    static final int RESERVED_1_OFFSET = HEADER_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int RESERVED_1_LENGTH = 44;
    static final int WRITER_EPOCH_OFFSET = RESERVED_1_OFFSET + RESERVED_1_LENGTH;
    static final int OPEN_STATE_OFFSET = WRITER_EPOCH_OFFSET + SIZE_OF_LONG;
    static final int NEXT_SEGMENT_OFFSET = OPEN_STATE_OFFSET + SIZE_OF_INT;
    static final int UPGRADE_CURSOR_OFFSET = NEXT_SEGMENT_OFFSET + SIZE_OF_INT;
    /** The store's entry bound ({@code Builder.maxEntries}), 0 for none; mutable (FORMAT-v2.md 3.1). */
    static final int MAX_ENTRIES_OFFSET = UPGRADE_CURSOR_OFFSET + SIZE_OF_LONG;
    static final long MAX_MAX_ENTRIES = 0xFFFF_FFFFL;
    /**
     * The Writer Identity (FORMAT-v2.md 3.1): the kernel boot and the manifest file (device, inode) under which the
     * files were last consistent in the page cache; all zero for none.
     */
    static final int WRITER_IDENTITY_OFFSET = 192;
    static final int WRITER_BOOT_ID_OFFSET = WRITER_IDENTITY_OFFSET;
    static final int BOOT_ID_LENGTH = 16;
    static final int MANIFEST_DEVICE_OFFSET = WRITER_BOOT_ID_OFFSET + BOOT_ID_LENGTH;
    static final int MANIFEST_INODE_OFFSET = MANIFEST_DEVICE_OFFSET + SIZE_OF_LONG;
    static final int WRITER_IDENTITY_LENGTH = MANIFEST_INODE_OFFSET + SIZE_OF_LONG - WRITER_IDENTITY_OFFSET;

    static final int ENTRY_SEQUENCE_OFFSET = 0;
    static final int ENTRY_CURRENT_GENERATION_OFFSET = ENTRY_SEQUENCE_OFFSET + SIZE_OF_LONG;
    static final int ENTRY_SOURCE_GENERATION_OFFSET = ENTRY_CURRENT_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int ENTRY_CURRENT_GROUP_COUNT_OFFSET = ENTRY_SOURCE_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int ENTRY_SOURCE_GROUP_COUNT_OFFSET = ENTRY_CURRENT_GROUP_COUNT_OFFSET + SIZE_OF_LONG;
    static final int ENTRY_RESERVED_OFFSET = ENTRY_SOURCE_GROUP_COUNT_OFFSET + SIZE_OF_LONG;

    private ManifestDescriptor()
    {
    }

    static int entryOffset(final int segment)
    {
        return HEADER_LENGTH + segment * ENTRY_LENGTH;
    }

    static long fileLength(final int segmentBits)
    {
        return HEADER_LENGTH + ((long)ENTRY_LENGTH << segmentBits);
    }
}
