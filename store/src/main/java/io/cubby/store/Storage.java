package io.cubby.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.StandardOpenOption;

/**
 * File system helpers.
 */
final class Storage
{
    private Storage()
    {
    }

    /**
     * Force a directory's entries (created, renamed or deleted files) to disk. Best effort on file systems that
     * do not support opening a directory.
     */
    static void syncDirectory(final Path directory)
    {
        if (null == directory)
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
            FileEvents.Hook.directoryForced(directory);
        }
        catch (final IOException ignore)
        {
            // some file systems refuse to open directories; their metadata is then synchronous anyway
        }
    }

    /**
     * Refuse to open anything but a regular file: opening a FIFO blocks until a writer appears (forever), and a
     * directory, socket or device is no store file either. Symbolic links are not followed. A missing file
     * passes (the open that follows reports it).
     *
     * @return the file's identity ({@link #fileKey}), from the same {@code stat}: null for a missing file or where
     * the file system has none.
     * @throws CorruptStoreException naming the file and what it is.
     */
    static Object requireRegularFile(final Path file)
    {
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot read the attributes of " + file + ": " + ex.getMessage(), ex);
        }
        if (!attributes.isRegularFile())
        {
            throw new CorruptStoreException(file + " is " + kind(attributes) + ", not a regular file; refusing to " +
                "open it (remove or rename it)");
        }
        return attributes.fileKey();
    }

    private static String kind(final BasicFileAttributes attributes)
    {
        if (attributes.isDirectory())
        {
            return "a directory";
        }
        if (attributes.isSymbolicLink())
        {
            return "a symbolic link";
        }
        return "a FIFO, socket or device";
    }

    /**
     * Identity of a file (device and inode on Unix), or null where the file system has none.
     */
    static Object fileKey(final Path file) throws IOException
    {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    /**
     * What another process did to a file the store has mapped: null while the path still names the same file at
     * least as long as the mapping, else a sentence naming the file.
     *
     * @param file    path of the mapped file.
     * @param fileKey its {@link #fileKey} when it was mapped.
     * @param length  bytes mapped.
     */
    static String changedFile(final Path file, final Object fileKey, final long length)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (null != fileKey && !fileKey.equals(attributes.fileKey()))
            {
                return file.getFileName() + " was replaced by another file while the store had it open";
            }
            if (attributes.size() < length)
            {
                return file.getFileName() + " was truncated while the store had it open (" + attributes.size() +
                    " of " + length + " bytes left)";
            }
            return null;
        }
        catch (final NoSuchFileException ex)
        {
            return file.getFileName() + " was deleted while the store had it open";
        }
        catch (final IOException ex)
        {
            return "cannot check " + file.getFileName() + ": " + ex.getMessage();
        }
    }

    /**
     * Create a sparse file of the given length after checking that the file system has room for all of it.
     */
    static void createSparse(final Path file, final long length) throws IOException
    {
        final long usable = Files.getFileStore(file.getParent()).getUsableSpace();
        if (usable < length)
        {
            throw new IOException("No space left on device: " + length + " bytes needed for " + file.getFileName() +
                ", " + usable + " usable");
        }
        Files.deleteIfExists(file);
        try (FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.allocate(1), length - 1);
        }
    }

    /**
     * Create a file of the given length whose blocks are allocated (unlike a sparse file): with {@code fallocate}
     * where the system has it (no data written, nothing in the page cache), else by writing zeros. Deletes the
     * file and throws if the disk is full.
     */
    static void preallocate(final Path file, final long length) throws IOException
    {
        Files.deleteIfExists(file);
        if (allocateBlocks(file, length))
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            long position = 0;
            while (position < length)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), length - position));
                position += channel.write(zeros, position);
            }
            forceChannel(channel, file);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(file);
            throw ex;
        }
    }

    /**
     * {@link Fallocate#allocate}, or false where it cannot be loaded (JNA missing from the class or module path).
     */
    private static boolean allocateBlocks(final Path file, final long length) throws IOException
    {
        try
        {
            return Fallocate.allocate(file, length);
        }
        catch (final LinkageError ex)
        {
            Files.deleteIfExists(file);
            return false;
        }
    }

    /**
     * Force a file written through a channel, telling the {@link FileEvents} hook.
     */
    static void forceChannel(final FileChannel channel, final Path file) throws IOException
    {
        FileEvents.Hook.forcing(file, 0, FileEvents.WHOLE_FILE);
        channel.force(true);
        FileEvents.Hook.forced(file, 0, FileEvents.WHOLE_FILE);
    }

    static void writeFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long p = position;
        while (buffer.hasRemaining())
        {
            p += channel.write(buffer, p);
        }
    }

    static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignore)
        {
            // best effort while already failing
        }
    }
}
