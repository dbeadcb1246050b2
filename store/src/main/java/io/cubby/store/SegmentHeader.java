package io.cubby.store;

import static io.cubby.store.SegmentDescriptor.CREATED_OFFSET;
import static io.cubby.store.SegmentDescriptor.ENTRY_COUNT_OFFSET;
import static io.cubby.store.SegmentDescriptor.FLAGS_OFFSET;
import static io.cubby.store.SegmentDescriptor.GENERATION_OFFSET;
import static io.cubby.store.SegmentDescriptor.GROUP_COUNT_OFFSET;
import static io.cubby.store.SegmentDescriptor.HASH_ALGORITHM_OFFSET;
import static io.cubby.store.SegmentDescriptor.HASH_SEED_OFFSET;
import static io.cubby.store.SegmentDescriptor.HEADER_CHECKSUM_OFFSET;
import static io.cubby.store.SegmentDescriptor.HEADER_LENGTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.KEY_LENGTH_WIDTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.MAGIC;
import static io.cubby.store.SegmentDescriptor.MAGIC_OFFSET;
import static io.cubby.store.SegmentDescriptor.MAX_KEY_LENGTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.MAX_VALUE_LENGTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.MIGRATION_CURSOR_OFFSET;
import static io.cubby.store.SegmentDescriptor.NO_UNDO;
import static io.cubby.store.SegmentDescriptor.OPEN_STATE_OFFSET;
import static io.cubby.store.SegmentDescriptor.READ_VERSION_OFFSET;
import static io.cubby.store.SegmentDescriptor.RESERVED_1_LENGTH;
import static io.cubby.store.SegmentDescriptor.RESERVED_1_OFFSET;
import static io.cubby.store.SegmentDescriptor.RESERVED_2_OFFSET;
import static io.cubby.store.SegmentDescriptor.SEGMENT_BITS_OFFSET;
import static io.cubby.store.SegmentDescriptor.SEGMENT_INDEX_OFFSET;
import static io.cubby.store.SegmentDescriptor.SLOT_LENGTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.SOURCE_GENERATION_OFFSET;
import static io.cubby.store.SegmentDescriptor.SOURCE_GROUP_COUNT_OFFSET;
import static io.cubby.store.SegmentDescriptor.STALE_OVERFLOW_OFFSET;
import static io.cubby.store.SegmentDescriptor.UNDO_IMAGE_OFFSET;
import static io.cubby.store.SegmentDescriptor.UNDO_SLOT_INDEX_OFFSET;
import static io.cubby.store.SegmentDescriptor.VALUE_LENGTH_WIDTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.WRITE_VERSION_OFFSET;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Writes and validates the header of a segment file before it is mapped. Every field is range-checked here, so
 * the table never trusts a length or count read from disk.
 */
final class SegmentHeader
{
    final long groupCount;
    final long generation;
    final long sourceGeneration;
    final long sourceGroupCount;
    final int writeVersion;
    final long created;
    /**
     * Whether a mutable counter (Entry Count, Stale Overflow, Migration Cursor, Open State, Undo Slot Index) is out
     * of range: read leniently, by a salvaging open, which recomputes them ({@link SegmentTable#repairCounters}).
     */
    boolean countersDamaged;

