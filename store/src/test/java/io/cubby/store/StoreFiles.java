package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Byte-editing helpers for corruption tests: fields rewritten with their checksums recomputed (so the validation
 * behind the checksum is what is tested), and directory fingerprints to prove a failed open changed nothing.
 */
final class StoreFiles
{
    /** Table header fields: offset and size. */
    static final int[][] TABLE_FIELDS = {
        { TableDescriptor.READ_VERSION_OFFSET, 4 }, { TableDescriptor.WRITE_VERSION_OFFSET, 4 },
        { TableDescriptor.HEADER_LENGTH_OFFSET, 4 }, { TableDescriptor.SLOT_LENGTH_OFFSET, 4 },
        { TableDescriptor.MAX_KEY_LENGTH_OFFSET, 4 }, { TableDescriptor.MAX_VALUE_LENGTH_OFFSET, 4 },
        { TableDescriptor.CAPACITY_OFFSET, 8 }, { TableDescriptor.PROBING_OFFSET, 4 },
        { TableDescriptor.HASH_ALGORITHM_OFFSET, 4 }, { TableDescriptor.HASH_SEED_OFFSET, 8 },
        { TableDescriptor.GENERATION_OFFSET, 8 }, { TableDescriptor.SOURCE_GENERATION_OFFSET, 8 },
        { TableDescriptor.SOURCE_CAPACITY_OFFSET, 8 }, { TableDescriptor.MAX_LOAD_OFFSET, 4 },
        { TableDescriptor.FLAGS_OFFSET, 4 }, { TableDescriptor.CREATED_OFFSET, 8 },
        { TableDescriptor.ENTRY_COUNT_OFFSET, 8 }, { TableDescriptor.TOMBSTONE_COUNT_OFFSET, 8 },
        { TableDescriptor.MIGRATION_CURSOR_OFFSET, 8 }, { TableDescriptor.OPEN_STATE_OFFSET, 4 },
        { TableDescriptor.UNDO_SLOT_INDEX_OFFSET, 8 }, { TableDescriptor.UNDO_CHECKSUM_OFFSET, 4 },
    };

    /** Log record fields: offset within the record and size. */
    static final int[][] RECORD_FIELDS = {
        { WalRecordDescriptor.LENGTH_OFFSET, 4 }, { WalRecordDescriptor.TYPE_OFFSET, 2 },
        { WalRecordDescriptor.RESERVED_OFFSET, 2 }, { WalRecordDescriptor.SEQUENCE_OFFSET, 8 },
        { WalRecordDescriptor.KEY_LENGTH_OFFSET, 4 }, { WalRecordDescriptor.VALUE_LENGTH_OFFSET, 4 },
        { WalRecordDescriptor.EXPIRES_AT_OFFSET, 8 }, { WalRecordDescriptor.STRUCTURAL_FIELD_3_OFFSET, 8 },
    };

    static final long[] INTERESTING = { 0, 1, -1, 2, 7, 16, 17, 31, 32, 33, 64, 1000, Integer.MAX_VALUE,
        Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 34, (1L << 34) + 1 };

    private StoreFiles()
    {
    }

