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

    /** Attempts while files vanish under du (a store open meanwhile deletes retired files at any time). */
    private static final int ATTEMPTS = 10;

    private static long du(final Path dir, final boolean apparent)
    {
        final ProcessBuilder builder = apparent ?
            new ProcessBuilder("du", "-s", "-B1", "--apparent-size", dir.toString()) :
            new ProcessBuilder("du", "-s", "-B1", dir.toString());
        try
        {
            String errors = "";
            for (int attempt = 1; ; attempt++)
            {
                final java.io.File stderr = java.io.File.createTempFile("cubby-du", ".err");
                try
                {
                    final Process process = builder.redirectError(stderr).start();
                    final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .trim();
                    final int exit = process.waitFor();
                    errors = java.nio.file.Files.readString(stderr.toPath(), StandardCharsets.UTF_8).trim();
                    final boolean vanished = !errors.isEmpty() && errors.lines()
                        .allMatch(line -> line.endsWith("No such file or directory"));
                    if (0 == exit || vanished && attempt == ATTEMPTS)
                    {
                        // on the last attempt a file deleted during the walk is counted or not, as du met it
                        return Long.parseLong(out.split("\\s+")[0]);
                    }
                    if (!vanished)
                    {
                        throw new IllegalStateException("du failed: " + errors + " " + out);
                    }
                }
                finally
                {
                    java.nio.file.Files.deleteIfExists(stderr.toPath());
                }
            }
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
