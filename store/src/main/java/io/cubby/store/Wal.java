package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

import static io.cubby.store.WalDescriptor.CAPACITY_OFFSET;
import static io.cubby.store.WalDescriptor.FIRST_SEQUENCE_OFFSET;
import static io.cubby.store.WalDescriptor.HEADER_CHECKSUM_OFFSET;
import static io.cubby.store.WalDescriptor.HEADER_LENGTH;
import static io.cubby.store.WalDescriptor.HEADER_LENGTH_OFFSET;
import static io.cubby.store.WalDescriptor.MAGIC;
import static io.cubby.store.WalDescriptor.MAGIC_OFFSET;
import static io.cubby.store.WalDescriptor.SALT_OFFSET;
import static io.cubby.store.WalDescriptor.STORE_SEED_OFFSET;
import static io.cubby.store.WalDescriptor.VERSION_OFFSET;
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
 * The write-ahead log: a preallocated file of fixed capacity, mapped once, to which records are appended under
 * the store's write lock. Appends touch only mapped memory, so a process crash never loses an appended record;
 * {@link #awaitDurable(long)} forces the log to disk, with concurrent callers sharing one force (group commit).
 * A checkpoint {@link #reset(long) resets} the log: a new salt invalidates every older record.
 */
final class Wal
{
    /** Receives the valid records of a log, in order. */
    interface RecordVisitor
    {
        void onRecord(int type, long sequence, DirectBuffer buffer, int offset, int length);
    }

    /** Outcome of reading a log from its start. */
    static final class ReadResult
    {
        int records;
        long nextSequence;
        int endPosition;
        /** Null when the log ended cleanly on zeroed or stale bytes. */
        String tailProblem;
        int discardedBytes;
    }

    final Path file;
    final long capacity;
    private final long storeSeed;
    private final FileChannel channel;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer buffer;
    private final ByteBuffer crcView;
    private final CRC32C crc = new CRC32C();
    private final Object syncLock = new Object();

    private int salt;
    private long firstSequence;
    private long nextSequence;
    private volatile int appendPosition;
    private volatile long appendedSequence;
    private volatile long durableSequence;
    private int forcedPosition;

    private Wal(
        final Path file, final FileChannel channel, final long capacity, final long storeSeed, final boolean readOnly)
        throws IOException
    {
        this.file = file;
        this.channel = channel;
        this.capacity = capacity;
        this.storeSeed = storeSeed;
        this.mapping = channel.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, capacity);
        this.buffer = new UnsafeBuffer(mapping);
        this.crcView = mapping.duplicate().order(ByteOrder.LITTLE_ENDIAN);
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
            writeHeaderFields(h, capacity, storeSeed, ThreadLocalRandom.current().nextInt() | 1, firstSequence);
            Table.writeFully(channel, h.byteBuffer().duplicate().clear(), 0);
            channel.force(true);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Storage.syncDirectory(file.getParent());
        return open(file, storeSeed);
    }

    /**
     * Open and validate an existing log. The append position is the start of the record area until
     * {@link #read(RecordVisitor, int, int)} finds the end of the valid records.
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
        final FileChannel channel = readOnly ? FileChannel.open(file, StandardOpenOption.READ) :
            FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try
        {
            final long size = channel.size();
            final String name = file.getFileName().toString();
            if (size < HEADER_LENGTH)
            {
                throw new CorruptStoreException(name + " is truncated: " + size + " bytes, shorter than its header");
            }
            final ByteBuffer bytes = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            TableHeader.readFully(channel, bytes, 0);
            final UnsafeBuffer h = new UnsafeBuffer(bytes);
            if (h.getLong(MAGIC_OFFSET) != MAGIC)
            {
                throw new CorruptStoreException(name + " is not a Cubby write-ahead log (bad magic)");
            }
            if (h.getInt(HEADER_CHECKSUM_OFFSET) != headerChecksum(h))
            {
                throw new CorruptStoreException(name + ": header checksum mismatch");
            }
            if (h.getInt(VERSION_OFFSET) != WalDescriptor.VERSION)
            {
                throw new IncompatibleStoreException(name + " has log format version " + h.getInt(VERSION_OFFSET) +
                    "; this Cubby reads version " + WalDescriptor.VERSION);
            }
            final long capacity = h.getLong(CAPACITY_OFFSET);
            if (h.getInt(HEADER_LENGTH_OFFSET) != HEADER_LENGTH || capacity < WalDescriptor.MIN_CAPACITY ||
                capacity > WalDescriptor.MAX_CAPACITY)
            {
                throw new CorruptStoreException(name + ": invalid header length or capacity " + capacity);
            }
            if (size != capacity)
            {
                throw new CorruptStoreException(name + " is " + size + " bytes but its header says " + capacity);
            }
            if (h.getLong(STORE_SEED_OFFSET) != storeSeed)
            {
                throw new CorruptStoreException(name + " belongs to another store (seed mismatch)");
            }
            final Wal wal = new Wal(file, channel, capacity, storeSeed, readOnly);
            wal.salt = h.getInt(SALT_OFFSET);
            wal.firstSequence = h.getLong(FIRST_SEQUENCE_OFFSET);
            wal.nextSequence = wal.firstSequence;
            wal.appendPosition = HEADER_LENGTH;
            wal.forcedPosition = HEADER_LENGTH;
            wal.appendedSequence = wal.firstSequence - 1;
            wal.durableSequence = wal.firstSequence - 1;
            return wal;
        }
        catch (final IOException | RuntimeException ex)
        {
            Table.closeQuietly(channel);
            throw ex;
        }
    }

    private static void writeHeaderFields(
        final UnsafeBuffer h, final long capacity, final long storeSeed, final int salt, final long firstSequence)
    {
        h.putLong(MAGIC_OFFSET, MAGIC);
        h.putInt(VERSION_OFFSET, WalDescriptor.VERSION);
        h.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        h.putLong(CAPACITY_OFFSET, capacity);
        h.putLong(STORE_SEED_OFFSET, storeSeed);
        h.putInt(SALT_OFFSET, salt);
        h.putInt(WalDescriptor.RESERVED_OFFSET, 0);
        h.putLong(FIRST_SEQUENCE_OFFSET, firstSequence);
        h.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(h));
    }

    private static int headerChecksum(final DirectBuffer h)
    {
        final byte[] bytes = new byte[HEADER_CHECKSUM_OFFSET];
        h.getBytes(0, bytes);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }

    // ---------------------------------------------------------------- appending (store write lock held)

    /**
     * Space left for records.
     */
    long remaining()
    {
        return capacity - appendPosition;
    }

    long usedBytes()
    {
        return appendPosition - HEADER_LENGTH;
    }

    long nextSequence()
    {
        return nextSequence;
    }

    /**
     * Whether a record of the given length fits.
     */
    boolean fits(final int recordLength)
    {
        return appendPosition + (long)recordLength <= capacity;
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
        final int valueLength)
    {
        final int length = WalRecordDescriptor.entryRecordLength(keyLength, valueLength);
        final int position = appendPosition;
        if (position + (long)length > capacity)
        {
            throw new IllegalStateException("log full");
        }
        buffer.putInt(position + KEY_LENGTH_OFFSET, keyLength);
        buffer.putInt(position + VALUE_LENGTH_OFFSET, valueLength);
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
        final int position = appendPosition;
        if (position + (long)STRUCTURAL_LENGTH > capacity)
        {
            throw new IllegalStateException("log full");
        }
        buffer.putLong(position + STRUCTURAL_FIELD_1_OFFSET, field1);
        buffer.putLong(position + STRUCTURAL_FIELD_2_OFFSET, field2);
        buffer.putLong(position + STRUCTURAL_FIELD_3_OFFSET, field3);
        return seal(position, type, STRUCTURAL_LENGTH);
    }

    private long seal(final int position, final short type, final int length)
    {
        final long sequence = nextSequence++;
        buffer.putInt(position + LENGTH_OFFSET, length);
        buffer.putShort(position + TYPE_OFFSET, type);
        buffer.putShort(position + WalRecordDescriptor.RESERVED_OFFSET, (short)0);
        buffer.putInt(position + WalRecordDescriptor.SALT_OFFSET, salt);
        buffer.putLong(position + SEQUENCE_OFFSET, sequence);
        buffer.putInt(position + CHECKSUM_OFFSET, recordChecksum(position, length));
        appendPosition = position + length;
        appendedSequence = sequence;
        return sequence;
    }

    private int recordChecksum(final int position, final int length)
    {
        crc.reset();
        crcView.limit(position + CHECKSUM_OFFSET).position(position);
        crc.update(crcView);
        crcView.limit(position + length).position(position + SEQUENCE_OFFSET);
        crc.update(crcView);
        return (int)crc.getValue();
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
            mapping.force(from, end - from);
            forcedPosition = end;
        }
        if (sequence > durableSequence)
        {
            durableSequence = sequence;
        }
    }

    /**
     * Start a new log generation: a new salt, records from the start of the record area. The caller has made
     * every earlier change durable in the tables, so older records are no longer needed.
     */
    void reset(final long firstSequence)
    {
        synchronized (syncLock)
        {
            int newSalt = ThreadLocalRandom.current().nextInt() | 1;
            if (newSalt == salt)
            {
                newSalt += 2;
            }
            salt = newSalt;
            this.firstSequence = firstSequence;
            nextSequence = firstSequence;
            // The first record slot is cleared before the header changes, so it can never look valid.
            buffer.putLong(HEADER_LENGTH + LENGTH_OFFSET, 0L);
            writeHeaderFields(buffer, capacity, storeSeed, salt, firstSequence);
            mapping.force(0, HEADER_LENGTH + WalRecordDescriptor.HEADER_LENGTH);
            appendPosition = HEADER_LENGTH;
            forcedPosition = HEADER_LENGTH;
            appendedSequence = firstSequence - 1;
            durableSequence = firstSequence - 1;
        }
    }

    // ---------------------------------------------------------------- reading (recovery)

    /**
     * Read the valid records from the start of the record area, stopping at the first record that fails
     * validation. Sets the append position to the end of the last valid record.
     *
     * @param visitor        receives each valid record.
     * @param maxKeyLength   largest valid key length.
     * @param maxValueLength largest valid value length.
     * @param salvage        discard a damaged record in the middle of the log, and all after it, instead of
     *                       refusing.
     * @return what was read, and why reading stopped.
     */
    ReadResult read(
        final RecordVisitor visitor, final int maxKeyLength, final int maxValueLength, final boolean salvage)
    {
        final ReadResult result = new ReadResult();
        int position = HEADER_LENGTH;
        long expected = firstSequence;
        while (true)
        {
            final String problem = validate(position, expected, maxKeyLength, maxValueLength);
            if (null != problem)
            {
                if (!isCleanEnd(position))
                {
                    result.tailProblem = problem + " at offset " + position;
                }
                break;
            }
            final int length = buffer.getInt(position + LENGTH_OFFSET);
            visitor.onRecord(buffer.getShort(position + TYPE_OFFSET), expected, buffer, position, length);
            result.records++;
            position += length;
            expected++;
        }
        result.endPosition = position;
        result.nextSequence = expected;
        if (null != result.tailProblem)
        {
            final int later = findLaterValidRecord(position + WalRecordDescriptor.ALIGNMENT, expected,
                maxKeyLength, maxValueLength);
            if (later >= 0 && !salvage)
            {
                throw new CorruptStoreException(file.getFileName() + ": record damaged in the middle of the log (" +
                    result.tailProblem + ") while a valid later record follows at offset " + later +
                    "; refusing to drop acknowledged operations");
            }
            result.discardedBytes = (int)(capacity - position);
        }
        nextSequence = expected;
        appendPosition = position;
        forcedPosition = position;
        appendedSequence = expected - 1;
        durableSequence = expected - 1;
        return result;
    }

    private boolean isCleanEnd(final int position)
    {
        if (position + WalRecordDescriptor.HEADER_LENGTH > capacity)
        {
            return true;
        }
        final int length = buffer.getInt(position + LENGTH_OFFSET);
        final int recordSalt = buffer.getInt(position + WalRecordDescriptor.SALT_OFFSET);
        return 0 == length || recordSalt != salt;
    }

    private int findLaterValidRecord(
        final int from, final long expected, final int maxKeyLength, final int maxValueLength)
    {
        for (int p = from; p + WalRecordDescriptor.HEADER_LENGTH <= capacity; p += WalRecordDescriptor.ALIGNMENT)
        {
            if (buffer.getInt(p + WalRecordDescriptor.SALT_OFFSET) != salt)
            {
                continue;
            }
            final long sequence = buffer.getLong(p + SEQUENCE_OFFSET);
            if (sequence > expected && null == validate(p, sequence, maxKeyLength, maxValueLength))
            {
                return p;
            }
        }
        return -1;
    }

    /**
     * Check one record; every length is validated before it is used to read memory.
     *
     * @return null if valid, else the problem.
     */
    private String validate(final int position, final long expected, final int maxKeyLength, final int maxValueLength)
    {
        if (position + (long)WalRecordDescriptor.HEADER_LENGTH > capacity)
        {
            return "end of log file";
        }
        final int length = buffer.getInt(position + LENGTH_OFFSET);
        if (length < WalRecordDescriptor.HEADER_LENGTH || (length & (WalRecordDescriptor.ALIGNMENT - 1)) != 0 ||
            position + (long)length > capacity)
        {
            return "invalid record length " + length;
        }
        if (buffer.getInt(position + WalRecordDescriptor.SALT_OFFSET) != salt)
        {
            return "salt mismatch";
        }
        if (buffer.getInt(position + CHECKSUM_OFFSET) != recordChecksum(position, length))
        {
            return "checksum mismatch";
        }
        final long sequence = buffer.getLong(position + SEQUENCE_OFFSET);
        if (sequence != expected)
        {
            return "sequence " + sequence + " where " + expected + " was expected";
        }
        final int type = buffer.getShort(position + TYPE_OFFSET);
        switch (type)
        {
            case WalRecordDescriptor.TYPE_PUT:
            case WalRecordDescriptor.TYPE_REMOVE:
            {
                if (length < KEY_OFFSET)
                {
                    return "entry record too short";
                }
                final int keyLength = buffer.getInt(position + KEY_LENGTH_OFFSET);
                final int valueLength = buffer.getInt(position + VALUE_LENGTH_OFFSET);
                if (keyLength < 0 || keyLength > maxKeyLength || valueLength < 0 || valueLength > maxValueLength ||
                    (type == WalRecordDescriptor.TYPE_REMOVE && valueLength != 0) ||
                    WalRecordDescriptor.entryRecordLength(keyLength, valueLength) != length)
                {
                    return "invalid key or value length in " + WalRecordDescriptor.typeName(type) + " record";
                }
                return null;
            }
            case WalRecordDescriptor.TYPE_REHASH_BEGIN:
            case WalRecordDescriptor.TYPE_CHECKPOINT:
            case WalRecordDescriptor.TYPE_REHASH_END:
                return length == STRUCTURAL_LENGTH ? null : "invalid structural record length " + length;
            default:
                return "unknown record type " + type;
        }
    }

    // ---------------------------------------------------------------- lifecycle

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
        Table.closeQuietly(channel);
    }
}
