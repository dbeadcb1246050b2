package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's quick starts, kept compiling and passing; {@link #readmeShowsTheseSnippets()} checks that the
 * README holds each snippet as written here. Edit both together.
 */
class ReadmeQuickStartTest
{
    private static final Path README = Path.of("..", "README.md");
    private static final Path SOURCE = Path.of("src", "test", "java", "io", "cubby", "store",
        "ReadmeQuickStartTest.java");

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

    @Test
    void cacheQuickStartRunsAsDocumented(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("sessions");
        final AtomicInteger evicted = new AtomicInteger();

        // --- README cache quick start begins
        try (Cubby cache = Cubby.builder(dir)
            .maxKeySize(64)
            .maxValueSize(1024)
            .expireAfterWrite(Duration.ofMinutes(10))   // each write lives 10 minutes unless it says otherwise
            .maxEntries(50_000)                         // stored in the cache; least recently written go first
            .removalListener((key, value, cause) -> evicted.incrementAndGet())   // EXPIRED or SIZE
            .recordStats(true)
            .closeOnJvmShutdown(true)                   // an exit without close() still closes cleanly
            .open())
        {
            CubbyMap<String, String> sessions = cache.asMap(Codecs.STRING, Codecs.STRING);
            sessions.put("token-1", "alice");
            sessions.put("token-2", "bob", Duration.ofSeconds(30));       // its own time to live
            sessions.computeIfAbsent("token-3", token -> "carol");         // atomic, runs once per call
            String user = sessions.get("token-1");                         // "alice"; null once expired
            CubbyStats stats = cache.stats();                              // hitRate(), evictions, expired...
            // --- README cache quick start ends

            assertEquals("alice", user);
            assertEquals("carol", sessions.get("token-3"));
            assertNull(sessions.get("token-4"));
            assertEquals(3, sessions.size());
            assertEquals(0.5, stats.hitRate(), "token-3 missed once before it was computed");
            assertEquals(0.5, cache.stats().hitRate());
            assertEquals(0, evicted.get());
        }
        try (Cubby cache = Cubby.builder(dir).open())
        {
            assertEquals(50_000, cache.maxEntries());
        }
    }

    @Test
    void readmeShowsTheseSnippets() throws IOException
    {
        final String readme = Files.readString(README);
        final List<String> source = Files.readAllLines(SOURCE);
        for (final String name : List.of("README quick start", "README cache quick start"))
        {
            final int begin = source.indexOf(indentOf(source, name + " begins") + "// --- " + name + " begins");
            final int end = source.indexOf(indentOf(source, name + " ends") + "// --- " + name + " ends");
            assertTrue(begin >= 0 && end > begin, name);
            final String indent = source.get(begin).substring(0, source.get(begin).indexOf('/'));
            final StringBuilder snippet = new StringBuilder();
            for (final String line : source.subList(begin + 1, end))
            {
                snippet.append(line.startsWith(indent) ? line.substring(indent.length()) : line.strip())
                    .append('\n');
            }
            final String expected = snippet.toString();
            assertTrue(readme.contains(expected.strip()), "README.md lacks the " + name + " as in " + SOURCE +
                ":\n" + expected);
        }
    }

    private static String indentOf(final List<String> source, final String marker)
    {
        for (final String line : source)
        {
            if (line.strip().equals("// --- " + marker))
            {
                return line.substring(0, line.indexOf('/'));
            }
        }
        return "";
    }
}
