package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Cubby#compact()} on a format-version-2 store (FORMAT-v2.md 9.1): each segment whose file is larger than
 * its entries need is shrunk by a rehash into a smaller file, while readers and writers go on. Contents are
 * compared against a {@link HashMap} model after every compaction and after reopening; {@code verify()} must be
 * clean; the files must shrink after waves of removals and stay as they are when already at their size.
 */
class FormatVersion2CompactionTest
{
    private static final int SEGMENTS = 4;

    @ParameterizedTest
    @EnumSource(value = Durability.class, names = {"NONE", "ASYNC"}) // SYNC: the explicit-load test
    void compactionAfterRemovalsShrinksTheFilesAndKeepsTheContents(final Durability durability,
        @TempDir final Path dir)
    {
        final SplittableRandom random = new SplittableRandom(0xC0AC7 + durability.ordinal());
        final Map<String, byte[]> model = new HashMap<>();
        try (Cubby store = open(dir, durability, true))
        {
            for (int wave = 0; wave < 3; wave++)
            {
                for (int i = 0; i < 6000; i++)
                {
                    put(store, model, "k" + random.nextInt(20_000), "v" + wave + "-" + i);
                }
                for (final String k : new ArrayList<>(model.keySet()))
                {
                    if (random.nextInt(10) != 0)
                    {
                        assertTrue(store.remove(k.getBytes(StandardCharsets.US_ASCII)));
                        model.remove(k);
                    }
                }
                final CubbyStats removed = store.stats();
                store.compact();
                final CubbyStats compacted = store.stats();
                assertTrue(compacted.tableFileBytes < removed.tableFileBytes / 2,
                    "files shrink after removals: " + removed + " -> " + compacted);
                assertFalse(compacted.rehashInProgress, compacted.toString());
                assertEquals(0, compacted.sourceCapacity, compacted.toString());
                assertTrue(compacted.load <= 0.84, "sized for Target Load: " + compacted);
                assertMatches(store, model);
                assertEquals(SEGMENTS, segmentFiles(dir).size(),
                    "the larger files are deleted: " + segmentFiles(dir));

                store.compact();
                assertEquals(compacted.tableFileBytes, store.stats().tableFileBytes,
                    "a second compaction changes nothing");
                assertEquals(compacted.generation, store.stats().generation, "no segment was rehashed again");
            }
        }
        try (Cubby store = Cubby.builder(dir).durability(durability).open())
        {
            assertMatches(store, model);
            for (int i = 0; i < 3000; i++)
            {
                put(store, model, "n" + i, "after reopen " + i);
            }
            assertMatches(store, model);
        }
    }

    @Test
    void explicitTargetLoadSizesTheFilesAndProgressCountsTheMigratedSlots(@TempDir final Path dir)
    {
        final Map<String, byte[]> model = new HashMap<>();
        try (Cubby store = open(dir, Durability.SYNC, true))
        {
            // explicit compactions only: a clean-up begun by the removals would size segments at the default load
            store.segmentCore().store().segments().growth().cleanups(false);
            for (int i = 0; i < 8000; i++)
            {
                put(store, model, "k" + i, "v" + i);
            }
            for (int i = 0; i < 8000; i += 2)
            {
                assertTrue(store.remove(("k" + i).getBytes(StandardCharsets.US_ASCII)));
                model.remove("k" + i);
            }
            assertThrows(IllegalArgumentException.class, () -> store.compact(0.05, null));
            assertThrows(IllegalArgumentException.class, () -> store.compact(0.97, null));
            assertEquals(0, store.stats().sourceCapacity, "the removals ended the rehashes in flight");
            final long before = store.stats().capacity;
            final List<Long> progress = new ArrayList<>();
            store.compact(0.5, progress::add);
            assertFalse(progress.isEmpty(), "progress reported");
            for (int i = 1; i < progress.size(); i++)
            {
                assertTrue(progress.get(i) >= progress.get(i - 1), "progress never goes back: " + progress);
            }
            final CubbyStats stats = store.stats();
            assertTrue(stats.capacity < before, stats.toString());
            assertTrue(stats.load >= 0.45 && stats.load <= 0.5, "sized for load 0.5: " + stats);
            assertEquals(before, progress.get(progress.size() - 1), "every source slot of the shrunk segments");
            assertMatches(store, model);

            // at a higher load than its files have, every segment shrinks again
            store.compact(0.9, null);
            assertTrue(store.stats().load > 0.8, store.stats().toString());
            assertMatches(store, model);
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertMatches(store, model);
        }
    }

