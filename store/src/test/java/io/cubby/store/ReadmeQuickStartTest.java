package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The README's quick start, kept compiling and passing. Edit both together.
 */
class ReadmeQuickStartTest
{
    @Test
    void quickStartRunsAsDocumented(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("users");

        // --- README quick start begins
        try (Cubby store = Cubby.builder(dir)
            .maxKeySize(32)                   // fixed at creation: slot width
            .maxValueSize(128)
            .expectedEntries(100_000)         // first table size; it grows beyond as needed
            .durability(Durability.SYNC)      // put returns once its log record is on disk
            .open())
        {
            store.put("alice".getBytes(StandardCharsets.UTF_8), "admin".getBytes(StandardCharsets.UTF_8));
            byte[] role = store.get("alice".getBytes(StandardCharsets.UTF_8));          // "admin"

            // allocation-free access with Agrona buffers
            UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(32));
            UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(128));
            int keyLength = key.putStringWithoutLengthAscii(0, "bob");
            value.putLong(0, 42L);
            store.put(key, 0, keyLength, value, 0, 8);
            int length = store.get(key, 0, keyLength, value, 0);                       // 8, or Cubby.MISSING

            // a typed ConcurrentMap view
            ConcurrentMap<String, Long> visits = store.asMap(Codecs.STRING, Codecs.LONG);
            visits.merge("carol", 1L, Long::sum);
            // --- README quick start ends

            assertArrayEquals("admin".getBytes(StandardCharsets.UTF_8), role);
            assertEquals(8, length);
            assertEquals(42L, value.getLong(0));
            assertEquals(1L, visits.get("carol"));
            assertThrows(EntryTooLargeException.class, () -> store.put(new byte[33], new byte[0]));
        }

        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(3, store.size());
            assertArrayEquals("admin".getBytes(StandardCharsets.UTF_8),
                store.get("alice".getBytes(StandardCharsets.UTF_8)));
        }
    }
}
