package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentRecoveryTest
{
    private static final SegmentParams PARAMS = new SegmentParams(2, 16, 64, 0, 0xC0FFEEL, 937_500);
    private static final int KEYS = 3000;

    private final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[64]);
    private final SegmentLookup lookup = new SegmentLookup();

    private int keyOf(final int k)
    {
        key.putInt(0, k);
        key.putInt(4, ~k * 31);
        return 8 + k % 9;
    }

    /**
     * Seeded random PUT/REMOVE operations, all logged, of which only the first 13 000 reach the segments (the
     * writes after them were lost with the process): replay of the whole log must bring the segments to the model.
     */
    @Test
    void replayBringsTheSegmentsToTheModelWhateverPrefixReachedThem(@TempDir final Path dir) throws IOException
    {
        replayAgainstTheModel(dir, false);
    }

    /**
     * As above, the cut falling while a segment is rehashing, and the lost writes updating or removing keys that
     * exist at the cut (so the replay needs no growth): entries still in a source file move to the current one.
     */
    @Test
    void replayMovesEntriesOutOfASourceFileWhenTheCutFallsDuringARehash(@TempDir final Path dir) throws IOException
    {
        replayAgainstTheModel(dir, true);
    }

    private void replayAgainstTheModel(final Path dir, final boolean cutDuringRehash) throws IOException
    {
        final Random random = new Random(42);
        final Map<Integer, byte[]> model = new HashMap<>();
        final Path log = dir.resolve("wal.log");
        try (SegmentSet set = SegmentSet.create(dir, PARAMS, 2, 1, false);
            SegmentLogWriter writer = SegmentLogWriter.create(log, PARAMS, 4 << 20, 77, 1))
        {
            final int operations = 20_000;
            boolean applying = true;
            Integer[] present = null;
            for (int i = 0; i < operations; i++)
            {
                final int k = null == present ? random.nextInt(KEYS) : present[random.nextInt(present.length)];
                final int keyLength = keyOf(k);
                if (random.nextInt(4) == 0)
                {
                    writer.appendRemove(key, 0, keyLength);
                    model.remove(k);
                    if (applying)
                    {
                        set.remove(key, 0, keyLength, lookup);
                    }
                }
                else
                {
                    final byte[] v = new byte[random.nextInt(65)];
                    random.nextBytes(v);
                    value.putBytes(0, v);
                    writer.appendPut(key, 0, keyLength, value, 0, v.length, 0);
                    model.put(k, v);
                    if (applying)
                    {
                        set.put(key, 0, keyLength, value, 0, v.length, 0, lookup);
                    }
                }
                if (i % 5000 == 0)
                {
                    writer.appendRehashBegin(i & 3, 3, 10, 2);
                }
                if (applying && (cutDuringRehash ? i >= 1000 && rehashing(set) > 0 : i == 13_000))
                {
                    applying = false;
                    if (cutDuringRehash)
                    {
                        present = model.keySet().toArray(new Integer[0]);
                    }
                }
            }
            assertTrue(!applying && (!cutDuringRehash || rehashing(set) > 0), "the cut fell as intended");
            final SegmentRecovery.Report report = SegmentRecovery.replay(log, set, 0, false, false);
            assertEquals(SegmentLogReader.Stop.END, report.log.stop, report.toString());
            assertEquals(operations, report.puts + report.removes, report.toString());
            assertEquals(4, report.structural, report.toString());
            assertMatchesModel(set, model);
        }
    }

    /**
     * Every write logged, none of the later ones applied: the replay meets segments at Max Load again and again
     * and grows them (a rehash run to completion each time), ending with the model, one file per segment and
     * every segment verifying clean; a second replay of the same log changes nothing.
     */
    @Test
    void replayGrowsASegmentAtMaxLoadInsteadOfFailing(@TempDir final Path dir) throws IOException
    {
        final Random random = new Random(7);
        final Map<Integer, byte[]> model = new HashMap<>();
        final Path log = dir.resolve("wal.log");
        try (SegmentSet set = SegmentSet.create(dir, PARAMS, 1, 1, false);
            SegmentLogWriter writer = SegmentLogWriter.create(log, PARAMS, 4 << 20, 77, 1))
        {
            for (int i = 0; i < 6000; i++)
            {
                final int k = random.nextInt(KEYS);
                final int keyLength = keyOf(k);
                if (random.nextInt(5) == 0)
                {
                    writer.appendRemove(key, 0, keyLength);
                    model.remove(k);
                }
                else
                {
                    final byte[] v = new byte[random.nextInt(65)];
                    random.nextBytes(v);
                    value.putBytes(0, v);
                    writer.appendPut(key, 0, keyLength, value, 0, v.length, 0);
                    model.put(k, v);
                    if (i < 50)
                    {
                        set.put(key, 0, keyLength, value, 0, v.length, 0, lookup);
                    }
                }
            }
            final SegmentRecovery.Report report = SegmentRecovery.replay(log, set, 0, false, false);
            assertTrue(report.grown >= set.segmentCount(), report.toString());
            assertMatchesModel(set, model);
            assertSegmentsVerifyClean(set);
            final SegmentRecovery.Report again = SegmentRecovery.replay(log, set, 0, false, false);
            assertEquals(0, again.grown, again.toString());
            assertMatchesModel(set, model);
            try (java.util.stream.Stream<Path> files = Files.list(dir))
            {
                assertEquals(set.segmentCount() + 2, files.count(), "the manifest, the log and one file per segment");
            }
        }
    }

    static void assertSegmentsVerifyClean(final SegmentSet set)
    {
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final Segment segment = set.segment(s);
            assertEquals(java.util.List.of(), SegmentVerifier.verify(segment), "segment " + s);
        }
    }

    private static int rehashing(final SegmentSet set)
    {
        int rehashing = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            rehashing += null != set.segment(s).source() ? 1 : 0;
        }
        return rehashing;
    }

    private void assertMatchesModel(final SegmentSet set, final Map<Integer, byte[]> model)
    {
        long entries = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            entries += set.segment(s).entryCount();
        }
        assertEquals(model.size(), entries, "entries in the segments");
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
                assertTrue(Arrays.equals(expected, actual), "key " + k);
            }
        }
    }

    @Test
    void aLogDamagedInTheMiddleIsRefusedBeforeAnySegmentChanges(@TempDir final Path dir) throws IOException
    {
        final Path log = dir.resolve("wal.log");
        try (SegmentSet set = SegmentSet.create(dir, PARAMS, 8, 1, false);
            SegmentLogWriter writer = SegmentLogWriter.create(log, PARAMS, 1 << 16, 77, 1))
        {
            for (int k = 0; k < 10; k++)
            {
                writer.appendPut(key, 0, keyOf(k), value, 0, 8, 0);
            }
            writer.force();
            final byte[] image = Files.readAllBytes(log);
            image[writer.lastRecordPosition() - 20] ^= 1; // inside the ninth record
            Files.write(log, image);
            assertThrows(CorruptStoreException.class, () -> SegmentRecovery.replay(log, set, 0, false, false));
            assertMatchesModel(set, new HashMap<>());
            // salvage keeps the eight records before the damage
            final SegmentRecovery.Report report = SegmentRecovery.replay(log, set, 0, true, false);
            assertEquals(SegmentLogReader.Stop.DAMAGED_MIDDLE, report.log.stop, report.toString());
            assertEquals(8, report.puts, report.toString());
            long entries = 0;
            for (int s = 0; s < set.segmentCount(); s++)
            {
                entries += set.segment(s).entryCount();
            }
            assertEquals(8, entries);
        }
    }
}
