package io.cubby.store;

import static io.cubby.store.SegmentLogDescriptor.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Appends records to a version-2 log (FORMAT-v2.md section 7): a preallocated file mapped whole, whose bytes after
 * the 64-byte header form a ring. Payload first, then the header fields, then the checksum; the length field where
 * the next record goes is zeroed first, so the records end on a zero length. The append path allocates nothing.
 * Not thread-safe: its caller serialises appends.
 * <p>
 * Appends throw {@link IllegalArgumentException} for a record the store's parameters do not allow and
 * {@link IllegalStateException} ("log full") when the ring lacks room; the caller checks {@link #fits} and
 * frees the ring with {@link #moveStart} after a checkpoint.
 */
final class SegmentLogWriter implements AutoCloseable
{
    private final Path file;
    /** The file's identity when mapped, to tell another process's replacement ({@link #changedFile}). */
    private final Object fileKey;
    private final FileChannel channel;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer buffer;
    private final SegmentParams params;
    private final long capacity;
    private final int salt;
    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[CHECKSUM_CHUNK];
    private final ByteBuffer headerBytes = ByteBuffer.allocateDirect(HEADER_LENGTH);
    private final UnsafeBuffer headerImage = new UnsafeBuffer(headerBytes);

    private int startOffset;
    private long firstSequence;
    private int appendPosition;
    private long nextSequence;
    private long used;
    private int lastRecordPosition = -1;
    /** Whether the header's Log State says closed (FORMAT-v2.md 7.1): cleared, forced, before the first append. */
    private boolean closedState;
    private long forces;

    private SegmentLogWriter(
        final Path file, final Object fileKey, final FileChannel channel, final SegmentParams params,
        final long capacity, final int salt, final int startOffset, final long firstSequence, final int appendPosition,
        final long nextSequence)
        throws IOException
    {
        this.file = file;
        this.fileKey = fileKey;
        this.channel = channel;
        this.mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, capacity);
        this.buffer = new UnsafeBuffer(mapping);
        this.params = params;
        this.capacity = capacity;
        this.salt = salt;
        this.startOffset = startOffset;
        this.firstSequence = firstSequence;
        this.appendPosition = appendPosition;
        this.nextSequence = nextSequence;
        this.used = ringDistance(startOffset, appendPosition);
    }

    /**
     * Create {@code file} (allocated under a temporary name, header written and forced, renamed into place) and
     * open it for appending.
     */
    static SegmentLogWriter create(
        final Path file, final SegmentParams params, final long capacity, final int salt, final long firstSequence)
        throws IOException
    {
        checkCapacity(params, capacity);
        return publish(file, prepare(file, capacity), params, capacity, salt, firstSequence);
    }

    /**
     * First half of {@link #create}: allocate {@code capacity} bytes under {@code file}'s temporary name
     * ({@code wal.log.tmp}, FORMAT-v2.md 7.1), reading as zeros (so that appends into the mapping never meet a full
     * disk): a metadata operation where {@code fallocate} works, else zeros written. On failure (a full disk) no
     * temporary file is left.
     *
     * @return the temporary file.
     */
    static Path prepare(final Path file, final long capacity) throws IOException
    {
        final Path tmp = temporaryFile(file);
        Storage.requireRegularFile(tmp); // a directory, FIFO or link of that name is not ours to delete
        Files.deleteIfExists(tmp);
        final boolean allocated = Fallocate.allocate(tmp, capacity);
        if (!allocated)
        {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
            {
                final ByteBuffer zeros = ByteBuffer.allocate(1 << 16);
                long position = 0;
                while (position < capacity)
                {
                    zeros.clear().limit((int)Math.min(zeros.capacity(), capacity - position));
                    position += out.write(zeros, position);
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                Files.deleteIfExists(tmp);
                throw ex;
            }
        }
        return tmp;
    }

    /** The temporary name a new log is allocated under. */
    static Path temporaryFile(final Path file)
    {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /**
     * Second half of {@link #create}: write the whole header of the file {@link #prepare} allocated, magic included,
     * in one write, force it once, and only then rename it to {@code file} (replacing a log there), so that no reader
     * sees a half-written header under that name; then open it for appending. The caller forces the directory.
     */
    static SegmentLogWriter publish(final Path file, final Path tmp, final SegmentParams params, final long capacity,
        final int salt, final long firstSequence) throws IOException
    {
        checkCapacity(params, capacity);
        if (0 == salt || firstSequence < 1)
        {
            throw new IllegalArgumentException("salt " + salt + ", first sequence " + firstSequence);
        }
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE))
        {
            if (out.size() != capacity)
            {
                throw new IllegalStateException(tmp + " has " + out.size() + " bytes, not " + capacity);
            }
            final UnsafeBuffer h = new UnsafeBuffer(ByteBuffer.allocate(HEADER_LENGTH));
            h.putInt(VERSION_OFFSET, VERSION, LE);
            h.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH, LE);
            h.putLong(CAPACITY_OFFSET, capacity, LE);
            h.putLong(STORE_SEED_OFFSET, params.seed, LE);
            h.putInt(SALT_OFFSET, salt, LE);
            h.putLong(START_OFFSET_OFFSET, HEADER_LENGTH, LE);
            h.putLong(FIRST_SEQUENCE_OFFSET, firstSequence, LE);
            h.putLong(MAGIC_OFFSET, MAGIC, LE);
            h.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(h, new CRC32C(), new byte[HEADER_LENGTH]), LE);
            final ByteBuffer image = h.byteBuffer().clear();
            while (image.hasRemaining())
            {
                out.write(image, image.position());
            }
            out.force(true);
        }
        CrashPoints.Hook.reached("v2.log.new-forced");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        CrashPoints.Hook.reached("v2.log.new-renamed");
        final FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try
        {
            return new SegmentLogWriter(file, Storage.fileKey(file), channel, params, capacity, salt, HEADER_LENGTH,
                firstSequence, HEADER_LENGTH, firstSequence);
        }
        catch (final IOException | RuntimeException e)
        {
            channel.close();
            throw e;
        }
    }

    private static void checkCapacity(final SegmentParams params, final long capacity)
    {
        if (capacity < minCapacity(params.segmentBits) || capacity > MAX_CAPACITY || capacity % ALIGNMENT != 0)
        {
            throw new IllegalArgumentException("log capacity " + capacity + " out of range for " +
                (1 << params.segmentBits) + " segments");
        }
    }

    /**
     * Continue appending to a log {@link SegmentLogReader} has read: at the position where reading stopped, with
     * the sequence it expected there. A log damaged in the middle is refused unless {@code salvage}, which drops
     * the records after the damage.
     */
    static SegmentLogWriter resume(
        final Path file, final SegmentParams params, final SegmentLogReader.Result read, final boolean salvage)
        throws IOException
    {
        if (SegmentLogReader.Stop.DAMAGED_MIDDLE == read.stop && !salvage)
        {
            throw new CorruptStoreException(file.getFileName() + ": " + read.reason +
                " before later valid records; refusing to drop logged operations");
        }
        final Object fileKey = Storage.requireRegularFile(file);
        final FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try
        {
            if (channel.size() != read.capacity)
            {
                throw new CorruptStoreException(file.getFileName() + ": length changed since it was read");
            }
            final SegmentLogWriter writer = new SegmentLogWriter(file, fileKey, channel, params, read.capacity,
                read.salt, read.startOffset, read.firstSequence, read.stopPosition, read.nextSequence);
            writer.closedState = read.closed;
            return writer;
        }
        catch (final IOException | RuntimeException e)
        {
            channel.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- state

    private long ringSize()
    {
        return capacity - HEADER_LENGTH;
    }

    private long ringDistance(final int from, final int to)
    {
        return to >= from ? to - from : (capacity - from) + (to - HEADER_LENGTH);
    }

    Path file()
    {
        return file;
    }

    long nextSequence()
    {
        return nextSequence;
    }

    /** Bytes held by live records, padding included. */
    long usedBytes()
    {
        return used;
    }

    /** Position of the record appended last, or -1. */
    int lastRecordPosition()
    {
        return lastRecordPosition;
    }

    /** Position where the next record goes (unless it needs to wrap). */
    int appendPosition()
    {
        return appendPosition;
    }

    long capacity()
    {
        return capacity;
    }

    /** What another process did to the log file (truncated, replaced, deleted), or null. */
    String changedFile()
    {
        return Storage.changedFile(file, fileKey, capacity);
    }

    /** Whether a record of this length fits in the free part of the ring, padding for a wrap included. */
    boolean fits(final int recordLength)
    {
        final long wrap = appendPosition + (long)recordLength > capacity ? capacity - appendPosition : 0;
        return used + wrap + recordLength < ringSize();
    }

    /**
     * Free the ring up to the record at {@code position} (the start of a live record, or the append position),
     * whose sequence is {@code sequence}: rewrites Start Offset, First Sequence and the header checksum.
     */
    void moveStart(final int position, final long sequence)
    {
        final long dropped = ringDistance(startOffset, position);
        if (position < HEADER_LENGTH || position % ALIGNMENT != 0 || dropped > used ||
            sequence < firstSequence || sequence > nextSequence)
        {
            throw new IllegalArgumentException("start " + position + " sequence " + sequence);
        }
        writeHeader(position, sequence, LOG_STATE_LIVE);
        startOffset = position;
        firstSequence = sequence;
        used -= dropped;
    }

    /**
     * Rewrite the header with this Start Offset, First Sequence and Log State. The new header is built apart and
     * written with one positional write of the whole header (one page, shared with the mapping through the page
     * cache), so a process kill applies all of its fields and the Header Checksum or none of them; stored field by
     * field into the mapping, a kill between them would leave a header failing its checksum.
     */
    private void writeHeader(final int position, final long sequence, final int state)
    {
        headerImage.putBytes(0, buffer, 0, HEADER_LENGTH);
        headerImage.putInt(LOG_STATE_OFFSET, state, LE);
        headerImage.putLong(START_OFFSET_OFFSET, position, LE);
        headerImage.putLong(FIRST_SEQUENCE_OFFSET, sequence, LE);
        headerImage.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(headerImage, crc, scratch), LE);
        final ByteBuffer image = headerBytes.clear();
        try
        {
            while (image.hasRemaining())
            {
                channel.write(image, image.position());
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot rewrite the header of the log: " + ex.getMessage(), ex);
        }
        closedState = LOG_STATE_CLOSED == state;
    }

    /** Whether the header says closed: no live record, nothing appended since. */
    boolean closedState()
    {
        return closedState;
    }

    /**
     * A clean close, after the checkpoint that emptied the ring: write Log State closed (FORMAT-v2.md 7.1) and
     * force the log, so that the next open reads no record and scans nothing. Nothing to do if the header says so
     * already (nothing was appended since it did).
     *
     * @throws IllegalStateException if the ring holds live records.
     */
    void markClosed()
    {
        if (closedState)
        {
            return;
        }
        if (used != 0)
        {
            throw new IllegalStateException("log holds " + used + " bytes of live records");
        }
        writeHeader(startOffset, firstSequence, LOG_STATE_CLOSED);
        force();
    }

    /** Before the first append into a log whose header says closed: Log State live, forced before any record. */
    private void markLive()
    {
        writeHeader(startOffset, firstSequence, LOG_STATE_LIVE);
        force();
    }

    void force()
    {
        mapping.force();
        forces++;
    }

    /** Forces of the log since it was opened (tests). */
    long forceCount()
    {
        return forces;
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }

    // ---------------------------------------------------------------- appending

    long appendPut(
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final long expiresAt)
    {
        if (keyLength < 0 || keyLength > params.maxKeyLength || valueLength < 0 ||
            valueLength > params.maxValueLength || expiresAt < 0 || (0 != expiresAt && !params.expiry))
        {
            throw new IllegalArgumentException("PUT of key length " + keyLength + ", value length " + valueLength +
                ", expiry " + expiresAt);
        }
        final int length = entryRecordLength(keyLength, valueLength);
        final int position = reserve(length);
        writeEntry(position, length, key, keyOffset, keyLength, valueLength, expiresAt);
        if (valueLength > 0)
        {
            buffer.putBytes(position + KEY_OFFSET + keyLength, value, valueOffset, valueLength);
        }
        return seal(position, TYPE_PUT, length);
    }

    long appendRemove(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        if (keyLength < 0 || keyLength > params.maxKeyLength)
        {
            throw new IllegalArgumentException("REMOVE of key length " + keyLength);
        }
        final int length = entryRecordLength(keyLength, 0);
        final int position = reserve(length);
        writeEntry(position, length, key, keyOffset, keyLength, 0, 0);
        return seal(position, TYPE_REMOVE, length);
    }

    private void writeEntry(
        final int position, final int length, final DirectBuffer key, final int keyOffset, final int keyLength,
        final int valueLength, final long expiresAt)
    {
        buffer.putInt(position + KEY_LENGTH_OFFSET, keyLength, LE);
        buffer.putInt(position + VALUE_LENGTH_OFFSET, valueLength, LE);
        buffer.putLong(position + EXPIRES_AT_OFFSET, expiresAt, LE);
        buffer.putBytes(position + KEY_OFFSET, key, keyOffset, keyLength);
        final int end = KEY_OFFSET + keyLength + valueLength;
        if (end < length)
        {
            buffer.setMemory(position + end, length - end, (byte)0);
        }
    }

    long appendRehashBegin(
        final int segment, final long targetGeneration, final long targetGroupCount, final long sourceGeneration)
    {
        return appendRehash(TYPE_SEGMENT_REHASH_BEGIN, segment, targetGeneration, targetGroupCount, sourceGeneration);
    }

    long appendRehashEnd(final int segment, final long targetGeneration, final long sourceGeneration)
    {
        return appendRehash(TYPE_SEGMENT_REHASH_END, segment, targetGeneration, sourceGeneration, 0);
    }

    private long appendRehash(
        final short type, final int segment, final long target, final long field2, final long field3)
    {
        final int position = reserve(REHASH_RECORD_LENGTH);
        buffer.putInt(position + REHASH_SEGMENT_OFFSET, segment, LE);
        buffer.putInt(position + REHASH_RESERVED_OFFSET, 0, LE);
        buffer.putLong(position + REHASH_TARGET_GENERATION_OFFSET, target, LE);
        buffer.putLong(position + REHASH_FIELD_2_OFFSET, field2, LE);
        buffer.putLong(position + REHASH_FIELD_3_OFFSET, field3, LE);
        return sealChecked(position, type, REHASH_RECORD_LENGTH);
    }

    /**
     * Append a CHECKPOINT_V2 record from per-segment arrays of length 2^k.
     */
    long appendCheckpoint(final long[] currentGenerations, final long[] sourceGenerations, final long[] cursors)
    {
        final int count = 1 << params.segmentBits;
        if (currentGenerations.length != count || sourceGenerations.length != count || cursors.length != count)
        {
            throw new IllegalArgumentException("checkpoint arrays must have " + count + " entries");
        }
        final int length = checkpointRecordLength(params.segmentBits);
        final int position = reserve(length);
        buffer.putInt(position + CHECKPOINT_SEGMENT_COUNT_OFFSET, count, LE);
        buffer.putInt(position + CHECKPOINT_RESERVED_OFFSET, 0, LE);
        for (int s = 0; s < count; s++)
        {
            final int entry = position + CHECKPOINT_ENTRIES_OFFSET + CHECKPOINT_ENTRY_LENGTH * s;
            buffer.putLong(entry + CHECKPOINT_CURRENT_GENERATION_OFFSET, currentGenerations[s], LE);
            buffer.putLong(entry + CHECKPOINT_SOURCE_GENERATION_OFFSET, sourceGenerations[s], LE);
            buffer.putLong(entry + CHECKPOINT_MIGRATION_CURSOR_OFFSET, cursors[s], LE);
        }
        return sealChecked(position, TYPE_CHECKPOINT, length);
    }

    long appendUpgradeBegin(final long version1Generation, final long version1Capacity)
    {
        return appendUpgrade(TYPE_UPGRADE_BEGIN, version1Generation, version1Capacity);
    }

    long appendUpgradeEnd(final long version1Generation)
    {
        return appendUpgrade(TYPE_UPGRADE_END, version1Generation, 0);
    }

    private long appendUpgrade(final short type, final long generation, final long field2)
    {
        final int position = reserve(UPGRADE_RECORD_LENGTH);
        buffer.putLong(position + UPGRADE_GENERATION_OFFSET, generation, LE);
        buffer.putLong(position + UPGRADE_FIELD_2_OFFSET, field2, LE);
        buffer.putLong(position + UPGRADE_FIELD_3_OFFSET, 0L, LE);
        return sealChecked(position, type, UPGRADE_RECORD_LENGTH);
    }

    /**
     * Seal a structural record after the checks its reader will apply (with the type written first so that they
     * see it): an out-of-range field is the caller's bug, refused before the record counts.
     */
    private long sealChecked(final int position, final short type, final int length)
    {
        buffer.putShort(position + TYPE_OFFSET, type, LE);
        final String problem = SegmentLogDescriptor.check(buffer, position, length, capacity, params);
        if (null != problem)
        {
            buffer.putInt(position + RECORD_LENGTH_OFFSET, 0, LE);
            throw new IllegalArgumentException(problem);
        }
        return seal(position, type, length);
    }

    private int reserve(final int length)
    {
        if (!fits(length))
        {
            throw new IllegalStateException("log full");
        }
        if (closedState)
        {
            markLive();
        }
        if (appendPosition + (long)length > capacity)
        {
            seal(appendPosition, TYPE_PADDING, (int)(capacity - appendPosition));
        }
        return appendPosition;
    }

    private long seal(final int position, final short type, final int length)
    {
        CrashPoints.Hook.reached("v2.log.payload-written");
        final int next = position + length;
        final boolean wraps = next + (long)RECORD_HEADER_LENGTH > capacity;
        if (ringSize() - (used + length + (wraps ? capacity - next : 0)) >= ALIGNMENT)
        {
            buffer.putInt((wraps ? HEADER_LENGTH : next) + RECORD_LENGTH_OFFSET, 0, LE);
        }
        final long sequence = nextSequence++;
        buffer.putInt(position + RECORD_LENGTH_OFFSET, length, LE);
        buffer.putShort(position + TYPE_OFFSET, type, LE);
        buffer.putShort(position + RECORD_RESERVED_OFFSET, (short)0, LE);
        buffer.putInt(position + RECORD_SALT_OFFSET, salt, LE);
        buffer.putLong(position + SEQUENCE_OFFSET, sequence, LE);
        CrashPoints.Hook.reached("v2.log.header-written");
        buffer.putInt(position + CHECKSUM_OFFSET, recordChecksum(buffer, position, length, crc, scratch), LE);
        CrashPoints.Hook.reached("v2.log.sealed");
        used += length;
        if (wraps)
        {
            used += capacity - next;
            appendPosition = HEADER_LENGTH;
        }
        else
        {
            appendPosition = next;
        }
        lastRecordPosition = position;
        return sequence;
    }
}
