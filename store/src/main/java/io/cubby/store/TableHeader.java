package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import static io.cubby.store.TableDescriptor.*;

/**
 * A table header read with plain file reads (never through a mapping) and validated field by field before the
 * file is mapped, so a damaged or foreign file is rejected with a message instead of being touched in memory.
 */
final class TableHeader
{
    final TableParams params;
    final int readVersion;
    final int writeVersion;
    final int headerLength;
    final int slotLength;
    final long capacity;
    final long generation;
    final long sourceGeneration;
    final long sourceCapacity;
    final long created;
    final long entryCount;
    final long tombstoneCount;
    final long migrationCursor;
    final int openState;
    final long fileLength;
    final int flags;
    final int hashAlgorithm;
    final long undoSlotIndex;
    /**
     * Why the counters (Entry Count, Tombstone Count, Migration Cursor) cannot be trusted, or null. They change
     * with every write and are not covered by the checksum: after an unclean shutdown recovery recounts them; on a
     * clean open an out-of-range counter is corruption (salvage recounts).
     */
    String counterProblem;
    /**
     * Why a mutable field that no crash can leave out of range (Open State, Undo Slot Index, reserved bytes) is
     * invalid, or null. Corruption on every open except salvage, which resets the field.
     */
    String stateProblem;

    private TableHeader(final UnsafeBuffer h, final long fileLength)
    {
        readVersion = h.getInt(READ_VERSION_OFFSET);
        writeVersion = h.getInt(WRITE_VERSION_OFFSET);
        headerLength = h.getInt(HEADER_LENGTH_OFFSET);
        slotLength = h.getInt(SLOT_LENGTH_OFFSET);
        capacity = h.getLong(CAPACITY_OFFSET);
        generation = h.getLong(GENERATION_OFFSET);
        sourceGeneration = h.getLong(SOURCE_GENERATION_OFFSET);
        sourceCapacity = h.getLong(SOURCE_CAPACITY_OFFSET);
        created = h.getLong(CREATED_OFFSET);
        entryCount = h.getLong(ENTRY_COUNT_OFFSET);
        tombstoneCount = h.getLong(TOMBSTONE_COUNT_OFFSET);
        migrationCursor = h.getLong(MIGRATION_CURSOR_OFFSET);
        openState = h.getInt(OPEN_STATE_OFFSET);
        this.fileLength = fileLength;
        final Probing probing = Probing.fromCode(h.getInt(PROBING_OFFSET));
        params = new TableParams(
            h.getInt(MAX_KEY_LENGTH_OFFSET),
            h.getInt(MAX_VALUE_LENGTH_OFFSET),
            probing,
            h.getInt(MAX_LOAD_OFFSET),
            h.getLong(HASH_SEED_OFFSET),
            (h.getInt(FLAGS_OFFSET) & FLAG_SET_MODE) != 0,
            (h.getInt(FLAGS_OFFSET) & FLAG_EXPIRY) != 0);
        flags = h.getInt(FLAGS_OFFSET);
        hashAlgorithm = h.getInt(HASH_ALGORITHM_OFFSET);
        undoSlotIndex = h.getLong(UNDO_SLOT_INDEX_OFFSET);
        writeSequence = h.getInt(WRITE_SEQUENCE_OFFSET);
        reserved3 = h.getInt(RESERVED_3_OFFSET);
    }

    /** The Write Sequence (§3.4): any value is valid; it changes with every write while a writer is live. */
    final int writeSequence;
    private final int reserved3;

    /**
     * CRC32C of the immutable header bytes {@code [0, HEADER_CHECKSUM_OFFSET)}, computed as if the magic were
     * {@code magic}.
     */
    static int headerChecksum(final DirectBuffer header, final long magic)
    {
        final byte[] bytes = new byte[HEADER_CHECKSUM_OFFSET];
        header.getBytes(0, bytes);
        final UnsafeBuffer copy = new UnsafeBuffer(bytes);
        copy.putLong(MAGIC_OFFSET, magic, ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }

    /**
     * Read and validate the header of a table file.
     *
     * @throws NotAStoreException         if the file does not start with the table magic.
     * @throws IncompatibleStoreException if the format version is too new.
     * @throws CorruptStoreException      if any field is out of range or the file length does not match.
     */
    static TableHeader read(final Path file, final FileChannel channel) throws IOException
    {
        final long fileLength = channel.size();
        final String name = file.getFileName().toString();
        if (fileLength < UNDO_IMAGE_OFFSET)
        {
            if (fileLength >= 8)
            {
                final ByteBuffer magic = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, magic, 0);
                if (magic.getLong(0) == MAGIC)
                {
                    throw new CorruptStoreException(name + " is truncated: " + fileLength +
                        " bytes, shorter than a table header (" + UNDO_IMAGE_OFFSET + " bytes)");
                }
            }
            throw new NotAStoreException(name + " is not a Cubby table file: only " + fileLength + " bytes");
        }
        final ByteBuffer bytes = ByteBuffer.allocate(UNDO_IMAGE_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, bytes, 0);
        final UnsafeBuffer h = new UnsafeBuffer(bytes);
        final long magic = h.getLong(MAGIC_OFFSET);
        if (magic != MAGIC)
        {
            throw new NotAStoreException(name + " is not a Cubby table file (magic 0x" +
                Long.toHexString(magic) + ")");
        }
        final TableHeader header = new TableHeader(h, fileLength);
        final int storedChecksum = h.getInt(HEADER_CHECKSUM_OFFSET);
        final int checksum = headerChecksum(h, MAGIC);
        if (storedChecksum != checksum)
        {
            throw new CorruptStoreException(name + ": header checksum mismatch (stored 0x" +
                Integer.toHexString(storedChecksum) + ", computed 0x" + Integer.toHexString(checksum) + ")");
        }
        header.validate(name);
        return header;
    }

