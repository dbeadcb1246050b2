package io.cubby.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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
