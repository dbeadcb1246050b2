package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

import static io.cubby.store.WalDescriptor.CAPACITY_OFFSET;
import static io.cubby.store.WalDescriptor.FIRST_SEQUENCE_OFFSET;
import static io.cubby.store.WalDescriptor.HEADER_LENGTH;
import static io.cubby.store.WalDescriptor.SALT_OFFSET;
import static io.cubby.store.WalRecordDescriptor.CHECKSUM_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_OFFSET;
import static io.cubby.store.WalRecordDescriptor.LENGTH_OFFSET;
import static io.cubby.store.WalRecordDescriptor.SEQUENCE_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_1_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_2_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_3_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_LENGTH;
import static io.cubby.store.WalRecordDescriptor.TYPE_OFFSET;
import static io.cubby.store.WalRecordDescriptor.VALUE_LENGTH_OFFSET;

/**
 * The write-ahead log: a preallocated file of fixed capacity, mapped once, holding a ring of records appended
 * under the store's write lock. Appends touch only mapped memory, so a process crash never loses an appended
 * record; {@link #awaitDurable(long)} forces the log to disk, with concurrent callers sharing one force (group
 * commit). A checkpoint {@link #advanceStart(int, long) moves the start} of the live records forward once the
 * tables hold everything before it, without stopping writers.
 */
final class Wal
{
    final Path file;
    final long capacity;
    private final long storeSeed;
    private final Object fileKey;
    private final FileChannel channel;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer buffer;
    private final WalChecksum checksum;
    private final Object syncLock = new Object();

    private int salt;
    private int start;
    private long firstSequence;
    private long nextSequence;
    private long used;
    private int lastRecordPosition;
    private volatile int appendPosition;
    private volatile long appendedSequence;
    private volatile long durableSequence;
    private int forcedPosition;

