package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A creation cut short at any step (FORMAT-v2.md 2.1) leaves a directory that holds no store, which a read-only
 * open refuses changing nothing and a writable open clears and creates anew; a directory without a manifest that
 * holds anything a creation cannot have left is refused with nothing deleted.
 */
class FormatVersion2CreationTest
{
    private static final int SEGMENTS = 4;

    @AfterEach
    void clearHook()
    {
        CrashPoints.Hook.installed = null;
    }

    private static Cubby.Builder builder(final Path dir)
    {
        return Cubby.builder(dir).segments(SEGMENTS).maxKeySize(16).maxValueSize(64);
    }

    @Test
    void aKillAtEveryStepOfACreationLeavesADirectoryTheNextOpenCreatesAStoreIn(@TempDir final Path tmp)
        throws IOException
    {
        final Path dir = tmp.resolve("store");
        final List<Path> images = new ArrayList<>();
        final List<String> points = new ArrayList<>();
        CrashPoints.Hook.installed = point ->
        {
            try
            {
                final Path image = tmp.resolve("image-" + images.size());
                StoreTestSupport.copyDirectory(dir, image);
                images.add(image);
                points.add(point);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        };
        try (Cubby created = builder(dir).open())
        {
            CrashPoints.Hook.installed = null;
            assertEquals(0, created.size());
        }
        assertTrue(points.containsAll(List.of("v2.log.new-forced", "v2.log.new-renamed",
            "v2.segment-create.fields-written", "v2.segment-create.magic-written", "v2.manifest-create.fields-written",
            "v2.manifest-create.magic-written", "v2.manifest-create.renamed")), points.toString());
        // the kill images of a creation: everything before the manifest's rename holds no store
        final int committed = points.indexOf("v2.manifest-create.renamed");
        for (int i = 0; i < images.size(); i++)
        {
            final Path image = images.get(i);
            final String context = "kill at step " + i + " (" + points.get(i) + ")";
            if (i < committed)
            {
                final Map<String, String> before = StoreFiles.fingerprint(image);
                assertThrows(NotAStoreException.class, () -> builder(image).readOnly(true).open(), context);
                assertEquals(0, StoreFormat.detect(image), context);
                assertEquals(before, StoreFiles.fingerprint(image), context + ": a read-only open changed nothing");
            }
            try (Cubby store = builder(image).open())
            {
                assertEquals(0, store.size(), context);
                store.put(StoreTestSupport.bytes("key-" + i), StoreTestSupport.bytes("value-" + i));
            }
            try (Cubby reopened = builder(image).open())
            {
                assertEquals("value-" + i,
                    StoreTestSupport.text(reopened.get(StoreTestSupport.bytes("key-" + i))), context);
            }
            assertEquals(expectedFiles(), names(image), context);
        }
    }

    @Test
    void aCreationThatFailsLeavesFilesTheNextCreationClears(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        CrashPoints.Hook.installed = point ->
        {
            if ("v2.segment-create.magic-written".equals(point))
            {
                throw new StoreIOException("simulated failure while creating a segment file");
            }
        };
        assertThrows(StoreIOException.class, () -> builder(dir).open());
        CrashPoints.Hook.installed = null;
        assertFalse(Files.exists(dir.resolve(ManifestDescriptor.FILE_NAME)));
        try (Cubby store = builder(dir).open())
        {
            assertEquals(0, store.size());
        }
        assertEquals(expectedFiles(), names(dir));
    }

    /** Segment files without a manifest that hold entries are a store's remains, not a creation's: kept. */
    @Test
    void aStoreWhoseManifestWasDeletedIsRefusedAndKept(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = builder(dir).open())
        {
            for (int i = 0; i < 100; i++)
            {
                store.put(StoreTestSupport.bytes("k" + i), StoreTestSupport.bytes("v" + i));
            }
        }
        Files.delete(dir.resolve(ManifestDescriptor.FILE_NAME));
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        assertThrows(NotAStoreException.class, () -> builder(dir).open());
        assertThrows(NotAStoreException.class, () -> builder(dir).readOnly(true).open());
        assertEquals(before, StoreFiles.fingerprint(dir), "nothing deleted or changed");
    }

    /** A log with a record, with only empty segment files beside it: refused, nothing deleted. */
    @Test
    void aLogWithARecordIsNotALeftover(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        final Path logged = tmp.resolve("logged");
        try (Cubby store = builder(logged).durability(Durability.SYNC).open())
        {
            store.put(StoreTestSupport.bytes("k"), StoreTestSupport.bytes("v"));
            // the log file of a store that took a write, copied while it still holds the record
            Files.createDirectories(dir);
            Files.copy(logged.resolve(SegmentStore.LOG_FILE), dir.resolve(SegmentStore.LOG_FILE));
        }
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        assertThrows(NotAStoreException.class, () -> builder(dir).open());
        assertEquals(before, StoreFiles.fingerprint(dir));
    }

    /** A later generation, a foreign name, a directory under a leftover's name: not a creation's; kept. */
    @Test
    void otherFilesWithoutAManifestAreRefusedAndKept(@TempDir final Path tmp) throws IOException
    {
        final Path source = tmp.resolve("source");
        try (Cubby store = builder(source).open())
        {
            assertEquals(0, store.size());
        }
        final String first = SegmentDescriptor.fileName(0, 1);
        final List<Path> cases = new ArrayList<>();
        final Path later = tmp.resolve("later");
        Files.createDirectories(later);
        Files.copy(source.resolve(first), later.resolve(SegmentDescriptor.fileName(0, 2)));
        cases.add(later);
        final Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign);
        Files.copy(source.resolve(first), foreign.resolve(first));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        cases.add(foreign);
        final Path squatter = tmp.resolve("squatter");
        Files.createDirectories(squatter.resolve(SegmentDescriptor.fileName(1, 1)));
        Files.copy(source.resolve(first), squatter.resolve(first));
        cases.add(squatter);
        for (final Path dir : cases)
        {
            final Map<String, String> before = StoreFiles.fingerprint(dir);
            final TreeSet<String> names = names(dir);
            assertThrows(NotAStoreException.class, () -> builder(dir).open(), dir.toString());
            assertEquals(before, StoreFiles.fingerprint(dir), dir + ": nothing changed");
            assertEquals(names, names(dir), dir + ": nothing deleted");
        }
    }

    private static TreeSet<String> expectedFiles()
    {
        final TreeSet<String> names = new TreeSet<>(List.of(ManifestDescriptor.FILE_NAME, SegmentStore.LOG_FILE,
            StoreLock.FILE_NAME));
        for (int s = 0; s < SEGMENTS; s++)
        {
            names.add(SegmentDescriptor.fileName(s, 1));
        }
        return names;
    }

    private static TreeSet<String> names(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            final TreeSet<String> names = new TreeSet<>();
            files.forEach(file -> names.add(file.getFileName().toString()));
            return names;
        }
    }
}
