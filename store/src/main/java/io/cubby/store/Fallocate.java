package io.cubby.store;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Block allocation without writing data, through the C library's {@code fallocate(2)} (Linux) called with JNA,
 * since the JDK offers no way to allocate blocks. Allocated but unwritten extents read as zeros, cost no page
 * cache and no disk writes, and can no longer fail with a full disk when a mapped page is first written.
 * <p>
 * Errors are told apart by {@code errno}, never by message text: {@code ENOSPC} is a full disk; a file system
 * that does not support allocation ({@code EOPNOTSUPP}) makes the caller write zeros instead. Where JNA or the C
 * library cannot be loaded (another operating system, a JVM denying native access), allocation falls back to
 * writing zeros for the life of the JVM.
 */
final class Fallocate
{
    private static final int O_WRONLY = 1;
    private static final int EINTR = 4;
    private static final int ENOSPC = 28;
    private static final int EDQUOT = 122;

    private static final LibC LIBC = load();
    private static volatile boolean usable = null != LIBC;

    /** The C functions used, bound by JNA. Errors raise {@link LastErrorException} carrying errno. */
    interface LibC extends Library
    {
        int open(byte[] path, int flags) throws LastErrorException;

        int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private Fallocate()
    {
    }

    private static LibC load()
    {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux"))
        {
            return null;
        }
        try
        {
            if (!nativeAccessAllowed())
            {
                Log.LOGGER.log(System.Logger.Level.DEBUG, "native access is not enabled for JNA " +
                    "(--enable-native-access); table files are zero-filled");
                return null;
            }
            return Native.load("c", LibC.class);
        }
        catch (final LinkageError | RuntimeException | ReflectiveOperationException ex)
        {
            Log.LOGGER.log(System.Logger.Level.DEBUG, "fallocate unavailable, table files are zero-filled", ex);
            return null;
        }
    }

    /**
     * From JDK 24 on, loading a native library from a module without native access enabled prints a warning (JEP
     * 472) and will later be refused: then JNA is not loaded at all, and table files are zero-filled, unless the
     * application enables native access ({@code --enable-native-access=ALL-UNNAMED} on the class path,
     * {@code =com.sun.jna} on the module path, {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar).
     * Before JDK 24 loading is silent and allowed.
     */
    private static boolean nativeAccessAllowed() throws ReflectiveOperationException
    {
        if (Runtime.version().feature() < 24)
        {
            return true;
        }
        // Class.forName without initialising: JNA's static initialiser is what loads its native library.
        final Module jna = Class.forName("com.sun.jna.Native", false, Fallocate.class.getClassLoader()).getModule();
        return (Boolean)Module.class.getMethod("isNativeAccessEnabled").invoke(jna);
    }

    /**
     * @return true if allocation goes through {@code fallocate(2)} here.
     */
    static boolean isAvailable()
    {
        return usable;
    }

    /**
     * Create {@code file} with {@code length} allocated bytes.
     *
     * @return true if done; false if fallocate is unavailable or unsupported here (the file does not exist then
     * and the caller writes zeros).
     * @throws IOException if the disk is full (the file is deleted).
     */
    static boolean allocate(final Path file, final long length) throws IOException
    {
        if (!usable || length <= 0)
        {
            return false;
        }
        Files.createFile(file);
        boolean done = false;
        try
        {
            done = allocateExisting(file, length);
            return done;
        }
        finally
        {
            if (!done)
            {
                Files.deleteIfExists(file);
            }
        }
    }

    private static boolean allocateExisting(final Path file, final long length) throws IOException
    {
        final int fd;
        try
        {
            fd = LIBC.open(nativePath(file), O_WRONLY);
        }
        catch (final LastErrorException ex)
        {
            throw new IOException("cannot open " + file + " to allocate it (errno " + ex.getErrorCode() + ")", ex);
        }
        try
        {
            while (true)
            {
                try
                {
                    LIBC.fallocate(fd, 0, 0, length);
                    return true;
                }
                catch (final LastErrorException ex)
                {
                    final int errno = ex.getErrorCode();
                    if (EINTR == errno)
                    {
                        continue;
                    }
                    if (ENOSPC == errno || EDQUOT == errno)
                    {
                        throw new IOException("No space left on device: cannot allocate " + length + " bytes for " +
                            file.getFileName(), ex);
                    }
                    // not supported by this file system (EOPNOTSUPP) or refused otherwise: write zeros from now on
                    usable = false;
                    Log.LOGGER.log(System.Logger.Level.DEBUG, () -> "fallocate of " + file + " failed with errno " +
                        errno + "; table files are zero-filled from now on");
                    return false;
                }
            }
        }
        finally
        {
            try
            {
                LIBC.close(fd);
            }
            catch (final LastErrorException ignore)
            {
                // nothing was written through this descriptor
            }
        }
    }

    /** The path as the C library expects it: bytes in the file-name encoding, NUL-terminated. */
    private static byte[] nativePath(final Path file)
    {
        final String encoding = System.getProperty("sun.jnu.encoding");
        final Charset charset = null != encoding && Charset.isSupported(encoding) ?
            Charset.forName(encoding) : Charset.defaultCharset();
        final byte[] bytes = file.toAbsolutePath().toString().getBytes(charset);
        return Arrays.copyOf(bytes, bytes.length + 1);
    }
}
