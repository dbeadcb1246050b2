package io.cubby.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures from Linux's {@code /proc}. */
final class Rss
{
    private Rss()
    {
    }

    /** This process's peak resident set size ({@code VmHWM}) in bytes. */
    static long peakBytes()
    {
        return kiloField(Path.of("/proc/self/status"), "VmHWM:") * 1024;
    }

    /** This process's current resident set size ({@code VmRSS}) in bytes. */
    static long currentBytes()
    {
        return kiloField(Path.of("/proc/self/status"), "VmRSS:") * 1024;
    }

    /** Physical memory ({@code MemTotal}) in bytes. */
    static long memTotalBytes()
    {
        return kiloField(Path.of("/proc/meminfo"), "MemTotal:") * 1024;
    }

    private static long kiloField(final Path file, final String name)
    {
        try
        {
            for (final String line : Files.readAllLines(file))
            {
                if (line.startsWith(name))
                {
                    final String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        throw new IllegalStateException(name + " not found in " + file);
    }
}
