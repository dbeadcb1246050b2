package io.cubby.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A directory's size as {@code du} reports it: blocks allocated, and apparent (file lengths, holes included). */
final class DiskUsage
{
    final long allocated;
    final long apparent;

    private DiskUsage(final long allocated, final long apparent)
    {
        this.allocated = allocated;
        this.apparent = apparent;
    }

    static DiskUsage of(final Path dir)
    {
        return new DiskUsage(du(dir, false), du(dir, true));
    }

    private static long du(final Path dir, final boolean apparent)
    {
        final ProcessBuilder builder = apparent ?
            new ProcessBuilder("du", "-s", "-B1", "--apparent-size", dir.toString()) :
            new ProcessBuilder("du", "-s", "-B1", dir.toString());
        try
        {
            final Process process = builder.redirectErrorStream(true).start();
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor() != 0)
            {
                throw new IllegalStateException("du failed: " + out);
            }
            return Long.parseLong(out.split("\\s+")[0]);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
