package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens every golden store of {@code testdata/} (made by {@link GoldenFiles}) and checks what this version of the
 * code reads from it: headers, contents before and after recovery, and how each corrupted sample is recovered or
 * rejected. The golden files are only ever opened as copies. This test must never be disabled: a failure means
 * the code no longer reads stores written by an earlier build.
 */
class GoldenFilesCompatibilityTest
{
    static Path testdata()
    {
        final String configured = System.getProperty("cubby.testdata");
        final Path path = null != configured ? Path.of(configured) :
            Path.of(System.getProperty("basedir", "."), "..", "testdata");
        final Path normalized = path.toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(normalized.resolve("v" + GoldenFiles.FORMAT_VERSION)),
            "golden files missing under " + normalized);
        return normalized;
    }

    static Path golden(final String name)
    {
        return testdata().resolve("v" + GoldenFiles.FORMAT_VERSION).resolve(name);
    }

    static Path corrupt(final String name)
    {
        return testdata().resolve("corrupt").resolve(name);
    }

    static Stream<String> names()
    {
        return GoldenFiles.stores().stream().map(GoldenFiles.Golden::name);
    }

    static Path copy(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }

    static Map<ByteBuffer, ByteBuffer> contents(final Cubby store)
    {
        final Map<ByteBuffer, ByteBuffer> contents = new HashMap<>();
        store.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
        {
            final byte[] k = new byte[keyLength];
            key.getBytes(keyOffset, k);
            final byte[] v = new byte[valueLength];
            value.getBytes(valueOffset, v);
            contents.put(ByteBuffer.wrap(k), ByteBuffer.wrap(v));
        });
        return contents;
    }

    @Test
    void everyGoldenStoreIsChecked() throws IOException
    {
        try (Stream<Path> dirs = Files.list(testdata().resolve("v" + GoldenFiles.FORMAT_VERSION)))
        {
            final List<String> present = dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                .sorted().toList();
            assertEquals(names().sorted().toList(), present);
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void inspectReadsTheHeadersWithoutChangingTheFiles(final String name) throws IOException
    {
        final GoldenFiles.Golden golden = GoldenFiles.store(name);
        final Path dir = golden(name);
        final List<String> before;
        try (Stream<Path> files = Files.list(dir))
        {
            before = files.map(p -> p.getFileName().toString()).sorted().toList();
        }

        final StoreInfo info = Cubby.inspect(dir);

        final StoreInfo.TableInfo table = info.currentTable();
        assertEquals(1, table.readVersion);
        assertEquals(1, table.writeVersion);
        assertEquals(golden.maxKeySize(), table.maxKeySize);
        assertEquals(golden.maxValueSize(), table.maxValueSize);
        assertEquals(0 == golden.maxValueSize(), table.setMode);
        assertEquals(golden.expiry(), table.expiry);
        assertEquals(golden.probing(), table.probing);
        assertEquals("XXH3-64", table.hashAlgorithm);
        assertEquals(golden.cleanShutdown(), info.cleanShutdown());
        assertEquals(golden.rehashInProgress(), info.rehashInProgress());
        assertEquals(golden.rehashInProgress() ? 2 : 1, info.tables.size());
        assertFalse(info.lockedByAnotherProcess);
        assertNotNull(info.log, () -> String.valueOf(info.logProblem));
        assertNull(info.log.tailProblem);
        try (Stream<Path> files = Files.list(dir))
        {
            assertEquals(before, files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void readOnlyOpenShowsTheTablesAsWritten(final String name, @TempDir final Path tmp) throws IOException
    {
        final GoldenFiles.Golden golden = GoldenFiles.store(name);
        try (Cubby store = Cubby.builder(copy(golden(name), tmp.resolve(name))).readOnly(true).open())
        {
            assertEquals(golden.cleanShutdown(), store.recoveryReport().cleanShutdown);
            assertEquals(golden.readOnlyContents(), contents(store));
            assertEquals(golden.readOnlyContents().size(), store.size());
            final VerifyReport report = store.verify();
            assertTrue(report.isOk(), report.problems::toString);
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void writableOpenRecoversTheLoggedContents(final String name, @TempDir final Path tmp) throws IOException
    {
        final GoldenFiles.Golden golden = GoldenFiles.store(name);
        final Path dir = copy(golden(name), tmp.resolve(name));
        try (Cubby store = Cubby.builder(dir).open())
        {
            final RecoveryReport report = store.recoveryReport();
            assertEquals(golden.cleanShutdown(), report.cleanShutdown);
            assertEquals(golden.loggedOperations(), report.operationsReplayed, report::toString);
            assertEquals(GoldenFiles.REHASH_UNCLEAN.equals(name), report.rehashResumed, report::toString);
            assertNull(report.logTailProblem);
            assertEquals(golden.contents(), contents(store));
            assertTrue(store.verify().isOk());
            for (final Map.Entry<ByteBuffer, ByteBuffer> entry : golden.contents().entrySet())
            {
                assertEquals(entry.getValue(), ByteBuffer.wrap(store.get(entry.getKey().array())));
            }
        }
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            assertTrue(store.recoveryReport().cleanShutdown);
            assertEquals(golden.contents(), contents(store));
        }
    }

    @Test
    void truncatedTableIsRejected(@TempDir final Path tmp) throws IOException
    {
        final Path dir = copy(corrupt(GoldenFiles.TRUNCATED_TABLE), tmp.resolve("s"));
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class,
            () -> Cubby.builder(dir).readOnly(true).open());
        assertTrue(ex.getMessage().contains("truncated"), ex::getMessage);
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir).open());
    }

    @Test
    void bitFlippedHeaderIsRejected(@TempDir final Path tmp) throws IOException
    {
        final Path dir = copy(corrupt(GoldenFiles.BITFLIP_HEADER), tmp.resolve("s"));
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.inspect(dir));
        assertTrue(ex.getMessage().contains("checksum"), ex::getMessage);
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir).open());
    }

    @Test
    void bitFlippedSlotIsDetectedAndSalvageDropsIt(@TempDir final Path tmp) throws IOException
    {
        final Path dir = copy(corrupt(GoldenFiles.BITFLIP_SLOT), tmp.resolve("s"));
        final byte[] key = GoldenFiles.bytes(GoldenFiles.BITFLIPPED_KEY).array();
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            final VerifyReport report = store.verify();
            assertEquals(1, report.problemCount, report.problems::toString);
            assertThrows(CorruptStoreException.class, () -> store.get(key));
        }
        try (Cubby store = Cubby.builder(dir).salvage(true).open())
        {
            assertEquals(1, store.recoveryReport().corruptSlotsDropped);
            final Map<ByteBuffer, ByteBuffer> expected = new HashMap<>(GoldenFiles.store(GoldenFiles.SMALL).contents());
            expected.remove(ByteBuffer.wrap(key));
            assertEquals(expected, contents(store));
            assertTrue(store.verify().isOk());
        }
    }

    @Test
    void foreignFilesAreNotStores(@TempDir final Path tmp) throws IOException
    {
        final Path garbage = copy(corrupt(GoldenFiles.GARBAGE_TABLE), tmp.resolve("s"));
        assertThrows(NotAStoreException.class, () -> Cubby.inspect(garbage));
        assertThrows(NotAStoreException.class, () -> Cubby.builder(garbage).readOnly(true).open());
        assertThrows(NotAStoreException.class, () -> Cubby.builder(garbage).open());
        final Path file = Files.copy(corrupt(GoldenFiles.NOT_A_STORE), tmp.resolve(GoldenFiles.NOT_A_STORE));
        assertThrows(NotAStoreException.class, () -> Cubby.inspect(file));
        assertThrows(NotAStoreException.class, () -> Cubby.builder(file).open());
    }

    @Test
    void truncatedLogKeepsTablesReadableButRecoveryNeedsSalvage(@TempDir final Path tmp) throws IOException
    {
        final Path dir = copy(corrupt(GoldenFiles.TRUNCATED_LOG), tmp.resolve("s"));
        final StoreInfo info = Cubby.inspect(dir);
        assertNull(info.log);
        assertTrue(info.logProblem.contains("wal.log"), info.logProblem);
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            assertEquals(GoldenFiles.store(GoldenFiles.UNCLEAN_ASYNC).readOnlyContents(), contents(store));
        }
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir).open());
        try (Cubby store = Cubby.builder(dir).salvage(true).open())
        {
            assertNotNull(store.recoveryReport().logTailProblem);
            assertEquals(GoldenFiles.store(GoldenFiles.UNCLEAN_ASYNC).readOnlyContents(), contents(store));
        }
    }

    @Test
    void damagedLogTailIsDiscardedOnRecovery(@TempDir final Path tmp) throws IOException
    {
        final Path dir = copy(corrupt(GoldenFiles.DAMAGED_LOG_TAIL), tmp.resolve("s"));
        assertNotNull(Cubby.inspect(dir).log.tailProblem);
        try (Cubby store = Cubby.builder(dir).open())
        {
            final RecoveryReport report = store.recoveryReport();
            assertNotNull(report.logTailProblem, report::toString);
            assertTrue(report.logBytesDiscarded > 0, report::toString);
            assertEquals(GoldenFiles.store(GoldenFiles.UNCLEAN_ASYNC).loggedOperations() - 1, report.operationsReplayed, report::toString);
            assertEquals(GoldenFiles.damagedLogTailContents(), contents(store));
        }
    }
}
