package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layout, validation and damage handling of version-2 segment files. Damage tests come in pairs: what is
 * recovered or accepted, and what is rejected.
 */
class SegmentTableTest
{
    private static final SegmentParams PARAMS = new SegmentParams(0, 16, 64, 0, 0x1234_5678_9ABCL, 937_500);

    @Test
    void slotOf16ByteKeysAnd64ByteValuesIs86Bytes()
    {
        assertEquals(1, PARAMS.keyLengthWidth);
        assertEquals(1, PARAMS.valueLengthWidth);
        assertEquals(86, PARAMS.slotLength);
        assertEquals(6, PARAMS.keyOffset);
        assertEquals(22, PARAMS.valueOffset);
        assertEquals(0, PARAMS.headerLength % 64, "the tag array starts on a cache line");
        assertEquals(128, SegmentDescriptor.ENTRY_COUNT_OFFSET);
        assertEquals(176, SegmentDescriptor.UNDO_IMAGE_OFFSET);
        assertEquals(16, SegmentDescriptor.GROUP_LENGTH);
        final SegmentParams wide = new SegmentParams(0, 300, 70_000, SegmentDescriptor.FLAG_EXPIRY, 7, 937_500);
        assertEquals(2, wide.keyLengthWidth);
        assertEquals(4, wide.valueLengthWidth);
        assertEquals(4 + 2 + 4 + 16 + 300 + 70_000, wide.slotLength);
    }