    private SegmentHeader(final DirectBuffer h)
    {
        groupCount = h.getLong(GROUP_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        generation = h.getLong(GENERATION_OFFSET, ByteOrder.LITTLE_ENDIAN);
        sourceGeneration = h.getLong(SOURCE_GENERATION_OFFSET, ByteOrder.LITTLE_ENDIAN);
        sourceGroupCount = h.getLong(SOURCE_GROUP_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        writeVersion = h.getInt(WRITE_VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN);
        created = h.getLong(CREATED_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * CRC32C of header bytes {@code [0, HEADER_CHECKSUM_OFFSET)} as if the magic were written.
     */
    static int checksum(final DirectBuffer header)
    {
        final byte[] bytes = new byte[HEADER_CHECKSUM_OFFSET];
        header.getBytes(0, bytes);
        new UnsafeBuffer(bytes).putLong(MAGIC_OFFSET, MAGIC, ByteOrder.LITTLE_ENDIAN);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }

    /**
     * Write a new header into a file of the right length, every field first, then the magic; nothing is forced.
     * The file is still under its {@code .prep} name, which recovery deletes whatever it holds (FORMAT-v2.md section
     * 9 step 3), so the header's bytes need no order among themselves on disk: the caller forces the file once
     * before the rename that names it ({@link SegmentFile#publish}).
     */
    static void write(
        final FileChannel channel,
        final SegmentParams params,
        final int segment,
        final long generation,
        final long groupCount,
        final long sourceGeneration,
        final long sourceGroupCount) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(UNDO_IMAGE_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer h = new UnsafeBuffer(bytes);
        final ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        h.putInt(READ_VERSION_OFFSET, SegmentDescriptor.READ_VERSION, le);
        h.putInt(WRITE_VERSION_OFFSET, SegmentDescriptor.WRITE_VERSION, le);
        h.putInt(HEADER_LENGTH_OFFSET, params.headerLength, le);
        h.putInt(SLOT_LENGTH_OFFSET, params.slotLength, le);
        h.putInt(MAX_KEY_LENGTH_OFFSET, params.maxKeyLength, le);
        h.putInt(MAX_VALUE_LENGTH_OFFSET, params.maxValueLength, le);
        h.putByte(KEY_LENGTH_WIDTH_OFFSET, (byte)params.keyLengthWidth);
        h.putByte(VALUE_LENGTH_WIDTH_OFFSET, (byte)params.valueLengthWidth);
        h.putShort(SEGMENT_BITS_OFFSET, (short)params.segmentBits, le);
        h.putInt(SEGMENT_INDEX_OFFSET, segment, le);
        h.putLong(GROUP_COUNT_OFFSET, groupCount, le);
        h.putLong(HASH_SEED_OFFSET, params.seed, le);
        h.putLong(GENERATION_OFFSET, generation, le);
        h.putLong(SOURCE_GENERATION_OFFSET, sourceGeneration, le);
        h.putLong(SOURCE_GROUP_COUNT_OFFSET, sourceGroupCount, le);
        h.putInt(FLAGS_OFFSET, params.flags, le);
        h.putInt(HASH_ALGORITHM_OFFSET, SegmentDescriptor.HASH_ALGORITHM_XXH3, le);
        h.putLong(CREATED_OFFSET, System.currentTimeMillis(), le);
        h.putLong(ENTRY_COUNT_OFFSET, 0, le);
        h.putLong(STALE_OVERFLOW_OFFSET, 0, le);
        h.putLong(MIGRATION_CURSOR_OFFSET, 0, le);
        h.putInt(OPEN_STATE_OFFSET, SegmentDescriptor.OPEN_STATE_OPEN, le);
        h.putLong(UNDO_SLOT_INDEX_OFFSET, NO_UNDO, le);
        h.putInt(HEADER_CHECKSUM_OFFSET, checksum(h), le);

        final ByteBuffer body = bytes.duplicate().clear().position(READ_VERSION_OFFSET);
        writeFully(channel, body, READ_VERSION_OFFSET);
        CrashPoints.Hook.reached("v2.segment-create.fields-written");
        final ByteBuffer magic = ByteBuffer.allocate(Long.BYTES).order(le).putLong(0, MAGIC);
        writeFully(channel, magic, MAGIC_OFFSET);
        CrashPoints.Hook.reached("v2.segment-create.magic-written");
    }

    /**
     * Read and validate a segment file's header against the store's parameters and the file's name.
     *
     * @throws NotAStoreException         if the file does not start with the segment magic.
     * @throws IncompatibleStoreException if the read version is too new.
     * @throws CorruptStoreException      if any field is out of range or the file length does not match.
     */
    static SegmentHeader read(
        final Path file,
        final FileChannel channel,
        final SegmentParams params,
        final int segment,
        final long generation) throws IOException
    {
        return read(file, channel, params, segment, generation, false);
    }

    /**
     * @param lenient whether the mutable counters may be out of range (a salvaging open: it recomputes them); the
     *                header is {@link #countersDamaged} then.
     */
    static SegmentHeader read(
        final Path file,
        final FileChannel channel,
        final SegmentParams params,
        final int segment,
        final long generation,
        final boolean lenient) throws IOException
    {
        final String name = String.valueOf(file.getFileName());
        final long fileLength = channel.size();
        if (fileLength < UNDO_IMAGE_OFFSET)
        {
            throw new NotAStoreException(name + " is not a Cubby segment file: only " + fileLength + " bytes");
        }
        final ByteBuffer bytes = ByteBuffer.allocate(UNDO_IMAGE_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        long position = 0;
        while (bytes.hasRemaining())
        {
            final int n = channel.read(bytes, position);
            if (n < 0)
            {
                throw new CorruptStoreException(name + ": unexpected end of file at byte " + position);
            }
            position += n;
        }
        final UnsafeBuffer h = new UnsafeBuffer(bytes);
        final ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        final long magic = h.getLong(MAGIC_OFFSET, le);
        if (magic != MAGIC)
        {
            throw new NotAStoreException(name + " is not a Cubby segment file (magic 0x" +
                Long.toHexString(magic) + ")");
        }
        final int stored = h.getInt(HEADER_CHECKSUM_OFFSET, le);
        final int computed = checksum(h);
        if (stored != computed)
        {
            throw new CorruptStoreException(name + ": header checksum mismatch (stored 0x" +
                Integer.toHexString(stored) + ", computed 0x" + Integer.toHexString(computed) + ")");
        }
        final int readVersion = h.getInt(READ_VERSION_OFFSET, le);
        final int writeVersion = h.getInt(WRITE_VERSION_OFFSET, le);
        if (readVersion > SegmentDescriptor.READ_VERSION)
        {
            throw new IncompatibleStoreException(name + " needs format version " + readVersion +
                " to read; this Cubby reads versions up to " + SegmentDescriptor.READ_VERSION);
        }
        check(readVersion == SegmentDescriptor.READ_VERSION && writeVersion >= readVersion, name, "read version",
            readVersion);
        check(h.getInt(HEADER_LENGTH_OFFSET, le) == params.headerLength, name, "header length",
            h.getInt(HEADER_LENGTH_OFFSET, le));
        check(h.getInt(SLOT_LENGTH_OFFSET, le) == params.slotLength, name, "slot length",
            h.getInt(SLOT_LENGTH_OFFSET, le));
        check(h.getInt(MAX_KEY_LENGTH_OFFSET, le) == params.maxKeyLength, name, "max key length",
            h.getInt(MAX_KEY_LENGTH_OFFSET, le));
        check(h.getInt(MAX_VALUE_LENGTH_OFFSET, le) == params.maxValueLength, name, "max value length",
            h.getInt(MAX_VALUE_LENGTH_OFFSET, le));
        check(h.getByte(KEY_LENGTH_WIDTH_OFFSET) == params.keyLengthWidth, name, "key length width",
            h.getByte(KEY_LENGTH_WIDTH_OFFSET));
        check(h.getByte(VALUE_LENGTH_WIDTH_OFFSET) == params.valueLengthWidth, name, "value length width",
            h.getByte(VALUE_LENGTH_WIDTH_OFFSET));
        check(h.getShort(SEGMENT_BITS_OFFSET, le) == params.segmentBits, name, "segment bits",
            h.getShort(SEGMENT_BITS_OFFSET, le));
        check(h.getInt(SEGMENT_INDEX_OFFSET, le) == segment, name, "segment index", h.getInt(SEGMENT_INDEX_OFFSET, le));
        check(h.getLong(HASH_SEED_OFFSET, le) == params.seed, name, "hash seed", h.getLong(HASH_SEED_OFFSET, le));
        check(h.getInt(FLAGS_OFFSET, le) == params.flags, name, "flags", h.getInt(FLAGS_OFFSET, le));
        check(h.getInt(HASH_ALGORITHM_OFFSET, le) == SegmentDescriptor.HASH_ALGORITHM_XXH3, name, "hash algorithm",
            h.getInt(HASH_ALGORITHM_OFFSET, le));
        for (int i = 0; i < RESERVED_1_LENGTH; i += Integer.BYTES)
        {
            check(h.getInt(RESERVED_1_OFFSET + i, le) == 0, name, "reserved", h.getInt(RESERVED_1_OFFSET + i, le));
        }
        final SegmentHeader header = new SegmentHeader(h);
        check(header.generation == generation && generation >= 1, name, "generation", header.generation);
        final long maxGroups = SegmentDescriptor.maxGroupCount(params.slotLength);
        check(header.groupCount >= 1 && header.groupCount <= maxGroups, name, "group count", header.groupCount);
        check(header.sourceGeneration >= 0 && header.sourceGeneration < generation, name, "source generation",
            header.sourceGeneration);
        check(header.sourceGeneration == 0 ? header.sourceGroupCount == 0 :
            header.sourceGroupCount >= 1 && header.sourceGroupCount <= maxGroups, name, "source group count",
            header.sourceGroupCount);
        final long slots = header.groupCount * SegmentDescriptor.GROUP_SLOTS;
        final long entries = h.getLong(ENTRY_COUNT_OFFSET, le);
        header.counter(entries >= 0 && entries < slots, lenient, name, "entry count", entries);
        final long stale = h.getLong(STALE_OVERFLOW_OFFSET, le);
        header.counter(stale >= 0, lenient, name, "stale overflow", stale);
        final long cursor = h.getLong(MIGRATION_CURSOR_OFFSET, le);
        // With no source the cursor is ignored: a rehash end clears it after rewriting the checksummed fields.
        header.counter(cursor >= 0 && (header.sourceGeneration == 0 || cursor <= header.sourceGroupCount), lenient,
            name, "migration cursor", cursor);
        final int openState = h.getInt(OPEN_STATE_OFFSET, le);
        header.counter(openState == SegmentDescriptor.OPEN_STATE_OPEN ||
            openState == SegmentDescriptor.OPEN_STATE_CLOSED, lenient, name, "open state", openState);
        final long undo = h.getLong(UNDO_SLOT_INDEX_OFFSET, le);
        header.counter(undo == NO_UNDO || (undo >= 0 && undo < slots), lenient, name, "undo slot index", undo);
        check(h.getLong(RESERVED_2_OFFSET, le) == 0, name, "reserved", h.getLong(RESERVED_2_OFFSET, le));
        final long expected = SegmentDescriptor.fileLength(params.headerLength, params.slotLength, header.groupCount);
        if (fileLength != expected)
        {
            throw new CorruptStoreException(name + " has length " + fileLength + ", expected " + expected + " for " +
                header.groupCount + " groups of slot length " + params.slotLength);
        }
        return header;
    }

    /** A mutable counter's check: refused unless {@code lenient}, which marks the header instead. */
    private void counter(final boolean ok, final boolean lenient, final String name, final String field,
        final long value)
    {
        if (ok)
        {
            return;
        }
        if (!lenient)
        {
            throw new CorruptStoreException(name + ": header field '" + field + "' has invalid value " + value +
                "; an open with salvage(true) recomputes it");
        }
        countersDamaged = true;
    }

    private static void check(final boolean ok, final String name, final String field, final long value)
    {
        if (!ok)
        {
            throw new CorruptStoreException(name + ": header field '" + field + "' has invalid value " + value);
        }
    }

    static void writeFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long p = position;
        while (buffer.hasRemaining())
        {
            p += channel.write(buffer, p);
        }
    }
}
