package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The entry bound of a version-2 store ({@link Cubby.Builder#maxEntries(long)}): a put of a new key into a full
 * store evicts one entry first, expired ones before live ones, each told to the removal listener once (SIZE or
 * EXPIRED); the store never holds more than its bound, every entry it holds is the last value written for its key,
 * the bound is kept across reopens, a smaller one evicts down before the open returns, and a logged store's
 * evictions replay from its log after a kill.
 */
class FormatVersion2EvictionTest
{
    private record Removal(String key, String value, RemovalCause cause)
    {
    }

    private static Cubby.Builder builder(final Path dir, final long bound, final List<Removal> removals)
    {
        return Cubby.builder(dir).formatVersion(2).maxKeySize(16).maxValueSize(24).maxEntries(bound)
            .removalListener((key, value, cause) -> removals.add(new Removal(text(key), text(value), cause)));
    }

    @ParameterizedTest
    @EnumSource(Durability.class)
    void aBoundedStoreNeverHoldsMoreThanItsBoundAndTellsEachEviction(final Durability durability,
        @TempDir final Path dir)
    {
        final int bound = 200;
        final List<Removal> removals = new CopyOnWriteArrayList<>();
        final Map<String, String> written = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(5);
        try (Cubby store = builder(dir, bound, removals).durability(durability).open())
        {
            assertEquals(bound, store.maxEntries());
            for (int i = 0; i < 3000; i++)
            {
                final String key = "k" + random.nextInt(1500);
                if (random.nextInt(10) == 0)
                {
                    store.remove(bytes(key));
                    written.remove(key);
                }
                else
                {
                    final String value = "v" + i;
                    store.put(bytes(key), bytes(value));
                    written.put(key, value);
                    assertEquals(value, text(store.get(bytes(key))), "the put's own entry stays");
                }
                assertTrue(store.size() <= bound, "size " + store.size() + " after " + i);
            }
            // the sequence may end with removals; then as many new keys fill the store exactly to its bound
            for (int i = 0; i < bound; i++)
            {
                store.put(bytes("f" + i), bytes("w" + i));
                written.put("f" + i, "w" + i);
            }
            assertEquals(bound, store.size(), "a full store stays full");
            assertTrue(store.verify().isOk(), store.verify().problems.toString());
            final Map<String, String> held = contents(store);
            for (final Map.Entry<String, String> entry : held.entrySet())
            {
                assertEquals(written.get(entry.getKey()), entry.getValue(), "held the last value written");
            }
        }
        final Map<String, Integer> told = new HashMap<>();
        for (final Removal removal : removals)
        {
            assertEquals(RemovalCause.SIZE, removal.cause());
            told.merge(removal.key(), 1, Integer::sum);
        }
        assertTrue(removals.size() > 1000, "evictions told: " + removals.size());
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(bound, store.maxEntries(), "the bound is kept by an open that does not set it");
            for (final String key : contents(store).keySet())
            {
                assertEquals(written.get(key), text(store.get(bytes(key))));
            }
        }
    }

    @Test
    void expiredEntriesAreEvictedBeforeLiveOnes(@TempDir final Path dir)
    {
        final List<Removal> removals = new CopyOnWriteArrayList<>();
        try (Cubby store = builder(dir, 64, removals).expiry(true).durability(Durability.NONE).open())
        {
            for (int i = 0; i < 64; i++)
            {
                if (i % 2 == 0)
                {
                    store.put(bytes("e" + i), bytes("x" + i), Duration.ofHours(1));
                }
                else
                {
                    store.put(bytes("l" + i), bytes("y" + i));
                }
            }
            ExpiryClock.advance(TimeUnit.HOURS.toMillis(2));
            // each new key evicts one entry of its segment; with one segment (64 entries) expired ones go first
            for (int i = 0; i < 8; i++)
            {
                store.put(bytes("n" + i), bytes("z" + i));
            }
            for (int i = 1; i < 64; i += 2)
            {
                assertEquals("y" + i, text(store.get(bytes("l" + i))), "live entries stay while expired ones remain");
            }
        }
        assertEquals(8, removals.size());
        for (final Removal removal : removals)
        {
            assertEquals(RemovalCause.EXPIRED, removal.cause(), removal.toString());
            assertTrue(removal.key().startsWith("e"), removal.toString());
        }
    }

    @Test
    void aSmallerBoundEvictsDownBeforeTheOpenReturnsAndZeroRemovesTheBound(@TempDir final Path dir)
    {
        final List<Removal> removals = new CopyOnWriteArrayList<>();
        try (Cubby store = builder(dir, 0, removals).segments(4).durability(Durability.SYNC).open())
        {
            assertEquals(0, store.maxEntries());
            for (int i = 0; i < 1000; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
        }
        try (Cubby store = builder(dir, 300, removals).durability(Durability.SYNC).open())
        {
            assertEquals(300, store.maxEntries());
            assertEquals(300, store.size());
            assertTrue(store.verify().isOk());
        }
        assertEquals(700, removals.size());
        try (Cubby store = builder(dir, 0, removals).open())
        {
            assertEquals(0, store.maxEntries());
            for (int i = 0; i < 500; i++)
            {
                store.put(bytes("m" + i), bytes("w" + i));
            }
            assertEquals(800, store.size(), "unbounded again");
        }
        try (Cubby reader = Cubby.builder(dir).readOnly(true).open())
        {
            assertEquals(0, reader.maxEntries());
        }
    }

    @Test
    void aKilledLoggedStoreReplaysItsEvictions(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        final Map<String, String> held;
        try (Cubby store = builder(dir, 100, new CopyOnWriteArrayList<>()).durability(Durability.SYNC).open())
        {
            for (int i = 0; i < 1000; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            held = contents(store);
            CrashPointEnumerationTest.copyFiles(dir, image); // a SIGKILL now
        }
        try (Cubby store = Cubby.builder(image).open())
        {
            assertEquals(held, contents(store), "the recovery replays every put and its eviction");
            assertEquals(100, store.maxEntries());
            assertTrue(store.verify().isOk());
        }
    }

    private static Map<String, String> contents(final Cubby store)
    {
        final Map<String, String> contents = new HashMap<>();
        store.forEach((k, ko, kl, v, vo, vl) -> assertNull(contents.put(k.getStringWithoutLengthAscii(ko, kl),
            v.getStringWithoutLengthAscii(vo, vl))));
        return contents;
    }
}
