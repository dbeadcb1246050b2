package io.cubby.store;

import java.nio.file.Path;

/**
 * Test hook on everything that makes store files durable: {@link #forcing} and {@link #forced} around each force
 * of a file range (mapped or written through a channel) and {@link #directoryForced} after a directory's entries
 * are forced. A power-loss test tracks from them which bytes and which directory entries are on disk, and so which
 * images a power cut at any instant can leave.
 * <p>
 * Unset in production: each force then costs one static field read and a null check.
 */
interface FileEvents
{
    /** Length meaning "to the end of the file". */
    long WHOLE_FILE = Long.MAX_VALUE;

    /**
     * A force of {@code [offset, offset + length)} of {@code file} is about to start.
     */
    void forcing(Path file, long offset, long length);

    /**
     * The force of {@code [offset, offset + length)} of {@code file} has completed: those bytes, as they were
     * when it started, are on disk.
     */
    void forced(Path file, long offset, long length);

    /**
     * The entries of {@code directory} (files created, renamed or deleted in it) have been forced.
     */
    void directoryForced(Path directory);

    /**
     * Where the hook is installed; tests set it before opening a store and clear it afterwards.
     */
    final class Hook
    {
        static FileEvents installed;

        private Hook()
        {
        }

        static void forcing(final Path file, final long offset, final long length)
        {
            final FileEvents hook = installed;
            if (null != hook)
            {
                hook.forcing(file, offset, length);
            }
        }

        static void forced(final Path file, final long offset, final long length)
        {
            final FileEvents hook = installed;
            if (null != hook)
            {
                hook.forced(file, offset, length);
            }
        }

        static void directoryForced(final Path directory)
        {
            final FileEvents hook = installed;
            if (null != hook)
            {
                hook.directoryForced(directory);
            }
        }
    }
}
