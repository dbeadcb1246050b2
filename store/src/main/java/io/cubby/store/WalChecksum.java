package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.zip.CRC32C;

import static io.cubby.store.WalRecordDescriptor.CHECKSUM_OFFSET;
import static io.cubby.store.WalRecordDescriptor.SEQUENCE_OFFSET;

/**
 * The CRC32C of a log record ({@link WalRecordDescriptor}): every byte of the record but its Checksum field.
 * Not thread-safe: used by the appender under the store's write lock, and by the reader before any append.
 */
final class WalChecksum
{
    private final UnsafeBuffer buffer;
    private final CRC32C crc = new CRC32C();
    /** Heap copy of the record being checksummed; grows to the longest record seen. */
    private byte[] crcScratch = new byte[256];

    WalChecksum(final UnsafeBuffer buffer)
    {
        this.buffer = buffer;
    }

    /**
     * CRC32C of a record, computed over a heap copy: the CRC32C intrinsic reading the mapping directly would crash
     * the JVM with SIGBUS if another process truncated the log, whereas the copy (an {@code Unsafe} access) turns
     * that fault into an {@link InternalError} the store reports.
     */
    int recordChecksum(final int position, final int length)
    {
        if (crcScratch.length < length)
        {
            crcScratch = new byte[Math.max(length, crcScratch.length * 2)];
        }
        buffer.getBytes(position, crcScratch, 0, length);
        crc.reset();
        crc.update(crcScratch, 0, CHECKSUM_OFFSET);
        crc.update(crcScratch, SEQUENCE_OFFSET, length - SEQUENCE_OFFSET);
        return (int)crc.getValue();
    }
}
