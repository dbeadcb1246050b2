package io.cubby.store;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the header at the start of a table file ({@code table-<generation>.cubby}). All integers are
 * little-endian. See {@code store/FORMAT.md}, section "Table file".
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "CUBBYTBL"                       |
 *  +---------------------------------------------------------------+
 *  |                          Read Version                         |
 *  +---------------------------------------------------------------+
 *  |                          Write Version                        |
 *  +---------------------------------------------------------------+
 *  |                         Header Length                         |
 *  +---------------------------------------------------------------+
 *  |                          Slot Length                          |
 *  +---------------------------------------------------------------+
 *  |                         Max Key Length                        |
 *  +---------------------------------------------------------------+
 *  |                        Max Value Length                       |
 *  +---------------------------------------------------------------+
 *  |                      Capacity (slot count)                    |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Probing Strategy                       |
 *  +---------------------------------------------------------------+
 *  |                         Hash Algorithm                        |
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
 *  |                   Source Capacity (slot count)                |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Max Load (parts per million)               |
 *  +---------------------------------------------------------------+
 *  |                             Flags                             |
 *  +---------------------------------------------------------------+
 *  |                      Created (epoch millis)                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Header Checksum (CRC32C of bytes 0 .. 95)            |
 *  +---------------------------------------------------------------+
 *  |               Max Entries (unsigned, 0 = unbounded)           |
 *  +---------------------------------------------------------------+
 *  |                          Entry Count                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Tombstone Count                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                        Migration Cursor                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Open State                           |
 *  +---------------------------------------------------------------+
 *  |S|R|            Write Sequence (counter, bit 0 = writing)       |
 *  +---------------------------------------------------------------+
 *  |                     Undo Slot Index (or -1)                   |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      Undo Image Checksum                      |
 *  +---------------------------------------------------------------+
 *  |                     Reserved (must be zero)                   |
 *  +---------------------------------------------------------------+
 *  |                  Undo Image (Slot Length bytes)              ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 *  |             Zero padding up to Header Length                 ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 * </pre>
 * Bytes {@code [0, HEADER_CHECKSUM_OFFSET)} never change after creation and are covered by the header checksum.
 * The counters after it change with every write and are validated by range, then recomputed after an unclean
 * shutdown. The Write Sequence is a seqlock word for readers in other processes (FORMAT.md §3.4): bit 31 (S)
 * says a newer table generation exists, bit 30 (R) that the table has left the live set, bit 0 that a write of
 * the table's slots is in progress; zero while no writer has the table open. The slot array starts at
 * {@code Header Length}, a multiple of {@link #PAGE_SIZE}.
 */
final class TableDescriptor
{
    /** "CUBBYTBL" read as a little-endian long. */
    static final long MAGIC = 0x4C42545942425543L;
    /** Oldest format version this code can read. */
    static final int READ_VERSION = 1;
    /** Format version this code writes. */
    static final int WRITE_VERSION = 1;
    static final int PAGE_SIZE = 4096;
    /** Suffix of a table file being allocated; such files are deleted when a store is opened. */
    static final String PREPARED_SUFFIX = ".prep";

    static final int HASH_ALGORITHM_XXH3 = 1;
    static final int FLAG_SET_MODE = 1;
    static final int FLAG_EXPIRY = 2;
    static final int KNOWN_FLAGS = FLAG_SET_MODE | FLAG_EXPIRY;

    /** Write Sequence bit 0: a write of the table's slots is in progress. */
    static final int SEQUENCE_WRITING = 1;
    /** Write Sequence bit 30: the rehash out of this table completed; the table is no longer read. */
    static final int SEQUENCE_RETIRED = 1 << 30;
    /** Write Sequence bit 31: a newer generation exists (this table is a rehash source). */
    static final int SEQUENCE_SUPERSEDED = 1 << 31;
    static final int SEQUENCE_FLAGS = SEQUENCE_RETIRED | SEQUENCE_SUPERSEDED;
    /** The counter bits of the Write Sequence, bit 0 included. */
    static final int SEQUENCE_COUNTER = ~SEQUENCE_FLAGS;

    static final int OPEN_STATE_CLEAN = 0;
    static final int OPEN_STATE_OPEN = 1;
    static final long NO_UNDO = -1L;
    static final long NO_SOURCE = 0L;

    static final int MAGIC_OFFSET = 0;
    static final int MAGIC_LENGTH = SIZE_OF_LONG;
    static final int READ_VERSION_OFFSET = MAGIC_OFFSET + MAGIC_LENGTH;
    static final int WRITE_VERSION_OFFSET = READ_VERSION_OFFSET + SIZE_OF_INT;
    static final int HEADER_LENGTH_OFFSET = WRITE_VERSION_OFFSET + SIZE_OF_INT;
    static final int SLOT_LENGTH_OFFSET = HEADER_LENGTH_OFFSET + SIZE_OF_INT;
    static final int MAX_KEY_LENGTH_OFFSET = SLOT_LENGTH_OFFSET + SIZE_OF_INT;
    static final int MAX_VALUE_LENGTH_OFFSET = MAX_KEY_LENGTH_OFFSET + SIZE_OF_INT;
    static final int CAPACITY_OFFSET = MAX_VALUE_LENGTH_OFFSET + SIZE_OF_INT;
    static final int PROBING_OFFSET = CAPACITY_OFFSET + SIZE_OF_LONG;
    static final int HASH_ALGORITHM_OFFSET = PROBING_OFFSET + SIZE_OF_INT;
    static final int HASH_SEED_OFFSET = HASH_ALGORITHM_OFFSET + SIZE_OF_INT;
    static final int GENERATION_OFFSET = HASH_SEED_OFFSET + SIZE_OF_LONG;
    static final int SOURCE_GENERATION_OFFSET = GENERATION_OFFSET + SIZE_OF_LONG;
    static final int SOURCE_CAPACITY_OFFSET = SOURCE_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int MAX_LOAD_OFFSET = SOURCE_CAPACITY_OFFSET + SIZE_OF_LONG;
    static final int FLAGS_OFFSET = MAX_LOAD_OFFSET + SIZE_OF_INT;
    static final int CREATED_OFFSET = FLAGS_OFFSET + SIZE_OF_INT;
    static final int HEADER_CHECKSUM_OFFSET = CREATED_OFFSET + SIZE_OF_LONG;
    /** Unsigned 32-bit entry bound, 0 for none; mutable, not covered by the header checksum. */
    static final int MAX_ENTRIES_OFFSET = HEADER_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int ENTRY_COUNT_OFFSET = MAX_ENTRIES_OFFSET + SIZE_OF_INT;
    /** Largest value of the Max Entries field. */
    static final long MAX_MAX_ENTRIES = 0xFFFF_FFFFL;
    static final int TOMBSTONE_COUNT_OFFSET = ENTRY_COUNT_OFFSET + SIZE_OF_LONG;
    static final int MIGRATION_CURSOR_OFFSET = TOMBSTONE_COUNT_OFFSET + SIZE_OF_LONG;
    static final int OPEN_STATE_OFFSET = MIGRATION_CURSOR_OFFSET + SIZE_OF_LONG;
    /**
     * Seqlock word of the table's slots (§3.4); was reserved (zero) in version 1 before readers in other
     * processes, and is zero again whenever the table is closed cleanly, so older readers still accept the file.
     */
    static final int WRITE_SEQUENCE_OFFSET = OPEN_STATE_OFFSET + SIZE_OF_INT;
    static final int UNDO_SLOT_INDEX_OFFSET = WRITE_SEQUENCE_OFFSET + SIZE_OF_INT;
    static final int UNDO_CHECKSUM_OFFSET = UNDO_SLOT_INDEX_OFFSET + SIZE_OF_LONG;
    static final int RESERVED_3_OFFSET = UNDO_CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int UNDO_IMAGE_OFFSET = RESERVED_3_OFFSET + SIZE_OF_INT;

    /** Largest capacity: slot indexes must fit the probing arithmetic and the per-window layout. */
    static final long MAX_CAPACITY = 1L << 34;
    static final long MIN_CAPACITY = 16;
    /** Largest generation accepted: far more rehashes than a store can make, and no overflow on growth. */
    static final long MAX_GENERATION = 1L << 48;
    static final int MAX_LOAD_PPM_MIN = 100_000;
    static final int MAX_LOAD_PPM_MAX = 950_000;

    private TableDescriptor()
    {
    }

    /**
     * Header length for a given slot length: the fixed fields and one undo image, rounded up to a page.
     *
     * @param slotLength slot width in bytes.
     * @return header length in bytes, a multiple of {@link #PAGE_SIZE}.
     */
    static int headerLength(final int slotLength)
    {
        final long raw = (long)UNDO_IMAGE_OFFSET + slotLength;
        return (int)((raw + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE);
    }

    /**
     * Expected length of a table file.
     *
     * @param headerLength header length in bytes.
     * @param slotLength   slot width in bytes.
     * @param capacity     slot count.
     * @return file length in bytes.
     */
    static long fileLength(final int headerLength, final int slotLength, final long capacity)
    {
        return headerLength + (long)slotLength * capacity;
    }

    /**
     * Name of the table file of a generation, e.g. {@code table-0000000000000001.cubby}.
     *
     * @param generation table generation, at least 1.
     * @return the file name.
     */
    static String fileName(final long generation)
    {
        return String.format("table-%016x.cubby", generation);
    }

    /**
     * Parse the generation out of a table file name.
     *
     * @param name file name.
     * @return the generation, or -1 if the name is not a table file name.
     */
    static long parseGeneration(final String name)
    {
        if (name.length() != 6 + 16 + 6 || !name.startsWith("table-") || !name.endsWith(".cubby"))
        {
            return -1;
        }
        try
        {
            final long generation = Long.parseUnsignedLong(name.substring(6, 22), 16);
            return generation > 0 ? generation : -1;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * The Write Sequence value that starts a write: the counter moved to the next odd value (from an even word, or
     * past an odd one left by a writer that died mid-write, so that a reader never sees the same odd value twice
     * across a change), flags kept.
     */
    static int sequenceBegin(final int word)
    {
        final int counter = word & SEQUENCE_COUNTER;
        final int odd = (counter | SEQUENCE_WRITING) + ((counter & SEQUENCE_WRITING) << 1);
        return (odd & SEQUENCE_COUNTER) | (word & SEQUENCE_FLAGS);
    }

    /**
     * The Write Sequence value that ends a write begun with {@code begun}: the next even counter, never 0 (0
     * means "no writer session").
     */
    static int sequenceEnd(final int begun)
    {
        int counter = (begun + 1) & SEQUENCE_COUNTER;
        if (0 == counter)
        {
            counter = 2;
        }
        return counter | (begun & SEQUENCE_FLAGS);
    }

    static boolean isPowerOfTwo(final long value)
    {
        return value > 0 && (value & (value - 1)) == 0;
    }
}
