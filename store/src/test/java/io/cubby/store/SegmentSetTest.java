package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The segment set over the manifest: random operations against a {@link HashMap} model across segment bits, with
 * growth by incremental rehash from one group per segment and reopens, then a structural validation of every
 * segment and of the manifest; optimistic reads racing a writer; manifest damage.
 */
class SegmentSetTest
{
    private static final int OPERATIONS = 6_000;
    private static final int KEYS = 1_500;

    @ParameterizedTest(name = "segment bits {0}")
    @ValueSource(ints = { 0, 3 })
    void randomOperationsWithGrowthAndReopenMatchTheModel(final int segmentBits, @TempDir final Path dir)
        throws IOException
    {
        final long seed = 0xC0FFEEL + segmentBits;
        final SplittableRandom random = new SplittableRandom(seed);
        final SegmentParams params = new SegmentParams(segmentBits, 16, 64, 0, seed, 937_500);
        final Map<ByteBuffer, byte[]> model = new HashMap<>();
        final byte[][] keys = SegmentTableTest.keys(KEYS, seed);
        final SegmentLookup lookup = new SegmentLookup();
        final UnsafeBuffer dst = new UnsafeBuffer(new byte[64]);
        SegmentSet set = SegmentSet.create(dir, params, 1, 1, false);
        for (int step = 0; step < OPERATIONS; step++)
        {
            final byte[] key = keys[random.nextInt(KEYS)];
            final UnsafeBuffer k = new UnsafeBuffer(key);
            final int op = random.nextInt(100);
            if (op < 55)
            {
                final byte[] value = new byte[random.nextInt(65)];
                random.nextBytes(value);
                final boolean isNew = set.put(k, 0, 16, new UnsafeBuffer(value), 0, value.length, 0, lookup);
                assertEquals(null == model.put(ByteBuffer.wrap(key), value), isNew, "put, step " + step);
            }
            else if (op < 75)
            {
                assertEquals(null != model.remove(ByteBuffer.wrap(key)), set.remove(k, 0, 16, lookup),
                    "remove, step " + step);
            }
            else if (op < 99)
            {
                final byte[] expected = model.get(ByteBuffer.wrap(key));
                final int length = set.get(k, 0, 16, dst, 0, lookup);
                assertEquals(null == expected ? -1 : expected.length, length, "get, step " + step);
            }
            else
            {
                set.close();
                set = SegmentSet.open(dir, 1, false);
            }
        }
        validate(set, model, keys);
        set.close();
        set = SegmentSet.open(dir, 1, false);
        validate(set, model, keys);
        set.close();
    }

