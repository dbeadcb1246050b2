package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The growth policy ({@link SegmentGrowth}) and its allocator: files prepared for every segment that asks, not
 * one at a time; writers creating files only when no file is on the way; Max Load never exceeded; the directory
 * accounting. Each sequence is checked against a {@link HashMap} model and validated structurally
 * ({@link SegmentSetTest#validate}). Fixed operation counts, no timing.
 */
class SegmentGrowthTest
{
    /** Max Load above Grow Load, so a segment whose file is on the way has room to go on. */
    private static final int HARD_LIMIT_PPM = SegmentParams.MAX_LOAD_PPM_MAX;

    /**
     * Eight segments of 200 groups (above the doubling size, so they ask at Early Load) filled by uniformly hashed
     * keys, with the allocator given time after every 40 inserts: every rehash begins in a prepared file, no
     * writer creates or waits for one, several segments have files pending at the same moment (a queue, not one
     * at a time), and after every wait the directory holds exactly the current files plus what the allocator
     * accounts for (pending files and sources not yet deleted).
     */
    @Test
    void segmentsAtTheirRequestLoadGetPreparedFilesWithoutAWriterCreatingOne(@TempDir final Path dir)
        throws IOException
    {
        final long seed = 0x6A0DL;
        final SegmentParams params = new SegmentParams(3, 16, 64, 0, seed, HARD_LIMIT_PPM);
        final int keyCount = 8 * 200 * 15;
        final byte[][] keys = SegmentTableTest.keys(keyCount, seed);
        final Map<ByteBuffer, byte[]> model = new HashMap<>();
        final SegmentLookup lookup = new SegmentLookup();
        int mostPending = 0;
        try (SegmentSet set = SegmentSet.create(dir, params, 200, 2, false, true))
        {
            for (int i = 0; i < keyCount; i++)
            {
                final byte[] value = SegmentTableTest.value(keys[i]);
                assertTrue(set.put(new UnsafeBuffer(keys[i]), 0, 16, new UnsafeBuffer(value), 0, 64, 0, lookup));
                model.put(ByteBuffer.wrap(keys[i]), value);
                assertWithinMaxLoad(set);
                mostPending = Math.max(mostPending, set.pendingFileNames().size());
                if (i % 40 == 39)
                {
                    set.awaitAllocation();
                    assertDirectoryIsAccountedFor(set);
                }
            }
            final SegmentGrowth growth = set.growth();
            assertEquals(0, growth.counters.createdByWriters.get(), "files created by writers");
            assertEquals(0, growth.counters.waitedForPrepared.get(), "writers that waited for a file");
            assertTrue(growth.counters.beganPrepared.get() >= 8,
                "rehashes into prepared files: " + growth.counters.beganPrepared.get());
            assertTrue(mostPending >= 2, "most files pending at once: " + mostPending);
            SegmentSetTest.validate(set, model, keys);
        }
    }

    /**
     * With the allocator stopped, segments reach Max Load with their requests still queued: the writer cancels
     * the request and creates the file itself. Max Load (the hard limit) is never exceeded, every lookup
     * terminates with the model's answer, and once the allocator resumes the set validates.
     */
    @ParameterizedTest(name = "Max Load {0} ppm")
    @ValueSource(ints = { 937_500, HARD_LIMIT_PPM })
    void writersCreateFilesOnlyWhenNoneIsOnTheWayAndNeverExceedMaxLoad(final int maxLoadPpm,
        @TempDir final Path dir) throws IOException
    {
        final long seed = 0x1A11L + maxLoadPpm;
        final SegmentParams params = new SegmentParams(2, 16, 64, 0, seed, maxLoadPpm);
        final SplittableRandom random = new SplittableRandom(seed);
        final int keyCount = 3_000;
        final byte[][] keys = SegmentTableTest.keys(keyCount, seed);
        final Map<ByteBuffer, byte[]> model = new HashMap<>();
        final SegmentLookup lookup = new SegmentLookup();
        final UnsafeBuffer dst = new UnsafeBuffer(new byte[64]);
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false, true))
        {
            set.pauseAllocation(true);
            for (int step = 0; step < 6_000; step++)
            {
                final byte[] key = keys[random.nextInt(keyCount)];
                final UnsafeBuffer k = new UnsafeBuffer(key);
                if (random.nextInt(10) < 8)
                {
                    final byte[] value = new byte[random.nextInt(65)];
                    random.nextBytes(value);
                    assertEquals(null == model.put(ByteBuffer.wrap(key), value),
                        set.put(k, 0, 16, new UnsafeBuffer(value), 0, value.length, 0, lookup), "put, step " + step);
                }
                else
                {
                    assertEquals(null != model.remove(ByteBuffer.wrap(key)), set.remove(k, 0, 16, lookup),
                        "remove, step " + step);
                }
                assertWithinMaxLoad(set);
                final byte[] probe = keys[random.nextInt(keyCount)];
                final byte[] expected = model.get(ByteBuffer.wrap(probe));
                assertEquals(null == expected ? -1 : expected.length,
                    set.get(new UnsafeBuffer(probe), 0, 16, dst, 0, lookup), "get, step " + step);
            }
            assertTrue(set.growth().counters.createdByWriters.get() > 0,
                "a stopped allocator leaves the writers to create files");
            set.pauseAllocation(false);
            set.awaitAllocation();
            SegmentSetTest.validate(set, model, keys);
            assertDirectoryIsAccountedFor(set);
        }
    }

    /**
     * Random puts and removes with reopens, the allocator on its threads and Max Load above Grow Load: the set
     * matches the model after every sequence, before and after reopening.
     */
    @Test
    void randomOperationsWithBackgroundPreparationAndReopenMatchTheModel(@TempDir final Path dir)
        throws IOException
    {
        final long seed = 0xF00DL;
        final SegmentParams params = new SegmentParams(3, 16, 64, 0, seed, HARD_LIMIT_PPM);
        final SplittableRandom random = new SplittableRandom(seed);
        final int keyCount = 4_000;
        final byte[][] keys = SegmentTableTest.keys(keyCount, seed);
        final Map<ByteBuffer, byte[]> model = new HashMap<>();
        final SegmentLookup lookup = new SegmentLookup();
        SegmentSet set = SegmentSet.create(dir, params, 1, 1, false, true);
        try
        {
            for (int sequence = 0; sequence < 4; sequence++)
            {
                for (int step = 0; step < 2_500; step++)
                {
                    final byte[] key = keys[random.nextInt(keyCount)];
                    final UnsafeBuffer k = new UnsafeBuffer(key);
                    if (random.nextInt(4) != 0)
                    {
                        final byte[] value = new byte[random.nextInt(65)];
                        random.nextBytes(value);
                        assertEquals(null == model.put(ByteBuffer.wrap(key), value),
                            set.put(k, 0, 16, new UnsafeBuffer(value), 0, value.length, 0, lookup));
                    }
                    else
                    {
                        assertEquals(null != model.remove(ByteBuffer.wrap(key)), set.remove(k, 0, 16, lookup));
                    }
                    assertWithinMaxLoad(set);
                }
                SegmentSetTest.validate(set, model, keys);
                set.close();
                set = SegmentSet.open(dir, 1, false, true);
                SegmentSetTest.validate(set, model, keys);
            }
        }
        finally
        {
            set.close();
        }
    }

    /**
     * Segments below the doubling size ask for their file at loads spread evenly between the lowest request load
     * and Early Load (so they do not all ask at once); larger ones at Early Load.
     */
    @Test
    void doublingSegmentsAskAtLoadsSpreadOverTheBand(@TempDir final Path dir) throws IOException
    {
        final SegmentParams params = new SegmentParams(8, 16, 64, 0, 9, 937_500);
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false))
        {
            final SegmentGrowth growth = set.growth();
            final long early = set.manifest.earlyLoadPpm;
            final long[] loads = new long[set.segmentCount()];
            for (int s = 0; s < loads.length; s++)
            {
                loads[s] = growth.requestLoadPpm(s, 1);
                assertTrue(loads[s] >= SegmentGrowth.SPREAD_LOW_PPM && loads[s] < early, "segment " + s);
                assertEquals(early, growth.requestLoadPpm(s, SegmentGrowth.DOUBLING_GROUPS), "segment " + s);
            }
            Arrays.sort(loads);
            final long width = (early - SegmentGrowth.SPREAD_LOW_PPM) / 10;
            for (int decile = 0; decile < 10; decile++)
            {
                final long from = SegmentGrowth.SPREAD_LOW_PPM + decile * width;
                final long count = Arrays.stream(loads).filter(l -> l >= from && l < from + width).count();
                assertTrue(count >= 20 && count <= 32, "decile " + decile + " holds " + count + " of 256");
            }
        }
    }

    private static void assertWithinMaxLoad(final SegmentSet set)
    {
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final Segment segment = set.segment(s);
            assertTrue(segment.entryCount() <= segment.current().maxEntries,
                "segment " + s + ": " + segment.entryCount() + " entries, Max Load " + segment.current().maxEntries);
            assertTrue(segment.current().maxEntries < segment.current().slotCount, "an empty slot is left");
        }
    }

    /** With the allocator idle: directory bytes = manifest + current files + what the allocator accounts for. */
    private static void assertDirectoryIsAccountedFor(final SegmentSet set) throws IOException
    {
        long directory = 0;
        try (Stream<Path> files = Files.list(set.directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (!file.getFileName().toString().equals(ManifestDescriptor.FILE_NAME))
                {
                    directory += Files.size(file);
                }
            }
        }
        assertEquals(set.growth().liveBytes() + set.allocator().extraBytes(), directory,
            "segment files in the directory, bytes");
    }
}
