package io.cubby.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Block allocation without writing data, through the system's {@code fallocate} command (util-linux), since the
 * JDK offers no {@code fallocate(2)}. Allocated but unwritten extents read as zeros, cost no page cache and no
 * disk writes, and can no longer fail with a full disk when a mapped page is first written.
 */
final class Fallocate
{
    private static final String[] CANDIDATES = { "/usr/bin/fallocate", "/bin/fallocate" };
    private static final String COMMAND = find();
    private static volatile boolean usable = null != COMMAND;

    private Fallocate()
    {
    }

    private static String find()
    {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux"))
        {
            return null;
        }
        for (final String candidate : CANDIDATES)
        {
            if (Files.isExecutable(Path.of(candidate)))
            {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Create {@code file} with {@code length} allocated bytes.
     *
     * @return true if done; false if fallocate is unavailable or unsupported here (the caller writes zeros).
     * @throws IOException if the disk is full.
     */
    static boolean allocate(final Path file, final long length) throws IOException
    {
        if (!usable || length <= 0)
        {
            return false;
        }
        final Process process;
        try
        {
            process = new ProcessBuilder(COMMAND, "-l", Long.toString(length), file.toString())
                .redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            usable = false;
            return false;
        }
        final String output;
        try (InputStream in = process.getInputStream())
        {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                Files.deleteIfExists(file);
                return false;
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            Files.deleteIfExists(file);
            throw new IOException("interrupted while allocating " + file, ex);
        }
        if (0 == process.exitValue() && Files.exists(file) && Files.size(file) == length)
        {
            return true;
        }
        Files.deleteIfExists(file);
        if (output.contains("No space left"))
        {
            throw new IOException("No space left on device: cannot allocate " + length + " bytes for " +
                file.getFileName());
        }
        // unsupported by this file system or failed otherwise: fall back to writing zeros from now on
        usable = false;
        return false;
    }
}
