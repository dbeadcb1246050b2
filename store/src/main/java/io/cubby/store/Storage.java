package io.cubby.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
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
        }
        catch (final IOException ignore)
        {
            // some file systems refuse to open directories; their metadata is then synchronous anyway
        }
    }
}
