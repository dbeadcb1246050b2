package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens every format-version-2 golden store of {@code testdata/v2} (made by {@link GoldenFilesV2}) and each damaged
 * sample of {@code testdata/corrupt-v2}, as copies, and checks what this version of the code reads from them:
 * parameters, contents after recovery, a clean verification, and how each damaged sample is recovered or refused
 * without a changed byte. This test must never be disabled: a failure means the code no longer reads stores
 * written by an earlier build.
 */
class GoldenFilesV2CompatibilityTest
{
    static Path golden(final String name)
    {
        return GoldenFilesCompatibilityTest.testdata().resolve("v" + GoldenFilesV2.FORMAT_VERSION).resolve(name);
    }

    static Path corrupt(final String name)
    {
        return GoldenFilesCompatibilityTest.testdata().resolve("corrupt-v" + GoldenFilesV2.FORMAT_VERSION)
            .resolve(name);
    }

    static Stream<String> names()
    {
        return GoldenFilesV2.stores().stream().map(GoldenFilesV2.Golden::name);
    }

    static SegmentStore open(final Path dir) throws IOException
    {
        return SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(100), false);
    }

    @Test
    void everyGoldenStoreAndDamagedSampleIsChecked() throws IOException
    {
        assertEquals(names().sorted().toList(), directories(golden("")));
        assertEquals(Stream.of(GoldenFilesV2.TRUNCATED_SEGMENT, GoldenFilesV2.BITFLIP_SEGMENT_HEADER,
            GoldenFilesV2.BITFLIP_SLOT, GoldenFilesV2.DAMAGED_LOG_TAIL, GoldenFilesV2.MISSING_SEGMENT).sorted().toList(),
            directories(corrupt("")));
    }

    private static List<String> directories(final Path parent) throws IOException
    {
        try (Stream<Path> dirs = Files.list(parent))
        {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void everyGoldenStoreOpensWithItsParametersAndContentsAndVerifiesClean(final String name,
        @TempDir final Path tmp) throws IOException
    {
        final GoldenFilesV2.Golden golden = GoldenFilesV2.store(name);
        final Path dir = GoldenFilesCompatibilityTest.copy(golden(name), tmp.resolve(name));
        for (int open = 0; open < 2; open++)
        {
            try (SegmentStore store = open(dir))
            {
                assertTrue(store.segments().params.sameAs(golden.params()), "parameters of " + name);
                assertContents(golden.contents(), store);
                for (int s = 0; s < store.segments().segmentCount(); s++)
                {
                    assertEquals(List.of(), SegmentVerifier.verify(store.segments().segment(s)),
                        name + " segment " + s);
                }
                final SegmentRecovery.Report report = store.recoveryReport();
                if (0 == open && golden.loggedOperations() >= 0)
                {
                    assertEquals(golden.loggedOperations(), report.puts + report.removes,
                        "records replayed from the log of " + name);
                }
                if (1 == open)
                {
                    assertEquals(0, report.puts + report.removes, "records replayed after a close, " + name);
                }
            }
        }
    }

    /**
     * A read-only open reads each golden store as its files stand and changes no byte: a store closed cleanly
     * shows exactly its contents; one left by a kill shows every entry whose change reached its segment file (all
     * of them here: the copies were taken as a kill leaves the page cache), and verifies clean or names only
     * what recovery would repair.
     */
    @ParameterizedTest
    @MethodSource("names")
    void everyGoldenStoreReadsReadOnlyWithoutAChangedByte(final String name, @TempDir final Path tmp)
        throws Exception
    {
        final GoldenFilesV2.Golden golden = GoldenFilesV2.store(name);
        final Path dir = GoldenFilesCompatibilityTest.copy(golden(name), tmp.resolve(name));
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            assertTrue(store.isReadOnly());
            final Map<ByteBuffer, ByteBuffer> seen = new java.util.HashMap<>();
            store.forEach((k, ko, kl, v, vo, vl) ->
            {
                final byte[] key = new byte[kl];
                k.getBytes(ko, key);
                final byte[] value = new byte[vl];
                v.getBytes(vo, value);
                seen.put(ByteBuffer.wrap(key), ByteBuffer.wrap(value));
            });
            for (final Map.Entry<ByteBuffer, ByteBuffer> entry : seen.entrySet())
            {
                assertArrayEquals(entry.getValue().array(), store.get(entry.getKey().array()), name);
            }
            assertEquals(seen.size(), store.size(), name);
            if (store.recoveryReport().cleanShutdown)
            {
                assertEquals(golden.contents(), seen, name);
                assertTrue(store.verify().isOk(), name + ": " + store.verify().problems);
            }
            else
            {
                store.verify();
            }
        }
        assertEquals(before, StoreFiles.fingerprint(dir), name);
    }

    /** Each damaged sample: refused at a read-only open, or opened with the damage reported; no byte changed. */
    @ParameterizedTest
    @ValueSource(strings = { GoldenFilesV2.TRUNCATED_SEGMENT, GoldenFilesV2.BITFLIP_SEGMENT_HEADER,
        GoldenFilesV2.MISSING_SEGMENT, GoldenFilesV2.BITFLIP_SLOT, GoldenFilesV2.DAMAGED_LOG_TAIL })
    void aDamagedSampleIsRefusedOrReportedByAReadOnlyOpenWithoutAChangedByte(final String name,
        @TempDir final Path tmp) throws Exception
    {
        final Path dir = GoldenFilesCompatibilityTest.copy(corrupt(name), tmp.resolve(name));
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final boolean segmentDamaged = !GoldenFilesV2.BITFLIP_SLOT.equals(name) &&
            !GoldenFilesV2.DAMAGED_LOG_TAIL.equals(name);
        if (segmentDamaged)
        {
            final CubbyException refused = assertThrows(CubbyException.class,
                () -> Cubby.builder(dir).readOnly(true).open().close());
            assertTrue(refused instanceof CorruptStoreException || refused instanceof NotAStoreException,
                refused.toString());
        }
        else
        {
            try (Cubby store = Cubby.builder(dir).readOnly(true).open())
            {
                final List<String> corrupt = new java.util.ArrayList<>();
                store.forEach((k, ko, kl, v, vo, vl) -> { }, (k, ko, kl, problem) -> corrupt.add(problem.getMessage()));
                final VerifyReport report = store.verify();
                if (GoldenFilesV2.BITFLIP_SLOT.equals(name))
                {
                    assertEquals(1, corrupt.size(), corrupt.toString());
                    assertEquals(1, report.problemCount, report.problems.toString());
                    assertThrows(CorruptStoreException.class,
                        () -> store.get(GoldenFiles.utf8(GoldenFilesV2.BITFLIPPED_KEY)));
                }
                else
                {
                    // the log is not read by a read-only open: the segment files are sound
                    assertEquals(List.of(), corrupt);
                }
            }
        }
        assertEquals(before, StoreFiles.fingerprint(dir), name);
    }

    @Test
    void theStoreCopiedDuringARehashHoldsTheRehashTargetBesideItsSource()
    {
        final long files = StoreFiles.fingerprint(golden(GoldenFilesV2.REHASH_KILLED)).keySet().stream()
            .filter(n -> n.startsWith("seg-")).count();
        assertTrue(files > 1L << GoldenFilesV2.store(GoldenFilesV2.REHASH_KILLED).params().segmentBits,
            "segment files " + files);
    }

    @ParameterizedTest
    @ValueSource(strings = { GoldenFilesV2.TRUNCATED_SEGMENT, GoldenFilesV2.BITFLIP_SEGMENT_HEADER,
        GoldenFilesV2.MISSING_SEGMENT })
    void aDamagedSegmentFileIsRefusedWithoutAChangedByte(final String name, @TempDir final Path tmp) throws IOException
    {
        final Path dir = GoldenFilesCompatibilityTest.copy(corrupt(name), tmp.resolve(name));
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        assertThrows(CorruptStoreException.class, () -> open(dir).close());
        assertEquals(before, StoreFiles.fingerprint(dir));
    }

    @Test
    void aFlippedValueBitIsCaughtByVerificationAndTheReadOfItsKey(@TempDir final Path tmp) throws IOException
    {
        final Path dir = GoldenFilesCompatibilityTest.copy(corrupt(GoldenFilesV2.BITFLIP_SLOT), tmp.resolve("s"));
        try (SegmentStore store = open(dir))
        {
            int problems = 0;
            for (int s = 0; s < store.segments().segmentCount(); s++)
            {
                problems += SegmentVerifier.verify(store.segments().segment(s)).size();
            }
            assertEquals(1, problems);
            final byte[] key = GoldenFiles.utf8(GoldenFilesV2.BITFLIPPED_KEY);
            assertThrows(CorruptStoreException.class,
                () -> store.get(new UnsafeBuffer(key), 0, key.length, new UnsafeBuffer(new byte[64]), 0));
        }
    }

    @Test
    void aDamagedLastLogRecordIsDiscardedAndEverythingBeforeItRecovered(@TempDir final Path tmp) throws IOException
    {
        final Path dir = GoldenFilesCompatibilityTest.copy(corrupt(GoldenFilesV2.DAMAGED_LOG_TAIL), tmp.resolve("d"));
        try (SegmentStore store = open(dir))
        {
            assertContents(GoldenFilesV2.damagedLogTailContents(), store);
            final SegmentRecovery.Report report = store.recoveryReport();
            assertEquals(GoldenFilesV2.UNCLEAN_LOGGED_OPERATIONS - 1, report.puts + report.removes);
        }
    }

    static void assertContents(final Map<ByteBuffer, ByteBuffer> expected, final SegmentStore store)
    {
        assertEquals(expected.size(), store.entryCount());
        final UnsafeBuffer out = new UnsafeBuffer(new byte[store.segments().params.maxValueLength]);
        for (final Map.Entry<ByteBuffer, ByteBuffer> entry : expected.entrySet())
        {
            final byte[] key = entry.getKey().array();
            final String name = new String(key, java.nio.charset.StandardCharsets.UTF_8);
            final int length = store.get(new UnsafeBuffer(key), 0, key.length, out, 0);
            assertEquals(entry.getValue().remaining(), length, name);
            final byte[] value = new byte[length];
            out.getBytes(0, value);
            assertArrayEquals(entry.getValue().array(), value, name);
        }
    }
}