    @Test
    void zeroBytesMarksExactlyTheZeroBytes()
    {
        final SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++)
        {
            long x = random.nextLong();
            long expected = 0;
            for (int b = 0; b < 8; b++)
            {
                final int choice = random.nextInt(4);
                if (choice == 0)
                {
                    x &= ~(0xFFL << (8 * b));
                }
                else if (choice == 1)
                {
                    x = (x & ~(0xFFL << (8 * b))) | (1L << (8 * b));
                }
                if (((x >>> (8 * b)) & 0xFF) == 0)
                {
                    expected |= 0x80L << (8 * b);
                }
            }
            assertEquals(expected, SegmentTags.zeroBytes(x), "word 0x" + Long.toHexString(x));
        }
    }

    @Test
    void hashBitsStayInRange()
    {
        final long[] hashes = { 0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFF, 0x7FFF_FFFF_0000L };
        for (final long hash : hashes)
        {
            assertTrue(SegmentDescriptor.tag(hash) >= 1 && SegmentDescriptor.tag(hash) <= 255);
            final int preferred = SegmentDescriptor.preferredPosition(hash);
            assertTrue(preferred >= 0 && preferred < 15);
            assertEquals(1, Long.bitCount(SegmentDescriptor.overflowBit(hash)));
            for (final long groups : new long[]{ 1, 3, 1000, SegmentDescriptor.MAX_GROUP_COUNT })
            {
                final long home = SegmentDescriptor.homeGroup(hash, groups);
                assertTrue(home >= 0 && home < groups, "home group " + home + " of " + groups);
            }
            assertTrue(SegmentDescriptor.segmentOf(hash, 16) < 1 << 16 && SegmentDescriptor.segmentOf(hash, 16) >= 0);
            assertEquals(0, SegmentDescriptor.segmentOf(hash, 0));
        }
        assertEquals("seg-002a-0000000000000003.cubby", SegmentDescriptor.fileName(42, 3));
    }

    /**
     * At a high load with removals, every group can carry the overflow bit of some absent key (bits are never
     * cleared by a removal): its lookup then wraps around every group. That is an absent key, not a damaged file.
     */
    @Test
    void aLookupThatWrapsAroundEveryGroupFindsTheKeyAbsent(@TempDir final Path dir) throws IOException
    {
        final SegmentParams params = new SegmentParams(0, 16, 64, 0, 0x1234_5678_9ABCL, 960_000);
        try (SegmentTable table = SegmentFile.create(dir, params, 0, 1, 2, 0, 0, false))
        {
            final byte[][] keys = keys(4000, 9);
            final java.util.ArrayDeque<byte[]> present = new java.util.ArrayDeque<>();
            int wrapped = 0;
            for (int i = 0; i < keys.length; i++)
            {
                if (present.size() == table.maxEntries)
                {
                    final UnsafeBuffer old = new UnsafeBuffer(present.poll());
                    table.remove(table.find(table.hash(old, 0, 16), old, 0, 16));
                }
                insert(table, keys[i], value(keys[i]));
                present.add(keys[i]);
                final UnsafeBuffer absent = new UnsafeBuffer(keys[(i + 1) % keys.length]);
                final long hash = table.hash(absent, 0, 16);
                if (allGroupsCarry(table, SegmentDescriptor.overflowBit(hash)) &&
                    !present.contains(keys[(i + 1) % keys.length]))
                {
                    wrapped++;
                    assertEquals(SegmentTable.NOT_FOUND, table.find(hash, absent, 0, 16), "absent key " + i);
                }
            }
            assertTrue(wrapped > 0, "some lookups wrapped around both groups");
            for (final byte[] key : present)
            {
                final UnsafeBuffer k = new UnsafeBuffer(key);
                assertTrue(table.find(table.hash(k, 0, 16), k, 0, 16) != SegmentTable.NOT_FOUND);
            }
        }
    }

    private static boolean allGroupsCarry(final SegmentTable table, final long overflowBit)
    {
        for (int g = 0; g < table.groupCount; g++)
        {
            if ((table.tags.overflowByte(g) & overflowBit) == 0)
            {
                return false;
            }
        }
        return true;
    }

    @Test
    void insertBeyondMaxLoadIsRefusedAndEveryKeyStaysReachable(@TempDir final Path dir) throws IOException
    {
        try (SegmentTable table = SegmentFile.create(dir, PARAMS, 0, 1, 4, 0, 0, false))
        {
            assertEquals(56, table.maxEntries, "floor(15/16 of 60 slots)");
            final byte[][] keys = keys(100, 5);
            int inserted = 0;
            for (final byte[] key : keys)
            {
                if (inserted == table.maxEntries)
                {
                    break;
                }
                insert(table, key, value(key));
                inserted++;
            }
            assertThrows(CorruptStoreException.class, () -> insert(table, keys[99], value(keys[99])));
            assertEquals(List.of(), SegmentVerifier.verify(table));
            for (int i = 0; i < inserted; i += 2)
            {
                final UnsafeBuffer key = new UnsafeBuffer(keys[i]);
                table.remove(table.find(table.hash(key, 0, 16), key, 0, 16));
            }
            for (int i = 0; i < inserted; i++)
            {
                final UnsafeBuffer key = new UnsafeBuffer(keys[i]);
                final int slot = table.find(table.hash(key, 0, 16), key, 0, 16);
                assertEquals(i % 2 == 1, slot != SegmentTable.NOT_FOUND, "key " + i);
            }
            assertEquals(List.of(), SegmentVerifier.verify(table));
        }
    }

    @Test
    void findReachesKeysAtAndAwayFromTheirPreferredPosition(@TempDir final Path dir) throws IOException
    {
        try (SegmentTable table = SegmentFile.create(dir, PARAMS, 0, 1, 3, 0, 0, false))
        {
            final byte[][] keys = keys((int)table.maxEntries, 17);
            int atPreferred = 0;
            for (final byte[] key : keys)
            {
                final UnsafeBuffer k = new UnsafeBuffer(key);
                final long hash = table.hash(k, 0, key.length);
                final int slot = insert(table, key, value(key));
                if (slot == (int)SegmentDescriptor.homeGroup(hash, table.groupCount) * 15 +
                    SegmentDescriptor.preferredPosition(hash))
                {
                    atPreferred++;
                }
            }
            assertEquals(atPreferred, table.countAtPreferredPosition());
            assertTrue(atPreferred > 0 && atPreferred < keys.length, "a full table holds both kinds: " + atPreferred);
            for (final byte[] key : keys)
            {
                final UnsafeBuffer k = new UnsafeBuffer(key);
                final long hash = table.hash(k, 0, key.length);
                assertEquals(table.find(hash, k, 0, key.length), table.findPreferredFirst(hash, k, 0, key.length));
                assertArrayEquals(value(key), get(table, key));
            }
        }
    }

    @Test
    void findIgnoresARemovedKeyLeftInItsPreferredSlot(@TempDir final Path dir) throws IOException
    {
        try (SegmentTable table = SegmentFile.create(dir, PARAMS, 0, 1, 2, 0, 0, false))
        {
            final byte[] key = keys(1, 23)[0];
            final UnsafeBuffer k = new UnsafeBuffer(key);
            final long hash = table.hash(k, 0, key.length);
            final int slot = insert(table, key, value(key));
            assertEquals((int)SegmentDescriptor.homeGroup(hash, table.groupCount) * 15 +
                SegmentDescriptor.preferredPosition(hash), slot, "an empty table gives the preferred position");
            table.remove(slot);
            assertEquals(SegmentTable.NOT_FOUND, table.findPreferredFirst(hash, k, 0, key.length),
                "the slot still holds the key's bytes, but its tag is empty");
            assertEquals(slot, insert(table, key, value(key)));
            assertEquals(slot, table.findPreferredFirst(hash, k, 0, key.length));
        }
    }

    @Test
    void lookupReadsThePreferredSlotFirstOnlyWhileFoundKeysDominate()
    {
        final SegmentLookup hints = new SegmentLookup();
        assertTrue(hints.expectFound());
        hints.record(false);
        assertFalse(hints.expectFound());
        for (int i = 0; i < 100; i++)
        {
            hints.record(true);
        }
        assertTrue(hints.expectFound());
        for (int i = 0; i < 8; i++)
        {
            hints.record(false);
        }
        assertFalse(hints.expectFound(), "a saturated trend turns after eight absent keys");
        for (int i = 0; i < 100; i++)
        {
            hints.record(false);
        }
        for (int i = 0; i < 8; i++)
        {
            hints.record(true);
        }
        assertTrue(hints.expectFound(), "and back after eight found ones");
    }

    @Test
    void prefaultChangesNoByteOfTheFile(@TempDir final Path dir) throws IOException
    {
        final byte[][] keys = keys(20, 29);
        final Path file = fileWith(dir, keys);
        final byte[] before = java.nio.file.Files.readAllBytes(file);
        try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 1, false))
        {
            table.prefault(SegmentAllocator.PAGE);
            table.prefault(8);
            table.force();
        }
        assertArrayEquals(before, java.nio.file.Files.readAllBytes(file));
    }

    @Test
    void tornUpdateIsRolledBackFromTheUndoImage(@TempDir final Path dir) throws IOException
    {
        final byte[] key = keys(1, 1)[0];
        final Path file = tornUpdate(dir, key, false);
        try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 1, false))
        {
            assertFalse(SegmentVerifier.verify(table).isEmpty(), "the torn slot fails before recovery");
            assertTrue(table.rollBackTornUpdate());
            assertEquals(List.of(), SegmentVerifier.verify(table));
            assertArrayEquals(value(key), get(table, key));
        }
    }

    @Test
    void damagedUndoImageIsNotApplied(@TempDir final Path dir) throws IOException
    {
        final byte[] key = keys(1, 1)[0];
        final Path file = tornUpdate(dir, key, true);
        try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 1, false))
        {
            assertFalse(table.rollBackTornUpdate());
            final List<String> problems = SegmentVerifier.verify(table);
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).contains("fails its checksum"), problems.get(0));
        }
    }

    /**
     * A slot whose value was half overwritten while the undo area names it, as a crash in step 2 of an in-place
     * update leaves it; optionally with a damaged undo image.
     */
    private static Path tornUpdate(final Path dir, final byte[] key, final boolean damageUndo) throws IOException
    {
        final Path file;
        final int slot;
        try (SegmentTable table = SegmentFile.create(dir, PARAMS, 0, 1, 2, 0, 0, false))
        {
            slot = insert(table, key, value(key));
            file = table.file;
            table.force();
        }
        final long slotOffset = SegmentDescriptor.slotArrayOffset(PARAMS.headerLength, 2) +
            (long)slot * PARAMS.slotLength;
        final byte[] image = read(file, slotOffset, PARAMS.slotLength);
        final int undoChecksum = (int)Xxh3.withSeed(0).hash(image, 0, image.length);
        write(file, SegmentDescriptor.UNDO_IMAGE_OFFSET, image);
        write(file, SegmentDescriptor.UNDO_CHECKSUM_OFFSET, le(Integer.BYTES).putInt(damageUndo ?
            undoChecksum + 1 : undoChecksum).array());
        write(file, SegmentDescriptor.UNDO_SLOT_INDEX_OFFSET, le(Long.BYTES).putLong(slot).array());
        write(file, slotOffset + PARAMS.valueOffset, new byte[]{ 1, 2, 3, 4, 5 });
        return file;
    }

    /**
     * FORMAT-v2.md 9 step 6: {@code clearSource} rewrites Source Generation, Source Group Count and the header
     * checksum in one positional write, then the Migration Cursor: a header between the two (no source, the cursor
     * still set) reads as the rehash end completed, while a source field cleared under the old checksum, which no
     * step of the protocol leaves, is refused.
     */
    @Test
    void aRehashEndBetweenItsTwoHeaderWritesReadsAsCompleted(@TempDir final Path dir) throws IOException
    {
        for (final boolean whole : new boolean[] {true, false})
        {
            final Path at = dir.resolve(whole ? "whole" : "torn");
            java.nio.file.Files.createDirectories(at);
            final Path file;
            try (SegmentTable table = SegmentFile.create(at, PARAMS, 0, 2, 2, 1, 3, false))
            {
                table.migrationCursor(3);
                table.force();
                file = table.file;
            }
            final UnsafeBuffer header = new UnsafeBuffer(read(file, 0, SegmentDescriptor.HEADER_CHECKSUM_OFFSET));
            header.putLong(SegmentDescriptor.SOURCE_GENERATION_OFFSET, 0, java.nio.ByteOrder.LITTLE_ENDIAN);
            header.putLong(SegmentDescriptor.SOURCE_GROUP_COUNT_OFFSET, 0, java.nio.ByteOrder.LITTLE_ENDIAN);
            write(file, SegmentDescriptor.SOURCE_GENERATION_OFFSET, le(Long.BYTES).putLong(0).array());
            if (whole)
            {
                write(file, SegmentDescriptor.SOURCE_GROUP_COUNT_OFFSET, le(Long.BYTES).putLong(0).array());
                write(file, SegmentDescriptor.HEADER_CHECKSUM_OFFSET,
                    le(Integer.BYTES).putInt(SegmentHeader.checksum(header)).array());
                try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 2, true))
                {
                    assertEquals(0, table.sourceGeneration());
                    assertEquals(0, table.sourceGroupCount());
                    assertEquals(3, table.migrationCursor(), "the cursor is cleared after; with no source it is ignored");
                }
            }
            else
            {
                assertThrows(CorruptStoreException.class, () -> SegmentFile.open(file, PARAMS, 0, 2, true));
            }
        }
    }

    @Test
    void undamagedFileReopensWithItsEntries(@TempDir final Path dir) throws IOException
    {
        final byte[][] keys = keys(20, 9);
        final Path file = fileWith(dir, keys);
        try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 1, true))
        {
            assertEquals(20, table.entryCount());
            for (final byte[] key : keys)
            {
                assertArrayEquals(value(key), get(table, key));
            }
            assertEquals(List.of(), SegmentVerifier.verify(table));
        }
    }

    @Test
    void damagedHeaderIsRejectedWithTheFieldOrChecksumNamed(@TempDir final Path dir) throws IOException
    {
        final Path file = fileWith(dir, keys(3, 2));
        final byte[] original = read(file, 0, PARAMS.headerLength);

        write(file, SegmentDescriptor.GROUP_COUNT_OFFSET, new byte[]{ 9 });
        assertRejected(file, CorruptStoreException.class, "checksum");
        write(file, 0, original);

        write(file, SegmentDescriptor.MAGIC_OFFSET, new byte[]{ 'X' });
        assertRejected(file, NotAStoreException.class, "not a Cubby segment file");
        write(file, 0, original);

        write(file, SegmentDescriptor.RESERVED_1_OFFSET + 4, new byte[]{ 1 });
        assertRejected(file, CorruptStoreException.class, "reserved");
        write(file, 0, original);

        write(file, SegmentDescriptor.ENTRY_COUNT_OFFSET, le(Long.BYTES).putLong(1_000).array());
        assertRejected(file, CorruptStoreException.class, "entry count");
        write(file, 0, original);

        write(file, SegmentDescriptor.UNDO_SLOT_INDEX_OFFSET, le(Long.BYTES).putLong(30).array());
        assertRejected(file, CorruptStoreException.class, "undo slot index");
        write(file, 0, original);

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(channel.size() - 1);
        }
        assertRejected(file, CorruptStoreException.class, "has length");

        assertRejected(dir.resolve("absent.cubby"), NotAStoreException.class, "not found");
        final SegmentParams other = new SegmentParams(0, 16, 64, 0, 99, 937_500);
        final CorruptStoreException seed = assertThrows(CorruptStoreException.class,
            () -> SegmentFile.open(file, other, 0, 1, true));
        assertTrue(seed.getMessage().contains("hash seed"), seed.getMessage());
    }

    @Test
    void verifierReportsDamagedSlotsAndMissingOverflowBits(@TempDir final Path dir) throws IOException
    {
        final byte[][] keys = keys(40, 3);
        final Path file;
        try (SegmentTable table = SegmentFile.create(dir, PARAMS, 0, 1, 3, 0, 0, false))
        {
            for (final byte[] key : keys)
            {
                insert(table, key, value(key));
            }
            assertEquals(List.of(), SegmentVerifier.verify(table));
            file = table.file;
        }
        // Damage one value byte of the first full slot.
        long overflowedGroup = -1;
        try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 1, false))
        {
            for (long g = 0; g < 3 && overflowedGroup < 0; g++)
            {
                if (table.tags.overflowByte(g) != 0)
                {
                    overflowedGroup = g;
                }
            }
            final int slot = table.tags.nextFull(0);
            final long offset = SegmentDescriptor.slotArrayOffset(PARAMS.headerLength, 3) +
                (long)slot * PARAMS.slotLength + PARAMS.valueOffset;
            write(file, offset, new byte[]{ (byte)~read(file, offset, 1)[0] });
            final List<String> problems = SegmentVerifier.verify(table);
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).contains("slot " + slot + " fails its checksum"), problems.get(0));
            write(file, offset, new byte[]{ (byte)~read(file, offset, 1)[0] });
            assertEquals(List.of(), SegmentVerifier.verify(table));
        }
        assertTrue(overflowedGroup >= 0, "40 keys in 45 slots overflow some group");
        write(file, PARAMS.headerLength + overflowedGroup * SegmentDescriptor.GROUP_LENGTH +
            SegmentDescriptor.GROUP_OVERFLOW_OFFSET, new byte[]{ 0 });
        try (SegmentTable table = SegmentFile.open(file, PARAMS, 0, 1, true))
        {
            final List<String> problems = SegmentVerifier.verify(table);
            assertFalse(problems.isEmpty());
            assertTrue(problems.get(0).contains("not reachable"), problems.get(0));
        }
    }

    @Test
    void segmentRejectsATargetThatIsNotItsRehashTarget(@TempDir final Path dir) throws IOException
    {
        final SegmentTable current = SegmentFile.create(dir, PARAMS, 0, 1, 2, 0, 0, false);
        final SegmentTable unrelated = SegmentFile.create(dir, PARAMS, 0, 2, 4, 0, 0, false);
        final SegmentTable tooSmall = SegmentFile.create(dir, PARAMS, 0, 3, 1, 1, 2, false);
        final byte[][] keys = keys(20, 4);
        for (final byte[] key : keys)
        {
            insert(current, key, value(key));
        }
        final Segment segment = new Segment(0, current, null);
        assertThrows(IllegalArgumentException.class, () -> segment.beginRehash(unrelated));
        assertThrows(IllegalArgumentException.class, () -> segment.beginRehash(tooSmall));
        assertThrows(CorruptStoreException.class, () -> new Segment(0, tooSmall, unrelated));
        assertFalse(segment.rehashing());
        current.close();
        unrelated.close();
        tooSmall.close();
    }

    private static <T extends Throwable> void assertRejected(final Path file, final Class<T> type, final String text)
    {
        final T ex = assertThrows(type, () -> SegmentFile.open(file, PARAMS, 0, 1, true));
        assertTrue(ex.getMessage().contains(text), ex.getMessage());
    }

    private static Path fileWith(final Path dir, final byte[][] keys) throws IOException
    {
        try (SegmentTable table = SegmentFile.create(dir, PARAMS, 0, 1, 2, 0, 0, false))
        {
            for (final byte[] key : keys)
            {
                insert(table, key, value(key));
            }
            table.force();
            return table.file;
        }
    }

    static int insert(final SegmentTable table, final byte[] key, final byte[] value)
    {
        final UnsafeBuffer k = new UnsafeBuffer(key);
        final long hash = table.hash(k, 0, key.length);
        assertEquals(SegmentTable.NOT_FOUND, table.find(hash, k, 0, key.length));
        return table.insert(hash, k, 0, key.length, new UnsafeBuffer(value), 0, value.length, 0, 0);
    }

    static byte[] get(final SegmentTable table, final byte[] key)
    {
        final UnsafeBuffer k = new UnsafeBuffer(key);
        final int slot = table.find(table.hash(k, 0, key.length), k, 0, key.length);
        assertNotEquals(SegmentTable.NOT_FOUND, slot);
        assertTrue(table.checksumMatches(slot));
        final byte[] value = new byte[table.valueLength(slot)];
        table.copyValue(slot, new UnsafeBuffer(value), 0, value.length);
        return value;
    }

    static byte[][] keys(final int count, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[][] keys = new byte[count][16];
        for (final byte[] key : keys)
        {
            random.nextBytes(key);
        }
        return keys;
    }

    static byte[] value(final byte[] key)
    {
        final byte[] value = new byte[64];
        for (int i = 0; i < value.length; i++)
        {
            value[i] = (byte)(key[i % key.length] + i);
        }
        return value;
    }

    private static ByteBuffer le(final int size)
    {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] read(final Path file, final long position, final int length) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining())
            {
                if (channel.read(buffer, position + buffer.position()) < 0)
                {
                    throw new IOException("short read");
                }
            }
            return buffer.array();
        }
    }

    private static void write(final Path file, final long position, final byte[] bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining())
            {
                channel.write(buffer, position + buffer.position());
            }
        }
    }
}
