package io.cubby.store;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The typed map as a cache: time to live kept or set by every map write, expired entries invisible to size,
 * equality and iteration, atomic compute functions run once per call, write-through entries, a persisted entry
 * bound, removal notifications, JFR events, hit rate, an orderly close and close on JVM shutdown.
 */
class CacheFeaturesTest
{
    private static void sleepPast(final long millis) throws InterruptedException
    {
        final long until = System.currentTimeMillis() + millis + 1;
        while (System.currentTimeMillis() <= until)
        {
            Thread.sleep(1);
        }
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void mapWritesKeepAnEntrysTimeToLive(final int version, @TempDir final Path dir) throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true).open())
        {
            final CubbyMap<String, Long> map = store.asMap(Codecs.STRING, Codecs.LONG);
            map.put("merged", 1L, Duration.ofMillis(1500));
            map.put("computed", 1L, Duration.ofMillis(1500));
            map.put("replaced", 1L, Duration.ofMillis(1500));
            map.put("put", 1L, Duration.ofMillis(1500));
            map.merge("merged", 1L, Long::sum);
            map.compute("computed", (k, v) -> null == v ? 0 : v + 1);
            map.replace("replaced", 5L);
            map.put("put", 7L);
            map.put("permanent", 1L);
            assertEquals(2L, map.get("merged"));
            assertEquals(7L, map.get("put"));
            sleepPast(1500);
            assertNull(map.get("merged"), "merge kept the 1.5 s time to live");
            assertNull(map.get("computed"));
            assertNull(map.get("replaced"));
            assertNull(map.get("put"));
            assertEquals(Map.of("permanent", 1L), Map.copyOf(map));
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void expireAfterWriteAppliesToEveryWriteWithoutItsOwnTimeToLive(final int version, @TempDir final Path dir)
        throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16)
            .expireAfterWrite(Duration.ofMillis(1500)).open())
        {
            final CubbyMap<String, Long> map = store.asMap(Codecs.STRING, Codecs.LONG);
            map.put("a", 1L);
            map.merge("b", 1L, Long::sum);
            map.computeIfAbsent("c", k -> 3L);
            store.put(bytes("d"), new byte[8]);
            map.put("own", 9L, Duration.ofHours(1));
            assertEquals(5, map.size());
            sleepPast(1500);
            assertEquals(Map.of("own", 9L), Map.copyOf(map));
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void expiredEntriesAreInvisibleToSizeEqualityAndKeySet(final int version, @TempDir final Path dir) throws InterruptedException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true).open())
        {
            final CubbyMap<String, Long> map = store.asMap(Codecs.STRING, Codecs.LONG);
            map.put("live", 1L);
            map.put("gone", 2L, Duration.ofMillis(5));
            sleepPast(5);
            assertEquals(1, map.size());
            assertEquals(1, map.keySet().size());
            assertEquals(Set.of("live"), Set.copyOf(map.keySet()));
            assertEquals(Map.of("live", 1L), map);
            assertEquals(Map.of("live", 1L).hashCode(), map.hashCode());
            assertEquals(1, store.size());
            assertEquals(2, store.estimatedSize(), "the constant-time count includes the unreclaimed entry");
            map.remove("live");
            assertTrue(map.isEmpty());
            assertTrue(store.isEmpty());
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void computeRunsItsFunctionOncePerCallUnderContention(final int version, @TempDir final Path dir) throws Exception
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).open())
        {
            final CubbyMap<String, Long> map = store.asMap(Codecs.STRING, Codecs.LONG);
            final int threads = 4;
            final int calls = 5_000;
            final AtomicInteger invocations = new AtomicInteger();
            map.put("k", 0L); // present throughout, so every call's function runs
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int id = t;
                final Thread worker = new Thread(() ->
                {
                    try
                    {
                        start.await();
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (int i = 0; i < calls; i++)
                    {
                        switch ((i + id) % 4)
                        {
                            case 0 -> map.compute("k", (k, v) ->
                            {
                                invocations.incrementAndGet();
                                return null == v ? 1 : v + 1;
                            });
                            case 1 -> map.merge("k", 1L, (a, b) ->
                            {
                                invocations.incrementAndGet();
                                return a + b;
                            });
                            case 2 -> map.computeIfPresent("k", (k, v) ->
                            {
                                invocations.incrementAndGet();
                                return v + 1;
                            });
                            default -> map.compute("k", (k, v) ->
                            {
                                invocations.incrementAndGet();
                                return null == v ? 1 : v + 1;
                            });
                        }
                    }
                });
                workers.add(worker);
                worker.start();
            }
            start.countDown();
            for (final Thread worker : workers)
            {
                worker.join();
            }
            final long total = (long)threads * calls;
            assertEquals(total, invocations.get(), "each call ran its function exactly once");
            assertEquals(total, map.get("k"), "every call's increment applied exactly once");
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void computeFunctionMayReadButNotNestAndItsExceptionChangesNothing(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).open())
        {
            final CubbyMap<String, Long> map = store.asMap(Codecs.STRING, Codecs.LONG);
            map.put("other", 41L);
            assertEquals(42L, map.compute("k", (k, v) -> map.get("other") + 1 + map.size() - 1));
            assertThrows(IllegalStateException.class,
                () -> map.compute("k", (k, v) -> map.compute("other", (k2, v2) -> 0L)));
            assertThrows(ArithmeticException.class, () -> map.compute("k", (k, v) ->
            {
                throw new ArithmeticException("boom");
            }));
            assertEquals(Map.of("other", 41L, "k", 42L), Map.copyOf(map));
            assertNull(map.computeIfPresent("absent", (k, v) -> 1L));
            assertEquals(42L, map.computeIfAbsent("k", k -> 0L));
            assertNull(map.compute("k", (k, v) -> null));
            assertFalse(map.containsKey("k"));
            assertTrue(store.verify().isOk());
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void entrySetValueWritesThrough(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).open())
        {
            final CubbyMap<String, Long> map = store.asMap(Codecs.STRING, Codecs.LONG);
            map.put("a", 1L);
            map.put("b", 2L);
            for (final Map.Entry<String, Long> entry : map.entrySet())
            {
                assertEquals(entry.getValue(), entry.setValue(entry.getValue() * 10));
            }
            assertEquals(Map.of("a", 10L, "b", 20L), Map.copyOf(map));
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void maxEntriesIsStoredAndAReopenWithASmallerBoundEvictsDownToIt(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true).maxEntries(100).open())
        {
            for (int i = 0; i < 300; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            assertEquals(100, store.size());
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            for (int i = 300; i < 600; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            assertEquals(100, store.size(), "a reopen without maxEntries keeps the stored bound");
            assertEquals(100, store.maxEntries());
        }
        try (Cubby store = Cubby.builder(dir).maxEntries(40).open())
        {
            assertEquals(40, store.size(), "a smaller bound is honoured at open");
            assertTrue(store.verify().isOk());
        }
        try (Cubby store = Cubby.builder(dir).maxEntries(0).open())
        {
            for (int i = 600; i < 700; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            assertEquals(140, store.size(), "0 removes the bound");
        }
        assertThrows(IllegalArgumentException.class, () -> Cubby.builder(dir).maxEntries(1L << 32));
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void removalListenerIsToldOfEvictionsAndExpirations(final int version, @TempDir final Path dir) throws Exception
    {
        final ConcurrentLinkedQueue<String> removals = new ConcurrentLinkedQueue<>();
        final String removedExplicitly;
        final Map<String, String> values = new HashMap<>();
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).expiry(true).maxEntries(10)
            .removalListener((k, v, cause) ->
            {
                removals.add(cause + ":" + new String(k, StandardCharsets.UTF_8));
                synchronized (values)
                {
                    values.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8));
                }
            }).open())
        {
            for (int i = 0; i < 10; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            store.put(bytes("short"), bytes("s"), Duration.ofMillis(5));
            sleepPast(5);
            store.put(bytes("short"), bytes("again"));
            // an explicit remove (of a key still present) and a re-insert into the room it made: nothing reported
            int present = 0;
            while (null == store.get(bytes("k" + present)))
            {
                present++;
            }
            removedExplicitly = "k" + present;
            store.remove(bytes(removedExplicitly));
            store.put(bytes(removedExplicitly), bytes("v" + present));
        }
        final List<String> seen = List.copyOf(removals);
        assertEquals(1, seen.stream().filter(r -> r.startsWith("SIZE:")).count(), seen.toString());
        assertTrue(seen.contains("EXPIRED:short"), seen.toString());
        assertEquals("s", values.get("short"));
        for (final String removal : seen)
        {
            final String key = removal.substring(removal.indexOf(':') + 1);
            if (!"short".equals(key))
            {
                assertEquals("v" + key.substring(1), values.get(key), "the listener gets the removed value");
            }
        }
        assertFalse(seen.stream().anyMatch(r -> r.endsWith(":" + removedExplicitly)),
            "an explicit remove is not reported: " + seen);
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void flightRecorderEventsCoverRehashCheckpointRecoveryAndEviction(final int version, @TempDir final Path dir) throws Exception
    {
        final Path recordingFile = dir.resolve("events.jfr");
        final Path storeDir = dir.resolve("store");
        try (Recording recording = new Recording())
        {
            for (final String name : List.of("io.cubby.RehashBegin", "io.cubby.RehashEnd", "io.cubby.Checkpoint",
                "io.cubby.Recovery", "io.cubby.Eviction"))
            {
                recording.enable(name).withoutThreshold();
            }
            recording.start();
            try (Cubby store = Cubby.builder(storeDir).formatVersion(version).maxKeySize(16).maxValueSize(16).expectedEntries(16)
                .maxEntries(200).open())
            {
                for (int i = 0; i < 400; i++)
                {
                    store.put(bytes("k" + i), bytes("v" + i));
                }
                store.checkpoint();
            }
            recording.stop();
            recording.dump(recordingFile);
        }
        final Map<String, Long> counts = RecordingFile.readAllEvents(recordingFile).stream()
            .collect(Collectors.groupingBy(e -> e.getEventType().getName(), Collectors.counting()));
        for (final String name : List.of("io.cubby.RehashBegin", "io.cubby.RehashEnd", "io.cubby.Checkpoint",
            "io.cubby.Recovery"))
        {
            assertTrue(counts.getOrDefault(name, 0L) > 0, name + " missing from " + counts);
        }
        assertEquals(200L, counts.get("io.cubby.Eviction"), counts.toString());
        final RecordedEvent begin = RecordingFile.readAllEvents(recordingFile).stream()
            .filter(e -> e.getEventType().getName().equals("io.cubby.RehashBegin")).findFirst().orElseThrow();
        assertEquals(storeDir.toString(), begin.getString("directory"));
        assertTrue(begin.getLong("capacity") > begin.getLong("sourceCapacity"));
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void statsReportHitRate(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16).recordStats(true).open())
        {
            assertEquals(1.0, store.stats().hitRate());
            store.put(bytes("a"), bytes("1"));
            store.get(bytes("a"));
            store.get(bytes("a"));
            store.get(bytes("a"));
            store.get(bytes("b"));
            assertEquals(0.75, store.stats().hitRate());
            assertEquals(0.25, store.stats().missRate(), 1e-12);
            assertTrue(store.stats().toString().contains("hit rate=0.750"), store.stats().toString());
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertTrue(Double.isNaN(store.stats().hitRate()));
        }
    }

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void orderlyCloseRightAfterGrowthLogsNoWarning(final int version, @TempDir final Path dir)
    {
        final Logger logger = Logger.getLogger("io.cubby.store");
        final List<LogRecord> warnings = new ArrayList<>();
        final Handler handler = new Handler()
        {
            public void publish(final LogRecord record)
            {
                if (record.getLevel().intValue() >= Level.WARNING.intValue())
                {
                    synchronized (warnings)
                    {
                        warnings.add(record);
                    }
                }
            }

            public void flush()
            {
            }

            public void close()
            {
            }
        };
        logger.addHandler(handler);
        try
        {
            for (int round = 0; round < 5; round++)
            {
                // half-filling a table over 1 MiB starts the next table's allocation in the background
                try (Cubby store = Cubby.builder(dir.resolve("s" + round)).formatVersion(version).maxKeySize(16).maxValueSize(1000)
                    .expectedEntries(1500).open())
                {
                    final byte[] value = new byte[1000];
                    for (int i = 0; i < 1500; i++)
                    {
                        store.put(bytes("k" + i), value);
                    }
                }
            }
        }
        finally
        {
            logger.removeHandler(handler);
        }
        assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).collect(Collectors.toList()));
    }

    @Test
    void closeOnJvmShutdownLeavesACleanStore(@TempDir final Path dir) throws Exception
    {
        final Path output = dir.resolve("child.out");
        final Path store = dir.resolve("store");
        final Process child = ChildJvm.start(ShutdownChild.class, output, store.toString(), "exit");
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, child.exitValue(), Files.readString(output));
        try (Cubby reopened = Cubby.builder(store).open())
        {
            assertTrue(reopened.recoveryReport().cleanShutdown, reopened.recoveryReport().toString());
            assertEquals(0, reopened.recoveryReport().operationsReplayed);
            assertEquals(1000, reopened.size());
            assertArrayEquals(bytes("v999"), reopened.get(bytes("k999")));
        }
    }

    @Test
    void withoutCloseOnJvmShutdownTheNextOpenRecovers(@TempDir final Path dir) throws Exception
    {
        final Path output = dir.resolve("child.out");
        final Path store = dir.resolve("store");
        final Process child = ChildJvm.start(ShutdownChild.class, output, store.toString(), "exit-no-hook");
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, child.exitValue(), Files.readString(output));
        try (Cubby reopened = Cubby.builder(store).open())
        {
            assertFalse(reopened.recoveryReport().cleanShutdown);
            assertEquals(1000, reopened.size());
        }
    }

    @Test
    void fallocateAllocatesThroughTheCLibraryOnLinux(@TempDir final Path dir) throws Exception
    {
        if (!System.getProperty("os.name").toLowerCase().contains("linux"))
        {
            return;
        }
        assertTrue(Fallocate.isAvailable(), "fallocate(2) through JNA is available on Linux");
        final Path file = dir.resolve("t\u00e9st.prep");
        final long length = 8L << 20;
        assertTrue(Fallocate.allocate(file, length) || !Fallocate.isAvailable());
        assertEquals(length, Files.size(file));
        final Object blocks = Files.getAttribute(file, "unix:size");
        assertNotEquals(null, blocks);
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> Fallocate.allocate(file, length));
    }

    /**
     * Child JVM of the shutdown tests: writes with SYNC durability, then exits without closing the store.
     */
    public static final class ShutdownChild
    {
        private ShutdownChild()
        {
        }

        public static void main(final String[] args)
        {
            final boolean hook = "exit".equals(args[1]);
            final Cubby store = Cubby.builder(Path.of(args[0])).maxKeySize(16).maxValueSize(16)
                .durability(Durability.SYNC).closeOnJvmShutdown(hook).open();
            for (int i = 0; i < 1000; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            System.exit(0);
        }
    }
}
