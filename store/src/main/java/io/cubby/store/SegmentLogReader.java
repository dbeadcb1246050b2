package io.cubby.store;

import static io.cubby.store.SegmentLogDescriptor.*;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Reads a version-2 log (FORMAT-v2.md section 7.3): validates the header, then delivers the records from Start
 * Offset in sequence order to a {@link Visitor} and stops at the first record that does not count, saying why.
 * Every length and offset read from the file is checked against the log's capacity before it is used.
 * <p>
 * Errors: a header that cannot be trusted throws {@link CorruptStoreException} (or
 * {@link IncompatibleStoreException} for another log version); records never throw: a record that does not count
 * ends reading with {@link Stop#DAMAGED_TAIL} or {@link Stop#DAMAGED_MIDDLE} and a reason.
 */
final class SegmentLogReader
{
    enum Stop
    {
        /** A zero length or a record of an earlier lap of the ring: a clean end. */
        END,
        /** A record that does not count, and no valid later record: a torn or stale tail. */
        DAMAGED_TAIL,
        /** A record that does not count, followed somewhere by a valid record with a higher sequence. */
        DAMAGED_MIDDLE
    }

    /**
     * Receives the records that count, in order. The buffer and offsets are valid only during the call.
     */
    interface Visitor
    {
        default void put(
            long sequence, DirectBuffer buffer, int keyOffset, int keyLength, int valueOffset, int valueLength,
            long expiresAt)
        {
        }

        default void remove(long sequence, DirectBuffer buffer, int keyOffset, int keyLength)
        {
        }

        default void rehashBegin(
            long sequence, int segment, long targetGeneration, long targetGroupCount, long sourceGeneration)
        {
        }

        default void rehashEnd(long sequence, int segment, long targetGeneration, long sourceGeneration)
        {
        }

        /**
         * @param entriesOffset offset of segment 0's entry; segment {@code s}'s is
         *                      {@code entriesOffset + CHECKPOINT_ENTRY_LENGTH * s} (SegmentLogDescriptor).
         */
        default void checkpoint(long sequence, DirectBuffer buffer, int entriesOffset, int segmentCount)
        {
        }

        default void upgradeBegin(long sequence, long version1Generation, long version1Capacity)
        {
        }

        default void upgradeEnd(long sequence, long version1Generation)
        {
        }
    }

    /** What reading found. */
    static final class Result
    {
        long capacity;
        int salt;
        int startOffset;
        long firstSequence;
        /** Records delivered, PADDING included. */
        long records;
        Stop stop;
        /** Why reading stopped. */
        String reason;
        /** Position of the first record that did not count: where appends continue. */
        int stopPosition;
        /** Sequence expected there: the next one to append. */
        long nextSequence;
        /** With DAMAGED_MIDDLE: position of a valid record with a higher sequence, else -1. */
        int laterValidPosition = -1;
        /** Whether the header's Log State said closed: nothing was read after the header. */
        boolean closed;
        /** Ring positions whose record framing was examined (records read, the scan's positions included). */
        long examined;

        @Override
        public String toString()
        {
            return stop + " after " + records + " records at offset " + stopPosition + " (sequence " + nextSequence +
                "): " + reason;
        }
    }

    private final DirectBuffer buffer;
    private final SegmentParams params;
    private final String name;
    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[CHECKSUM_CHUNK];
    private long capacity;
    private int salt;

    private SegmentLogReader(final DirectBuffer buffer, final SegmentParams params, final String name)
    {
        this.buffer = buffer;
        this.params = params;
        this.name = name;
    }

    /** Read the log file {@code file} (mapped read-only for the call). */
    static Result read(final Path file, final SegmentParams params, final Visitor visitor) throws IOException
    {
        Storage.requireRegularFile(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long size = channel.size();
            if (size < HEADER_LENGTH || size > MAX_CAPACITY)
            {
                throw new CorruptStoreException(file.getFileName() + ": log length " + size + " out of range");
            }
            // the header first, from a read: after a clean close (Log State closed) it is all there is to read
            final java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(HEADER_LENGTH);
            while (header.hasRemaining() && channel.read(header, header.position()) >= 0)
            {
                // until the header is read whole (size checked above)
            }
            final SegmentLogReader reader = new SegmentLogReader(new UnsafeBuffer(header), params,
                file.getFileName().toString());
            final Result result = new Result();
            reader.readHeader(result, size);
            if (result.closed)
            {
                reader.readRecords(result, visitor);
                return result;
            }
            final UnsafeBuffer mapped = new UnsafeBuffer(channel.map(FileChannel.MapMode.READ_ONLY, 0, size));
            return read(mapped, params, visitor, file.getFileName().toString());
        }
    }

    /**
     * Read a log whose whole file is {@code buffer} (its capacity is the file length).
     */
    static Result read(final DirectBuffer buffer, final SegmentParams params, final Visitor visitor, final String name)
    {
        final SegmentLogReader reader = new SegmentLogReader(buffer, params, name);
        final Result result = new Result();
        reader.readHeader(result, buffer.capacity());
        reader.readRecords(result, visitor);
        return result;
    }

    private CorruptStoreException corrupt(final String problem)
    {
        return new CorruptStoreException(name + ": " + problem);
    }

    /** Validate the header (in {@code buffer}'s first bytes) of a log file of {@code length} bytes. */
    private void readHeader(final Result result, final long length)
    {
        if (length < HEADER_LENGTH)
        {
            throw corrupt("log of " + length + " bytes, shorter than its header");
        }
        if (buffer.getLong(MAGIC_OFFSET, LE) != MAGIC)
        {
            throw corrupt("not a log (bad magic)");
        }
        if (headerChecksum(buffer, crc, scratch) != buffer.getInt(HEADER_CHECKSUM_OFFSET, LE))
        {
            throw corrupt("log header checksum mismatch");
        }
        final int version = buffer.getInt(VERSION_OFFSET, LE);
        if (version != VERSION)
        {
            throw new IncompatibleStoreException(name + ": log version " + version + ", expected " + VERSION);
        }
        final int headerLength = buffer.getInt(HEADER_LENGTH_OFFSET, LE);
        if (headerLength != HEADER_LENGTH)
        {
            throw corrupt("log header length " + headerLength);
        }
        capacity = buffer.getLong(CAPACITY_OFFSET, LE);
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || capacity % ALIGNMENT != 0)
        {
            throw corrupt("log capacity " + capacity + " out of range");
        }
        if (capacity != length)
        {
            throw corrupt("log file of " + length + " bytes, header says " + capacity);
        }
        if (buffer.getLong(STORE_SEED_OFFSET, LE) != params.seed)
        {
            throw corrupt("log of another store (seed differs)");
        }
        salt = buffer.getInt(SALT_OFFSET, LE);
        if (0 == salt)
        {
            throw corrupt("log salt 0");
        }
        final long start = buffer.getLong(START_OFFSET_OFFSET, LE);
        if (start < HEADER_LENGTH || start > capacity - RECORD_HEADER_LENGTH || start % ALIGNMENT != 0)
        {
            throw corrupt("log start offset " + start + " out of range");
        }
        final long first = buffer.getLong(FIRST_SEQUENCE_OFFSET, LE);
        if (first < 1)
        {
            throw corrupt("log first sequence " + first);
        }
        final int state = buffer.getInt(LOG_STATE_OFFSET, LE);
        if (LOG_STATE_LIVE != state && LOG_STATE_CLOSED != state)
        {
            throw corrupt("log state " + state + " out of range");
        }
        result.closed = LOG_STATE_CLOSED == state;
        result.capacity = capacity;
        result.salt = salt;
        result.startOffset = (int)start;
        result.firstSequence = first;
    }

    private void readRecords(final Result result, final Visitor visitor)
    {
        if (result.closed)
        {
            // A clean close checkpointed to the append position before it wrote this state, and a writer clears
            // it (forced) before its first append: nothing from Start Offset on counts, so nothing is read.
            result.stop = Stop.END;
            result.reason = "closed cleanly: no live record";
            result.stopPosition = result.startOffset;
            result.nextSequence = result.firstSequence;
            return;
        }
        int position = result.startOffset;
        long expected = result.firstSequence;
        while (true)
        {
            if (capacity - position < RECORD_HEADER_LENGTH)
            {
                position = HEADER_LENGTH;
            }
            final int length = buffer.getInt(position + RECORD_LENGTH_OFFSET, LE);
            result.examined++;
            final String problem;
            if (0 == length)
            {
                result.stop = Stop.END;
                problem = "end of the log";
            }
            else
            {
                problem = validate(position, expected);
            }
            if (null != problem)
            {
                if (null == result.stop && isEarlierLap(position, expected))
                {
                    result.stop = Stop.END;
                    result.reason = "end of the log (record of an earlier lap)";
                }
                else
                {
                    result.reason = problem;
                }
                final int later = findLaterValidRecord(expected, result);
                if (later >= 0)
                {
                    result.stop = Stop.DAMAGED_MIDDLE;
                    result.laterValidPosition = later;
                    if (0 == length)
                    {
                        result.reason = "zero record length";
                    }
                }
                else if (null == result.stop)
                {
                    result.stop = Stop.DAMAGED_TAIL;
                }
                result.stopPosition = position;
                result.nextSequence = expected;
                return;
            }
            deliver(position, length, expected, visitor);
            result.records++;
            expected++;
            final int type = buffer.getShort(position + TYPE_OFFSET, LE);
            position = TYPE_PADDING == type ? HEADER_LENGTH : position + length;
        }
    }

    /** A record with valid framing and checksum whose sequence is lower than expected. */
    private boolean isEarlierLap(final int position, final long expected)
    {
        final long sequence = buffer.getLong(position + SEQUENCE_OFFSET, LE);
        return sequence < expected && null == validate(position, sequence);
    }

    private int findLaterValidRecord(final long expected, final Result result)
    {
        for (int p = HEADER_LENGTH; p <= capacity - RECORD_HEADER_LENGTH; p += ALIGNMENT)
        {
            result.examined++;
            if (buffer.getInt(p + RECORD_SALT_OFFSET, LE) != salt)
            {
                continue;
            }
            final long sequence = buffer.getLong(p + SEQUENCE_OFFSET, LE);
            if (sequence > expected && null == validate(p, sequence))
            {
                return p;
            }
        }
        return -1;
    }

    /**
     * Whether the record at {@code position} (at least a record header's bytes before the end) counts with
     * sequence {@code expected}.
     *
     * @return null if it does, else the problem.
     */
    private String validate(final int position, final long expected)
    {
        final int length = buffer.getInt(position + RECORD_LENGTH_OFFSET, LE);
        if (length < RECORD_HEADER_LENGTH || length % ALIGNMENT != 0 || position + (long)length > capacity)
        {
            return "record length " + length + " at offset " + position;
        }
        if (buffer.getInt(position + RECORD_SALT_OFFSET, LE) != salt)
        {
            return "record of another log (salt) at offset " + position;
        }
        if (recordChecksum(buffer, position, length, crc, scratch) != buffer.getInt(position + CHECKSUM_OFFSET, LE))
        {
            return "record checksum mismatch at offset " + position;
        }
        final long sequence = buffer.getLong(position + SEQUENCE_OFFSET, LE);
        if (sequence != expected)
        {
            return "record sequence " + sequence + " at offset " + position + ", expected " + expected;
        }
        final String problem = SegmentLogDescriptor.check(buffer, position, length, capacity, params);
        return null == problem ? null : problem + " at offset " + position;
    }

    private void deliver(final int position, final int length, final long sequence, final Visitor visitor)
    {
        final int type = buffer.getShort(position + TYPE_OFFSET, LE);
        switch (type)
        {
            case TYPE_PUT:
            {
                final int keyLength = buffer.getInt(position + KEY_LENGTH_OFFSET, LE);
                visitor.put(sequence, buffer, position + KEY_OFFSET, keyLength, position + KEY_OFFSET + keyLength,
                    buffer.getInt(position + VALUE_LENGTH_OFFSET, LE), buffer.getLong(position + EXPIRES_AT_OFFSET, LE));
                break;
            }
            case TYPE_REMOVE:
                visitor.remove(sequence, buffer, position + KEY_OFFSET, buffer.getInt(position + KEY_LENGTH_OFFSET, LE));
                break;
            case TYPE_SEGMENT_REHASH_BEGIN:
                visitor.rehashBegin(sequence, buffer.getInt(position + REHASH_SEGMENT_OFFSET, LE),
                    buffer.getLong(position + REHASH_TARGET_GENERATION_OFFSET, LE),
                    buffer.getLong(position + REHASH_FIELD_2_OFFSET, LE),
                    buffer.getLong(position + REHASH_FIELD_3_OFFSET, LE));
                break;
            case TYPE_SEGMENT_REHASH_END:
                visitor.rehashEnd(sequence, buffer.getInt(position + REHASH_SEGMENT_OFFSET, LE),
                    buffer.getLong(position + REHASH_TARGET_GENERATION_OFFSET, LE),
                    buffer.getLong(position + REHASH_FIELD_2_OFFSET, LE));
                break;
            case TYPE_CHECKPOINT:
                visitor.checkpoint(sequence, buffer, position + CHECKPOINT_ENTRIES_OFFSET,
                    buffer.getInt(position + CHECKPOINT_SEGMENT_COUNT_OFFSET, LE));
                break;
            case TYPE_UPGRADE_BEGIN:
                visitor.upgradeBegin(sequence, buffer.getLong(position + UPGRADE_GENERATION_OFFSET, LE),
                    buffer.getLong(position + UPGRADE_FIELD_2_OFFSET, LE));
                break;
            case TYPE_UPGRADE_END:
                visitor.upgradeEnd(sequence, buffer.getLong(position + UPGRADE_GENERATION_OFFSET, LE));
                break;
            default:
                break; // PADDING
        }
    }
}
