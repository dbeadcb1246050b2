package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static io.cubby.store.StoreTestSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Cubby#expiresAtMillis(byte[])} reads back the expiry time a TTL put wrote, through a rehash and a reopen.
 */
class ExpiresAtMillisTest
{
    @Test
    void readsTheExpiryTimeOfEachEntry(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("ttl");
        final long before = System.currentTimeMillis();
        try (Cubby store = Cubby.builder(dir).maxKeySize(16).maxValueSize(16).expiry(true).open())
        {
            assertTrue(store.hasExpiry());
            store.put(bytes("ttl"), bytes("v"), Duration.ofHours(1));
            store.put(bytes("forever"), bytes("v"));
            for (int i = 0; i < 5_000; i++)
            {
                store.put(bytes("k" + i), bytes("v"), Duration.ofHours(2)); // grows: a rehash moves "ttl"
            }
        }
        final long after = System.currentTimeMillis();
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            final long ttl = store.expiresAtMillis(bytes("ttl"));
            assertTrue(ttl >= before + 3_600_000 && ttl <= after + 3_600_000, "expires at " + ttl);
            assertEquals(0, store.expiresAtMillis(bytes("forever")));
            assertEquals(Cubby.MISSING, store.expiresAtMillis(bytes("absent")));
            assertTrue(store.expiresAtMillis(bytes("k4999")) >= before + 7_200_000);
        }
    }

    @Test
    void isZeroInAStoreWithoutExpiryAndMissingForAnExpiredEntry(@TempDir final Path tmp) throws Exception
    {
        try (Cubby store = Cubby.builder(tmp.resolve("plain")).maxKeySize(16).maxValueSize(16).open())
        {
            assertFalse(store.hasExpiry());
            store.put(bytes("k"), bytes("v"));
            assertEquals(0, store.expiresAtMillis(bytes("k")));
        }
        try (Cubby store = Cubby.builder(tmp.resolve("ttl")).maxKeySize(16).maxValueSize(16).expiry(true).open())
        {
            store.put(bytes("k"), bytes("v"), Duration.ofMillis(1));
            final long deadline = System.currentTimeMillis() + 1;
            while (System.currentTimeMillis() <= deadline)
            {
                Thread.sleep(1);
            }
            assertEquals(Cubby.MISSING, store.expiresAtMillis(bytes("k")));
        }
    }
}
