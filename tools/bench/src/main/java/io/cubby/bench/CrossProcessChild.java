package io.cubby.bench;

import io.cubby.store.Cubby;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The other process of {@link CrossProcessBenchmark}: {@code write DIR WRITING} creates and fills the store, then
 * holds it open (updating random keys in a loop if WRITING is true); {@code read DIR -} opens it read-only and gets
 * random keys in a loop. Both print "ready" when set up and stop when their stdin closes.
 */
public final class CrossProcessChild
{
    private static volatile boolean stop;

    private CrossProcessChild()
    {
    }

    static Cubby open(final Path dir)
    {
        return Cubby.builder(dir).maxKeySize(CrossProcessBenchmark.KEY_SIZE)
            .maxValueSize(CrossProcessBenchmark.VALUE_SIZE).expectedEntries(CrossProcessBenchmark.ENTRIES).open();
    }

    static void fill(final Cubby store)
    {
        final UnsafeBuffer value = new UnsafeBuffer(new byte[CrossProcessBenchmark.VALUE_SIZE]);
        for (int i = 0; i < CrossProcessBenchmark.ENTRIES; i++)
        {
            final UnsafeBuffer key = new UnsafeBuffer(key(i));
            value.putInt(0, i);
            store.put(key, 0, CrossProcessBenchmark.KEY_SIZE, value, 0, CrossProcessBenchmark.VALUE_SIZE);
        }
    }

    static byte[] key(final long id)
    {
        return ByteBuffer.allocate(CrossProcessBenchmark.KEY_SIZE).putLong(id * 0x9E3779B97F4A7C15L).array();
    }

    public static void main(final String[] args) throws Exception
    {
        final Thread stdin = new Thread(() ->
        {
            try
            {
                while (System.in.read() >= 0)
                {
                    // until the parent closes our stdin
                }
            }
            catch (final java.io.IOException ignore)
            {
                // stop as well
            }
            stop = true;
        });
        stdin.setDaemon(true);
        final Path dir = Path.of(args[1]);
        final boolean write = "write".equals(args[0]);
        try (Cubby store = write ? open(dir) : Cubby.builder(dir).readOnly(true).open())
        {
            if (write)
            {
                fill(store);
            }
            final UnsafeBuffer[] keys = new UnsafeBuffer[1 << 16];
            final SplittableRandom random = new SplittableRandom(11);
            for (int i = 0; i < keys.length; i++)
            {
                keys[i] = new UnsafeBuffer(key(random.nextInt(CrossProcessBenchmark.ENTRIES)));
            }
            final UnsafeBuffer value = new UnsafeBuffer(new byte[CrossProcessBenchmark.VALUE_SIZE]);
            System.out.println("ready");
            System.out.flush();
            stdin.start();
            final boolean loop = !write || Boolean.parseBoolean(args[2]);
            long n = 0;
            while (!stop)
            {
                if (!loop)
                {
                    Thread.sleep(50);
                    continue;
                }
                final UnsafeBuffer key = keys[(int)(n++ & (keys.length - 1))];
                if (write)
                {
                    value.putLong(8, n);
                    store.put(key, 0, CrossProcessBenchmark.KEY_SIZE, value, 0, CrossProcessBenchmark.VALUE_SIZE);
                }
                else
                {
                    store.get(key, 0, CrossProcessBenchmark.KEY_SIZE, value, 0);
                }
            }
        }
    }
}