    private Wal(
        final Path file, final FileChannel channel, final long capacity, final long storeSeed, final boolean readOnly)
        throws IOException
    {
        this.file = file;
        this.fileKey = Storage.fileKey(file);
        this.channel = channel;
        this.capacity = capacity;
        this.storeSeed = storeSeed;
        this.mapping = channel.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, capacity);
        this.buffer = new UnsafeBuffer(mapping);
        this.checksum = new WalChecksum(buffer);
    }

    /**
     * Create a new, zero-filled log file, replacing any file of that name.
     */
    static Wal create(final Path file, final long capacity, final long storeSeed, final long firstSequence)
        throws IOException
    {
        if (capacity < WalDescriptor.MIN_CAPACITY || capacity > WalDescriptor.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("log size must be in [" + WalDescriptor.MIN_CAPACITY + ", " +
                WalDescriptor.MAX_CAPACITY + "]: " + capacity);
        }
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel channel = FileChannel.open(
            tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            // Real blocks, not a sparse file: appends to the mapping can never meet a full disk.
            IoUtil.fill(channel, 0, capacity, (byte)0);
            final UnsafeBuffer h = new UnsafeBuffer(ByteBuffer.allocate(HEADER_LENGTH));
            WalHeader.writeHeaderFields(h, capacity, storeSeed, ThreadLocalRandom.current().nextInt() | 1, HEADER_LENGTH,
                firstSequence);
            Storage.writeFully(channel, h.byteBuffer().duplicate().clear(), 0);
            Storage.forceChannel(channel, tmp);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Storage.syncDirectory(file.getParent());
        return open(file, storeSeed);
    }

    /**
     * Open and validate an existing log. The append position is the start of the record area until
     * {@link #read(WalReader.RecordVisitor, int, int, boolean)} finds the end of the valid records.
     */
    static Wal open(final Path file, final long storeSeed) throws IOException
    {
        return open(file, storeSeed, false);
    }

    /**
     * Open a log; a read-only log is mapped read-only and must only be {@link #read read}.
     */
    static Wal open(final Path file, final long storeSeed, final boolean readOnly) throws IOException
    {
        Storage.requireRegularFile(file);
        final FileChannel channel = readOnly ? FileChannel.open(file, StandardOpenOption.READ) :
            FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try
        {
            final UnsafeBuffer h = WalHeader.read(file, channel, storeSeed);
            final long capacity = h.getLong(CAPACITY_OFFSET);
            final long startOffset = h.getLong(WalDescriptor.START_OFFSET_OFFSET);
            final Wal wal = new Wal(file, channel, capacity, storeSeed, readOnly);
            wal.salt = h.getInt(SALT_OFFSET);
            wal.start = (int)startOffset;
            wal.firstSequence = h.getLong(FIRST_SEQUENCE_OFFSET);
            wal.nextSequence = wal.firstSequence;
            wal.appendPosition = wal.start;
            wal.forcedPosition = wal.start;
            wal.appendedSequence = wal.firstSequence - 1;
            wal.durableSequence = wal.firstSequence - 1;
            return wal;
        }
        catch (final IOException | RuntimeException ex)
        {
            Storage.closeQuietly(channel);
            throw ex;
        }
    }

    // ---------------------------------------------------------------- appending (store write lock held)

    private long ringSize()
    {
        return capacity - HEADER_LENGTH;
    }

    /**
     * Bytes held by live records, padding included.
     */
    long usedBytes()
    {
        return used;
    }

    /**
     * Whether the live records fill more than half of the ring.
     */
    boolean needsCheckpoint()
    {
        return used > ringSize() / 2;
    }

    long nextSequence()
    {
        return nextSequence;
    }

    /**
     * Position of the record appended last.
     */
    int lastRecordPosition()
    {
        return lastRecordPosition;
    }

    /**
     * Whether a record of the given length fits in the free part of the ring, counting padding for a wrap.
     */
    boolean fits(final int recordLength)
    {
        final int position = appendPosition;
        final long wrap = position + (long)recordLength > capacity ? capacity - position : 0;
        return used + wrap + recordLength < ringSize();
    }

    /**
     * Position at which a record of the given length goes, after padding to the end of the file if needed.
     */
    private int reserve(final int length)
    {
        if (!fits(length))
        {
            throw new IllegalStateException("log full");
        }
        final int position = appendPosition;
        if (position + (long)length > capacity)
        {
            // seal() counts the padding and moves the append position to the start of the record area
            seal(position, WalRecordDescriptor.TYPE_PADDING, (int)(capacity - position));
            CrashPoints.Hook.reached("log.wrapped");
            return appendPosition;
        }
        return position;
    }

    /**
     * Append a PUT or REMOVE record.
     *
     * @return the record's sequence.
     */
    long appendEntry(
        final short type,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long expiresAt)
    {
        final int length = WalRecordDescriptor.entryRecordLength(keyLength, valueLength);
        final int position = reserve(length);
        buffer.putInt(position + KEY_LENGTH_OFFSET, keyLength);
        buffer.putInt(position + VALUE_LENGTH_OFFSET, valueLength);
        buffer.putLong(position + WalRecordDescriptor.EXPIRES_AT_OFFSET, expiresAt);
        buffer.putBytes(position + KEY_OFFSET, key, keyOffset, keyLength);
        if (valueLength > 0)
        {
            buffer.putBytes(position + KEY_OFFSET + keyLength, value, valueOffset, valueLength);
        }
        final int end = KEY_OFFSET + keyLength + valueLength;
        if (end < length)
        {
            buffer.setMemory(position + end, length - end, (byte)0);
        }
        return seal(position, type, length);
    }

    /**
     * Append a structural record with three long fields.
     *
     * @return the record's sequence.
     */
    long appendStructural(final short type, final long field1, final long field2, final long field3)
    {
        final int position = reserve(STRUCTURAL_LENGTH);
        buffer.putLong(position + STRUCTURAL_FIELD_1_OFFSET, field1);
        buffer.putLong(position + STRUCTURAL_FIELD_2_OFFSET, field2);
        buffer.putLong(position + STRUCTURAL_FIELD_3_OFFSET, field3);
        return seal(position, type, STRUCTURAL_LENGTH);
    }

    private long seal(final int position, final short type, final int length)
    {
        // Zero means absent: before the record counts, the length field where the next one goes is zeroed (when
        // free), so the records end on a zero length rather than on stale bytes of an earlier lap of the ring.
        final int next = position + length;
        final boolean wraps = next + (long)WalRecordDescriptor.HEADER_LENGTH > capacity;
        if (ringSize() - (used + length + (wraps ? capacity - next : 0)) >= WalRecordDescriptor.ALIGNMENT)
        {
            buffer.putInt((wraps ? HEADER_LENGTH : next) + LENGTH_OFFSET, 0);
        }
        CrashPoints.Hook.reached("log.payload-written");
        final long sequence = nextSequence++;
        buffer.putInt(position + LENGTH_OFFSET, length);
        buffer.putShort(position + TYPE_OFFSET, type);
        buffer.putShort(position + WalRecordDescriptor.RESERVED_OFFSET, (short)0);
        buffer.putInt(position + WalRecordDescriptor.SALT_OFFSET, salt);
        buffer.putLong(position + SEQUENCE_OFFSET, sequence);
        CrashPoints.Hook.reached("log.header-written");
        buffer.putInt(position + CHECKSUM_OFFSET, checksum.recordChecksum(position, length));
        used += length;
        lastRecordPosition = position;
        appendPosition = wraps ? wrapTail(next) : next;
        appendedSequence = sequence;
        return sequence;
    }

    private int wrapTail(final int position)
    {
        CrashPoints.Hook.reached("log.wrapped");
        used += capacity - position;
        return HEADER_LENGTH;
    }


    /**
     * Move the start of the live records to a checkpoint record, once the tables hold every change logged before
     * it. Ignored if the start is already at or past it.
     *
     * @param position position of the checkpoint record.
     * @param sequence its sequence.
     */
    void advanceStart(final int position, final long sequence)
    {
        synchronized (syncLock)
        {
            if (sequence <= firstSequence)
            {
                return;
            }
            used -= ringDistance(start, position);
            // The records before the new start need no force (the tables hold them). A force position left behind
            // it would let the appends that follow wrap around the ring and pass it before the next force, which
            // would then force only the bytes from it to the append position, missing the records appended at the
            // end of the ring and at its beginning, and still count them durable.
            if (ringDistance(start, forcedPosition) < ringDistance(start, position))
            {
                forcedPosition = position;
            }
            start = position;
            firstSequence = sequence;
            // One positional write of the whole header (inside one page, so a process kill applies all of it or
            // none; the mapping shares the page cache): Start Offset, First Sequence and Header Checksum never
            // disagree. Stored field by field into the mapping, a kill between them would fail the checksum.
            final UnsafeBuffer h = new UnsafeBuffer(ByteBuffer.allocate(HEADER_LENGTH));
            WalHeader.writeHeaderFields(h, capacity, storeSeed, salt, start, firstSequence);
            try
            {
                Storage.writeFully(channel, h.byteBuffer().duplicate().clear(), 0);
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("cannot move the start of " + file.getFileName() + ": " + ex.getMessage(), ex);
            }
            FileEvents.Hook.forcing(file, 0, HEADER_LENGTH);
            mapping.force(0, HEADER_LENGTH);
            FileEvents.Hook.forced(file, 0, HEADER_LENGTH);
        }
    }

    private long ringDistance(final int from, final int to)
    {
        return to >= from ? to - from : (capacity - from) + (to - HEADER_LENGTH);
    }

    // ---------------------------------------------------------------- durability

    /**
     * Return once the record with the given sequence is on disk. Callers that arrive while another thread is
     * forcing wait for it and are then usually covered by that force.
     */
    void awaitDurable(final long sequence)
    {
        if (durableSequence >= sequence)
        {
            return;
        }
        synchronized (syncLock)
        {
            if (durableSequence >= sequence)
            {
                return;
            }
            forceAppended();
        }
    }

    /**
     * @return the sequence of the last record appended (the first sequence minus one if none).
     */
    long appendedSequence()
    {
        return appendedSequence;
    }

    /**
     * @return the sequence of the last record known to be on disk: set only after the force covering it returned.
     */
    long durableSequence()
    {
        return durableSequence;
    }

    /**
     * Force everything appended so far.
     */
    void forceAll()
    {
        synchronized (syncLock)
        {
            forceAppended();
        }
    }

    private void forceAppended()
    {
        final long sequence = appendedSequence;
        final int end = appendPosition;
        final int from = forcedPosition;
        if (end > from)
        {
            FileEvents.Hook.forcing(file, from, end - from);
            mapping.force(from, end - from);
            FileEvents.Hook.forced(file, from, end - from);
        }
        else if (end < from)
        {
            FileEvents.Hook.forcing(file, from, capacity - from);
            mapping.force(from, (int)(capacity - from));
            FileEvents.Hook.forced(file, from, capacity - from);
            FileEvents.Hook.forcing(file, HEADER_LENGTH, end - HEADER_LENGTH);
            mapping.force(HEADER_LENGTH, end - HEADER_LENGTH);
            FileEvents.Hook.forced(file, HEADER_LENGTH, end - HEADER_LENGTH);
        }
        forcedPosition = end;
        if (sequence > durableSequence)
        {
            durableSequence = sequence;
        }
    }

    // ---------------------------------------------------------------- reading (recovery)

    /**
     * Read the live records ({@link WalReader#read}) and set the append position to the end of the last valid
     * record.
     */
    WalReader.ReadResult read(
        final WalReader.RecordVisitor visitor, final int maxKeyLength, final int maxValueLength, final boolean salvage)
    {
        final WalReader.ReadResult result = new WalReader(file, buffer, capacity, salt, checksum)
            .read(visitor, start, firstSequence, maxKeyLength, maxValueLength, salvage);
        final int position = result.endPosition;
        final long expected = result.nextSequence;
        nextSequence = expected;
        used = ringDistance(start, position);
        appendPosition = position;
        forcedPosition = position;
        lastRecordPosition = position;
        appendedSequence = expected - 1;
        durableSequence = expected - 1;
        return result;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * @return null while the file is as mapped, else what another process did to it.
     */
    String changedFile()
    {
        return Storage.changedFile(file, fileKey, capacity);
    }

    UnsafeBuffer buffer()
    {
        return buffer;
    }

    int salt()
    {
        return salt;
    }

    void close()
    {
        Storage.closeQuietly(channel);
    }
}
