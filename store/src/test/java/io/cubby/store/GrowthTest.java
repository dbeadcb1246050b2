package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Growth from the smallest table through tables large enough to be allocated in the background while earlier
 * rehashes are retired, with the default settings: every entry stays readable and the run ends (a timeout guards
 * against a writer waiting, under the lock, for an allocation stuck behind a task that needs the lock).
 */
class GrowthTest
{
    @Test
    void growsFromTheSmallestTableThroughBackgroundAllocations(@TempDir final Path tmp)
    {
        assertTimeoutPreemptively(Duration.ofMinutes(3), () ->
        {
            final int count = 700_000;
            final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
            final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
            final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
            try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).maxKeySize(16).maxValueSize(64)
                .expectedEntries(1)
                .open())
            {
                for (int i = 0; i < count; i++)
                {
                    key.putLong(0, i * 0x9E3779B97F4A7C15L);
                    key.putLong(8, i);
                    value.putLong(0, i);
                    store.put(key, 0, 16, value, 0, 64);
                }
                assertEquals(count, store.size());
                assertTrue(store.stats().rehashesStarted >= 15, "grew " + store.stats().rehashesStarted + " times");
                for (int i = 0; i < count; i += 7)
                {
                    key.putLong(0, i * 0x9E3779B97F4A7C15L);
                    key.putLong(8, i);
                    assertEquals(64, store.get(key, 0, 16, dst, 0));
                    assertEquals(i, dst.getLong(0));
                }
                assertTrue(store.verify().isOk());
            }
        });
    }
}
