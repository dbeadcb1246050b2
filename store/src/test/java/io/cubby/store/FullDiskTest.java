package io.cubby.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full disk: growth (a new, larger table file), compaction (a new table file of the same kind) and log
 * replacement that meet ENOSPC fail with a {@link StoreIOException} saying so, leave the store readable with
 * everything acknowledged before, and work again once space is freed. Log appends and in-place writes need no new
 * blocks (the log and the tables are allocated before they are mapped), so they go on with zero bytes free and
 * never fault on a mapped page.
 * <p>
 * The disk is a 16 MiB tmpfs: the mount point given as {@code -Dcubby.tmpfs=DIR}, or, when running as root, one
 * that this test mounts and unmounts itself. Elsewhere the tests are skipped with the reason.
 */
class FullDiskTest
{
    private static final long TMPFS_BYTES = 16L << 20;
    private static final int MAX_KEY = 16;
    private static final int MAX_VALUE = 1000;
    private static final int LOG_SIZE = 1 << 16;

    @TempDir
    Path tmp;

    private Path disk;
    private Path mountPoint;

    @BeforeEach
    void smallFileSystem() throws Exception
    {
        final String given = System.getProperty("cubby.tmpfs");
        if (null != given && !given.isBlank())
        {
            final Path path = Paths.get(given);
            if (!Files.isDirectory(path) || !Files.isWritable(path))
            {
                Assumptions.abort("-Dcubby.tmpfs=" + given + " is not a writable directory");
            }
            disk = Files.createTempDirectory(path, "full-disk-");
            return;
        }
        final Path point = Files.createDirectories(tmp.resolve("tmpfs"));
        final String output = run("mount", "-t", "tmpfs", "-o", "size=" + TMPFS_BYTES, "tmpfs", point.toString());
        if (null != output)
        {
            Assumptions.abort("cannot mount a " + (TMPFS_BYTES >> 20) + " MiB tmpfs (needs root; or pass " +
                "-Dcubby.tmpfs=<mount point of a small tmpfs>): " + output);
        }
        mountPoint = point;
        disk = point;
    }

    @AfterEach
    void release()
    {
        // Deleted but still mapped files keep their pages until the mappings are collected.
        System.gc();
        if (null != mountPoint)
        {
            run("umount", "-l", mountPoint.toString());
        }
        else if (null != disk)
        {
            deleteRecursively(disk);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Durability.class, names = { "NONE", "SYNC" })
    void growthOnFullDiskFailsCleanlyAndResumesAfterSpaceIsFreed(final Durability durability) throws IOException
    {
        final Path dir = disk.resolve("store");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (Cubby store = open(dir, durability, 500))
        {
            final Path filler = fillDisk();
            final long capacity = store.stats().capacity;
            final StoreIOException failure = insertUntilRefused(store, acknowledged);
            assertTrue(failure.getMessage().contains("No space left on device"), failure::getMessage);
            assertTrue(failure.getMessage().contains("still readable"), failure::getMessage);
            assertEquals(capacity, store.stats().capacity, "no growth happened");
            assertEquals(Set.of("cubby.lock", "table-0000000000000001.cubby", "wal.log"), fileNames(dir),
                "the half-written table file was deleted");

            assertAllReadable(store, acknowledged);
            assertTrue(store.verify().isOk());
            assertThrows(StoreIOException.class, () -> store.put(key(100_000), value(1)), "still full");
            assertAllReadable(store, acknowledged);
            // writes that need no new slot go on with the disk full
            for (int i = 0; i < 50; i++)
            {
                put(store, acknowledged, i, value(i + 7));
            }
            assertTrue(store.remove(key(50)));
            acknowledged.remove(new String(key(50), StandardCharsets.UTF_8));
            assertAllReadable(store, acknowledged);

            Files.delete(filler);
            final int from = 100_001;
            for (int i = from; i < from + 600; i++)
            {
                put(store, acknowledged, i, value(i));
            }
            assertTrue(store.stats().capacity > capacity, "the table grew once space was freed");
            assertTrue(store.verify().isOk());
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).logSize(LOG_SIZE).open())
        {
            assertEquals(acknowledged.size(), store.size());
            assertAllReadable(store, acknowledged);
        }
    }

