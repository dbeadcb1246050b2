package io.cubby.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * The store's lock file, {@code cubby.lock} (FORMAT.md §1): a writer holds an exclusive OS lock on its first byte
 * (the writer range) for as long as it has the store open, and writes its process id into the file. Read-only
 * opens hold no lock, so they never keep a writer out; they learn whether a writer is alive by trying a shared
 * lock on the writer range and releasing it at once ({@link #probeWriter}).
 * <p>
 * OS file locks belong to the process, and Java refuses overlapping locks within one JVM
 * ({@link OverlappingFileLockException}); the lock files whose writer range this JVM holds are therefore
 * remembered here, and probes and acquisitions are serialised on this class, so a probe never meets another
 * probe's lock and never opens (and closes, which would drop the process's locks) a channel on a lock file this
 * JVM holds.
 */
final class StoreLock implements AutoCloseable
{
    static final String FILE_NAME = "cubby.lock";
    /** First byte of the writer range. */
    static final long WRITER_RANGE_POSITION = 0;
    /** Length of the writer range. */
    static final long WRITER_RANGE_LENGTH = 1;
    /**
     * A byte outside the writer range, probed to tell a writer of an older version (which locks the whole file
     * exclusively, and does not maintain the Write Sequence) from a current one.
     */
    static final long LEGACY_PROBE_POSITION = 1;

    /** {@link #probeWriter}: no writer holds the store. */
    static final int WRITER_NONE = 0;
    /** {@link #probeWriter}: a writer of this version holds the store (in this or another process). */
    static final int WRITER_LIVE = 1;
    /** {@link #probeWriter}: the whole file is locked exclusively, by a writer of an older version. */
    static final int WRITER_LEGACY = 2;

    /** Keys ({@link #key}) of the lock files whose writer range this JVM holds; guarded by StoreLock.class. */
    private static final Set<Object> HELD = new HashSet<>();

    private final FileChannel channel;
    private final FileLock lock;
    private final Object key;

    private StoreLock(final FileChannel channel, final FileLock lock, final Object key)
    {
        this.channel = channel;
        this.lock = lock;
        this.key = key;
    }

    /**
     * The lock of a read-only open: none.
     */
    static StoreLock none()
    {
        return new StoreLock(null, null, null);
    }

    /**
     * Take the writer range, creating the lock file if needed.
     *
     * @throws StoreLockedException if a writer (here or elsewhere) or a reader of an older version holds it.
     */
    static StoreLock acquireWriter(final Path directory)
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
        synchronized (StoreLock.class)
        {
            FileChannel channel = null;
            try
            {
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && HELD.contains(key(file)))
                {
                    throw new StoreLockedException("store " + directory + " is already open in this process (lock " +
                        file + " is held)");
                }
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
                final FileLock lock;
                try
                {
                    lock = channel.tryLock(WRITER_RANGE_POSITION, WRITER_RANGE_LENGTH, false);
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
                final byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
                channel.truncate(0);
                channel.write(ByteBuffer.wrap(pid), 0);
                final Object key = key(file);
                HELD.add(key);
                return new StoreLock(channel, lock, key);
            }
            catch (final IOException ex)
            {
                if (null != channel)
                {
                    Storage.closeQuietly(channel);
                }
                throw new StoreIOException("cannot open lock file " + file + ": " + ex.getMessage(), ex);
            }
            catch (final RuntimeException ex)
            {
                if (null != channel)
                {
                    Storage.closeQuietly(channel);
                }
                throw ex;
            }
        }
    }

    /**
     * Whether a writer holds a store, tested without keeping any lock and without writing: a missing lock file
     * means no writer (a writer always has one), so this works on a read-only file system.
     *
     * @return {@link #WRITER_NONE}, {@link #WRITER_LIVE} or {@link #WRITER_LEGACY}.
     */
    static int probeWriter(final Path directory)
    {
        final Path file = directory.resolve(FILE_NAME);
        synchronized (StoreLock.class)
        {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
            {
                return WRITER_NONE;
            }
            try
            {
                if (HELD.contains(key(file)))
                {
                    return WRITER_LIVE;
                }
            }
            catch (final IOException ex)
            {
                return WRITER_NONE;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
            {
                final FileLock probe = channel.tryLock(WRITER_RANGE_POSITION, WRITER_RANGE_LENGTH, true);
                if (null != probe)
                {
                    probe.release();
                    return WRITER_NONE;
                }
                final FileLock legacy = channel.tryLock(LEGACY_PROBE_POSITION, 1, true);
                if (null == legacy)
                {
                    return WRITER_LEGACY;
                }
                legacy.release();
                return WRITER_LIVE;
            }
            catch (final OverlappingFileLockException ex)
            {
                return WRITER_LIVE;
            }
            catch (final IOException ex)
            {
                // no lock support here, so no writer could have locked it either
                return WRITER_NONE;
            }
        }
    }

    /**
     * Whether a writer holds the lock of a store directory, tested without keeping any lock.
     */
    static boolean isLockedElsewhere(final Path directory)
    {
        return WRITER_NONE != probeWriter(directory);
    }

    /**
     * @return " (pid N)" naming the writer from the lock file, or "".
     */
    static String holder(final Path directoryOrFile)
    {
        final Path file = Files.isDirectory(directoryOrFile) ? directoryOrFile.resolve(FILE_NAME) : directoryOrFile;
        try
        {
            synchronized (StoreLock.class)
            {
                // never open (and close) the file while this JVM holds its lock: closing any descriptor of a
                // file drops the process's locks on it
                if (HELD.contains(key(file)))
                {
                    return " (this process)";
                }
                final byte[] bytes = Files.readAllBytes(file);
                final String pid = new String(bytes, 0, Math.min(bytes.length, 32), StandardCharsets.US_ASCII).trim();
                return pid.matches("[0-9]{1,10}") ? " (pid " + pid + ")" : "";
            }
        }
        catch (final IOException ex)
        {
            return "";
        }
    }

    private static Object key(final Path file) throws IOException
    {
        final Object fileKey = Storage.fileKey(file);
        return null != fileKey ? fileKey : file.toAbsolutePath().normalize().toString();
    }

    @Override
    public void close()
    {
        if (null == lock)
        {
            return;
        }
        synchronized (StoreLock.class)
        {
            try
            {
                lock.release();
            }
            catch (final IOException ignore)
            {
                // closing the channel releases it as well
            }
            Storage.closeQuietly(channel);
            HELD.remove(key);
        }
    }
}
