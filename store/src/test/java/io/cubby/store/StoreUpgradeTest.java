package io.cubby.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The offline upgrade of version-1 stores to format version 2 ({@link StoreUpgrade}, FORMAT-v2.md 10.1): every
 * golden version-1 store upgrades to a version-2 store with the same contents, a kill at every step of the upgrade
 * leaves a directory that either still opens as the unchanged version-1 store or is refused by both versions
 * without a changed byte until the upgrade is run again, and bad starting points are refused without a change.
 */
class StoreUpgradeTest
{
    /** Segments of the upgraded test stores: few, so that a kill image is cheap to copy. */
    private static final int BITS = 2;

    @AfterEach
    void uninstallHook()
    {
        CrashPoints.Hook.installed = null;
    }

    static Stream<String> v1Stores()
    {
        return GoldenFilesCompatibilityTest.names();
    }

    @ParameterizedTest
    @MethodSource("v1Stores")
    void everyGoldenVersion1StoreUpgradesWithItsContents(final String name, @TempDir final Path tmp)
        throws IOException
    {
        final GoldenFiles.Golden golden = GoldenFiles.store(name);
        final Path dir = GoldenFilesCompatibilityTest.copy(GoldenFilesCompatibilityTest.golden(name), tmp.resolve(name));
        final StoreUpgrade.Result result = StoreUpgrade.run(dir, BITS, null);

        assertEquals(golden.contents().size(), result.entries());
        assertFalse(result.resumed());
        assertUpgraded(dir, 0 == golden.maxValueSize() ? members(golden.contents()) : golden.contents());
        try (Cubby v2 = Cubby.builder(dir).open())
        {
            assertEquals(golden.expiry(), v2.hasExpiry(), "expiry is kept");
            final ByteBuffer ttlKey = ByteBuffer.wrap("ttl-key".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(golden.expiry(), golden.contents().containsKey(ttlKey), "only the expiry store has ttl-key");
            // the golden stores' one entry with a time to live lives 100 years; the others never expire
            final long decades = ExpiryClock.now() + Duration.ofDays(365 * 50).toMillis();
            for (final ByteBuffer key : golden.contents().keySet())
            {
                final String text = new String(key.array(), java.nio.charset.StandardCharsets.UTF_8);
                final long deadline = v2.expiresAtMillis(key.array());
                assertTrue("ttl-key".equals(text) ? deadline > decades : 0 == deadline, text + " expires at " +
                    deadline);
            }
        }
    }

    @Test
    void aKillAtEveryStepLeavesTheOldStoreOrOneThatOnlyTheUpgradeOpens(@TempDir final Path tmp) throws IOException
    {
        final String name = GoldenFiles.REHASH_CLEAN;
        final Map<ByteBuffer, ByteBuffer> contents = GoldenFiles.store(name).contents();
        final Path dir = GoldenFilesCompatibilityTest.copy(GoldenFilesCompatibilityTest.golden(name), tmp.resolve("s"));
        final List<Path> images = new ArrayList<>();
        final List<String> points = new ArrayList<>();
        CrashPoints.Hook.installed = point ->
        {
            // every step of the upgrade, and the first step of the copy into the staging store
            if (point.startsWith("upgrade.") || (point.startsWith("v2.") && !points.contains("copy")))
            {
                final Path image = tmp.resolve("image-" + images.size());
                copyTree(dir, image);
                images.add(image);
                points.add(point.startsWith("upgrade.") ? point : "copy");
            }
        };
        StoreUpgrade.run(dir, BITS, null);
        CrashPoints.Hook.installed = null;
        assertUpgraded(dir, contents);
        assertTrue(points.containsAll(List.of("copy", "upgrade.marker-written", "upgrade.marker-published",
            "upgrade.segment-moved", "upgrade.log-moved", "upgrade.manifest-moved", "upgrade.table-deleted",
            "upgrade.staging-deleted", "upgrade.marker-deleted")), points.toString());

        for (int i = 0; i < images.size(); i++)
        {
            final Path image = images.get(i);
            final String at = "kill at " + points.get(i) + " (image " + i + ")";
            if (Files.exists(StoreUpgrade.marker(image)))
            {
                final Map<String, String> before = treeFingerprint(image);
                assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(image).open().close(), at);
                assertThrows(IncompatibleStoreException.class,
                    () -> Cubby.builder(image).readOnly(true).open().close(), at);
                assertThrows(IncompatibleStoreException.class, () -> Cubby.inspect(image), at);
                assertThrows(IncompatibleStoreException.class,
                    () -> SegmentStore.open(image, Durability.NONE, Duration.ofSeconds(1), false).close(), at);
                assertEquals(before, treeFingerprint(image), at);
                assertTrue(StoreUpgrade.run(image, BITS, null).resumed(), at);
            }
            else if (Files.exists(image.resolve(ManifestDescriptor.FILE_NAME)))
            {
                // after the marker was deleted: already a version-2 store
                assertEquals("upgrade.marker-deleted", points.get(i), at);
            }
            else
            {
                final Path copy = tmp.resolve("v1-of-" + i);
                copyTree(image, copy);
                try (Cubby v1 = Cubby.builder(copy).open())
                {
                    assertEquals(contents, GoldenFilesCompatibilityTest.contents(v1), at);
                }
                assertFalse(StoreUpgrade.run(image, BITS, null).resumed(), at);
            }
            assertUpgraded(image, contents);
        }
    }

