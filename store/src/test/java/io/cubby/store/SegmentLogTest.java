package io.cubby.store;

import static io.cubby.store.SegmentLogDescriptor.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentLogTest
{
    private static final long SEED = 0x5EED_0F_C0BB1EL;
    private static final SegmentParams PARAMS =
        new SegmentParams(2, 32, 200, SegmentDescriptor.FLAG_EXPIRY, SEED, SegmentParams.DEFAULT_MAX_LOAD_PPM);
    private static final int SEGMENTS = 1 << PARAMS.segmentBits;

    /** A logged record as the test knows it: where it is and what the reader must report. */
    private static final class Logged
    {
        final int position;
        final long sequence;
        final String text;

        Logged(final int position, final long sequence, final String text)
        {
            this.position = position;
            this.sequence = sequence;
            this.text = text;
        }
    }

    /** Records what the reader delivers, as text. */
    private static final class Recorder implements SegmentLogReader.Visitor
    {
        final List<String> texts = new ArrayList<>();

        @Override
        public void put(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength,
            final int valueOffset, final int valueLength, final long expiresAt)
        {
            texts.add(sequence + " PUT " + hex(buffer, keyOffset, keyLength) + " " +
                hex(buffer, valueOffset, valueLength) + " " + expiresAt);
        }

        @Override
        public void remove(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength)
        {
            texts.add(sequence + " REMOVE " + hex(buffer, keyOffset, keyLength));
        }

        @Override
        public void rehashBegin(final long sequence, final int segment, final long target, final long groups,
            final long source)
        {
            texts.add(sequence + " BEGIN " + segment + " " + target + " " + groups + " " + source);
        }

        @Override
        public void rehashEnd(final long sequence, final int segment, final long target, final long source)
        {
            texts.add(sequence + " END " + segment + " " + target + " " + source);
        }

        @Override
        public void checkpoint(final long sequence, final DirectBuffer buffer, final int entries, final int count)
        {
            final StringBuilder b = new StringBuilder(sequence + " CHECKPOINT");
            for (int s = 0; s < count; s++)
            {
                final int e = entries + CHECKPOINT_ENTRY_LENGTH * s;
                b.append(' ').append(buffer.getLong(e + CHECKPOINT_CURRENT_GENERATION_OFFSET, LE))
                    .append('/').append(buffer.getLong(e + CHECKPOINT_SOURCE_GENERATION_OFFSET, LE))
                    .append('/').append(buffer.getLong(e + CHECKPOINT_MIGRATION_CURSOR_OFFSET, LE));
            }
            texts.add(b.toString());
        }

        @Override
        public void upgradeBegin(final long sequence, final long generation, final long capacity)
        {
            texts.add(sequence + " UPGRADE_BEGIN " + generation + " " + capacity);
        }

        @Override
        public void upgradeEnd(final long sequence, final long generation)
        {
            texts.add(sequence + " UPGRADE_END " + generation);
        }
    }

    private static String hex(final DirectBuffer buffer, final int offset, final int length)
    {
        final StringBuilder b = new StringBuilder(length * 2 + 1).append('#');
        for (int i = 0; i < length; i++)
        {
            b.append(Character.forDigit((buffer.getByte(offset + i) >> 4) & 0xF, 16))
                .append(Character.forDigit(buffer.getByte(offset + i) & 0xF, 16));
        }
        return b.toString();
    }

    /** Appends one random record of any type and returns what the reader must report for it. */
    private static final class RandomRecords
    {
        final Random random;
        final UnsafeBuffer key = new UnsafeBuffer(new byte[PARAMS.maxKeyLength]);
        final UnsafeBuffer value = new UnsafeBuffer(new byte[PARAMS.maxValueLength]);
        final long[] current = new long[SEGMENTS];
        final long[] source = new long[SEGMENTS];
        final long[] cursor = new long[SEGMENTS];

        RandomRecords(final long seed)
        {
            random = new Random(seed);
        }

        String append(final SegmentLogWriter writer)
        {
            final int kind = random.nextInt(10);
            final long sequence;
            if (kind < 5)
            {
                final int keyLength = random.nextInt(PARAMS.maxKeyLength + 1);
                final int valueLength = random.nextInt(4) == 0 ? PARAMS.maxValueLength :
                    random.nextInt(PARAMS.maxValueLength / 4);
                fill(key, keyLength);
                fill(value, valueLength);
                final long expiresAt = random.nextBoolean() ? 0 : random.nextLong() & Long.MAX_VALUE;
                sequence = writer.appendPut(key, 0, keyLength, value, 0, valueLength, expiresAt);
                return sequence + " PUT " + hex(key, 0, keyLength) + " " + hex(value, 0, valueLength) + " " +
                    expiresAt;
            }
            if (kind < 7)
            {
                final int keyLength = random.nextInt(PARAMS.maxKeyLength + 1);
                fill(key, keyLength);
                sequence = writer.appendRemove(key, 0, keyLength);
                return sequence + " REMOVE " + hex(key, 0, keyLength);
            }
            final int segment = random.nextInt(SEGMENTS);
            final long target = 2 + random.nextInt(1000);
            final long from = 1 + random.nextInt((int)target - 1);
            switch (kind)
            {
                case 7:
                    final long groups = 1 + random.nextInt(1 << 18);
                    sequence = writer.appendRehashBegin(segment, target, groups, from);
                    return sequence + " BEGIN " + segment + " " + target + " " + groups + " " + from;
                case 8:
                    if (random.nextBoolean())
                    {
                        sequence = writer.appendRehashEnd(segment, target, from);
                        return sequence + " END " + segment + " " + target + " " + from;
                    }
                    final long generation = 1 + random.nextInt(100);
                    if (random.nextBoolean())
                    {
                        final long capacity = 1L << (4 + random.nextInt(20));
                        sequence = writer.appendUpgradeBegin(generation, capacity);
                        return sequence + " UPGRADE_BEGIN " + generation + " " + capacity;
                    }
                    sequence = writer.appendUpgradeEnd(generation);
                    return sequence + " UPGRADE_END " + generation;
                default:
                    final StringBuilder b = new StringBuilder();
                    for (int s = 0; s < SEGMENTS; s++)
                    {
                        current[s] = 1 + random.nextInt(50);
                        source[s] = random.nextBoolean() ? 0 : random.nextInt((int)current[s]);
                        cursor[s] = 0 == source[s] ? 0 : random.nextInt(1000);
                        b.append(' ').append(current[s]).append('/').append(source[s]).append('/').append(cursor[s]);
                    }
                    sequence = writer.appendCheckpoint(current, source, cursor);
                    return sequence + " CHECKPOINT" + b;
            }
        }

        private void fill(final UnsafeBuffer buffer, final int length)
        {
            for (int i = 0; i < length; i++)
            {
                buffer.putByte(i, (byte)random.nextInt());
            }
        }
    }

    private static final int WORST_RECORD = maxRecordLength(PARAMS);

    private static List<String> texts(final ArrayDeque<Logged> model)
    {
        final List<String> texts = new ArrayList<>();
        model.forEach(l -> texts.add(l.text));
        return texts;
    }

    @Test
    void seededRandomRecordsReadBackAsTheModelThroughManyLapsOfTheRing(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("wal.log");
        final RandomRecords records = new RandomRecords(11);
        final ArrayDeque<Logged> model = new ArrayDeque<>();
        long laps = 0;
        SegmentLogWriter writer = SegmentLogWriter.create(file, PARAMS, MIN_CAPACITY, 0x1234567, 1);
        try
        {
            for (int i = 0; i < 6000; i++)
            {
                while (!writer.fits(WORST_RECORD))
                {
                    model.removeFirst();
                    final Logged next = model.peekFirst();
                    writer.moveStart(null == next ? writer.appendPosition() : next.position,
                        null == next ? writer.nextSequence() : next.sequence);
                }
                final int before = writer.appendPosition();
                final String text = records.append(writer);
                if (writer.lastRecordPosition() < before)
                {
                    laps++;
                }
                model.addLast(new Logged(writer.lastRecordPosition(), writer.nextSequence() - 1, text));
                if (i % 997 == 0 || i == 5999)
                {
                    final Recorder recorder = new Recorder();
                    final SegmentLogReader.Result result = SegmentLogReader.read(file, PARAMS, recorder);
                    assertEquals(texts(model), recorder.texts, "after " + (i + 1) + " appends");
                    assertEquals(SegmentLogReader.Stop.END, result.stop, result.toString());
                    assertEquals(writer.nextSequence(), result.nextSequence);
                    assertEquals(writer.appendPosition(), result.stopPosition);
                }
                if (i == 3000)
                {
                    // a writer that resumes the log it read continues it seamlessly
                    writer.close();
                    final SegmentLogReader.Result read = SegmentLogReader.read(file, PARAMS, new Recorder());
                    writer = SegmentLogWriter.resume(file, PARAMS, read, false);
                }
            }
        }
        finally
        {
            writer.close();
        }
        assertTrue(laps >= 5, "the ring wrapped " + laps + " times");
    }

    /** A small log of every record type, and its records as the reader must report them. */
    private static byte[] smallLog(final Path dir, final List<Logged> logged, final int count, final boolean wrapped)
        throws IOException
    {
        final Path file = dir.resolve("small-" + wrapped + ".log");
        final RandomRecords records = new RandomRecords(5);
        try (SegmentLogWriter writer = SegmentLogWriter.create(file, PARAMS, MIN_CAPACITY, 0x7654321, 100))
        {
            if (wrapped)
            {
                // fill the ring to near its end, then free it: the records below straddle the wrap
                while (writer.appendPosition() < MIN_CAPACITY - 600)
                {
                    records.append(writer);
                }
                writer.moveStart(writer.appendPosition(), writer.nextSequence());
            }
            for (int i = 0; i < count || (wrapped && writer.appendPosition() > logged.get(0).position - 2048); i++)
            {
                final String text = records.append(writer);
                logged.add(new Logged(writer.lastRecordPosition(), writer.nextSequence() - 1, text));
            }
            if (wrapped)
            {
                assertTrue(writer.appendPosition() < logged.get(0).position, "the small log wraps");
            }
        }
        return Files.readAllBytes(file);
    }

    private static SegmentLogReader.Result read(final byte[] image, final Recorder recorder)
    {
        return SegmentLogReader.read(new UnsafeBuffer(image), PARAMS, recorder, "wal.log");
    }

    private static List<String> prefix(final List<Logged> logged, final int n)
    {
        final List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++)
        {
            texts.add(logged.get(i).text);
        }
        return texts;
    }

    private static boolean zerosFrom(final byte[] image, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (0 != image[i])
            {
                return false;
            }
        }
        return true;
    }

    private static int recordEnd(final byte[] image, final int position)
    {
        return position + new UnsafeBuffer(image).getInt(position + RECORD_LENGTH_OFFSET, LE);
    }

    @Test
    void everyCutOfTheTailReadsAsTheExactPrefixOfWholeRecords(@TempDir final Path dir) throws IOException
    {
        final List<Logged> logged = new ArrayList<>();
        final byte[] image = smallLog(dir, logged, 14, false);
        final int end = recordEnd(image, logged.get(logged.size() - 1).position);
        for (int cut = HEADER_LENGTH; cut <= end + 16; cut++)
        {
            final byte[] torn = image.clone();
            Arrays.fill(torn, cut, torn.length, (byte)0);
            final Recorder recorder = new Recorder();
            final SegmentLogReader.Result result = read(torn, recorder);
            int whole = 0;
            while (whole < logged.size() && recordEnd(image, logged.get(whole).position) <= cut)
            {
                whole++;
            }
            final int n = recorder.texts.size();
            // a record cut only in trailing zero bytes still reads whole: the bytes lost were zeros
            assertTrue(n == whole || (n == whole + 1 && zerosFrom(image, cut, recordEnd(image, logged.get(whole).position))),
                "cut at " + cut + ": " + result);
            assertEquals(prefix(logged, n), recorder.texts, "cut at " + cut);
            assertNotEquals(SegmentLogReader.Stop.DAMAGED_MIDDLE, result.stop, "cut at " + cut + ": " + result);
            assertNotNull(result.reason);
            if (n < logged.size())
            {
                assertEquals(logged.get(n).position, result.stopPosition, "cut at " + cut);
                assertEquals(logged.get(n).sequence, result.nextSequence, "cut at " + cut);
            }
        }
    }

    @Test
    void aLogFileCutShortIsRefusedWithAClearError(@TempDir final Path dir) throws IOException
    {
        final List<Logged> logged = new ArrayList<>();
        final byte[] image = smallLog(dir, logged, 6, false);
        for (int length = 0; length < image.length; length += length < 4096 ? 1 : 509)
        {
            final UnsafeBuffer shorter = new UnsafeBuffer(image, 0, length);
            final CorruptStoreException e = assertThrows(CorruptStoreException.class,
                () -> SegmentLogReader.read(shorter, PARAMS, new Recorder(), "wal.log"), "length " + length);
            assertTrue(e.getMessage().contains("bytes"), e.getMessage());
        }
        final Path file = dir.resolve("cut.log");
        Files.write(file, Arrays.copyOf(image, image.length - 8));
        assertThrows(CorruptStoreException.class, () -> SegmentLogReader.read(file, PARAMS, new Recorder()));
    }

    @Test
    void everySingleByteCorruptionOfASmallLogReadsAsThePrefixBeforeItOrFailsClearly(@TempDir final Path dir)
        throws IOException
    {
        final List<Logged> logged = new ArrayList<>();
        final byte[] image = smallLog(dir, logged, 14, false);
        final int end = recordEnd(image, logged.get(logged.size() - 1).position);
        checkCorruptions(image, logged, 0, end + 32);
    }

    @Test
    void everySingleByteCorruptionOfAWrappedLogReadsAsThePrefixBeforeIt(@TempDir final Path dir) throws IOException
    {
        final List<Logged> logged = new ArrayList<>();
        final byte[] image = smallLog(dir, logged, 8, true);
        final int end = recordEnd(image, logged.get(logged.size() - 1).position);
        checkCorruptions(image, logged, 0, HEADER_LENGTH);
        checkCorruptions(image, logged, logged.get(0).position - 16, image.length);
        checkCorruptions(image, logged, HEADER_LENGTH, end + 32);
    }

    /**
     * Corrupt each byte in {@code [from, to)} with three masks: the reader reports exactly the records before the
     * damaged one (padding included in the walk), or refuses the header with a documented exception.
     */
    private static void checkCorruptions(final byte[] image, final List<Logged> logged, final int from, final int to)
    {
        final int[] masks = {0x01, 0x80, 0xFF};
        for (int p = from; p < to; p++)
        {
            // the record holding byte p, or the number of records if p is outside all of them
            int damaged = logged.size();
            boolean inPadding = false;
            for (int i = 0; i < logged.size(); i++)
            {
                final int start = logged.get(i).position;
                final int previousEnd = i == 0 ? -1 : recordEnd(image, logged.get(i - 1).position);
                if (previousEnd > start && p >= previousEnd)
                {
                    // record i follows a padding record running from previousEnd to the end of the file
                    damaged = i;
                    inPadding = true;
                    break;
                }
                if (p >= start && p < recordEnd(image, start))
                {
                    damaged = i;
                    break;
                }
            }
            for (final int mask : masks)
            {
                final byte[] bad = image.clone();
                bad[p] ^= (byte)mask;
                final Recorder recorder = new Recorder();
                final SegmentLogReader.Result result;
                try
                {
                    result = read(bad, recorder);
                }
                catch (final CorruptStoreException | IncompatibleStoreException e)
                {
                    assertTrue(p < HEADER_LENGTH, "byte " + p + " mask " + mask + ": " + e);
                    assertNotNull(e.getMessage());
                    continue;
                }
                catch (final RuntimeException e)
                {
                    fail("byte " + p + " mask " + mask + " threw " + e, e);
                    return;
                }
                final String where = "byte " + p + " mask " + mask + ": " + result;
                if (p < HEADER_LENGTH)
                {
                    assertEquals(prefix(logged, logged.size()), recorder.texts, where);
                    continue;
                }
                assertEquals(prefix(logged, damaged), recorder.texts, where);
                if (damaged < logged.size())
                {
                    assertEquals(damaged == logged.size() - 1 && !inPadding ? SegmentLogReader.Stop.DAMAGED_TAIL :
                        SegmentLogReader.Stop.DAMAGED_MIDDLE, result.stop, where);
                    assertEquals(logged.get(damaged).sequence - (inPadding ? 1 : 0), result.nextSequence, where);
                }
                else
                {
                    assertNotEquals(SegmentLogReader.Stop.DAMAGED_MIDDLE, result.stop, where);
                }
            }
        }
    }

    @Test
    void aLogOfAnotherVersionOrStoreIsRefused(@TempDir final Path dir) throws IOException
    {
        final byte[] image = smallLog(dir, new ArrayList<>(), 3, false);
        final byte[] v1 = image.clone();
        final UnsafeBuffer b = new UnsafeBuffer(v1);
        b.putInt(VERSION_OFFSET, 1, LE);
        b.putInt(HEADER_CHECKSUM_OFFSET, headerChecksum(b, new CRC32C(), new byte[HEADER_LENGTH]), LE);
        assertThrows(IncompatibleStoreException.class, () -> read(v1, new Recorder()));
        final SegmentParams other = new SegmentParams(PARAMS.segmentBits, PARAMS.maxKeyLength,
            PARAMS.maxValueLength, PARAMS.flags, SEED + 1, PARAMS.maxLoadPpm);
        final CorruptStoreException e = assertThrows(CorruptStoreException.class,
            () -> SegmentLogReader.read(new UnsafeBuffer(image), other, new Recorder(), "wal.log"));
        assertTrue(e.getMessage().contains("another store"), e.getMessage());
    }

    @Test
    void aCheckpointForAnotherSegmentCountEndsReadingAsDamage(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("wal.log");
        final UnsafeBuffer key = new UnsafeBuffer(new byte[4]);
        try (SegmentLogWriter writer = SegmentLogWriter.create(file, PARAMS, MIN_CAPACITY, 99, 1))
        {
            writer.appendRemove(key, 0, 4);
            final long[] gens = new long[SEGMENTS];
            Arrays.fill(gens, 1);
            writer.appendCheckpoint(gens, new long[SEGMENTS], new long[SEGMENTS]);
            final int position = writer.lastRecordPosition();
            writer.force();
            // a store with 8 segments reading this log sees a checkpoint of 4: it does not count
            final SegmentParams eight = new SegmentParams(3, PARAMS.maxKeyLength, PARAMS.maxValueLength,
                PARAMS.flags, SEED, PARAMS.maxLoadPpm);
            final Recorder recorder = new Recorder();
            final SegmentLogReader.Result result = SegmentLogReader.read(file, eight, recorder);
            assertEquals(1, recorder.texts.size(), result.toString());
            assertEquals(SegmentLogReader.Stop.DAMAGED_TAIL, result.stop);
            assertEquals(position, result.stopPosition);
            assertTrue(result.reason.contains("4 segments"), result.reason);
        }
    }

    @Test
    void outOfRangeRecordsAreRefusedBeforeTheyCountAndTheLogStaysReadable(@TempDir final Path dir)
        throws IOException
    {
        final Path file = dir.resolve("wal.log");
        final UnsafeBuffer key = new UnsafeBuffer(new byte[PARAMS.maxKeyLength + 1]);
        try (SegmentLogWriter writer = SegmentLogWriter.create(file, PARAMS, MIN_CAPACITY, 99, 1))
        {
            writer.appendRehashBegin(1, 3, 10, 2);
            assertThrows(IllegalArgumentException.class, () -> writer.appendRehashBegin(SEGMENTS, 3, 10, 2));
            assertThrows(IllegalArgumentException.class, () -> writer.appendRehashBegin(0, 3, 10, 3));
            assertThrows(IllegalArgumentException.class, () -> writer.appendRehashBegin(0, 3, 0, 2));
            assertThrows(IllegalArgumentException.class, () -> writer.appendRehashEnd(0, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> writer.appendUpgradeBegin(1, 3));
            assertThrows(IllegalArgumentException.class,
                () -> writer.appendPut(key, 0, PARAMS.maxKeyLength + 1, key, 0, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> writer.appendPut(key, 0, 1, key, 0, 0, -1));
            writer.appendRehashEnd(1, 3, 2);
            final Recorder recorder = new Recorder();
            final SegmentLogReader.Result result = SegmentLogReader.read(file, PARAMS, recorder);
            assertEquals(List.of("1 BEGIN 1 3 10 2", "2 END 1 3 2"), recorder.texts);
            assertEquals(SegmentLogReader.Stop.END, result.stop, result.toString());
        }
    }

    @Test
    void appendingAllocatesNothing(@TempDir final Path dir) throws Exception
    {
        final ThreadAllocation allocation = ThreadAllocation.ofThisThread();
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
        final long[] gens = new long[SEGMENTS];
        Arrays.fill(gens, 1);
        final long[] zeros = new long[SEGMENTS];
        try (SegmentLogWriter writer = SegmentLogWriter.create(dir.resolve("wal.log"), PARAMS, 1 << 20, 7, 1))
        {
            final ThreadAllocation.Round round = () -> appendRound(writer, key, value, gens, zeros);
            final long allocated = allocation.warm(40, round).measure(round);
            assertEquals(0, allocated, "bytes allocated by appends (sum " + allocation.checksum() + ")");
        }
    }

    private static long appendRound(final SegmentLogWriter writer, final UnsafeBuffer key, final UnsafeBuffer value,
        final long[] gens, final long[] zeros)
    {
        long sum = 0;
        for (int i = 0; i < 500; i++)
        {
            while (!writer.fits(WORST_RECORD))
            {
                writer.moveStart(writer.appendPosition(), writer.nextSequence());
            }
            if (250 == i)
            {
                writer.moveStart(writer.appendPosition(), writer.nextSequence()); // a header rewrite per round
            }
            key.putLong(0, i);
            sum += writer.appendPut(key, 0, 16, value, 0, 64, 0);
            sum += writer.appendRemove(key, 0, 16);
            if (i % 50 == 0)
            {
                sum += writer.appendRehashBegin(i & 3, 3, 100, 2);
                sum += writer.appendCheckpoint(gens, zeros, zeros);
            }
        }
        return sum;
    }
}