    @Test
    void compactionFinishesAGrowthRehashInFlightFirst(@TempDir final Path dir)
    {
        final Map<String, byte[]> model = new HashMap<>();
        try (Cubby store = open(dir, Durability.NONE, false))
        {
            int i = 0;
            // grow until a rehash is in flight (its source still published)
            while ((store.stats().sourceCapacity == 0 || i < 2000) && i < 200_000)
            {
                put(store, model, "k" + i, "v" + i);
                i++;
            }
            assertTrue(store.stats().rehashInProgress, store.stats().toString());
            // above Target Load, where growth sizes its files: every segment has more groups than load 0.96 needs
            store.compact(0.96, null);
            final CubbyStats stats = store.stats();
            assertFalse(stats.rehashInProgress, stats.toString());
            assertTrue(stats.load > 0.9, "every segment shrunk, the one being grown too: " + stats);
            assertMatches(store, model);
            for (int j = 0; j < 2000; j++)
            {
                put(store, model, "m" + j, "after " + j);
            }
            assertMatches(store, model);
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertMatches(store, model);
        }
    }

    @Test
    void compactionRunsWhileWritersAndReadersGoOn(@TempDir final Path dir) throws Exception
    {
        final int writers = 3;
        final List<Map<String, byte[]>> models = new ArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Cubby store = open(dir, Durability.NONE, false))
        {
            final Thread[] threads = new Thread[writers];
            for (int w = 0; w < writers; w++)
            {
                final Map<String, byte[]> model = new HashMap<>();
                models.add(model);
                final int writer = w;
                threads[w] = new Thread(() ->
                {
                    try
                    {
                        final SplittableRandom random = new SplittableRandom(writer);
                        for (int i = 0; i < 40_000; i++)
                        {
                            final String k = "w" + writer + "-" + random.nextInt(3000);
                            final byte[] kb = k.getBytes(StandardCharsets.US_ASCII);
                            // waves: mostly puts, then mostly removals, so that segments grow and then shrink
                            final boolean removing = (i / 5000) % 2 == 1;
                            if (random.nextInt(10) < (removing ? 8 : 2))
                            {
                                assertEquals(null != model.remove(k), store.remove(kb), k);
                            }
                            else
                            {
                                final byte[] v = ("v" + i).getBytes(StandardCharsets.US_ASCII);
                                assertEquals(null == model.put(k, v), store.put(kb, v), k);
                            }
                            assertArrayEquals(model.get(k), store.get(kb), k);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                }, "writer-" + w);
                threads[w].start();
            }
            int compactions = 0;
            boolean alive = true;
            while (alive || compactions < 3)
            {
                store.compact();
                compactions++;
                alive = false;
                for (final Thread thread : threads)
                {
                    alive |= thread.isAlive();
                }
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
            if (null != failure.get())
            {
                throw new AssertionError("a writer failed", failure.get());
            }
            final Map<String, byte[]> all = new HashMap<>();
            models.forEach(all::putAll);
            assertMatches(store, all);
            store.compact();
            assertTrue(store.stats().load <= 0.84, store.stats().toString());
            assertMatches(store, all);
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            final Map<String, byte[]> all = new HashMap<>();
            models.forEach(all::putAll);
            assertMatches(store, all);
        }
    }

    /**
     * FORMAT-v2.md 9.1's room rule: while a shrink is in flight, the source's entries at its force plus the new keys
     * inserted since stay within the smaller file's Max Load; inserting past it turns the shrink into a growth.
     */
    @Test
    void insertsDuringAShrinkTurnItIntoAGrowthBeforeAPowerLossCouldOverfillTheSmallerFile(@TempDir final Path dir)
        throws IOException
    {
        final SegmentParams params = new SegmentParams(0, 16, 16, 0, 0x5EEDL, SegmentParams.DEFAULT_MAX_LOAD_PPM);
        final Map<String, byte[]> model = new HashMap<>();
        final SegmentLookup lookup = new SegmentLookup();
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false))
        {
            for (int i = 0; i < 1500; i++)
            {
                setPut(set, model, lookup, "k" + i, "v" + i);
            }
            for (int i = 0; i < 1500; i += 3)
            {
                final byte[] k = ("k" + i).getBytes(StandardCharsets.US_ASCII);
                assertTrue(set.remove(new UnsafeBuffer(k), 0, k.length, lookup));
                model.remove("k" + i);
            }
            final Segment segment = set.segment(0);
            while (segment.rehashing())
            {
                SegmentCompaction.migrateStep(set, 0, Integer.MAX_VALUE);
            }
            final long sourceEntries = segment.current().entryCount();
            assertTrue(SegmentCompaction.beginShrink(set, 0, params.maxLoadPpm, false) > 0,
                "a segment a third empty shrinks");
            final long shrunkGroups = segment.current().groupCount;
            assertTrue(shrunkGroups < segment.source().groupCount);
            long newKeys = 0;
            int i = 0;
            while (segment.rehashing() && segment.current().groupCount == shrunkGroups)
            {
                setPut(set, model, lookup, "n" + i++, "new");
                newKeys++;
                if (segment.rehashing() && segment.current().groupCount == shrunkGroups)
                {
                    assertTrue(sourceEntries + newKeys <= segment.current().maxEntries, "still shrinking with " +
                        newKeys + " new keys over " + sourceEntries + " entries: " + segment.current().maxEntries);
                }
            }
            // sized at Max Load for its entries, the smaller file reaches the bound long before its migration ends
            assertTrue(segment.current().groupCount > shrunkGroups, "the shrink ended as a growth");
            for (int j = 0; j < 2000; j++)
            {
                setPut(set, model, lookup, "m" + j, "more");
            }
            assertContents(set, model, lookup);
            assertEquals(List.of(), SegmentVerifier.verify(segment));
        }
    }

