package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;

import static io.cubby.store.WalDescriptor.HEADER_LENGTH;
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
 * Reading a log's ring of records (recovery, inspection): from the start offset, each record validated
 * (length, salt, checksum, sequence, fields) before it is handed on, up to the first that is not a record of
 * this lap; damage followed by a valid later record is told apart from a torn tail.
 */
final class WalReader
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

    private final Path file;
    private final UnsafeBuffer buffer;
    private final long capacity;
    private final int salt;
    private final WalChecksum checksum;

    WalReader(final Path file, final UnsafeBuffer buffer, final long capacity, final int salt,
        final WalChecksum checksum)
    {
        this.file = file;
        this.buffer = buffer;
        this.capacity = capacity;
        this.salt = salt;
        this.checksum = checksum;
    }

    private long ringSize()
    {
        return capacity - HEADER_LENGTH;
    }

    /**
     * Read the live records from the start offset, stopping at the first record that fails validation or
     * belongs to an earlier lap of the ring. The end of the last valid record
     * is in the result.
     *
     * @param visitor        receives each valid record except PADDING.
     * @param start          position of the first live record.
     * @param firstSequence  its sequence.
     * @param maxKeyLength   largest valid key length.
     * @param maxValueLength largest valid value length.
     * @param salvage        discard a damaged record in the middle of the log, and all after it, instead of
     *                       refusing.
     * @return what was read, and why reading stopped.
     * @throws CorruptStoreException if a damaged record is followed by a valid later one and salvage is off.
     */
    ReadResult read(
        final RecordVisitor visitor,
        final int start,
        final long firstSequence,
        final int maxKeyLength,
        final int maxValueLength,
        final boolean salvage)
    {
        final ReadResult result = new ReadResult();
        int position = start;
        long expected = firstSequence;
        long consumed = 0;
        while (consumed < ringSize())
        {
            if (position + (long)WalRecordDescriptor.HEADER_LENGTH > capacity)
            {
                consumed += capacity - position;
                position = HEADER_LENGTH;
                continue;
            }
            if (0 == buffer.getInt(position + LENGTH_OFFSET))
            {
                break; // zero means absent: the records end here (read once, so an append racing a reader of a
                       // live log cannot turn the end into damage)
            }
            final String problem = validate(position, expected, maxKeyLength, maxValueLength);
            if (null != problem)
            {
                if (!isCleanEnd(position, expected))
                {
                    result.tailProblem = problem + " at offset " + position;
                }
                break;
            }
            final int length = buffer.getInt(position + LENGTH_OFFSET);
            final int type = buffer.getShort(position + TYPE_OFFSET);
            if (WalRecordDescriptor.TYPE_PADDING != type)
            {
                visitor.onRecord(type, expected, buffer, position, length);
            }
            result.records++;
            consumed += length;
            position += length;
            expected++;
            if (WalRecordDescriptor.TYPE_PADDING == type)
            {
                position = HEADER_LENGTH;
            }
        }
        result.endPosition = position;
        result.nextSequence = expected;
        if (null != result.tailProblem)
        {
            final int later = findLaterValidRecord(expected, maxKeyLength, maxValueLength);
            if (later >= 0 && !salvage)
            {
                throw new CorruptStoreException(file.getFileName() + ": record damaged in the middle of the log (" +
                    result.tailProblem + ") while a valid later record follows at offset " + later +
                    "; refusing to drop logged operations. Open with salvage(true) (cubby recover --salvage) " +
                    "to keep only the records before the damage");
            }
            result.discardedBytes = recordLengthOrZero(position);
        }
        return result;
    }

    private int recordLengthOrZero(final int position)
    {
        final int length = buffer.getInt(position + LENGTH_OFFSET);
        return length > 0 && position + (long)length <= capacity ? length : (int)(capacity - position);
    }

    /**
     * Whether reading stopped on bytes that were never part of this lap: zeros, another salt, or a valid record
     * of an earlier lap (lower sequence).
     */
    private boolean isCleanEnd(final int position, final long expected)
    {
        final int length = buffer.getInt(position + LENGTH_OFFSET);
        if (0 == length || buffer.getInt(position + WalRecordDescriptor.SALT_OFFSET) != salt)
        {
            return true;
        }
        if (length >= WalRecordDescriptor.HEADER_LENGTH && position + (long)length <= capacity &&
            (length & (WalRecordDescriptor.ALIGNMENT - 1)) == 0 &&
            buffer.getInt(position + CHECKSUM_OFFSET) == checksum.recordChecksum(position, length))
        {
            return buffer.getLong(position + SEQUENCE_OFFSET) < expected;
        }
        return false;
    }

    private int findLaterValidRecord(final long expected, final int maxKeyLength, final int maxValueLength)
    {
        for (int p = HEADER_LENGTH; p + WalRecordDescriptor.HEADER_LENGTH <= capacity;
            p += WalRecordDescriptor.ALIGNMENT)
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
        if (buffer.getInt(position + CHECKSUM_OFFSET) != checksum.recordChecksum(position, length))
        {
            return "checksum mismatch";
        }
        final long sequence = buffer.getLong(position + SEQUENCE_OFFSET);
        if (sequence != expected)
        {
            return "sequence " + sequence + " where " + expected + " was expected";
        }
        if (0 != buffer.getShort(position + WalRecordDescriptor.RESERVED_OFFSET))
        {
            return "reserved bytes not zero";
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
                final long expiresAt = buffer.getLong(position + WalRecordDescriptor.EXPIRES_AT_OFFSET);
                if (expiresAt < 0 || (type == WalRecordDescriptor.TYPE_REMOVE && expiresAt != 0))
                {
                    return "invalid expiry time " + expiresAt + " in " + WalRecordDescriptor.typeName(type) +
                        " record";
                }
                for (int p = KEY_OFFSET + keyLength + valueLength; p < length; p++)
                {
                    if (0 != buffer.getByte(position + p))
                    {
                        return "padding not zero in " + WalRecordDescriptor.typeName(type) + " record";
                    }
                }
                return null;
            }
            case WalRecordDescriptor.TYPE_REHASH_BEGIN:
            case WalRecordDescriptor.TYPE_CHECKPOINT:
            case WalRecordDescriptor.TYPE_REHASH_END:
                return length == STRUCTURAL_LENGTH ? WalRecordDescriptor.checkStructural(type,
                    buffer.getLong(position + STRUCTURAL_FIELD_1_OFFSET),
                    buffer.getLong(position + STRUCTURAL_FIELD_2_OFFSET),
                    buffer.getLong(position + STRUCTURAL_FIELD_3_OFFSET)) :
                    "invalid structural record length " + length;
            case WalRecordDescriptor.TYPE_PADDING:
                return position + (long)length == capacity ? null : "padding record not reaching the end of the log";
            default:
                return "unknown record type " + type;
        }
    }
}