    /**
     * Write a little-endian integer of 2, 4 or 8 bytes.
     */
    static void put(final Path file, final long offset, final int size, final long value) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        switch (size)
        {
            case 2:
                bytes.putShort(0, (short)value);
                break;
            case 4:
                bytes.putInt(0, (int)value);
                break;
            default:
                bytes.putLong(0, value);
                break;
        }
        StoreFiles.write(file, offset, bytes);
    }


    static void putInt(final Path file, final long offset, final int value) throws IOException
    {
        write(file, offset, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
    }

    static void putLong(final Path file, final long offset, final long value) throws IOException
    {
        write(file, offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    static void putShort(final Path file, final long offset, final short value) throws IOException
    {
        write(file, offset, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, value));
    }

    static int getInt(final Path file, final long offset) throws IOException
    {
        return read(file, offset, 4).getInt(0);
    }

    static long getLong(final Path file, final long offset) throws IOException
    {
        return read(file, offset, 8).getLong(0);
    }

    static void write(final Path file, final long offset, final ByteBuffer bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer b = bytes.duplicate().clear();
            while (b.hasRemaining())
            {
                channel.write(b, offset + b.position());
            }
        }
    }

    static ByteBuffer read(final Path file, final long offset, final int length) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            while (bytes.hasRemaining() && channel.read(bytes, offset + bytes.position()) > 0)
            {
                // keep reading
            }
        }
        return bytes.rewind();
    }

    /**
     * Recompute a table header's checksum (CRC32C of its immutable bytes) after a field was rewritten.
     */
    static void fixTableHeaderChecksum(final Path file) throws IOException
    {
        final ByteBuffer header = read(file, 0, TableDescriptor.HEADER_CHECKSUM_OFFSET);
        final int checksum = TableHeader.headerChecksum(new UnsafeBuffer(header), TableDescriptor.MAGIC);
        putInt(file, TableDescriptor.HEADER_CHECKSUM_OFFSET, checksum);
    }

    /**
     * Recompute the log header's checksum.
     */
    static void fixLogHeaderChecksum(final Path file) throws IOException
    {
        final byte[] header = new byte[WalDescriptor.HEADER_CHECKSUM_OFFSET];
        read(file, 0, header.length).get(header);
        final CRC32C crc = new CRC32C();
        crc.update(header);
        putInt(file, WalDescriptor.HEADER_CHECKSUM_OFFSET, (int)crc.getValue());
    }

    /**
     * Positions of the records from the log start up to the first zero length (logs in tests do not wrap).
     */
    static List<Integer> logRecords(final Path file) throws IOException
    {
        final List<Integer> positions = new ArrayList<>();
        final long size = Files.size(file);
        long position = getLong(file, WalDescriptor.START_OFFSET_OFFSET);
        if (position < WalDescriptor.HEADER_LENGTH || position > size)
        {
            return positions; // a damaged start offset: no records to find
        }
        while (position + WalRecordDescriptor.HEADER_LENGTH <= size)
        {
            final int length = getInt(file, position + WalRecordDescriptor.LENGTH_OFFSET);
            if (length < WalRecordDescriptor.HEADER_LENGTH || position + length > size)
            {
                break;
            }
            positions.add((int)position);
            position += length;
        }
        return positions;
    }

    static short recordType(final Path file, final int position) throws IOException
    {
        return read(file, position + WalRecordDescriptor.TYPE_OFFSET, 2).getShort(0);
    }

    /**
     * Recompute a log record's CRC32C after a field was rewritten.
     */
    static void fixRecordChecksum(final Path file, final int position) throws IOException
    {
        final int length = getInt(file, position + WalRecordDescriptor.LENGTH_OFFSET);
        final byte[] record = new byte[length];
        read(file, position, length).get(record);
        final CRC32C crc = new CRC32C();
        crc.update(record, 0, WalRecordDescriptor.CHECKSUM_OFFSET);
        crc.update(record, WalRecordDescriptor.SEQUENCE_OFFSET, length - WalRecordDescriptor.SEQUENCE_OFFSET);
        putInt(file, position + WalRecordDescriptor.CHECKSUM_OFFSET, (int)crc.getValue());
    }

    /**
     * Name and SHA-256 of every file in a store directory except the lock file (whose content is the pid of the
     * last opener, for messages only).
     */
    static Map<String, String> fingerprint(final Path dir)
    {
        final Map<String, String> files = new TreeMap<>();
        if (!Files.isDirectory(dir))
        {
            return files;
        }
        try (Stream<Path> list = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)list::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.equals(StoreLock.FILE_NAME))
                {
                    continue;
                }
                files.put(name, Files.isRegularFile(file) ? sha256(file) : "not a regular file");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return files;
    }

    private static String sha256(final Path file) throws IOException
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Slot index of a key in a table file, or -1.
     */
    static long slotOf(final Path tableFile, final byte[] key) throws IOException
    {
        final Table table = Table.open(tableFile, true);
        try
        {
            final UnsafeBuffer k = new UnsafeBuffer(key);
            return table.find(table.hash(k, 0, key.length), k, 0, key.length);
        }
        finally
        {
            table.close();
        }
    }

    /**
     * Offset in the file of a slot.
     */
    static long slotOffset(final Path tableFile, final long index) throws IOException
    {
        final int headerLength = getInt(tableFile, TableDescriptor.HEADER_LENGTH_OFFSET);
        final int slotLength = getInt(tableFile, TableDescriptor.SLOT_LENGTH_OFFSET);
        return headerLength + index * slotLength;
    }
}