    /**
     * A shrink in flight when the set is closed is still one after the reopen (the smaller file current, the larger
     * its source), its migration goes on with the writes, and its bound is taken again at the first write: new keys
     * end it as a growth before they pass the smaller file's Max Load.
     */
    @Test
    void aShrinkInFlightAtReopenGoesOnAndKeepsItsRoomBound(@TempDir final Path dir) throws IOException
    {
        final SegmentParams params = new SegmentParams(0, 16, 16, 0, 0x5EEDL, SegmentParams.DEFAULT_MAX_LOAD_PPM);
        final Map<String, byte[]> model = new HashMap<>();
        final SegmentLookup lookup = new SegmentLookup();
        final long shrunkGroups;
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false))
        {
            for (int i = 0; i < 1500; i++)
            {
                setPut(set, model, lookup, "k" + i, "v" + i);
            }
            for (int i = 0; i < 1500; i += 2)
            {
                final byte[] k = ("k" + i).getBytes(StandardCharsets.US_ASCII);
                assertTrue(set.remove(new UnsafeBuffer(k), 0, k.length, lookup));
                model.remove("k" + i);
            }
            while (set.segment(0).rehashing())
            {
                SegmentCompaction.migrateStep(set, 0, Integer.MAX_VALUE);
            }
            assertTrue(SegmentCompaction.beginShrink(set, 0, set.manifest.targetLoadPpm, true) > 0);
            SegmentCompaction.migrateStep(set, 0, 3);
            shrunkGroups = set.segment(0).current().groupCount;
        }
        try (SegmentSet set = SegmentSet.open(dir, 1, false))
        {
            final Segment segment = set.segment(0);
            assertTrue(segment.rehashing(), "the shrink is still in flight");
            assertEquals(shrunkGroups, segment.current().groupCount);
            assertTrue(segment.current().groupCount < segment.source().groupCount);
            final long atOpen = segment.entryCount();
            int i = 0;
            while (segment.rehashing() && segment.current().groupCount == shrunkGroups)
            {
                setPut(set, model, lookup, "n" + i++, "new");
                if (segment.rehashing() && segment.current().groupCount == shrunkGroups)
                {
                    assertTrue(atOpen + i <= segment.current().maxEntries, i + " new keys");
                }
            }
            assertEquals(List.of(), SegmentVerifier.verify(segment));
            for (int j = 0; j < 500; j++)
            {
                setPut(set, model, lookup, "m" + j, "more");
            }
            assertContents(set, model, lookup);
            assertEquals(List.of(), SegmentVerifier.verify(segment));
        }
    }

    private static void assertContents(final SegmentSet set, final Map<String, byte[]> model,
        final SegmentLookup lookup)
    {
        final UnsafeBuffer out = new UnsafeBuffer(new byte[16]);
        for (final Map.Entry<String, byte[]> e : model.entrySet())
        {
            final byte[] k = e.getKey().getBytes(StandardCharsets.US_ASCII);
            final int length = set.get(new UnsafeBuffer(k), 0, k.length, out, 0, lookup);
            assertEquals(e.getValue().length, length, e.getKey());
            final byte[] v = new byte[length];
            out.getBytes(0, v);
            assertArrayEquals(e.getValue(), v, e.getKey());
        }
        assertEquals(model.size(), set.entryCount());
    }

    private static void setPut(final SegmentSet set, final Map<String, byte[]> model, final SegmentLookup lookup,
        final String key, final String value) throws IOException
    {
        final byte[] k = key.getBytes(StandardCharsets.US_ASCII);
        final byte[] v = value.getBytes(StandardCharsets.US_ASCII);
        assertEquals(null == model.put(key, v),
            set.put(new UnsafeBuffer(k), 0, k.length, new UnsafeBuffer(v), 0, v.length, 0, lookup), key);
    }

    /**
     * A store that keeps removing and inserting at a steady size: removals leave overflow bits set, and without
     * the clean-up compactions (SegmentGrowth.afterRemove) an absent lookup walked ever more groups (90 groups after
     * ten times the entries in churn, measured). With them the walk stays short, the contents match the model
     * throughout, and the store reopens as it was.
     */
    @ParameterizedTest
    @EnumSource(value = Durability.class, names = {"NONE", "ASYNC"})
    void removalsAndInsertsAtASteadySizeKeepAbsentLookupsShort(final Durability durability, @TempDir final Path dir)
    {
        final SplittableRandom random = new SplittableRandom(0x57A1E + durability.ordinal());
        final Map<String, byte[]> model = new HashMap<>();
        final List<String> live = new ArrayList<>();
        final int entries = 3000;
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(SEGMENTS).durability(durability)
            .maxKeySize(16).maxValueSize(24).expectedEntries(entries).open())
        {
            for (int i = 0; i < entries; i++)
            {
                put(store, model, "k" + i, "v" + i);
                live.add("k" + i);
            }
            final SegmentSet set = store.segmentCore().store().segments();
            final double filled = groupsWalkedByAbsentLookups(set);
            int next = entries;
            for (int op = 1; op <= 10 * entries; op++)
            {
                final int victim = random.nextInt(live.size());
                assertTrue(store.remove(live.get(victim).getBytes(StandardCharsets.US_ASCII)));
                model.remove(live.get(victim));
                live.set(victim, "k" + next);
                put(store, model, "k" + next, "v" + next);
                next++;
                if (op % (2 * entries) == 0)
                {
                    assertMatches(store, model);
                    final double walked = groupsWalkedByAbsentLookups(set);
                    // a segment near its clean-up threshold walks further (up to 0.9 group more here on a quiet
                    // machine, 2.2 with a busy one delaying retirements); without clean-ups the walk keeps growing
                    // (4.8 groups after the first 6,000 removals and inserts, and more after each)
                    assertTrue(walked <= filled + 4, "after " + op + " removals and inserts an absent " +
                        "lookup walks " + walked + " groups, " + filled + " after the fill");
                }
            }
            assertTrue(set.growth().counters.cleanupsBegun.get() > 0);
            set.awaitRetired();
        }
        try (Cubby store = open(dir, durability, false))
        {
            assertMatches(store, model);
        }
    }

    /** The mean number of groups a lookup of an absent key reads, over a fixed sample of hashes per segment. */
    private static double groupsWalkedByAbsentLookups(final SegmentSet set)
    {
        final SplittableRandom random = new SplittableRandom(7);
        long walked = 0;
        long lookups = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final SegmentTable table = set.segment(s).current();
            for (int i = 0; i < 4000; i++)
            {
                walked += table.tags.groupsWalked(random.nextLong());
                lookups++;
            }
        }
        return (double)walked / lookups;
    }

    private static Cubby open(final Path dir, final Durability durability, final boolean smallStart)
    {
        return Cubby.builder(dir).formatVersion(2).segments(SEGMENTS).durability(durability).maxKeySize(16)
            .maxValueSize(24).expectedEntries(smallStart ? 0 : 1024).open();
    }

    private static void put(final Cubby store, final Map<String, byte[]> model, final String key, final String value)
    {
        final byte[] v = value.getBytes(StandardCharsets.US_ASCII);
        assertEquals(null == model.put(key, v), store.put(key.getBytes(StandardCharsets.US_ASCII), v), key);
    }

    /** Contents through get, iteration and size equal the model; verify() clean. */
    static void assertMatches(final Cubby store, final Map<String, byte[]> model)
    {
        assertEquals(model.size(), store.size());
        for (final Map.Entry<String, byte[]> e : model.entrySet())
        {
            assertArrayEquals(e.getValue(), store.get(e.getKey().getBytes(StandardCharsets.US_ASCII)), e.getKey());
        }
        final Map<String, byte[]> seen = new HashMap<>();
        for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
        {
            final Map.Entry<byte[], byte[]> e = it.next();
            assertNull(seen.put(new String(e.getKey(), StandardCharsets.US_ASCII), e.getValue()), "each key once");
        }
        assertEquals(model.keySet(), seen.keySet());
        final VerifyReport report = store.verify();
        assertTrue(report.isOk(), report.problems.toString());
        assertEquals(model.size(), report.entriesCounted);
    }

    private static List<String> segmentFiles(final Path dir)
    {
        final List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "seg-*"))
        {
            files.forEach(f -> names.add(f.getFileName().toString()));
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
        return names;
    }
}
