package io.cubby.store;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expiry, the entry bound and their counters, in both format versions. */
class ExpiryAndEvictionTest
{
    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void sleepPast(final long millis) throws InterruptedException
    {
        final long until = System.currentTimeMillis() + millis + 1;
        while (System.currentTimeMillis() <= until)
        {
            Thread.sleep(1);
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void expiredEntryReadsAsAbsentEverywhere(final int version, @TempDir final Path dir) throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true)
            .recordStats(true).open())
        {
            store.put(bytes("short"), bytes("1"), Duration.ofMillis(5));
            store.put(bytes("long"), bytes("2"), Duration.ofHours(1));
            store.put(bytes("forever"), bytes("3"));
            assertArrayEquals(bytes("1"), store.get(bytes("short")));
            sleepPast(5);

            assertNull(store.get(bytes("short")));
            assertFalse(store.containsKey(bytes("short")));
            assertArrayEquals(bytes("2"), store.get(bytes("long")));
            assertArrayEquals(bytes("3"), store.get(bytes("forever")));

            final Set<String> keys = new HashSet<>();
            store.forEach((k, ko, kl, v, vo, vl) -> keys.add(k.getStringWithoutLengthUtf8(ko, kl)));
            assertEquals(Set.of("long", "forever"), keys);
            final Set<String> iterated = new HashSet<>();
            for (final Iterator<byte[]> it = store.keys(); it.hasNext(); )
            {
                iterated.add(new String(it.next(), StandardCharsets.UTF_8));
            }
            assertEquals(Set.of("long", "forever"), iterated);

            // an expired key behaves as absent for conditional writes
            assertNull(store.putIfAbsent(bytes("short"), bytes("4")));
            assertArrayEquals(bytes("4"), store.get(bytes("short")));
            assertTrue(store.stats().misses >= 2);
            assertTrue(store.verify().isOk());
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void expiryIsKeptAcrossReopenAndLogReplay(final int version, @TempDir final Path dir) throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true)
            .durability(Durability.SYNC).open())
        {
            store.put(bytes("a"), bytes("1"), Duration.ofMillis(30));
            store.put(bytes("b"), bytes("2"), Duration.ofHours(1));
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertArrayEquals(bytes("2"), store.get(bytes("b")));
            sleepPast(30);
            assertNull(store.get(bytes("a")));
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void compactionReclaimsExpiredEntries(final int version, @TempDir final Path dir) throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true)
            .recordStats(true).open())
        {
            for (int i = 0; i < 500; i++)
            {
                store.put(bytes("k" + i), bytes("v"), Duration.ofMillis(i < 400 ? 1 : 3_600_000));
            }
            sleepPast(1);
            assertEquals(100, store.size(), "size does not count expired entries");
            assertEquals(500, store.estimatedSize(), "the estimate counts them until they are reclaimed");
            store.compact();
            assertEquals(100, store.size());
            assertEquals(100, store.estimatedSize());
            assertEquals(400, store.stats().expiredReclaimed);
            assertTrue(store.verify().isOk());
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void maxEntriesEvictsLeastRecentlyWrittenOfSample(final int version, @TempDir final Path dir)
        throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true)
            .maxEntries(100).recordStats(true).open())
        {
            for (int i = 0; i < 100; i++)
            {
                store.put(bytes("old" + i), bytes("v"));
            }
            sleepPast(2);
            for (int i = 0; i < 16; i++)
            {
                store.put(bytes("new" + i), bytes("v"));
                assertEquals(100, store.size());
            }
            assertEquals(16, store.stats().evictions);
            for (int i = 0; i < 16; i++)
            {
                assertArrayEquals(bytes("v"), store.get(bytes("new" + i)),
                    "a freshly written entry is never the least recently written of a sample holding older ones");
            }
            assertTrue(store.verify().isOk());
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void maxEntriesWithoutExpiryEvictsSomeEntryAndKeepsTheBound(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).maxEntries(50)
            .recordStats(true).durability(Durability.SYNC).open())
        {
            for (int i = 0; i < 1000; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
                assertTrue(store.size() <= 50);
            }
            assertEquals(50, store.size());
            assertEquals(950, store.stats().evictions);
            assertArrayEquals(bytes("v999"), store.get(bytes("k999")));
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(50, store.size(), "evictions are logged and survive reopen");
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void timeToLiveNeedsExpiryAtCreation(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).open())
        {
            assertThrows(UnsupportedOperationException.class,
                () -> store.put(bytes("a"), bytes("b"), Duration.ofSeconds(1)));
        }
        assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(dir).expiry(true).open());
    }
}
