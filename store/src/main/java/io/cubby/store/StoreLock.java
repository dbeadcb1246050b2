package io.cubby.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The store's lock file, {@code cubby.lock}: an exclusive OS file lock for a writable store, a shared one for a
 * read-only store. The holder's process id is written into the file so the error can name it.
 */
final class StoreLock implements AutoCloseable
{
    static final String FILE_NAME = "cubby.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(final FileChannel channel, final FileLock lock)
    {
        this.channel = channel;
        this.lock = lock;
    }

    static StoreLock acquire(final Path directory, final boolean shared)
    {
        final Path file = directory.resolve(FILE_NAME);
        try
        {
            Storage.requireRegularFile(file);
        }
        catch (final CorruptStoreException ex)
        {
            throw new StoreIOException("cannot open lock file: " + ex.getMessage(), ex);
        }
        FileChannel channel = null;
        try
        {
            // A shared lock needs only read access, so read-only stores work on read-only media.
            if (shared && !Files.exists(file))
            {
                try
                {
                    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                }
                catch (final IOException ex)
                {
                    // A read-only file system, or a directory this user cannot write: no writer can have the
                    // store open through a lock file that does not exist and cannot be created here, so a
                    // read-only open goes ahead without a lock (reads are checksummed in any case).
                    if (Files.exists(file))
                    {
                        throw ex;
                    }
                    Cubby.LOGGER.log(System.Logger.Level.DEBUG, () -> "opening " + directory +
                        " read-only without a lock: cannot create " + file + " (" + ex.getMessage() + ")");
                    return new StoreLock(null, null);
                }
            }
            else
            {
                channel = shared ?
                    FileChannel.open(file, StandardOpenOption.READ) :
                    FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            final FileLock lock;
            try
            {
                lock = channel.tryLock(0, Long.MAX_VALUE, shared);
            }
            catch (final OverlappingFileLockException ex)
            {
                throw new StoreLockedException("store " + directory + " is already open in this process (lock " +
                    file + " is held)", ex);
            }
            if (null == lock)
            {
                throw new StoreLockedException("store " + directory + " is locked by another process" +
                    holder(file) + " (lock file " + file + ")");
            }
            if (!shared)
            {
                final byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(pid), 0);
            }
            return new StoreLock(channel, lock);
        }
        catch (final IOException ex)
        {
            if (null != channel)
            {
                Table.closeQuietly(channel);
            }
            throw new StoreIOException("cannot open lock file " + file + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            if (null != channel)
            {
                Table.closeQuietly(channel);
            }
            throw ex;
        }
    }

    /**
     * Whether another process holds the lock of a store directory, tested without keeping any lock.
     */
    static boolean isLockedElsewhere(final Path directory)
    {
        final Path file = directory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final FileLock lock = channel.tryLock(0, Long.MAX_VALUE, true);
            if (null == lock)
            {
                return true;
            }
            lock.release();
            return false;
        }
        catch (final OverlappingFileLockException ex)
        {
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static String holder(final Path file)
    {
        try
        {
            final String pid = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
            return pid.matches("[0-9]{1,10}") ? " (pid " + pid + ")" : "";
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    @Override
    public void close()
    {
        if (null == lock)
        {
            return;
        }
        try
        {
            lock.release();
        }
        catch (final IOException ignore)
        {
            // closing the channel releases it as well
        }
        Table.closeQuietly(channel);
    }
}
