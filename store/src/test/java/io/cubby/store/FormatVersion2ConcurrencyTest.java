package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Format version 2 through the public API with concurrent writers: two writer threads, each with its own keys
 * and its own HashMap model plus shared counters incremented by compute and by replace loops (an increment lost
 * by a non-atomic compound operation shows in the final count), while a third thread iterates and never sees a
 * torn entry or an exception. And the buffer get/put/remove path allocates nothing once warm.
 */
class FormatVersion2ConcurrencyTest
{
    private static final int OPERATIONS = 20_000;
    private static final int COUNTERS = 8;

    @Test
    void twoWritersKeepEveryKeyAtomicWhileAnIteratorRuns(@TempDir final Path dir) throws Exception
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(16)
            .expectedEntries(0).durability(Durability.ASYNC).open())
        {
            final List<Map<String, byte[]>> models = new ArrayList<>();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++)
            {
                final int writer = w;
                final Map<String, byte[]> model = new HashMap<>();
                models.add(model);
                writers.add(new Thread(() -> run(failure, () ->
                {
                    start.await();
                    write(store, writer, model);
                }), "writer-" + w));
            }
            final Thread iterator = new Thread(() -> run(failure, () ->
            {
                start.await();
                while (writers.stream().anyMatch(Thread::isAlive))
                {
                    for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
                    {
                        final Map.Entry<byte[], byte[]> entry = it.next();
                        final String key = new String(entry.getKey());
                        if (key.startsWith("w"))
                        {
                            // values of the writers' own keys repeat the key's last character
                            for (final byte b : entry.getValue())
                            {
                                assertEquals(key.charAt(key.length() - 1), (char)b, "torn value of " + key);
                            }
                        }
                    }
                    store.size();
                }
            }), "iterator");
            writers.forEach(Thread::start);
            iterator.start();
            start.countDown();
            for (final Thread thread : writers)
            {
                thread.join();
            }
            iterator.join();
            assertNull(failure.get(), () -> failure.get().toString());
            for (int c = 0; c < COUNTERS; c++)
            {
                assertEquals(2L * OPERATIONS / COUNTERS, counter(store, c), "counter " + c);
            }
            for (final Map<String, byte[]> model : models)
            {
                model.forEach((k, v) -> assertArrayEquals(v, store.get(k.getBytes()), k));
            }
            assertEquals(COUNTERS + models.get(0).size() + models.get(1).size(), store.size());
            assertTrue(store.verify().isOk(), store.verify().toString());
        }
    }

    private static void write(final Cubby store, final int writer, final Map<String, byte[]> model)
    {
        final Random random = new Random(writer);
        for (int i = 0; i < OPERATIONS; i++)
        {
            final byte[] counterKey = ("c" + (i % COUNTERS)).getBytes();
            if ((i & 1) == 0)
            {
                store.compute(counterKey, (k, v) -> encode(null == v ? 1 : decode(v) + 1));
            }
            else
            {
                while (true)
                {
                    final byte[] present = store.putIfAbsent(counterKey, encode(1));
                    if (null == present || store.replace(counterKey, present, encode(decode(present) + 1)))
                    {
                        break;
                    }
                }
            }
            final int n = random.nextInt(500);
            final String key = "w" + writer + "-" + n;
            if (random.nextInt(5) == 0)
            {
                store.remove(key.getBytes());
                model.remove(key);
            }
            else
            {
                final byte[] value = new byte[1 + random.nextInt(16)];
                java.util.Arrays.fill(value, (byte)key.charAt(key.length() - 1));
                store.put(key.getBytes(), value);
                model.put(key, value);
            }
        }
    }

    private static long counter(final Cubby store, final int c)
    {
        return decode(store.get(("c" + c).getBytes()));
    }

    private static byte[] encode(final long n)
    {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    private static long decode(final byte[] v)
    {
        return ByteBuffer.wrap(v).getLong();
    }

    private interface Body
    {
        void run() throws Exception;
    }

    private static void run(final AtomicReference<Throwable> failure, final Body body)
    {
        try
        {
            body.run();
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    @Test
    void theBufferPathAllocatesNothingOnceWarm(@TempDir final Path dir) throws Exception
    {
        // SYNC last and small: each of its writes forces the log, and the path is compiled by then; with expiry,
        // half of the puts give a time to live, the others keep the entry's deadline
        for (final boolean expiry : new boolean[] {false, true})
        {
            for (final Durability durability : new Durability[] {Durability.NONE, Durability.ASYNC, Durability.SYNC})
            {
                assertAllocatesNothing(dir.resolve(durability.name() + (expiry ? "-expiry" : "")), durability,
                    expiry);
            }
        }
    }

    private static void assertAllocatesNothing(final Path store, final Durability durability,
        final boolean expiry) throws Exception
    {
        final ThreadAllocation allocation = ThreadAllocation.ofThisThread();
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        final int keys = durability == Durability.SYNC ? 100 : 10_000;
        final int rounds = durability == Durability.SYNC ? 3 : 20;
        try (Cubby cubby = Cubby.builder(store).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(64)
            .expectedEntries(2 * keys).durability(durability).logSize(256L << 20).expiry(expiry).open())
        {
            final long generations = cubby.stats().generation;
            final ThreadAllocation.Round round = () -> work(cubby, keys, key, value, dst);
            final long allocated = allocation.warm(rounds, round).measure(round);
            assertEquals(0, allocated, durability + (expiry ? " with expiry" : "") + ": bytes allocated by " +
                5 * keys + " operations (checksum " + allocation.checksum() + ")");
            assertEquals(generations, cubby.stats().generation, "no rehash ran");
        }
    }

    private static long work(final Cubby store, final int keys, final UnsafeBuffer key, final UnsafeBuffer value,
        final UnsafeBuffer dst)
    {
        long sum = 0;
        for (int i = 0; i < keys; i++)
        {
            key.putLong(0, i);
            key.putLong(8, ~i);
            value.putLong(0, i);
            if (store.hasExpiry())
            {
                store.put(key, 0, 16, value, 0, 64, 3_600_000L);
            }
            else
            {
                store.put(key, 0, 16, value, 0, 64);
            }
            value.putLong(8, i);
            store.put(key, 0, 16, value, 0, 64);
            sum += store.get(key, 0, 16, dst, 0);
            sum += store.containsKey(key, 0, 16) ? 1 : 0;
            if ((i & 7) == 0)
            {
                sum += store.remove(key, 0, 16) ? 1 : 0;
            }
        }
        return sum;
    }
}
