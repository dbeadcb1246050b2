package io.cubby.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Shared setup: where store files go, the value bytes, and filling a store.
 */
final class BenchSupport
{
    private BenchSupport()
    {
    }

    static Path newDirectory(final String store)
    {
        try
        {
            final Path base = Path.of(System.getProperty("cubby.bench.dir", "target/bench-data"));
            Files.createDirectories(base);
            return Files.createTempDirectory(base.toAbsolutePath(), store + "-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static byte[] value(final int size)
    {
        final byte[] value = new byte[size];
        for (int i = 0; i < size; i++)
        {
            value[i] = (byte)(i * 31 + 7);
        }
        return value;
    }

    static void fill(final Stores.Adapter adapter, final Keys keys, final long entries, final byte[] value)
    {
        for (long i = 0; i < entries; i++)
        {
            adapter.put(keys, i, value);
        }
    }

    /** xorshift64*: a cheap per-thread random index. */
    static long next(final long[] state)
    {
        long x = state[0];
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        state[0] = x;
        return (x * 0x2545F4914F6CDD1DL) >>> 1;
    }
}
