package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Removal listeners on a version-2 store: every expired entry the store reclaims (a put of its key, or the
 * migration of a rehash that drops it) is told once, with its last value and {@link RemovalCause#EXPIRED}, on the
 * listener's thread, and all of them are delivered by the close; removals by the caller and live entries are
 * never told; a failing listener does not disturb the store.
 */
class FormatVersion2RemovalListenerTest
{
    private record Removal(String key, String value, RemovalCause cause)
    {
    }

    private static Cubby.Builder builder(final Path dir, final List<Removal> removals)
    {
        return Cubby.builder(dir).formatVersion(2).segments(2).maxKeySize(16).maxValueSize(24).expectedEntries(16)
            .durability(Durability.NONE).expiry(true)
            .removalListener((key, value, cause) -> removals.add(new Removal(text(key), text(value), cause)));
    }

    @Test
    void everyReclaimedExpiredEntryIsToldOnceWithItsLastValue(@TempDir final Path dir)
    {
        final List<Removal> removals = new CopyOnWriteArrayList<>();
        final Map<String, String> expiring = new HashMap<>();
        final Map<String, String> lasting = new HashMap<>();
        try (Cubby store = builder(dir, removals).open())
        {
            for (int i = 0; i < 100; i++)
            {
                if (i % 2 == 0)
                {
                    store.put(bytes("e" + i), bytes("old-" + i), Duration.ofHours(1));
                    store.put(bytes("e" + i), bytes("last-" + i), Duration.ofHours(1));
                    expiring.put("e" + i, "last-" + i);
                }
                else
                {
                    store.put(bytes("l" + i), bytes("live-" + i));
                    lasting.put("l" + i, "live-" + i);
                }
            }
            store.remove(bytes("l1"));
            lasting.remove("l1");
            assertTrue(removals.isEmpty(), "nothing expired yet: " + removals);
            ExpiryClock.advance(TimeUnit.HOURS.toMillis(2));
            // a put reclaims its key's expired entry
            for (int i = 0; i < 20; i += 2)
            {
                store.put(bytes("e" + i), bytes("new-" + i));
            }
            // growth: every migration drops the expired entries it meets
            for (int i = 0; i < 5000 && countExpiredTold(removals) < expiring.size(); i++)
            {
                store.put(bytes("g" + i), bytes("v"));
            }
            for (int i = 20; i < 100; i += 2)
            {
                assertNull(store.get(bytes("e" + i)));
            }
        }
        // the close delivered everything queued
        final Map<String, String> told = new HashMap<>();
        for (final Removal removal : removals)
        {
            assertEquals(RemovalCause.EXPIRED, removal.cause(), removal.toString());
            assertNull(told.put(removal.key(), removal.value()), removal.key() + " told twice");
        }
        assertEquals(expiring, told, "each expired entry told once, with its last value; no live entry told");
        try (Cubby store = builder(dir, removals).open())
        {
            for (final Map.Entry<String, String> entry : lasting.entrySet())
            {
                assertEquals(entry.getValue(), text(store.get(bytes(entry.getKey()))));
            }
        }
    }

    @Test
    void aFailingListenerDoesNotDisturbTheStore(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).expiry(true)
            .removalListener((key, value, cause) ->
            {
                throw new IllegalStateException("listener failure");
            }).open())
        {
            store.put(bytes("a"), bytes("1"), Duration.ofHours(1));
            ExpiryClock.advance(TimeUnit.HOURS.toMillis(2));
            store.put(bytes("a"), bytes("2"));
            assertEquals("2", text(store.get(bytes("a"))));
        }
    }

    private static long countExpiredTold(final List<Removal> removals)
    {
        return removals.stream().filter(r -> r.key().startsWith("e")).count();
    }
}
