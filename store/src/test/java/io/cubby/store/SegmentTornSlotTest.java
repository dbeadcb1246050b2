package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Torn slots after a power loss (FORMAT-v2.md 8.4): a slot that fails its checksum, or a tag over the bytes of
 * another key, is restored from the log when the log holds its key's records, else reported: refused without
 * changing a byte, or dropped and counted by salvage. A lost overflow bit is set again. Pairs: what is restored,
 * what is refused.
 */
class SegmentTornSlotTest
{
    private static final SegmentParams PARAMS = new SegmentParams(1, 16, 24, 0, 0xBEEFL, 937_500);
    private static final int KEYS = 200;

    private final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[24]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[24]);
    private final SegmentLookup lookup = new SegmentLookup();
    private final Map<Integer, byte[]> model = new HashMap<>();

    private int keyOf(final int k)
    {
        key.putInt(0, k);
        key.putInt(4, k * 0x9E3779B1);
        return 8;
    }

    /** Writes every key, logged and applied, then closes the set cleanly. */
    private void populate(final Path dir, final Path log, final int keys) throws IOException
    {
        try (SegmentSet set = SegmentSet.create(dir, PARAMS, 4, 1, false);
            SegmentLogWriter writer = SegmentLogWriter.create(log, PARAMS, 1 << 20, 5, 1))
        {
            for (int k = 0; k < keys; k++)
            {
                final int keyLength = keyOf(k);
                final byte[] v = ("value-" + k).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                value.putBytes(0, v);
                writer.appendPut(key, 0, keyLength, value, 0, v.length, 0);
                set.put(key, 0, keyLength, value, 0, v.length, 0, lookup);
                model.put(k, v);
            }
            writer.force();
        }
        crashedWhileOpen(dir);
    }

    /** Open State 1 in the manifest, as a crash while open leaves it (the set above closed cleanly). */
    static void crashedWhileOpen(final Path dir) throws IOException
    {
        StoreFiles.putInt(dir.resolve(ManifestDescriptor.FILE_NAME), ManifestDescriptor.OPEN_STATE_OFFSET,
            ManifestDescriptor.OPEN_STATE_OPEN);
    }

    /** Where key {@code k} sits: its segment's current file and slot. */
    private long[] locate(final Path dir, final int k) throws IOException
    {
        try (SegmentSet set = SegmentSet.open(dir, 1, false))
        {
            final int keyLength = keyOf(k);
            final long hash = set.hash(key, 0, keyLength);
            final Segment segment = set.segment(set.segmentOf(hash));
            assertTrue(segment.find(hash, key, 0, keyLength, lookup));
            return new long[] {segment.index, lookup.table.generation, lookup.slot, lookup.table.groupCount};
        }
    }

    private static Path file(final Path dir, final long[] where)
    {
        return dir.resolve(SegmentDescriptor.fileName((int)where[0], where[1]));
    }

    private static long slotOffset(final long[] where)
    {
        return SegmentDescriptor.slotArrayOffset(PARAMS.headerLength, where[3]) + where[2] * PARAMS.slotLength;
    }

    private static void overwrite(final Path file, final long offset, final byte[] bytes) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(offset);
            raf.write(bytes);
        }
    }

    private void assertModel(final SegmentSet set)
    {
        assertEquals(model.size(), set.entryCount(), "entries");
        for (int k = 0; k < KEYS; k++)
        {
            final int keyLength = keyOf(k);
            final int length = set.get(key, 0, keyLength, out, 0, lookup);
            final byte[] expected = model.get(k);
            if (null == expected)
            {
                assertEquals(-1, length, "key " + k);
            }
            else
            {
                final byte[] actual = new byte[Math.max(0, length)];
                out.getBytes(0, actual);
                assertArrayEquals(expected, actual, "key " + k);
            }
        }
        SegmentRecoveryTest.assertSegmentsVerifyClean(set);
    }

    @Test
    void aSlotWhoseValueIsTornIsRestoredFromTheLog(@TempDir final Path dir) throws IOException
    {
        final Path log = dir.resolve("wal.log");
        populate(dir, log, KEYS);
        final long[] where = locate(dir, 17);
        overwrite(file(dir, where), slotOffset(where) + PARAMS.valueOffset, new byte[] {'X', 'Y'});
        crashedWhileOpen(dir);
        final SegmentRecovery.Recovered recovered = SegmentRecovery.recover(dir, log, 1, 0, false, false);
        try (SegmentSet set = recovered.set)
        {
            assertEquals(1, recovered.report.restoredFromLog, recovered.report.toString());
            assertModel(set);
        }
    }

    /** The tag page persisted, the slot page not: the slot holds zeros, its key cannot be read from it. */
    @Test
    void aTagOverAnUnwrittenSlotIsRestoredFromTheLogByItsTagAndProbePath(@TempDir final Path dir)
        throws IOException
    {
        final Path log = dir.resolve("wal.log");
        populate(dir, log, KEYS);
        final long[] where = locate(dir, 42);
        overwrite(file(dir, where), slotOffset(where), new byte[PARAMS.slotLength]);
        crashedWhileOpen(dir);
        final SegmentRecovery.Recovered recovered = SegmentRecovery.recover(dir, log, 1, 0, false, false);
        try (SegmentSet set = recovered.set)
        {
            assertEquals(1, recovered.report.restoredFromLog, recovered.report.toString());
            assertModel(set);
        }
    }

    /**
     * The log no longer holds the key (a checkpoint moved its start, here: a fresh log): the torn slot is
     * refused, every byte of every file as it was; salvage drops it, reports it, and the rest verifies clean.
     */
    @Test
    void aTornSlotTheLogCannotRestoreIsRefusedUnchangedAndDroppedBySalvage(@TempDir final Path dir)
        throws IOException
    {
        final Path log = dir.resolve("wal.log");
        populate(dir, log, KEYS);
        Files.delete(log);
        SegmentLogWriter.create(log, PARAMS, 1 << 16, 9, 1).close();
        final long[] where = locate(dir, 99);
        overwrite(file(dir, where), slotOffset(where) + PARAMS.valueOffset, new byte[] {'Z'});
        crashedWhileOpen(dir);
        final Map<String, String> before = digests(dir);
        final CorruptStoreException refused = assertThrows(CorruptStoreException.class,
            () -> SegmentRecovery.recover(dir, log, 1, 0, false, false));
        assertTrue(refused.getMessage().contains("slot " + where[2]), refused.getMessage());
        assertEquals(before, digests(dir), "a refused recovery changes no byte");

        final SegmentRecovery.Recovered recovered = SegmentRecovery.recover(dir, log, 1, 0, true, false);
        try (SegmentSet set = recovered.set)
        {
            assertEquals(1, recovered.report.dropped, recovered.report.toString());
            assertEquals(1, recovered.report.problems.size(), recovered.report.toString());
            model.remove(99);
            assertModel(set);
        }
    }

    /** An overflow bit lost with a torn tag page: the key beyond its home group is reachable again. */
    @Test
    void aLostOverflowBitIsSetAgain(@TempDir final Path dir) throws IOException
    {
        final Path log = dir.resolve("wal.log");
        populate(dir, log, KEYS);
        int moved = -1;
        long[] where = null;
        long home = -1;
        for (int k = 0; k < KEYS && moved < 0; k++)
        {
            where = locate(dir, k);
            final long hash = hashOf(k);
            home = SegmentDescriptor.homeGroup(hash, where[3]);
            if (home != where[2] / SegmentDescriptor.GROUP_SLOTS)
            {
                moved = k;
            }
        }
        assertTrue(moved >= 0, "some key lies beyond its home group");
        final long overflow = SegmentDescriptor.tagArrayOffset(PARAMS.headerLength) +
            home * SegmentDescriptor.GROUP_LENGTH + SegmentDescriptor.GROUP_OVERFLOW_OFFSET;
        overwrite(file(dir, where), overflow, new byte[1]);
        try (SegmentSet set = SegmentSet.open(dir, 1, false))
        {
            final int keyLength = keyOf(moved);
            assertEquals(-1, set.get(key, 0, keyLength, out, 0, lookup), "the key is unreachable before recovery");
        }
        crashedWhileOpen(dir);
        final SegmentRecovery.Recovered recovered = SegmentRecovery.recover(dir, log, 1, 0, false, false);
        try (SegmentSet set = recovered.set)
        {
            assertNotEquals(0, recovered.report.probePathsRepaired, recovered.report.toString());
            assertModel(set);
        }
    }

    /** After a clean close the slots are not scanned; damage then (media, not a crash) is for verify to find. */
    @Test
    void aCleanReopenDoesNotScanTheSlots(@TempDir final Path dir) throws IOException
    {
        final Path log = dir.resolve("wal.log");
        populate(dir, log, KEYS);
        Files.delete(log);
        SegmentLogWriter.create(log, PARAMS, 1 << 16, 9, 1).close();
        final long[] where = locate(dir, 5);
        StoreFiles.putInt(dir.resolve(ManifestDescriptor.FILE_NAME), ManifestDescriptor.OPEN_STATE_OFFSET,
            ManifestDescriptor.OPEN_STATE_CLOSED);
        overwrite(file(dir, where), slotOffset(where) + PARAMS.valueOffset, new byte[] {'Q'});
        final SegmentRecovery.Recovered recovered = SegmentRecovery.recover(dir, log, 1, 0, false, false);
        try (SegmentSet set = recovered.set)
        {
            assertEquals(0, recovered.report.restoredFromLog, recovered.report.toString());
            assertNotEquals(List.of(), SegmentVerifier.verify(set.segment((int)where[0])), "verify finds it");
        }
    }

    private long hashOf(final int k)
    {
        return Hashing.hash(Xxh3.withSeed(PARAMS.seed), key, 0, keyOf(k));
    }

    static Map<String, String> digests(final Path dir) throws IOException
    {
        final Map<String, String> digests = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : files.toList())
            {
                try
                {
                    digests.put(file.getFileName().toString(), HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
                }
                catch (final NoSuchAlgorithmException ex)
                {
                    throw new AssertionError(ex);
                }
            }
        }
        return digests;
    }
}
