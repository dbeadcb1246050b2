package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The format-version switch: what version 2 cannot honour yet is refused by name before any file is touched, a
 * version that disagrees with the directory's is refused both ways, and every refusal leaves each file's name
 * and SHA-256 as they were. A version-2 directory opened by a builder that names no version opens as version 2.
 */
class FormatVersion2RefusalTest
{
    private static final List<UnaryOperator<Cubby.Builder>> UNSUPPORTED = List.of(
        b -> b.probing(Probing.LINEAR),
        b -> b.verifyChecksumsOnRead(false),
        b -> b.preallocate(false),
        b -> b.migrationStep(3),
        b -> b.tombstoneCompactionRatio(0.5));

    @Test
    void unsupportedOptionsAreRefusedBeforeAnyFileIsTouched(@TempDir final Path tmp) throws IOException
    {
        final Path fresh = tmp.resolve("fresh");
        final Path existing = tmp.resolve("existing");
        try (Cubby store = Cubby.builder(existing).formatVersion(2).segments(2).open())
        {
            store.put("a".getBytes(), "1".getBytes());
        }
        final Map<String, String> before = hashes(existing);
        for (final UnaryOperator<Cubby.Builder> option : UNSUPPORTED)
        {
            final UnsupportedOperationException ex = assertThrows(UnsupportedOperationException.class,
                () -> option.apply(Cubby.builder(fresh).formatVersion(2)).open());
            assertTrue(ex.getMessage().contains("format version 2"), ex.getMessage());
            assertFalse(Files.exists(fresh), "nothing created for " + ex.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> option.apply(Cubby.builder(existing)).open());
            assertEquals(before, hashes(existing), ex.getMessage());
        }
        final IllegalArgumentException load = assertThrows(IllegalArgumentException.class,
            () -> Cubby.builder(fresh).formatVersion(2).maxLoad(0.5).open());
        assertTrue(load.getMessage().contains("format version 2"), load.getMessage());
        assertFalse(Files.exists(fresh));
    }

    @Test
    void aNewStoreIsVersion2UnlessAskedAndAVersion1OptionNamesTheWayToVersion1(@TempDir final Path tmp)
    {
        try (Cubby store = Cubby.builder(tmp.resolve("default")).open())
        {
            assertEquals(2, store.formatVersion());
        }
        for (int n = 0; n < UNSUPPORTED.size(); n++)
        {
            final UnaryOperator<Cubby.Builder> option = UNSUPPORTED.get(n);
            final Path fresh = tmp.resolve("fresh" + n);
            final UnsupportedOperationException ex = assertThrows(UnsupportedOperationException.class,
                () -> option.apply(Cubby.builder(fresh)).open());
            assertTrue(ex.getMessage().contains("formatVersion(1)"), ex.getMessage());
            assertFalse(Files.exists(fresh), "nothing created for " + ex.getMessage());
            try (Cubby store = option.apply(Cubby.builder(fresh).formatVersion(1)).open())
            {
                assertEquals(1, store.formatVersion(), "formatVersion(1) takes it: " + ex.getMessage());
            }
            try (Cubby store = option.apply(Cubby.builder(fresh)).open())
            {
                assertEquals(1, store.formatVersion(), "a version-1 store reopens with it");
            }
        }
    }

