package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
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

/**
 * The header of the log file ({@link WalDescriptor}): its fields written together with their checksum, and
 * read with a plain file read and validated field by field before the log is mapped.
 */
final class WalHeader
{
    /** Largest first sequence accepted: sequences can then never overflow. */
    static final long MAX_SEQUENCE = 1L << 62;

    private WalHeader()
    {
    }

    /**
     * Read a log's header from its channel and validate it.
     *
     * @param file      the log file, for messages.
     * @param channel   the open log file.
     * @param storeSeed the seed of the store the log must belong to.
     * @return the header's bytes.
     * @throws CorruptStoreException or {@link IncompatibleStoreException} naming the first problem found.
     */
    static UnsafeBuffer read(final Path file, final FileChannel channel, final long storeSeed)
        throws IOException
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
        if (0 == h.getInt(SALT_OFFSET))
        {
            throw new CorruptStoreException(name + ": invalid salt 0");
        }
        if (0 != h.getInt(WalDescriptor.RESERVED_OFFSET) || 0 != h.getInt(WalDescriptor.PADDING_OFFSET))
        {
            throw new CorruptStoreException(name + ": reserved header bytes are not zero");
        }
        if (h.getLong(FIRST_SEQUENCE_OFFSET) < 1 || h.getLong(FIRST_SEQUENCE_OFFSET) > MAX_SEQUENCE)
        {
            throw new CorruptStoreException(name + ": invalid first sequence " + h.getLong(FIRST_SEQUENCE_OFFSET));
        }
        final long startOffset = h.getLong(WalDescriptor.START_OFFSET_OFFSET);
        if (startOffset < HEADER_LENGTH || startOffset + WalRecordDescriptor.HEADER_LENGTH > capacity ||
            (startOffset & (WalRecordDescriptor.ALIGNMENT - 1)) != 0)
        {
            throw new CorruptStoreException(name + ": invalid start offset " + startOffset);
        }
        return h;
    }

    static void writeHeaderFields(
        final UnsafeBuffer h,
        final long capacity,
        final long storeSeed,
        final int salt,
        final int start,
        final long firstSequence)
    {
        h.putLong(MAGIC_OFFSET, MAGIC);
        h.putInt(VERSION_OFFSET, WalDescriptor.VERSION);
        h.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        h.putLong(CAPACITY_OFFSET, capacity);
        h.putLong(STORE_SEED_OFFSET, storeSeed);
        h.putInt(SALT_OFFSET, salt);
        h.putInt(WalDescriptor.RESERVED_OFFSET, 0);
        h.putLong(WalDescriptor.START_OFFSET_OFFSET, start);
        h.putLong(FIRST_SEQUENCE_OFFSET, firstSequence);
        h.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(h));
    }

    static int headerChecksum(final DirectBuffer h)
    {
        final byte[] bytes = new byte[HEADER_CHECKSUM_OFFSET];
        h.getBytes(0, bytes);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }
}
