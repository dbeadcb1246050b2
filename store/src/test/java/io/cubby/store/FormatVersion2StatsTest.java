package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code recordStats(true)} on a format-version-2 store: every read (get, the buffer get, containsKey) counts as a
 * hit or a miss in {@link Cubby#stats()}, as in version 1, compared against a {@link HashMap} model, from one thread
 * and from several at once; writes count nothing; without the option, and after a reopen without it, the counts
 * are -1 (not recorded); counts start at 0 with each open.
 */
class FormatVersion2StatsTest
{
    @Test
    void readsCountHitsAndMissesAsTheModelSays(@TempDir final Path dir)
    {
        final SplittableRandom random = new SplittableRandom(0x57A75);
        final Map<String, byte[]> model = new HashMap<>();
        final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
        final UnsafeBuffer dst = new UnsafeBuffer(new byte[16]);
        long hits = 0;
        long misses = 0;
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(16)
            .recordStats(true).open())
        {
            assertEquals(0, store.stats().hits);
            assertEquals(0, store.stats().misses);
            assertEquals(0, store.stats().evictions);
            assertEquals(0, store.stats().expiredReclaimed);
            for (int i = 0; i < 20_000; i++)
            {
                final String k = "k" + random.nextInt(2000);
                final byte[] kb = k.getBytes(StandardCharsets.US_ASCII);
                final boolean present = model.containsKey(k);
                switch (random.nextInt(6))
                {
                    case 0:
                    {
                        final byte[] v = ("v" + i).getBytes(StandardCharsets.US_ASCII);
                        store.put(kb, v);
                        model.put(k, v);
                        continue;
                    }
                    case 1:
                        store.remove(kb);
                        model.remove(k);
                        continue;
                    case 2:
                        assertArrayEquals(model.get(k), store.get(kb), k);
                        break;
                    case 3:
                        key.putBytes(0, kb);
                        assertEquals(present ? model.get(k).length : Cubby.MISSING,
                            store.get(key, 0, kb.length, dst, 0), k);
                        break;
                    default:
                        assertEquals(present, store.containsKey(kb), k);
                        break;
                }
                if (present)
                {
                    hits++;
                }
                else
                {
                    misses++;
                }
            }
            final CubbyStats stats = store.stats();
            assertEquals(hits, stats.hits, stats.toString());
            assertEquals(misses, stats.misses, stats.toString());
            assertEquals((double)hits / (hits + misses), stats.hitRate(), 1e-12);
            assertTrue(stats.toString().contains("hit rate="), stats.toString());
        }
        try (Cubby store = Cubby.builder(dir).recordStats(true).open())
        {
            assertEquals(0, store.stats().hits, "counts start with the open");
            store.get("k1".getBytes(StandardCharsets.US_ASCII));
            assertEquals(1, store.stats().hits + store.stats().misses);
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            store.get("k1".getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, store.stats().hits, "not recorded");
            assertEquals(-1, store.stats().misses, "not recorded");
            assertTrue(Double.isNaN(store.stats().hitRate()));
        }
    }

    @Test
    void concurrentReadersAreAllCounted(@TempDir final Path dir) throws InterruptedException
    {
        final int readers = 4;
        final int reads = 50_000;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(16)
            .recordStats(true).open())
        {
            for (int i = 0; i < 1000; i += 2)
            {
                store.put(("k" + i).getBytes(StandardCharsets.US_ASCII), "v".getBytes(StandardCharsets.US_ASCII));
            }
            final Thread[] threads = new Thread[readers];
            for (int r = 0; r < readers; r++)
            {
                final int reader = r;
                threads[r] = new Thread(() ->
                {
                    try
                    {
                        for (int i = 0; i < reads; i++)
                        {
                            // reader r reads keys r, r + readers, ...: half present, half absent over 1000 keys
                            final int k = (reader + i * readers) % 1000;
                            final byte[] kb = ("k" + k).getBytes(StandardCharsets.US_ASCII);
                            assertEquals(k % 2 == 0, store.containsKey(kb));
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                }, "reader-" + r);
                threads[r].start();
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
            if (null != failure.get())
            {
                throw new AssertionError("a reader failed", failure.get());
            }
            long expectedHits = 0;
            for (int r = 0; r < readers; r++)
            {
                for (int i = 0; i < reads; i++)
                {
                    expectedHits += (r + i * readers) % 1000 % 2 == 0 ? 1 : 0;
                }
            }
            final CubbyStats stats = store.stats();
            assertEquals(expectedHits, stats.hits, stats.toString());
            assertEquals((long)readers * reads - expectedHits, stats.misses, stats.toString());
        }
    }
}
