package io.cubby.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import static org.agrona.BitUtil.SIZE_OF_INT;
import static org.agrona.BitUtil.SIZE_OF_LONG;

/**
 * Layout of the upgrade marker, {@code upgrade-v2.ready} in the store directory (FORMAT-v2.md section 10.1):
 * written once the version-2 copy of a version-1 store is complete and durable in the staging directory
 * {@code .upgrade-v2}; while it exists, the store is between versions and only the upgrade opens it (to finish).
 * All integers are little-endian.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "CUBBYUPG"                       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                          Version (1)                          |
 *  +---------------------------------------------------------------+
 *  |                   Table Count (1 or 2)                        |
 *  +---------------------------------------------------------------+
 *  |                 Current Table Generation (v1)                 |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          Source Table Generation (v1; 0 if none)              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       Entries copied                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Created (epoch millis)                     |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               Checksum (CRC32C of bytes 0 .. 47)              |
 *  +---------------------------------------------------------------+
 *  |                Reserved (12 bytes, must be zero)             ...
 *  +---------------------------------------------------------------+  64
 * </pre>
 */
final class UpgradeMarkerDescriptor
{
    static final String STAGING_DIRECTORY = ".upgrade-v2";
    static final String FILE_NAME = "upgrade-v2.ready";
    static final String TEMPORARY_FILE_NAME = FILE_NAME + ".tmp";

    static final long MAGIC = 0x4750555942425543L; // "CUBBYUPG" little-endian
    static final int VERSION = 1;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = MAGIC_OFFSET + SIZE_OF_LONG;
    static final int TABLE_COUNT_OFFSET = VERSION_OFFSET + SIZE_OF_INT;
    static final int CURRENT_GENERATION_OFFSET = TABLE_COUNT_OFFSET + SIZE_OF_INT;
    static final int SOURCE_GENERATION_OFFSET = CURRENT_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int ENTRIES_OFFSET = SOURCE_GENERATION_OFFSET + SIZE_OF_LONG;
    static final int CREATED_OFFSET = ENTRIES_OFFSET + SIZE_OF_LONG;
    static final int CHECKSUM_OFFSET = CREATED_OFFSET + SIZE_OF_LONG;
    static final int RESERVED_OFFSET = CHECKSUM_OFFSET + SIZE_OF_INT;
    static final int LENGTH = 64;

    private UpgradeMarkerDescriptor()
    {
    }

    /** What a marker says. */
    record Marker(long currentGeneration, long sourceGeneration, long entries, long createdMillis)
    {
    }

    static ByteBuffer encode(final Marker marker)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putInt(TABLE_COUNT_OFFSET, 0 == marker.sourceGeneration ? 1 : 2);
        buffer.putLong(CURRENT_GENERATION_OFFSET, marker.currentGeneration);
        buffer.putLong(SOURCE_GENERATION_OFFSET, marker.sourceGeneration);
        buffer.putLong(ENTRIES_OFFSET, marker.entries);
        buffer.putLong(CREATED_OFFSET, marker.createdMillis);
        buffer.putInt(CHECKSUM_OFFSET, checksum(buffer));
        return buffer;
    }

    /**
     * @param bytes the marker file's bytes.
     * @return the marker, every field validated.
     * @throws CorruptStoreException naming the field that is wrong.
     */
    static Marker decode(final byte[] bytes, final String file)
    {
        if (bytes.length != LENGTH)
        {
            throw new CorruptStoreException(file + " is " + bytes.length + " bytes long, not " + LENGTH);
        }
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (buffer.getLong(MAGIC_OFFSET) != MAGIC)
        {
            throw new CorruptStoreException(file + " is not an upgrade marker (bad magic)");
        }
        if (buffer.getInt(CHECKSUM_OFFSET) != checksum(buffer))
        {
            throw new CorruptStoreException(file + ": checksum mismatch");
        }
        if (buffer.getInt(VERSION_OFFSET) != VERSION)
        {
            throw new IncompatibleStoreException(file + " has marker version " + buffer.getInt(VERSION_OFFSET) +
                "; this version reads " + VERSION);
        }
        final int tables = buffer.getInt(TABLE_COUNT_OFFSET);
        final long current = buffer.getLong(CURRENT_GENERATION_OFFSET);
        final long source = buffer.getLong(SOURCE_GENERATION_OFFSET);
        final long entries = buffer.getLong(ENTRIES_OFFSET);
        if (current <= 0 || source < 0 || (tables != (0 == source ? 1 : 2)) || (0 != source && source >= current) ||
            entries < 0)
        {
            throw new CorruptStoreException(file + ": inconsistent fields (tables " + tables + ", generations " +
                current + "/" + source + ", entries " + entries + ")");
        }
        for (int i = RESERVED_OFFSET; i < LENGTH; i++)
        {
            if (0 != bytes[i])
            {
                throw new CorruptStoreException(file + ": reserved byte " + i + " is not zero");
            }
        }
        return new Marker(current, source, entries, buffer.getLong(CREATED_OFFSET));
    }

    private static int checksum(final ByteBuffer buffer)
    {
        final CRC32C crc = new CRC32C();
        crc.update(buffer.array(), buffer.arrayOffset(), CHECKSUM_OFFSET);
        return (int)crc.getValue();
    }
}