    private void validate(final String name)
    {
        if (readVersion > TableDescriptor.READ_VERSION)
        {
            throw new IncompatibleStoreException(name + " needs format version " + readVersion +
                " to read; this Cubby reads versions up to " + TableDescriptor.READ_VERSION);
        }
        if (readVersion < 1 || writeVersion < readVersion)
        {
            throw new CorruptStoreException(name + ": invalid format versions read=" + readVersion +
                " write=" + writeVersion);
        }
        final int maxKey = params.maxKeyLength;
        final int maxValue = params.maxValueLength;
        check(maxKey >= 1 && maxKey <= SlotDescriptor.MAX_ENTRY_PART_LENGTH, name, "max key length", maxKey);
        check(maxValue >= 0 && maxValue <= SlotDescriptor.MAX_ENTRY_PART_LENGTH, name, "max value length", maxValue);
        check((flags & ~KNOWN_FLAGS) == 0, name, "flags (reserved bits set)", flags);
        check(params.setMode == (0 == maxValue), name, "flags (set mode " + (params.setMode ? "on" : "off") +
            " with max value length " + maxValue + ")", flags);
        check(slotLength == SlotDescriptor.slotLength(maxKey, maxValue, params.expiry), name, "slot length",
            slotLength);
        check(headerLength == TableDescriptor.headerLength(slotLength), name, "header length", headerLength);
        check(isPowerOfTwo(capacity) && capacity >= MIN_CAPACITY && capacity <= MAX_CAPACITY, name,
            "capacity", capacity);
        check(params.probing != null, name, "probing strategy", -1);
        check(HASH_ALGORITHM_XXH3 == hashAlgorithm, name, "hash algorithm", hashAlgorithm);
        check(0 != params.seed, name, "hash seed", params.seed);
        check(params.maxLoadPpm >= MAX_LOAD_PPM_MIN && params.maxLoadPpm <= MAX_LOAD_PPM_MAX, name,
            "max load", params.maxLoadPpm);
        check(generation >= 1 && generation <= MAX_GENERATION, name, "generation", generation);
        final long nameGeneration = TableDescriptor.parseGeneration(name);
        if (nameGeneration > 0 && nameGeneration != generation)
        {
            throw new CorruptStoreException(name + ": header generation " + generation + " disagrees with the " +
                "generation " + nameGeneration + " in the file name; the file's role cannot be established");
        }
        check(sourceGeneration >= 0 && sourceGeneration < generation, name, "source generation", sourceGeneration);
        check(sourceGeneration == 0 ? sourceCapacity == 0 : isPowerOfTwo(sourceCapacity) &&
            sourceCapacity >= MIN_CAPACITY && sourceCapacity <= MAX_CAPACITY, name, "source capacity",
            sourceCapacity);
        check(created >= 0, name, "created", created);
        final long expected = fileLength(headerLength, slotLength, capacity);
        if (fileLength < expected)
        {
            throw new CorruptStoreException(name + " is truncated: " + fileLength + " bytes, expected " + expected +
                " for " + capacity + " slots of " + slotLength + " bytes");
        }
        if (fileLength > expected)
        {
            throw new CorruptStoreException(name + " has " + (fileLength - expected) +
                " unexpected trailing bytes (length " + fileLength + ", expected " + expected + ")");
        }

        if (entryCount < 0 || entryCount > capacity)
        {
            counterProblem = name + ": Entry Count " + entryCount + " outside [0, " + capacity + "]";
        }
        else if (tombstoneCount < 0 || tombstoneCount > capacity)
        {
            counterProblem = name + ": Tombstone Count " + tombstoneCount + " outside [0, " + capacity + "]";
        }
        else if (entryCount + tombstoneCount > capacity)
        {
            counterProblem = name + ": Entry Count " + entryCount + " plus Tombstone Count " + tombstoneCount +
                " exceed the capacity " + capacity;
        }
        else if (migrationCursor < 0 || migrationCursor > sourceCapacity)
        {
            counterProblem = name + ": Migration Cursor " + migrationCursor + " outside [0, " + sourceCapacity + "]";
        }
        if (openState != OPEN_STATE_CLEAN && openState != OPEN_STATE_OPEN)
        {
            stateProblem = name + ": Open State " + openState + " is neither 0 (closed) nor 1 (open)";
        }
        else if (undoSlotIndex != NO_UNDO && (undoSlotIndex < 0 || undoSlotIndex >= capacity))
        {
            stateProblem = name + ": Undo Slot Index " + undoSlotIndex + " is neither -1 nor a slot below " +
                capacity;
        }
        else if (0 != reserved3)
        {
            stateProblem = name + ": reserved header bytes are not zero";
        }
    }

    private static void check(final boolean ok, final String name, final String field, final long value)
    {
        if (!ok)
        {
            throw new CorruptStoreException(name + ": header field '" + field + "' has invalid value " + value);
        }
    }

    static void readFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long p = position;
        while (buffer.hasRemaining())
        {
            final int n = channel.read(buffer, p);
            if (n < 0)
            {
                throw new CorruptStoreException("unexpected end of file at byte " + p);
            }
            p += n;
        }
    }
}
