package io.cubby.store;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One segment file's channel and its mapping, and what happens to them over the file's life: forced, pre-faulted,
 * checked for another process's changes, retired, unmapped, closed. {@link SegmentTable} reads and writes the
 * mapped bytes; this class knows nothing of their layout.
 * <p>
 * A mapping is released by the garbage collector once unreachable, except a retired rehash source, which is
 * unmapped explicitly ({@link #unmap}) once no lock-free reader can still be using it (the caller's job). With
 * assertions on, readers check {@link #retired} first (or after {@link #retire}, the test stand-in that keeps the
 * mapping).
 */
final class SegmentMapping implements AutoCloseable
{
    final Path file;
    final boolean readOnly;
    /** The whole file, mapped. */
    final UnsafeBuffer buffer;

    /** The file's identity when mapped, to tell another process's replacement ({@link #changedFile}). */
    private final Object fileKey;
    private final FileChannel channel;
    private final MappedByteBuffer mapping;
    private volatile boolean retired;
    private boolean unmapped;

    /**
     * Map {@code length} bytes of an open file, read-only or read-write.
     *
     * @param fileKey the file's identity when it was opened ({@link Storage#fileKey}), or null if unknown.
     */
    SegmentMapping(final Path file, final Object fileKey, final FileChannel channel, final boolean readOnly,
        final long length) throws IOException
    {
        this.file = file;
        this.fileKey = fileKey;
        this.channel = channel;
        this.readOnly = readOnly;
        mapping = channel.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, length);
        buffer = new UnsafeBuffer(mapping);
    }

    /**
     * One positional write through the channel (not the mapping), which shares the page cache with the mapping: a
     * process kill applies a write within one page whole or not at all.
     */
    void write(final ByteBuffer bytes, final long position) throws IOException
    {
        Storage.writeFully(channel, bytes, position);
    }

    /**
     * Touch every page of the mapping with an atomic add of zero, a write that changes nothing even while a writer
     * fills the file, so that the page is mapped writable before a writer needs it (no first-touch fault then).
     *
     * @param page bytes between touches.
     */
    void prefault(final int page)
    {
        if (readOnly)
        {
            return;
        }
        final int length = buffer.capacity();
        for (long offset = 0; offset <= length - Long.BYTES; offset += page)
        {
            buffer.getAndAddLong((int)offset, 0);
        }
    }

    long length()
    {
        return buffer.capacity();
    }

    /** What another process did to this file (truncated, replaced, deleted), or null: {@link Storage#changedFile}. */
    String changedFile()
    {
        return Storage.changedFile(file, fileKey, length());
    }

    void force()
    {
        if (!readOnly)
        {
            mapping.force();
            CrashPoints.Hook.forced(file);
            CrashPoints.Hook.reached("v2.segment.forced");
        }
    }

    /**
     * Release the mapping now instead of when the garbage collector finds it unreachable. The caller guarantees
     * that nothing reads it afterwards: a read then would be a fault, not an exception. Closes the channel too.
     * Idempotent.
     */
    void unmap()
    {
        retire();
        close();
        if (!unmapped)
        {
            unmapped = true;
            IoUtil.unmap(mapping);
        }
    }

    /** Mark the mapping as no longer readable (assertions on) without unmapping it: the tests' stand-in. */
    void retire()
    {
        retired = true;
        if (!readOnly)
        {
            // a writable table retires only as the source of an ended rehash (read-only ones: recovery's checks)
            CrashPoints.Hook.reached("v2.rehash-end.source-released");
        }
    }

    boolean retired()
    {
        return retired;
    }

    /** Close the channel; the mapping stays valid. */
    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // the mapping stays valid; nothing was lost
        }
    }
}