    static void validate(final SegmentSet set, final Map<ByteBuffer, byte[]> model, final byte[][] keys)
        throws IOException
    {
        final List<String> problems = new ArrayList<>();
        final List<String> expectedFiles = new ArrayList<>();
        expectedFiles.add(ManifestDescriptor.FILE_NAME);
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final Segment segment = set.segment(s);
            // a segment not rehashing may still name its source until the retirer has ended the rehash
            problems.addAll(null != segment.source() ? SegmentVerifier.verify(segment) :
                SegmentVerifier.verify(segment.current()));
            expectedFiles.add(segment.current().file.getFileName().toString());
            assertEquals(segment.current().generation, set.manifest.currentGeneration(s), "manifest, segment " + s);
            assertEquals(segment.current().groupCount, set.manifest.currentGroupCount(s), "manifest, segment " + s);
            if (null != segment.source())
            {
                expectedFiles.add(segment.source().file.getFileName().toString());
                assertEquals(segment.source().generation, set.manifest.sourceGeneration(s), "segment " + s);
            }
            else
            {
                assertEquals(0, set.manifest.sourceGeneration(s), "manifest, segment " + s);
            }
            assertEquals(0, set.manifest.readSequence(s) & 1, "sequence of segment " + s + " is even");
        }
        if (!problems.isEmpty())
        {
            fail("structural validation: " + problems);
        }
        set.awaitAllocation();
        expectedFiles.addAll(set.pendingFileNames());
        try (Stream<Path> files = Files.list(set.directory))
        {
            final List<String> actual = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(expectedFiles.stream().sorted().toList(), actual, "files in the store directory");
        }
        assertEquals(model.size(), set.entryCount());
        final SegmentLookup lookup = new SegmentLookup();
        final UnsafeBuffer dst = new UnsafeBuffer(new byte[64]);
        for (final byte[] key : keys)
        {
            final byte[] expected = model.get(ByteBuffer.wrap(key));
            final int length = set.get(new UnsafeBuffer(key), 0, 16, dst, 0, lookup);
            if (null == expected)
            {
                assertEquals(-1, length);
            }
            else
            {
                final byte[] actual = new byte[length];
                dst.getBytes(0, actual);
                assertArrayEquals(expected, actual);
            }
        }
    }

    /**
     * Inserts (and some removes) from one group per segment to about 2 000 entries per segment (past the size up
     * to which segments double): after every batch the set matches the model and its directory holds only live
     * files and the pending ones; at the end every segment's load lies in the band that growth ahead of need
     * keeps, between Target Load (less rounding) and Max Load, rather than anywhere from half of Max Load up.
     */
    @ParameterizedTest(name = "background allocation {0}")
    @ValueSource(booleans = { false, true })
    void growthAheadOfNeedKeepsEverySegmentInTheLoadBand(final boolean background, @TempDir final Path dir)
        throws IOException
    {
        final long seed = 0xBA4DL;
        final SplittableRandom random = new SplittableRandom(seed);
        final SegmentParams params = new SegmentParams(2, 16, 64, 0, seed, 937_500);
        final Map<ByteBuffer, byte[]> model = new HashMap<>();
        final byte[][] keys = SegmentTableTest.keys(9_000, seed);
        final SegmentLookup lookup = new SegmentLookup();
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 2, background, background))
        {
            int next = 0;
            for (int batch = 0; batch < 10; batch++)
            {
                for (int i = 0; i < 900; i++)
                {
                    final byte[] key;
                    if (random.nextInt(20) == 0 && next > 0)
                    {
                        key = keys[random.nextInt(next)];
                        assertEquals(null != model.remove(ByteBuffer.wrap(key)),
                            set.remove(new UnsafeBuffer(key), 0, 16, lookup), "remove, batch " + batch);
                        continue;
                    }
                    key = keys[next++];
                    final byte[] value = SegmentTableTest.value(key);
                    assertTrue(set.put(new UnsafeBuffer(key), 0, 16, new UnsafeBuffer(value), 0, 64, 0, lookup));
                    model.put(ByteBuffer.wrap(key), value);
                }
                validate(set, model, keys);
                for (int s = 0; s < set.segmentCount(); s++)
                {
                    final Segment segment = set.segment(s);
                    assertTrue(segment.entryCount() <= segment.current().maxEntries, "segment " + s + " over Max Load");
                }
            }
            for (int s = 0; s < set.segmentCount(); s++)
            {
                final Segment segment = set.segment(s);
                final double load = (double)segment.entryCount() / segment.current().slotCount;
                assertTrue(load >= 0.8 && load <= 0.9375, "segment " + s + " at load " + load);
            }
        }
        try (SegmentSet set = SegmentSet.open(dir, 2, background))
        {
            validate(set, model, keys);
        }
    }

    /**
     * One writer overwrites and removes keys (forcing many rehashes of small segments) while a reader checks that
     * every value it reads is whole: each value is the key's index and a version, repeated, so a torn or mixed
     * value cannot pass. The writer does a fixed number of operations; no timing is asserted.
     */
    @Test
    void optimisticReadsNeverSeeATornOrForeignValue(@TempDir final Path dir) throws Exception
    {
        final SegmentParams params = new SegmentParams(2, 16, 64, 0, 77, 937_500);
        final int keyCount = 400;
        final byte[][] keys = SegmentTableTest.keys(keyCount, 5);
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false))
        {
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final long[] reads = new long[1];
            final Thread reader = new Thread(() ->
            {
                final SegmentLookup lookup = new SegmentLookup();
                final UnsafeBuffer dst = new UnsafeBuffer(new byte[64]);
                final SplittableRandom random = new SplittableRandom(9);
                try
                {
                    while (!done.get())
                    {
                        final int i = random.nextInt(keyCount);
                        final int length = set.get(new UnsafeBuffer(keys[i]), 0, 16, dst, 0, lookup);
                        reads[0]++;
                        if (length == -1)
                        {
                            continue;
                        }
                        if (length != 64)
                        {
                            throw new AssertionError("key " + i + ": value length " + length);
                        }
                        final long first = dst.getLong(0, ByteOrder.LITTLE_ENDIAN);
                        if ((int)(first >>> 32) != i)
                        {
                            throw new AssertionError("key " + i + ": value of key " + (first >>> 32));
                        }
                        for (int w = 8; w < 64; w += 8)
                        {
                            if (dst.getLong(w, ByteOrder.LITTLE_ENDIAN) != first)
                            {
                                throw new AssertionError("key " + i + ": torn value");
                            }
                        }
                    }
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
            });
            reader.start();
            final SegmentLookup lookup = new SegmentLookup();
            final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
            final SplittableRandom random = new SplittableRandom(3);
            for (int version = 0; version < 30_000 && null == failure.get(); version++)
            {
                final int i = random.nextInt(keyCount);
                final UnsafeBuffer key = new UnsafeBuffer(keys[i]);
                if (random.nextInt(10) == 0)
                {
                    set.remove(key, 0, 16, lookup);
                    continue;
                }
                final long word = ((long)i << 32) | version;
                for (int w = 0; w < 64; w += 8)
                {
                    value.putLong(w, word, ByteOrder.LITTLE_ENDIAN);
                }
                set.put(key, 0, 16, value, 0, 64, 0, lookup);
            }
            done.set(true);
            reader.join();
            assertNull(failure.get(), () -> "reader failed: " + failure.get());
            assertTrue(reads[0] > 0);
        }
    }

    /**
     * Lock-free readers race a writer whose growth ends many rehashes (one group per segment, migration step 1),
     * while the ends release the retired sources. With {@code keep} the sources are marked unreadable instead of
     * unmapped, and every read path asserts that its table is not, so a reader that could still touch a retired
     * source fails with an AssertionError; without it they are really unmapped (a violation would be a fault).
     * Either way every value read is whole and the key's, and every retired source is released once the readers
     * have stopped. Fixed operation counts; no timing is asserted.
     */
    @ParameterizedTest(name = "background {0}, keep mappings {1}")
    @org.junit.jupiter.params.provider.CsvSource({ "false, true", "true, true", "true, false", "false, false" })
    void retiredSourcesAreReleasedOnlyWhenNoReaderCanStillUseThem(final boolean background, final boolean keep,
        @TempDir final Path dir) throws Exception
    {
        assertTrue(SegmentSet.class.desiredAssertionStatus(), "run with assertions enabled (-ea)");
        final SegmentParams params = new SegmentParams(2, 16, 64, 0, 78, 937_500);
        final int keyCount = 6_000;
        final byte[][] keys = SegmentTableTest.keys(keyCount, 6);
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false, background))
        {
            if (keep)
            {
                set.keepRetiredMappings();
            }
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
            final long[] reads = new long[2];
            final List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++)
            {
                final int id = r;
                readers.add(new Thread(() ->
                {
                    final SegmentLookup lookup = new SegmentLookup();
                    final UnsafeBuffer dst = new UnsafeBuffer(new byte[64]);
                    final SplittableRandom random = new SplittableRandom(11 + id);
                    try
                    {
                        while (!done.get())
                        {
                            final int bound = written.get();
                            if (bound == 0)
                            {
                                Thread.onSpinWait();
                                continue;
                            }
                            final int i = random.nextInt(bound);
                            final int length = set.get(new UnsafeBuffer(keys[i]), 0, 16, dst, 0, lookup);
                            reads[id]++;
                            if (length != 64)
                            {
                                throw new AssertionError("key " + i + " written, read length " + length);
                            }
                            for (int w = 0; w < 64; w += 8)
                            {
                                if (dst.getLong(w, ByteOrder.LITTLE_ENDIAN) != i)
                                {
                                    throw new AssertionError("key " + i + ": torn or foreign value");
                                }
                            }
                        }
                    }
                    catch (final Throwable t)
                    {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            readers.forEach(Thread::start);
            final SegmentLookup lookup = new SegmentLookup();
            final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
            for (int i = 0; i < keyCount && null == failure.get(); i++)
            {
                for (int w = 0; w < 64; w += 8)
                {
                    value.putLong(w, i, ByteOrder.LITTLE_ENDIAN);
                }
                set.put(new UnsafeBuffer(keys[i]), 0, 16, value, 0, 64, 0, lookup);
                written.set(i + 1);
            }
            done.set(true);
            for (final Thread reader : readers)
            {
                reader.join();
            }
            assertNull(failure.get(), () -> "reader failed: " + failure.get());
            assertTrue(reads[0] > 0 && reads[1] > 0);
            set.awaitAllocation();
            // 6 000 entries in 4 segments from one group each: every segment has been rehashed several times.
            assertTrue(set.unmappedSources() + set.deferredUnmaps() >= 4 * 5,
                "released " + set.unmappedSources() + ", deferred " + set.deferredUnmaps());
        }
    }

    /** The detector the racing test relies on: with assertions on, a retired table refuses every read path. */
    @Test
    void aRetiredTableRefusesReads(@TempDir final Path dir) throws IOException
    {
        assertTrue(SegmentTable.class.desiredAssertionStatus(), "run with assertions enabled (-ea)");
        final SegmentParams params = new SegmentParams(0, 16, 64, 0, 5, 937_500);
        try (SegmentTable table = SegmentFile.create(dir, params, 0, 1, 2, 0, 0, false))
        {
            final byte[] key = SegmentTableTest.keys(1, 3)[0];
            final long hash = table.hash(new UnsafeBuffer(key), 0, 16);
            table.insert(hash, new UnsafeBuffer(key), 0, 16, new UnsafeBuffer(new byte[64]), 0, 64, 0, 0);
            final int slot = table.find(hash, new UnsafeBuffer(key), 0, 16);
            assertTrue(slot >= 0);
            table.retire();
            assertThrows(AssertionError.class, () -> table.find(hash, new UnsafeBuffer(key), 0, 16));
            assertThrows(AssertionError.class, () -> table.findPreferredFirst(hash, new UnsafeBuffer(key), 0, 16));
            assertThrows(AssertionError.class, () -> table.valueLength(slot));
            assertThrows(AssertionError.class, () -> table.checksumMatches(slot));
            assertThrows(AssertionError.class, () -> table.copyValue(slot, new UnsafeBuffer(new byte[64]), 0, 64));
        }
    }

    @Test
    void damagedManifestIsRejectedAndAnUndamagedOneOpens(@TempDir final Path dir) throws IOException
    {
        final SegmentParams params = new SegmentParams(1, 16, 64, 0, 5, 937_500);
        SegmentSet.create(dir, params, 2, 1, false).close();
        SegmentSet.open(dir, 1, false).close();
        final Path manifest = dir.resolve(ManifestDescriptor.FILE_NAME);
        try (FileChannel channel = FileChannel.open(manifest, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[]{ 9 }), ManifestDescriptor.MAX_KEY_LENGTH_OFFSET);
        }
        final CorruptStoreException checksum = assertThrows(CorruptStoreException.class,
            () -> SegmentSet.open(dir, 1, false));
        assertTrue(checksum.getMessage().contains("checksum"), checksum.getMessage());
        try (FileChannel channel = FileChannel.open(manifest, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[]{ 16 }), ManifestDescriptor.MAX_KEY_LENGTH_OFFSET);
            channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 7),
                ManifestDescriptor.entryOffset(1) + ManifestDescriptor.ENTRY_CURRENT_GENERATION_OFFSET);
        }
        final NotAStoreException missing = assertThrows(NotAStoreException.class,
            () -> SegmentSet.open(dir, 1, false));
        assertTrue(missing.getMessage().contains(SegmentDescriptor.fileName(1, 7)), missing.getMessage());
        try (FileChannel channel = FileChannel.open(manifest, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0),
                ManifestDescriptor.entryOffset(1) + ManifestDescriptor.ENTRY_CURRENT_GENERATION_OFFSET);
        }
        final CorruptStoreException generation = assertThrows(CorruptStoreException.class,
            () -> SegmentSet.open(dir, 1, false));
        assertTrue(generation.getMessage().contains("current generation"), generation.getMessage());
        assertThrows(NotAStoreException.class, () -> SegmentSet.open(dir.resolve("none"), 1, false));
    }
}