    @Test
    void aStoreThatIsAlreadyVersion2OrOpenOrNotAStoreIsRefusedUnchanged(@TempDir final Path tmp) throws IOException
    {
        final Path v2 = GoldenFilesCompatibilityTest.copy(GoldenFilesV2CompatibilityTest.golden(GoldenFilesV2.SMALL),
            tmp.resolve("v2"));
        final Map<String, String> v2Files = treeFingerprint(v2);
        assertThrows(IncompatibleStoreException.class, () -> StoreUpgrade.run(v2, null));
        assertEquals(v2Files, treeFingerprint(v2));

        final Path open = GoldenFilesCompatibilityTest.copy(GoldenFilesCompatibilityTest.golden(GoldenFiles.SMALL),
            tmp.resolve("open"));
        try (Cubby writer = Cubby.builder(open).open())
        {
            final Map<String, String> before = treeFingerprint(open);
            assertThrows(StoreLockedException.class, () -> StoreUpgrade.run(open, null));
            assertEquals(before, treeFingerprint(open));
            assertTrue(writer.containsKey(GoldenFiles.utf8("key-0001")));
        }

        final Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThrows(NotAStoreException.class, () -> StoreUpgrade.run(empty, null));
        assertThrows(NotAStoreException.class, () -> StoreUpgrade.run(tmp.resolve("missing"), null));
    }

    @Test
    void aStagingDirectoryWithFilesNoUpgradeWritesIsNotDeleted(@TempDir final Path tmp) throws IOException
    {
        final Path dir = GoldenFilesCompatibilityTest.copy(GoldenFilesCompatibilityTest.golden(GoldenFiles.SMALL),
            tmp.resolve("s"));
        Files.createDirectories(StoreUpgrade.staging(dir));
        Files.writeString(StoreUpgrade.staging(dir).resolve("notes.txt"), "mine");
        final Map<String, String> before = treeFingerprint(dir);

        assertThrows(CorruptStoreException.class, () -> StoreUpgrade.run(dir, BITS, null));

        assertEquals(before, treeFingerprint(dir));
    }

    @Test
    void aDamagedMarkerIsRefusedWithoutAChangedByte(@TempDir final Path tmp) throws IOException
    {
        final Path dir = GoldenFilesCompatibilityTest.copy(GoldenFilesCompatibilityTest.golden(GoldenFiles.SMALL),
            tmp.resolve("s"));
        final ByteBuffer marker = UpgradeMarkerDescriptor.encode(new UpgradeMarkerDescriptor.Marker(1, 0, 267, 1));
        marker.put(UpgradeMarkerDescriptor.ENTRIES_OFFSET, (byte)7);
        Files.write(StoreUpgrade.marker(dir), marker.array());
        final Map<String, String> before = treeFingerprint(dir);

        assertThrows(CorruptStoreException.class, () -> StoreUpgrade.run(dir, BITS, null));
        assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(dir).open().close());

        assertEquals(before, treeFingerprint(dir));
    }

    // ---------------------------------------------------------------- helpers

    /** A set's members as version 2 holds them: with empty values. */
    static Map<ByteBuffer, ByteBuffer> members(final Map<ByteBuffer, ByteBuffer> contents)
    {
        final Map<ByteBuffer, ByteBuffer> members = new java.util.HashMap<>();
        contents.keySet().forEach(key -> members.put(key, ByteBuffer.wrap(new byte[0])));
        return members;
    }

    static void assertUpgraded(final Path dir, final Map<ByteBuffer, ByteBuffer> contents) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            final List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertFalse(names.contains(UpgradeMarkerDescriptor.STAGING_DIRECTORY), names.toString());
            assertFalse(names.contains(UpgradeMarkerDescriptor.FILE_NAME), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.startsWith("table-")), names.toString());
            assertTrue(names.contains(ManifestDescriptor.FILE_NAME), names.toString());
        }
        try (SegmentStore store = SegmentStore.open(dir, Durability.NONE, Duration.ofSeconds(1), false))
        {
            GoldenFilesV2CompatibilityTest.assertContents(contents, store);
            for (int s = 0; s < store.segments().segmentCount(); s++)
            {
                assertEquals(List.of(), SegmentVerifier.verify(store.segments().segment(s)), "segment " + s);
            }
        }
    }

    static void copyTree(final Path from, final Path to)
    {
        try (Stream<Path> files = Files.walk(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file))
                {
                    Files.createDirectories(target);
                }
                else if (!file.getFileName().toString().equals(StoreLock.FILE_NAME))
                {
                    Files.copy(file, target);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static Map<String, String> treeFingerprint(final Path dir)
    {
        final Map<String, String> all = new TreeMap<>(StoreFiles.fingerprint(dir));
        final Path staging = StoreUpgrade.staging(dir);
        StoreFiles.fingerprint(staging).forEach((name, digest) -> all.put(staging.getFileName() + "/" + name, digest));
        all.remove(staging.getFileName().toString());
        return all;
    }
}