    @Test
    void aVersion1DirectoryIsRefusedByFormatVersion2WithoutAChange(@TempDir final Path dir) throws IOException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            store.put("a".getBytes(), "1".getBytes());
            assertEquals(1, store.formatVersion());
        }
        final Map<String, String> before = hashes(dir);
        final IncompatibleStoreException ex = assertThrows(IncompatibleStoreException.class,
            () -> Cubby.builder(dir).formatVersion(2).open());
        assertTrue(ex.getMessage().contains("format version 1"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cubby.builder(dir).segments(4).open());
        assertEquals(before, hashes(dir));
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertArrayEquals("1".getBytes(), store.get("a".getBytes()));
        }
    }

    @Test
    void aVersion2DirectoryIsRefusedByFormatVersion1AndMismatchedParametersWithoutAChange(@TempDir final Path dir)
        throws IOException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(20).maxValueSize(30).open())
        {
            store.put("a".getBytes(), "1".getBytes());
        }
        final Map<String, String> before = hashes(dir);
        final IncompatibleStoreException ex = assertThrows(IncompatibleStoreException.class,
            () -> Cubby.builder(dir).formatVersion(1).open());
        assertTrue(ex.getMessage().contains("format version 2"), ex.getMessage());
        assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(dir).maxKeySize(21).open());
        assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(dir).maxValueSize(31).open());
        assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(dir).segments(8).open());
        assertThrows(IncompatibleStoreException.class, () -> Cubby.builder(dir).maxLoad(0.95).open());
        final IncompatibleStoreException expiry = assertThrows(IncompatibleStoreException.class,
            () -> Cubby.builder(dir).expiry(true).open());
        assertTrue(expiry.getMessage().contains("without expiry"), expiry.getMessage());
        assertThrows(IncompatibleStoreException.class,
            () -> Cubby.builder(dir).expireAfterWrite(Duration.ofMinutes(1)).open());
        assertEquals(before, hashes(dir));
        final StoreInfo info = Cubby.inspect(dir);
        assertEquals(2, info.formatVersion);
        assertEquals(1, info.entries());
        assertEquals(4, info.segments.segmentCount);
        assertEquals(20, info.segments.maxKeySize);
        assertFalse(info.segments.expiry);
        assertTrue(info.cleanShutdown());
        assertEquals(before, hashes(dir), "inspect changes nothing");
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(2, store.formatVersion());
            assertEquals(20, store.maxKeySize());
            assertEquals(30, store.maxValueSize());
            assertArrayEquals("1".getBytes(), store.get("a".getBytes()));
            assertTrue(store.recoveryReport().cleanShutdown);
            assertFalse(store.recoveryReport().didWork(), store.recoveryReport().toString());
        }
    }

    @Test
    void version2RefusesWhatItCannotDoAndKeepsItsData(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).open())
        {
            store.put("a".getBytes(), "1".getBytes());
            // a store created without expiry has no time to live, as in version 1
            final UnsupportedOperationException ttl = assertThrows(UnsupportedOperationException.class,
                () -> store.put("b".getBytes(), "2".getBytes(), Duration.ofSeconds(5)));
            assertTrue(ttl.getMessage().contains("without expiry"), ttl.getMessage());
            assertFalse(store.hasExpiry());
            assertEquals(0, store.expiresAtMillis("a".getBytes()));
            assertThrows(IllegalArgumentException.class, () -> store.compact(0.99, null));
            // the empty key is a key, as in version 1
            store.put(new byte[0], "2".getBytes());
            assertArrayEquals("2".getBytes(), store.get(new byte[0]));
            assertTrue(store.remove(new byte[0]));
            assertNull(store.get(new byte[0]));
            assertThrows(EntryTooLargeException.class, () -> store.put(new byte[65], "2".getBytes()));
            assertThrows(EntryTooLargeException.class, () -> store.put("c".getBytes(), new byte[257]));
            assertEquals(1, store.size());
            final CubbyStats stats = store.stats();
            assertEquals(1, stats.size);
            assertEquals(Durability.NONE, stats.durability);
            assertTrue(stats.capacity >= 32, stats.toString());
            assertTrue(stats.tableFileBytes > 0, stats.toString());
            assertEquals(-1, stats.hits);
        }
    }

    @Test
    void aVersion2SetHoldsKeysOnly(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).maxValueSize(0).open())
        {
            assertTrue(store.isSetMode());
            assertTrue(store.add("a".getBytes()));
            assertFalse(store.add("a".getBytes()));
            assertArrayEquals(new byte[0], store.get("a".getBytes()));
            assertThrows(EntryTooLargeException.class, () -> store.put("b".getBytes(), new byte[1]));
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertTrue(store.isSetMode());
            assertTrue(store.containsKey("a".getBytes()));
            assertTrue(store.verify().isOk());
        }
    }

    @Test
    void aMissingVersion2StoreIsNotCreatedWithoutCreateIfMissing(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("none");
        assertThrows(NotAStoreException.class, () -> Cubby.builder(dir).formatVersion(2).createIfMissing(false).open());
        assertFalse(Files.exists(dir));
    }

    @Test
    void aDamagedVersion2StoreIsRefusedWithoutAChange(@TempDir final Path tmp) throws IOException
    {
        for (final String damaged : new String[] {"manifest", "segment"})
        {
            final Path dir = tmp.resolve(damaged);
            try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).open())
            {
                store.put("a".getBytes(), "1".getBytes());
            }
            final Path file;
            try (Stream<Path> files = Files.list(dir))
            {
                file = files.filter(f -> f.getFileName().toString().startsWith(damaged.equals("manifest") ?
                    "manifest" : "seg-")).sorted().findFirst().orElseThrow();
            }
            final byte[] bytes = Files.readAllBytes(file);
            bytes[20] ^= 0x40;
            Files.write(file, bytes);
            final Map<String, String> before = hashes(dir);
            assertThrows(CubbyException.class, () -> Cubby.builder(dir).open(), damaged);
            assertThrows(CubbyException.class, () -> Cubby.inspect(dir), damaged);
            assertEquals(before, hashes(dir), damaged);
        }
    }

    static Map<String, String> hashes(final Path dir) throws IOException
    {
        final Map<String, String> hashes = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                hashes.put(file.getFileName().toString(), HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
            }
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new AssertionError(ex);
        }
        return hashes;
    }
}
