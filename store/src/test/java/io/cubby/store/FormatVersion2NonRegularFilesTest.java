package io.cubby.store;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static io.cubby.store.FormatVersion2RefusalTest.hashes;
import static io.cubby.store.StoreTestSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A FIFO or a directory where a version-2 store expects its manifest, a segment file or its log: every open
 * (read-only and writable) and {@code inspect} refuses with a {@link CubbyException} instead of blocking on the
 * FIFO (opening one for reading waits for a writer, forever) or failing obscurely, and leaves every other file
 * as it was.
 */
class FormatVersion2NonRegularFilesTest
{
    private static final String SEGMENT = "segment";

    @ParameterizedTest
    @ValueSource(strings = { ManifestDescriptor.FILE_NAME, SEGMENT, SegmentStore.LOG_FILE })
    void aFifoInPlaceOfAStoreFileIsRefusedWithoutBlocking(final String which, @TempDir final Path dir)
        throws Exception
    {
        final Path file = storeWithOneKey(dir, which);
        Files.delete(file);
        WriteAndProbeFaultsTest.mkfifo(file);
        assertRefusedWithoutHanging(dir, which, "FIFO");
    }

    @ParameterizedTest
    @ValueSource(strings = { ManifestDescriptor.FILE_NAME, SEGMENT, SegmentStore.LOG_FILE })
    void aDirectoryInPlaceOfAStoreFileIsRefused(final String which, @TempDir final Path dir) throws Exception
    {
        final Path file = storeWithOneKey(dir, which);
        Files.delete(file);
        Files.createDirectory(file);
        assertRefusedWithoutHanging(dir, which, "directory");
    }

    /** A closed version-2 store of one key; returns the path of the file named by {@code which}. */
    private static Path storeWithOneKey(final Path dir, final String which) throws IOException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).durability(Durability.SYNC).open())
        {
            store.put(bytes("alpha"), bytes("value"));
        }
        if (!SEGMENT.equals(which))
        {
            return dir.resolve(which);
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(f -> f.getFileName().toString().startsWith(SegmentDescriptor.FILE_PREFIX))
                .sorted().findFirst().orElseThrow();
        }
    }

    private static void assertRefusedWithoutHanging(final Path dir, final String which, final String what)
        throws Exception
    {
        final Map<String, String> before = namesAndHashes(dir);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
        {
            final boolean log = SegmentStore.LOG_FILE.equals(which);
            if (log)
            {
                // a read-only open does not read the log: the segment files are sound
                try (Cubby store = Cubby.builder(dir).readOnly(true).open())
                {
                    assertEquals("value", StoreTestSupport.text(store.get(bytes("alpha"))));
                }
            }
            else
            {
                final CubbyException readOnly = assertThrows(CubbyException.class,
                    () -> Cubby.builder(dir).readOnly(true).open().close(), what + " " + which + ": read-only open");
                assertTrue(readOnly.getMessage().contains("not a regular file"), readOnly.getMessage());
                assertThrows(CubbyException.class, () -> Cubby.inspect(dir), what + " " + which + ": inspect");
            }
            assertThrows(CubbyException.class, () -> Cubby.builder(dir).open().close(),
                what + " " + which + ": writable open");
        }, what + " in place of " + which + " hangs");
        assertEquals(before, namesAndHashes(dir), "a refused open changed the store");
    }

    /** Regular files' SHA-256 and the names of the others: a FIFO is never read. */
    private static Map<String, String> namesAndHashes(final Path dir) throws IOException
    {
        final Map<String, String> result = new java.util.TreeMap<>();
        final Path scratch = Files.createTempDirectory("cubby-regular");
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                {
                    Files.copy(file, scratch.resolve(file.getFileName()));
                }
                else
                {
                    result.put(file.getFileName().toString(), Files.isDirectory(file) ? "directory" : "other");
                }
            }
            result.putAll(hashes(scratch));
        }
        finally
        {
            CrashPointEnumerationTest.deleteDirectory(scratch);
        }
        return result;
    }
}
