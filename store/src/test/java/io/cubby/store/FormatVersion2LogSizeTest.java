package io.cubby.store;

import static io.cubby.store.SegmentStoreTest.PARAMS;
import static io.cubby.store.SegmentStoreTest.assertMatches;
import static io.cubby.store.SegmentStoreTest.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The log's size across reopens of a version-2 store (FORMAT-v2.md 7.1, "Resize at open"), as in version 1: an
 * explicit {@code logSize} resizes the log; without one a log smaller than the open's durability's default grows
 * to it (a store created in NONE, reopened in SYNC, gets the 64 MiB log of a logged store) and a larger one is
 * kept. A resize after a crash replays the old log first; a kill at every step of the replacement leaves a store
 * that opens with every entry; a bad size is refused with nothing changed.
 */
class FormatVersion2LogSizeTest
{
    private static final Duration INTERVAL = Duration.ofMillis(20);
    private static final long MIB = 1L << 20;

    @Test
    void aReopenGrowsALogSmallerThanItsDurabilitysDefaultAndKeepsALargerOne(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("store");
        final Map<String, byte[]> model = new TreeMap<>();
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(MIB, store.stats().logCapacity, "NONE's default");
            put(store, model, 0, 200);
        }
        try (Cubby store = Cubby.builder(dir).durability(Durability.SYNC).open())
        {
            assertEquals(64 * MIB, store.stats().logCapacity, "a logged store's default");
            assertAll(store, model);
            put(store, model, 200, 200);
        }
        assertLogFile(dir, 64 * MIB);
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(64 * MIB, store.stats().logCapacity, "a larger log is kept without logSize");
            assertAll(store, model);
        }
        try (Cubby store = Cubby.builder(dir).durability(Durability.ASYNC).logSize(2 * MIB).open())
        {
            assertEquals(2 * MIB, store.stats().logCapacity, "an explicit logSize shrinks it too");
            assertAll(store, model);
            put(store, model, 400, 3000); // about 100 bytes a record: the 2 MiB log wraps, with checkpoints
        }
        assertLogFile(dir, 2 * MIB);
        try (Cubby store = Cubby.builder(dir).durability(Durability.SYNC).logSize(2 * MIB).open())
        {
            assertEquals(2 * MIB, store.stats().logCapacity);
            assertTrue(store.recoveryReport().cleanShutdown, store.recoveryReport()::toString);
            assertAll(store, model);
        }
    }

    @Test
    void aResizeAfterAKillReplaysTheOldLogFirst(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        final Path killed = tmp.resolve("killed");
        final Map<String, byte[]> model = new TreeMap<>();
        try (Cubby store = Cubby.builder(dir).durability(Durability.SYNC).logSize(4 * MIB).open())
        {
            put(store, model, 0, 500);
            copyFiles(dir, killed); // what a kill leaves: the page cache, the records live in the log
        }
        try (Cubby store = Cubby.builder(killed).durability(Durability.SYNC).logSize(8 * MIB).open())
        {
            final RecoveryReport report = store.recoveryReport();
            assertFalse(report.cleanShutdown, report::toString);
            assertTrue(report.operationsReplayed > 0, report::toString);
            assertEquals(8 * MIB, store.stats().logCapacity);
            assertAll(store, model);
            put(store, model, 500, 100);
        }
        assertLogFile(killed, 8 * MIB);
        try (Cubby store = Cubby.builder(killed).open())
        {
            assertEquals(8 * MIB, store.stats().logCapacity, "larger than NONE's default: kept");
            assertAll(store, model);
        }
    }

    @Test
    void aLogSizeTooSmallForTheStoreIsRefusedWithNothingChanged(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        final Map<String, byte[]> model = new TreeMap<>();
        try (Cubby store = Cubby.builder(dir).segments(256).open())
        {
            put(store, model, 0, 50);
        }
        final Map<String, byte[]> before = contents(dir);
        final long min = SegmentLogDescriptor.minCapacity(8);
        final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
            () -> Cubby.builder(dir).logSize(min - SegmentLogDescriptor.ALIGNMENT).open());
        assertTrue(refused.getMessage().contains("nothing was changed"), refused::getMessage);
        assertContentsEqual(before, contents(dir));
        try (Cubby store = Cubby.builder(dir).logSize(min).open())
        {
            assertEquals(min, store.stats().logCapacity);
            assertAll(store, model);
        }
    }

    /**
     * Reopens that alternate durabilities and log sizes, so that every other one replaces the log, leave no file
     * descriptor open: the replaced log's channel is closed with the store's others. (A leak of one descriptor per
     * replacement, 30 in all, fails it; the slack allows for other threads of the test JVM.)
     */
    @Test
    void reopensThatResizeTheLogLeakNoFileDescriptor(@TempDir final Path tmp) throws IOException
    {
        final Path fds = Path.of("/proc/self/fd");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(fds), "no /proc/self/fd here");
        final Path dir = tmp.resolve("store");
        final Map<String, byte[]> model = new TreeMap<>();
        long baseline = -1;
        for (int round = 0; round < 60; round++)
        {
            final Cubby.Builder builder = Cubby.builder(dir).durability(round % 2 == 0 ? Durability.SYNC :
                Durability.NONE);
            try (Cubby store = (round % 3 == 0 ? builder : builder.logSize(2 * MIB)).open())
            {
                put(store, model, round, 1);
            }
            try (Stream<Path> open = Files.list(fds))
            {
                final long count = open.count();
                if (round == 1)
                {
                    baseline = count; // after the first resize, with whatever the JVM opened for itself
                }
                else if (round > 1)
                {
                    assertTrue(count <= baseline + 8, "round " + round + ": " + count + " descriptors open, " +
                        baseline + " after round 1");
                }
            }
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertAll(store, model);
        }
    }

    /** Something other than a file under the name a new log is allocated under is not the store's to delete. */
    @Test
    void aDirectoryNamedLikeTheLogsAllocationIsRefusedNotDeleted(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        final Map<String, byte[]> model = new TreeMap<>();
        try (Cubby store = Cubby.builder(dir).open())
        {
            put(store, model, 0, 20);
        }
        final Path squatter = Files.createDirectory(dir.resolve(SegmentStore.LOG_FILE + ".tmp"));
        Files.writeString(squatter.resolve("notes.txt"), "someone's");
        final Map<String, byte[]> before = contents(dir);
        final CorruptStoreException refused = assertThrows(CorruptStoreException.class,
            () -> Cubby.builder(dir).durability(Durability.SYNC).open());
        assertTrue(refused.getMessage().contains("not a regular file"), refused::getMessage);
        assertContentsEqual(before, contents(dir));
        assertTrue(Files.isRegularFile(squatter.resolve("notes.txt")));
        try (Cubby store = Cubby.builder(dir).open()) // keeps the log: the name is not touched
        {
            assertAll(store, model);
        }
        assertTrue(Files.isRegularFile(squatter.resolve("notes.txt")));
    }

    /**
     * A kill at each step of replacing the log (the new file forced under {@code wal.log.tmp}, renamed over
     * {@code wal.log}, the directory forced), from a cleanly closed store and from a killed one whose log holds
     * live records: the image opens with every entry, with the old log or the new one, leaves no
     * {@code wal.log.tmp}, and takes writes that survive the next reopen.
     */
    @Test
    void aKillAtEveryStepOfAResizeLeavesAStoreThatOpens(@TempDir final Path tmp) throws IOException
    {
        final long small = SegmentLogDescriptor.minCapacity(PARAMS.segmentBits) * 4;
        final long large = small * 4;
        final List<String> points = List.of("v2.log.new-forced", "v2.log.new-renamed", "v2.log.replaced");
        for (final boolean killedFirst : new boolean[]{ false, true })
        {
            final Path base = tmp.resolve("base-" + killedFirst);
            final Map<String, byte[]> model = new HashMap<>();
            try (SegmentStore store = SegmentStore.create(base.resolve("live"), PARAMS, 16, small, Durability.SYNC,
                INTERVAL))
            {
                write(store, model, 0, 300);
                if (killedFirst)
                {
                    copyFiles(base.resolve("live"), base.resolve("image"));
                }
            }
            final Path start = killedFirst ? base.resolve("image") : base.resolve("live");
            for (final String point : points)
            {
                final Path work = tmp.resolve("work-" + killedFirst + "-" + point);
                final Path image = tmp.resolve("image-" + killedFirst + "-" + point);
                copyFiles(start, work);
                final List<String> reached = new ArrayList<>();
                CrashPoints.Hook.installed = p ->
                {
                    if (p.equals(point))
                    {
                        reached.add(p);
                        try
                        {
                            copyFiles(work, image);
                        }
                        catch (final IOException ex)
                        {
                            throw new UncheckedIOException(ex);
                        }
                    }
                };
                try (SegmentStore store = SegmentStore.open(work, Durability.SYNC, INTERVAL, false,
                    new SegmentStore.LogSize(large, false)))
                {
                    assertEquals(large, store.logUsage()[1]);
                    assertMatches(store, model);
                }
                finally
                {
                    CrashPoints.Hook.installed = null;
                }
                assertEquals(List.of(point), reached, "the resize passed " + point);

                final Map<String, byte[]> expected = new HashMap<>(model);
                try (SegmentStore store = SegmentStore.open(image, Durability.SYNC, INTERVAL, false))
                {
                    final long capacity = store.logUsage()[1];
                    assertTrue(capacity == small || capacity == large, point + ": log of " + capacity + " bytes");
                    assertFalse(Files.exists(image.resolve(SegmentStore.LOG_FILE + ".tmp")),
                        point + ": the allocation left behind is deleted");
                    assertMatches(store, expected);
                    write(store, expected, 1000, 100);
                }
                try (SegmentStore store = SegmentStore.open(image, Durability.SYNC, INTERVAL, false))
                {
                    assertMatches(store, expected);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void put(final Cubby store, final Map<String, byte[]> model, final int from, final int count)
    {
        for (int i = from; i < from + count; i++)
        {
            final byte[] value = ("value " + i + " " + count).getBytes(StandardCharsets.US_ASCII);
            store.put(("key" + i).getBytes(StandardCharsets.US_ASCII), value);
            model.put("key" + i, value);
        }
    }

    private static void assertAll(final Cubby store, final Map<String, byte[]> model)
    {
        assertEquals(model.size(), store.size());
        for (final Map.Entry<String, byte[]> entry : model.entrySet())
        {
            assertArrayEquals(entry.getValue(), store.get(entry.getKey().getBytes(StandardCharsets.US_ASCII)),
                entry.getKey());
        }
    }

    private static void write(final SegmentStore store, final Map<String, byte[]> model, final int from,
        final int count) throws IOException
    {
        for (int i = from; i < from + count; i++)
        {
            final String key = "key" + i;
            final byte[] value = ("value " + i + " " + from).getBytes(StandardCharsets.US_ASCII);
            model.put(key, value);
            store.put(bytes(key), 0, key.length(), new UnsafeBuffer(value), 0, value.length);
        }
    }

    private static void assertLogFile(final Path dir, final long capacity)
    {
        assertEquals(capacity, dir.resolve(SegmentStore.LOG_FILE).toFile().length());
        assertFalse(Files.exists(dir.resolve(SegmentStore.LOG_FILE + ".tmp")));
    }

    /** The store's files as the page cache holds them (what a kill leaves), the lock file left out. */
    private static void copyFiles(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : files.toList())
            {
                if (!file.getFileName().toString().equals(StoreLock.FILE_NAME))
                {
                    Files.copy(file, to.resolve(file.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Every regular file's bytes but the lock file's, by name. */
    static Map<String, byte[]> contents(final Path dir) throws IOException
    {
        final Map<String, byte[]> contents = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : files.toList())
            {
                if (!file.getFileName().toString().equals(StoreLock.FILE_NAME) &&
                    Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                {
                    contents.put(file.getFileName().toString(), Files.readAllBytes(file));
                }
            }
        }
        return contents;
    }

    static void assertContentsEqual(final Map<String, byte[]> expected, final Map<String, byte[]> actual)
    {
        assertEquals(expected.keySet(), actual.keySet());
        for (final Map.Entry<String, byte[]> entry : expected.entrySet())
        {
            assertArrayEquals(entry.getValue(), actual.get(entry.getKey()), entry.getKey() + " changed");
        }
    }
}
