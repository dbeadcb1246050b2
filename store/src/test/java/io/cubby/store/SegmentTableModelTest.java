package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded random operation sequences on one version-2 segment ({@link Segment} over {@link SegmentTable} files)
 * against a {@link HashMap} model, across a configuration matrix of length widths, expiry, set mode, group counts
 * and segment bits; sequences include reopens and incremental rehashes into larger and smaller files, and run
 * close to Max Load so that groups overflow and probes wrap around. After every sequence the segment is checked
 * structurally ({@link SegmentVerifier}) and against the model. A failure names the seed and step.
 */
class SegmentTableModelTest
{
    private static final int SEQUENCES = 3;
    private static final int OPERATIONS = 3_000;
    private static final long SEED = 0x5E6_0000L;
    /** Year 2500 in epoch ms: past any clock these tests run at. */
    private static final long FAR_FUTURE = 16_725_225_600_000L;

    /** The configuration matrix, declared once: name, max key, max value, flags, initial groups, segment bits. */
    static Stream<Arguments> configurations()
    {
        return Stream.of(
            Arguments.of("16+64 one-byte lengths", 16, 64, 0, 7L, 0),
            Arguments.of("one group", 16, 64, 0, 1L, 0),
            Arguments.of("two-byte key and four-byte value lengths, expiry", 300, 70_000,
                SegmentDescriptor.FLAG_EXPIRY, 5L, 0),
            Arguments.of("set mode", 8, 0, SegmentDescriptor.FLAG_SET_MODE, 3L, 0),
            Arguments.of("segment 2 of 4", 16, 64, 0, 11L, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void randomSequencesMatchTheModel(
        final String name,
        final int maxKey,
        final int maxValue,
        final int flags,
        final long groups,
        final int segmentBits,
        @TempDir final Path tmp) throws IOException
    {
        // Large slots make every forced rehash write megabytes: fewer sequences keep the default build short.
        final int sequences = maxValue > 4096 ? 1 : SEQUENCES;
        for (int sequence = 0; sequence < sequences; sequence++)
        {
            final long seed = SEED + 7919L * sequence + maxKey * 31L + maxValue + groups;
            final Path dir = Files.createDirectories(tmp.resolve("s" + sequence));
            new Run(dir, seed, maxKey, maxValue, flags, groups, segmentBits).run();
        }
    }

    /** One sequence: the store under test, its model, and the replay coordinates. */
    private static final class Run
    {
        final Path dir;
        final long seed;
        final SplittableRandom random;
        final SegmentParams params;
        final int segmentIndex;
        final long initialGroups;
        final byte[][] keys;
        final Map<ByteBuffer, Entry> model = new HashMap<>();
        final SegmentLookup lookup = new SegmentLookup();
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[0]);
        final UnsafeBuffer valueBuffer = new UnsafeBuffer(new byte[0]);
        Segment segment;
        long nextGeneration = 1;
        int step;

        Run(final Path dir, final long seed, final int maxKey, final int maxValue, final int flags,
            final long groups, final int segmentBits)
        {
            this.dir = dir;
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.params = new SegmentParams(segmentBits, maxKey, maxValue, flags, seed | 1, 937_500);
            this.segmentIndex = segmentBits == 0 ? 0 : (1 << segmentBits) / 2;
            this.initialGroups = groups;
            this.keys = keysOfSegment(random, params, segmentIndex, (int)(groups * 15 * 3));
        }

        void run() throws IOException
        {
            segment = new Segment(segmentIndex, create(initialGroups, 0, 0), null);
            for (step = 0; step < OPERATIONS; step++)
            {
                final int op = random.nextInt(100);
                if (op < 45)
                {
                    put();
                }
                else if (op < 65)
                {
                    remove();
                }
                else if (op < 90)
                {
                    checkOne(keys[random.nextInt(keys.length)]);
                }
                else if (op < 93)
                {
                    reopen();
                }
                else if (op < 96 && !segment.rehashing())
                {
                    beginRehash(false);
                }
                if (segment.rehashing() && random.nextInt(3) == 0)
                {
                    migrate(1 + random.nextInt(2));
                }
            }
            validate();
            reopen();
            validate();
            while (segment.rehashing())
            {
                migrate(3);
            }
            validate();
            segment.current().close();
        }

        private SegmentTable create(final long groups, final long sourceGeneration, final long sourceGroups)
            throws IOException
        {
            return SegmentFile.create(dir, params, segmentIndex, nextGeneration++, groups, sourceGeneration,
                sourceGroups, false);
        }

        private void put() throws IOException
        {
            final byte[] key = keys[random.nextInt(keys.length)];
            final boolean present = model.containsKey(ByteBuffer.wrap(key));
            if (!present && !segment.hasRoomForInsert())
            {
                if (segment.rehashing())
                {
                    migrate(Integer.MAX_VALUE);
                }
                beginRehash(true);
            }
            final int valueLength = params.maxValueLength == 0 ? 0 :
                random.nextInt(32) == 0 ? params.maxValueLength :
                random.nextInt(Math.min(params.maxValueLength, 200) + 1);
            final byte[] value = new byte[valueLength];
            random.nextBytes(value);
            // deadlines in the future: migration drops entries expired by the clock (the puts pass 0, "no time")
            final long expiresAt = params.expiry ? random.nextLong(FAR_FUTURE, Long.MAX_VALUE) : 0;
            keyBuffer.wrap(key);
            valueBuffer.wrap(value);
            final long hash = segment.current().hash(keyBuffer, 0, key.length);
            final boolean isNew = segment.put(hash, keyBuffer, 0, key.length, valueBuffer, 0, valueLength, expiresAt, 0,
                expiresAt / 2, lookup);
            assertEquals(!present, isNew, where("put reports new key"));
            model.put(ByteBuffer.wrap(key), new Entry(value, expiresAt));
        }

        private void remove()
        {
            final byte[] key = keys[random.nextInt(keys.length)];
            keyBuffer.wrap(key);
            final long hash = segment.current().hash(keyBuffer, 0, key.length);
            final boolean removed = segment.remove(hash, keyBuffer, 0, key.length, 0, lookup);
            assertEquals(null != model.remove(ByteBuffer.wrap(key)), removed, where("remove reports presence"));
        }

        private void checkOne(final byte[] key)
        {
            keyBuffer.wrap(key);
            final long hash = segment.current().hash(keyBuffer, 0, key.length);
            final Entry expected = model.get(ByteBuffer.wrap(key));
            final boolean found = segment.find(hash, keyBuffer, 0, key.length, lookup);
            assertEquals(null != expected, found, where("presence of a key"));
            assertFindsAgree(segment.current(), hash, key);
            if (null != segment.source())
            {
                assertFindsAgree(segment.source(), hash, key);
            }
            if (found)
            {
                final SegmentTable table = lookup.table;
                assertTrue(table.checksumMatches(lookup.slot), where("checksum of a found slot"));
                final int length = table.valueLength(lookup.slot);
                final byte[] actual = new byte[length];
                table.copyValue(lookup.slot, new UnsafeBuffer(actual), 0, length);
                assertArrayEquals(expected.value, actual, where("value"));
                assertEquals(expected.expiresAt, table.expiresAt(lookup.slot), where("expires at"));
            }
        }

        /** The lookup that reads the tags first and the one that reads the preferred slot first agree. */
        private void assertFindsAgree(final SegmentTable table, final long hash, final byte[] key)
        {
            assertEquals(table.find(hash, keyBuffer, 0, key.length),
                table.findPreferredFirst(hash, keyBuffer, 0, key.length),
                where("find and findPreferredFirst in " + table.file.getFileName()));
        }

        /** Start an incremental rehash into a file sized at random: larger, or smaller when entries allow. */
        private void beginRehash(final boolean mustGrow) throws IOException
        {
            final SegmentTable current = segment.current();
            final long entries = current.entryCount();
            final long needed = Math.max(1, (long)Math.ceil((entries + 1) / (15 * 0.9375)));
            final long groups = mustGrow ? needed + 1 + random.nextInt((int)needed + 1) :
                needed + random.nextInt((int)Math.max(2, current.groupCount * 2));
            segment.beginRehash(create(groups, current.generation, current.groupCount));
        }

        private void migrate(final int groups) throws IOException
        {
            if (segment.migrate(groups))
            {
                final SegmentTable done = segment.completeRehash();
                assertEquals(0, done.entryCount(), where("source empty after migration"));
                done.close();
                Files.delete(done.file);
                Storage.syncDirectory(dir);
            }
        }

        private void reopen() throws IOException
        {
            final SegmentTable current = segment.current();
            final SegmentTable source = segment.source();
            current.close();
            final SegmentTable reopened = SegmentFile.open(current.file, params, segmentIndex, current.generation,
                false);
            SegmentTable reopenedSource = null;
            if (null != source)
            {
                source.close();
                reopenedSource = SegmentFile.open(source.file, params, segmentIndex, source.generation, false);
            }
            segment = new Segment(segmentIndex, reopened, reopenedSource);
        }

        private void validate()
        {
            final List<String> problems = SegmentVerifier.verify(segment);
            if (!problems.isEmpty())
            {
                fail(where("structural validation") + ": " + problems);
            }
            assertEquals(model.size(), segment.entryCount(), where("entry count"));
            for (final byte[] key : keys)
            {
                checkOne(key);
            }
            checkEveryFullSlotIsInTheModel(segment.current());
            if (null != segment.source())
            {
                checkEveryFullSlotIsInTheModel(segment.source());
            }
        }

        private void checkEveryFullSlotIsInTheModel(final SegmentTable table)
        {
            for (int slot = table.tags.nextFull(0); slot != SegmentTable.NOT_FOUND;
                slot = table.tags.nextFull(slot + 1))
            {
                final byte[] key = new byte[table.keyLength(slot)];
                table.copyKey(slot, new UnsafeBuffer(key), 0, key.length);
                assertTrue(model.containsKey(ByteBuffer.wrap(key)), where("slot " + slot + " holds a removed key"));
            }
        }

        private String where(final String what)
        {
            return what + " (seed 0x" + Long.toHexString(seed) + ", step " + step + ")";
        }
    }

    private record Entry(byte[] value, long expiresAt)
    {
    }

    /**
     * Distinct random keys of random lengths whose hash falls into the given segment.
     */
    static byte[][] keysOfSegment(
        final SplittableRandom random, final SegmentParams params, final int segment, final int count)
    {
        final Xxh3 function = Xxh3.withSeed(params.seed);
        final Map<ByteBuffer, Boolean> seen = new HashMap<>();
        final byte[][] keys = new byte[count][];
        int n = 0;
        while (n < count)
        {
            final byte[] key = new byte[1 + random.nextInt(params.maxKeyLength)];
            random.nextBytes(key);
            if (SegmentDescriptor.segmentOf(function.hash(key, 0, key.length), params.segmentBits) == segment &&
                null == seen.put(ByteBuffer.wrap(key), Boolean.TRUE))
            {
                keys[n++] = key;
            }
        }
        return keys;
    }
}
