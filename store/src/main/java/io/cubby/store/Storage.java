package io.cubby.store;

import java.io.IOException;
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
     * @throws CorruptStoreException naming the file and what it is.
     */
    static void requireRegularFile(final Path file)
    {
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException ex)
        {
            return;
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
}