    /**
     * A store killed on a full disk reopens there, and the writes that need no new slot go on. Whether the image
     * holds operations to replay depends on whether a background checkpoint ran before it was taken; either way
     * the table is past its load limit, so updates and removals must go on while growth fails.
     */
    @Test
    void recoveryAfterAKillOnAFullDiskNeedsNoSpace() throws IOException
    {
        final Path dir = disk.resolve("store");
        final Path image = tmp.resolve("image");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        // A log large enough that the inserts since the last checkpoint stay in it, to be replayed.
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(MAX_KEY).maxValueSize(MAX_VALUE)
            .expectedEntries(500)
            .durability(Durability.SYNC).logSize(1 << 20).open())
        {
            final Path full = fillDisk();
            insertUntilRefused(store, acknowledged); // the table is at its load limit and cannot grow
            copyImage(dir, image); // what a kill now leaves: the files as they are, the tables still marked open
            Files.delete(full);
        }
        restoreImage(image, dir); // the lock file stays, as after a kill
        final Path filler = fillDisk();

        try (Cubby store = Cubby.builder(dir).formatVersion(1).durability(Durability.SYNC).logSize(1 << 20).open())
        {
            final RecoveryReport report = store.recoveryReport();
            // Usually the inserts are replayed from the log; a background checkpoint that ran before the image was
            // taken may have moved them into the table already. Either way recovery ran, on a full disk.
            assertFalse(report.cleanShutdown, report::toString);
            System.out.println("full-disk recovery: " + report);
            writesGoOnThenGrowthResumes(store, acknowledged, filler);
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertEquals(acknowledged.size(), store.size());
            assertAllReadable(store, acknowledged);
        }
    }

    @Test
    void compactionOnFullDiskFailsCleanlyAndWorksAfterSpaceIsFreed() throws IOException
    {
        final Path dir = disk.resolve("store");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (Cubby store = open(dir, Durability.SYNC, 500))
        {
            // Full before the table is half full, so no table is allocated ahead of growth while space remains.
            final Path filler = fillDisk();
            for (int i = 0; i < 400; i++)
            {
                put(store, acknowledged, i, value(i));
            }
            for (int i = 0; i < 400; i += 4)
            {
                store.remove(key(i));
                acknowledged.remove(new String(key(i), StandardCharsets.UTF_8));
            }
            final long tombstones = store.stats().tombstones;
            assertTrue(tombstones > 0);

            final StoreIOException failure = assertThrows(StoreIOException.class, store::compact);
            assertTrue(failure.getMessage().contains("No space left on device"), failure::getMessage);
            assertEquals(tombstones, store.stats().tombstones, "nothing was compacted");
            assertEquals(Set.of("cubby.lock", "table-0000000000000001.cubby", "wal.log"), fileNames(dir));
            assertAllReadable(store, acknowledged);
            assertTrue(store.verify().isOk());

            Files.delete(filler);
            store.compact();
            assertEquals(0, store.stats().tombstones);
            assertAllReadable(store, acknowledged);
            assertTrue(store.verify().isOk());
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).logSize(LOG_SIZE).open())
        {
            assertAllReadable(store, acknowledged);
        }
    }

    @Test
    void logAppendsAndInPlaceWritesNeedNoSpaceAndANewLogDoes() throws IOException
    {
        final Path dir = disk.resolve("store");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        final Path filler;
        try (Cubby store = open(dir, Durability.SYNC, 500))
        {
            for (int i = 0; i < 300; i++)
            {
                put(store, acknowledged, i, value(i));
            }
            filler = fillDisk();
            // about 1 KiB per record: the 64 KiB log wraps and is checkpointed dozens of times, all on a full disk
            for (int round = 0; round < 10; round++)
            {
                for (int i = 0; i < 300; i += 2)
                {
                    final byte[] value = value(i + round * 7);
                    put(store, acknowledged, i, value);
                }
            }
            assertTrue(store.verify().isOk());
            assertAllReadable(store, acknowledged);
        }

        // A larger log must be allocated first: refused with the reason, the store is unchanged.
        final StoreIOException failure = assertThrows(StoreIOException.class,
            () -> Cubby.builder(dir).formatVersion(1).logSize(4L << 20).open());
        assertTrue(failure.getMessage().contains("No space left on device"), failure::getMessage);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).logSize(LOG_SIZE).durability(Durability.SYNC).open())
        {
            assertAllReadable(store, acknowledged);
            put(store, acknowledged, 0, value(0));
        }

        Files.delete(filler);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).logSize(4L << 20).durability(Durability.SYNC).open())
        {
            assertEquals(4L << 20, store.stats().logCapacity);
            assertAllReadable(store, acknowledged);
        }
    }

    @Test
    void creatingAStoreOnAFullDiskLeavesNothingBehind() throws IOException
    {
        final Path filler = fillDisk();
        final Path dir = disk.resolve("store");
        final StoreIOException failure = assertThrows(StoreIOException.class, () -> open(dir, Durability.NONE, 500));
        assertTrue(failure.getMessage().contains("No space left on device"), failure::getMessage);
        final Set<String> left = fileNames(dir);
        assertTrue(left.stream().noneMatch(name -> name.endsWith(".cubby") || name.endsWith(".prep")),
            () -> "left behind: " + left);

        Files.delete(filler);
        try (Cubby store = open(dir, Durability.NONE, 500))
        {
            store.put(key(1), value(1));
            assertArrayEquals(value(1), store.get(key(1)));
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * Format version 2 (the default): a segment that cannot get its next file on a full disk takes inserts up to
     * its Max Load, then refuses them with a {@link StoreIOException} saying so; everything acknowledged stays
     * readable, updates and removals go on, no half-made file is left, and growth resumes once space is freed.
     */
    @ParameterizedTest
    @EnumSource(value = Durability.class, names = { "NONE", "SYNC" })
    void version2GrowthOnAFullDiskFailsCleanlyAndResumesAfterSpaceIsFreed(final Durability durability)
        throws IOException
    {
        final Path dir = disk.resolve("store");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).maxKeySize(MAX_KEY)
            .maxValueSize(MAX_VALUE).expectedEntries(200).durability(durability).logSize(LOG_SIZE).open())
        {
            final Path filler = fillDisk();
            final long capacity = store.stats().capacity;
            final StoreIOException failure = insertUntilRefused(store, acknowledged);
            assertTrue(failure.getMessage().contains("No space left on device"), failure::getMessage);
            assertEquals(capacity, store.stats().capacity, "no growth happened");
            final Set<String> names = fileNames(dir);
            assertTrue(names.stream().noneMatch(name -> name.endsWith(SegmentDescriptor.PREPARED_SUFFIX)),
                () -> "a half-made file was left: " + names);
            assertAllReadable(store, acknowledged);
            assertTrue(store.verify().isOk());
            // writes that need no new slot go on with the disk full
            put(store, acknowledged, 0, value(9));
            assertTrue(store.remove(key(1)));
            acknowledged.remove(new String(key(1), StandardCharsets.UTF_8));
            assertAllReadable(store, acknowledged);

            Files.delete(filler);
            for (int i = 100_001; i < 100_001 + 600; i++)
            {
                put(store, acknowledged, i, value(i));
            }
            assertTrue(store.stats().capacity > capacity, "the segments grew once space was freed");
            assertTrue(store.verify().isOk());
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(acknowledged.size(), store.size());
            assertAllReadable(store, acknowledged);
        }
    }

    /** Format version 2: a store killed on a full disk recovers there, and the writes that need no new slot go on. */
    @Test
    void version2RecoveryAfterAKillOnAFullDiskNeedsNoSpace() throws IOException
    {
        final Path dir = disk.resolve("store");
        final Path image = tmp.resolve("image");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (Cubby store = Cubby.builder(dir).formatVersion(2).maxKeySize(MAX_KEY)
            .maxValueSize(MAX_VALUE).expectedEntries(500).durability(Durability.SYNC).logSize(1 << 20).open())
        {
            final Path full = fillDisk();
            insertUntilRefused(store, acknowledged); // the segment is at its Max Load and cannot grow
            copyImage(dir, image); // what a kill now leaves: the files as they are, the store still marked open
            Files.delete(full);
        }
        restoreImage(image, dir); // the lock file stays, as after a kill
        final Path filler = fillDisk();

        try (Cubby store = Cubby.builder(dir).durability(Durability.SYNC).logSize(1 << 20).open())
        {
            final RecoveryReport report = store.recoveryReport();
            assertFalse(report.cleanShutdown, report::toString);
            writesGoOnThenGrowthResumes(store, acknowledged, filler);
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(acknowledged.size(), store.size());
            assertAllReadable(store, acknowledged);
        }
    }

    /**
     * Format version 2: a reopen that must resize the log (a store created in NONE, reopened in SYNC, wants the
     * 64 MiB log of a logged store) allocates the new log before anything else, so on a full disk it is refused
     * with the reason and no byte of the store changes; an open that keeps the log goes on, and once space is
     * freed the resize works.
     */
    @Test
    void version2LogResizeOnAFullDiskIsRefusedWithNothingChanged() throws IOException
    {
        final Path dir = disk.resolve("store");
        final Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (Cubby store = Cubby.builder(dir).maxKeySize(MAX_KEY).maxValueSize(MAX_VALUE).open())
        {
            for (int i = 0; i < 100; i++)
            {
                put(store, acknowledged, i, value(i));
            }
        }
        final Path filler = fillDisk();
        final Map<String, byte[]> before = FormatVersion2LogSizeTest.contents(dir);
        final StoreIOException failure = assertThrows(StoreIOException.class,
            () -> Cubby.builder(dir).durability(Durability.SYNC).open());
        assertTrue(failure.getMessage().contains("No space left on device"), failure::getMessage);
        assertTrue(failure.getMessage().contains("nothing was changed"), failure::getMessage);
        FormatVersion2LogSizeTest.assertContentsEqual(before, FormatVersion2LogSizeTest.contents(dir));

        try (Cubby store = Cubby.builder(dir).durability(Durability.SYNC).logSize(1 << 20).open())
        {
            assertAllReadable(store, acknowledged);
            put(store, acknowledged, 0, value(3));
        }
        Files.delete(filler);
        try (Cubby store = Cubby.builder(dir).durability(Durability.SYNC).logSize(4L << 20).open())
        {
            assertEquals(4L << 20, store.stats().logCapacity);
            assertAllReadable(store, acknowledged);
        }
    }

    /**
     * Insert keys 0, 1, ... (each acknowledged one recorded) until the store refuses one because it cannot grow,
     * which must happen before the keys exceed its capacity.
     *
     * @return the refusal.
     */
    private static StoreIOException insertUntilRefused(final Cubby store, final Map<String, byte[]> acknowledged)
    {
        final long capacity = store.stats().capacity;
        for (int i = 0; ; i++)
        {
            assertTrue(i <= capacity, "the store never needed to grow");
            try
            {
                put(store, acknowledged, i, value(i));
            }
            catch (final StoreIOException ex)
            {
                return ex;
            }
        }
    }

    /**
     * A store recovered on the full disk {@code filler} fills: everything acknowledged is readable, an update and a
     * removal go on; once {@code filler} is deleted, inserts make it grow.
     */
    private static void writesGoOnThenGrowthResumes(final Cubby store, final Map<String, byte[]> acknowledged,
        final Path filler) throws IOException
    {
        assertAllReadable(store, acknowledged);
        assertTrue(store.verify().isOk());
        put(store, acknowledged, 0, value(7));
        store.remove(key(1));
        acknowledged.remove(new String(key(1), StandardCharsets.UTF_8));
        assertAllReadable(store, acknowledged);

        Files.delete(filler);
        final long capacity = store.stats().capacity;
        for (int i = 100_000; i < 100_000 + 600; i++)
        {
            put(store, acknowledged, i, value(i));
        }
        assertTrue(store.stats().capacity > capacity, "growth resumed once space was freed");
        assertTrue(store.verify().isOk());
    }

    /** Put key {@code i} and record it as acknowledged once the put returns. */
    private static void put(final Cubby store, final Map<String, byte[]> acknowledged, final int i,
        final byte[] value)
    {
        store.put(key(i), value);
        acknowledged.put(new String(key(i), StandardCharsets.UTF_8), value);
    }

    /**
     * Copy the store's files but its lock file into {@code image}. A file that goes between the listing and its
     * copy (a file the background allocator was preparing, renamed or deleted meanwhile: the writer, copying, has
     * begun no rehash into it) is left out, as a kill before its creation would.
     */
    private static void copyImage(final Path dir, final Path image) throws IOException
    {
        Files.createDirectories(image);
        for (final String name : fileNames(dir))
        {
            if (!name.equals(StoreLock.FILE_NAME))
            {
                try
                {
                    Files.copy(dir.resolve(name), image.resolve(name));
                }
                catch (final java.nio.file.NoSuchFileException ex)
                {
                    if (!name.endsWith(SegmentDescriptor.PREPARED_SUFFIX))
                    {
                        throw ex;
                    }
                }
            }
        }
    }

    /** Replace the store's files but its lock file with those of {@code image}. */
    private static void restoreImage(final Path image, final Path dir) throws IOException
    {
        for (final String name : fileNames(dir))
        {
            if (!name.equals(StoreLock.FILE_NAME))
            {
                Files.delete(dir.resolve(name));
            }
        }
        System.gc();
        for (final String name : fileNames(image))
        {
            Files.copy(image.resolve(name), dir.resolve(name));
        }
    }

    private static Cubby open(final Path dir, final Durability durability, final long expectedEntries)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(MAX_KEY).maxValueSize(MAX_VALUE)
            .expectedEntries(expectedEntries)
            .durability(durability).logSize(LOG_SIZE).open();
    }

    /**
     * Write a file until the file system refuses more.
     *
     * @return the file, to delete to free the space.
     */
    private Path fillDisk() throws IOException
    {
        final Path filler = disk.resolve("filler");
        final byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte)0x5A);
        try (OutputStream out = Files.newOutputStream(filler))
        {
            for (int size = chunk.length; size > 0; size /= 2)
            {
                try
                {
                    while (true)
                    {
                        out.write(chunk, 0, size);
                        out.flush();
                    }
                }
                catch (final IOException full)
                {
                    // now try smaller pieces
                }
            }
        }
        catch (final IOException ignore)
        {
            // closing may fail to write the last bytes; the disk is full either way
        }
        assertNotNull(Files.getFileStore(disk));
        assertTrue(Files.getFileStore(disk).getUsableSpace() < 8192, "the disk is full");
        return filler;
    }

    private static void assertAllReadable(final Cubby store, final Map<String, byte[]> acknowledged)
    {
        for (final Map.Entry<String, byte[]> entry : acknowledged.entrySet())
        {
            assertArrayEquals(entry.getValue(), store.get(entry.getKey().getBytes(StandardCharsets.UTF_8)),
                entry.getKey());
        }
    }

    private static Set<String> fileNames(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return Set.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(f -> f.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static byte[] key(final int i)
    {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(final int i)
    {
        final byte[] value = new byte[MAX_VALUE - (i % 50)];
        Arrays.fill(value, (byte)i);
        return value;
    }

    /**
     * @return null on success, else the command's output and exit code.
     */
    private static String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return String.join(" ", command) + " did not finish";
            }
            return 0 == process.exitValue() ? null :
                String.join(" ", command) + " exited with " + process.exitValue() + ": " + output;
        }
        catch (final IOException ex)
        {
            return String.join(" ", command) + ": " + ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return String.join(" ", command) + " interrupted";
        }
    }

    private static void deleteRecursively(final Path root)
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(root))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
