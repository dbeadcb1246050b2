package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two writers and two readers share a key space while the store grows from its smallest table. Each value
 * encodes (key, version) and is padded with a pattern derived from both, so a reader can tell a torn or foreign
 * value; versions per key never go backwards for a reader; after the run every key holds its last written version.
 */
class ConcurrencyStressTest
{
    private static final int KEYS = 4_000;
    private static final int WRITES_PER_WRITER = 120_000;
    private static final int VALUE = 48;

    @Test
    void readersNeverSeeTornForeignOrOlderValuesWhileTheStoreGrows(@TempDir final Path tmp) throws Exception
    {
        final AtomicLongArray lastWritten = new AtomicLongArray(KEYS);
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).maxKeySize(8).maxValueSize(VALUE)
            .expectedEntries(16)
            .migrationStep(2).durability(Durability.NONE).open())
        {
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> threads = new ArrayList<>();
            final java.util.concurrent.atomic.AtomicBoolean writersDone = new java.util.concurrent.atomic.AtomicBoolean();
            for (int w = 0; w < 2; w++)
            {
                final int writer = w;
                threads.add(new Thread(() ->
                {
                    final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(8));
                    final UnsafeBuffer value = new UnsafeBuffer(new byte[VALUE]);
                    final SplittableRandom random = new SplittableRandom(writer);
                    await(start);
                    for (int i = 0; i < WRITES_PER_WRITER; i++)
                    {
                        // each writer owns half of the keys, so per-key versions are totally ordered
                        final int k = (random.nextInt(KEYS / 2) * 2) + writer;
                        final long version = lastWritten.get(k) + 1;
                        key.putLong(0, k);
                        encode(value, k, version);
                        if (random.nextInt(10) == 0)
                        {
                            store.remove(key, 0, 8);
                        }
                        store.put(key, 0, 8, value, 0, VALUE);
                        lastWritten.set(k, version);
                    }
                }));
            }
            for (int r = 0; r < 2; r++)
            {
                final int reader = r;
                threads.add(new Thread(() ->
                {
                    final UnsafeBuffer key = new UnsafeBuffer(new byte[8]);
                    final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE));
                    final long[] seen = new long[KEYS];
                    final SplittableRandom random = new SplittableRandom(100 + reader);
                    await(start);
                    while (!writersDone.get())
                    {
                        final int k = random.nextInt(KEYS);
                        key.putLong(0, k);
                        final int length = store.get(key, 0, 8, value, 0);
                        if (length < 0)
                        {
                            continue;
                        }
                        final String problem = check(value, length, k);
                        if (null != problem)
                        {
                            errors.add(problem);
                            return;
                        }
                        final long version = value.getLong(8);
                        if (version < seen[k])
                        {
                            errors.add("key " + k + " went back from version " + seen[k] + " to " + version);
                            return;
                        }
                        seen[k] = version;
                    }
                }));
            }
            threads.forEach(Thread::start);
            start.countDown();
            threads.get(0).join();
            threads.get(1).join();
            writersDone.set(true);
            threads.get(2).join();
            threads.get(3).join();

            assertTrue(errors.isEmpty(), errors.toString());
            final UnsafeBuffer key = new UnsafeBuffer(new byte[8]);
            final UnsafeBuffer value = new UnsafeBuffer(new byte[VALUE]);
            long present = 0;
            for (int k = 0; k < KEYS; k++)
            {
                key.putLong(0, k);
                if (lastWritten.get(k) > 0)
                {
                    assertEquals(VALUE, store.get(key, 0, 8, value, 0), "key " + k);
                    assertEquals(lastWritten.get(k), value.getLong(8), "last version of key " + k);
                    present++;
                }
            }
            assertEquals(present, store.size());
            assertTrue(store.verify().isOk());
            assertTrue(store.stats().rehashesStarted > 3, "the run exercised growth");
        }
    }

    private static void encode(final UnsafeBuffer value, final long key, final long version)
    {
        value.putLong(0, key);
        value.putLong(8, version);
        for (int i = 16; i < VALUE; i += 8)
        {
            value.putLong(i, key * 0x9E3779B97F4A7C15L ^ version * i);
        }
    }

    private static String check(final UnsafeBuffer value, final int length, final int key)
    {
        if (length != VALUE)
        {
            return "key " + key + " has value length " + length;
        }
        if (value.getLong(0) != key)
        {
            return "key " + key + " returned the value of key " + value.getLong(0);
        }
        final long version = value.getLong(8);
        for (int i = 16; i < VALUE; i += 8)
        {
            if (value.getLong(i) != (key * 0x9E3779B97F4A7C15L ^ version * i))
            {
                return "key " + key + " version " + version + " torn at byte " + i;
            }
        }
        return null;
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            latch.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
