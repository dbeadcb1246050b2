package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Damage that a clean close vouched for, so that a clean reopen, which does not scan, meets it only when it acts
 * on the damaged part (format version 2):
 * <ul>
 * <li>tag bytes set again on emptied slots (a removal clears only the tag, so each still holds its removed entry,
 * checksum intact): full slots no Entry Count accounts for. A rehash sizes its new file for the full slots it
 * will copy, not for the count, so a compaction or a growth goes through (the removed entries are back: nothing
 * tells them from live ones, and each holds the value it was written with) and the new file's count agrees with
 * its slots; a store never writes a count below zero;</li>
 * <li>a mutable header counter (Entry Count, Stale Overflow, Open State, Undo Slot Index) out of range: the open
 * is refused, naming salvage, which recomputes the counter and opens with every entry.</li>
 * </ul>
 */
class FormatVersion2UnaccountedSlotsTest
{
    private static final int ENTRIES = 600;

    @Test
    void aCompactionOfAFileWithUnaccountedFullSlotsCopiesThemAll(@TempDir final Path dir) throws IOException
    {
        fillAndRemoveHalf(dir, ENTRIES * 4);
        assertEquals(ENTRIES / 2, setTagsOfEmptiedSlots(dir), "every removed entry's tag set again");
        try (Cubby store = open(dir, false, ENTRIES * 4))
        {
            final long capacity = store.stats().capacity;
            store.compact(); // its count says 300 entries, and the new file holds the 600 it copies
            assertTrue(store.stats().capacity < capacity, "the segment was shrunk");
            assertEverything(store, ENTRIES, ENTRIES);
        }
        try (Cubby store = open(dir, false, ENTRIES * 4))
        {
            assertEverything(store, ENTRIES, ENTRIES);
        }
    }

    @Test
    void removingMoreEntriesThanTheCountSaysLeavesAValidHeader(@TempDir final Path dir) throws IOException
    {
        fillAndRemoveHalf(dir, ENTRIES);
        assertEquals(ENTRIES / 2, setTagsOfEmptiedSlots(dir), "every removed entry's tag set again");
        try (Cubby store = open(dir, false, ENTRIES))
        {
            for (int i = 0; i < ENTRIES; i++)
            {
                assertTrue(store.remove(key(i)), "key " + i);
            }
            assertEquals(0, store.size(), "the count stops at zero");
        }
        try (Cubby store = open(dir, false, ENTRIES))
        {
            assertEquals(0, store.size());
            for (int i = 0; i < ENTRIES; i++)
            {
                assertEquals(null, store.get(key(i)), "key " + i);
            }
            store.put(key(1), value(1));
            assertEquals(1, store.size());
            assertTrue(store.verify().isOk());
        }
    }

    @Test
    void insertsIntoAFileWithUnaccountedFullSlotsFailNamingSalvageWhichRecounts(@TempDir final Path dir)
        throws IOException
    {
        fillAndRemoveHalf(dir, ENTRIES);
        assertEquals(ENTRIES / 2, setTagsOfEmptiedSlots(dir), "every removed entry's tag set again");
        int inserted = ENTRIES;
        try (Cubby store = open(dir, false, ENTRIES))
        {
            // growth is asked for by the count, which lags the slots by 300: the file fills up first
            CorruptStoreException refused = null;
            while (null == refused && inserted < 2 * ENTRIES)
            {
                try
                {
                    store.put(key(inserted), value(inserted));
                    inserted++;
                }
                catch (final CorruptStoreException ex)
                {
                    refused = ex;
                }
            }
            assertTrue(null != refused && refused.getMessage().contains("salvage"), "refused: " + refused);
        }
        try (Cubby store = open(dir, true, ENTRIES))
        {
            for (int i = inserted; i < 2 * ENTRIES; i++)
            {
                store.put(key(i), value(i));
            }
            assertEverything(store, ENTRIES + ENTRIES, 2 * ENTRIES);
        }
    }

    @ParameterizedTest(name = "{0} = {2}")
    @CsvSource({
        "entry count, " + SegmentDescriptor.ENTRY_COUNT_OFFSET + ", -5",
        "stale overflow, " + SegmentDescriptor.STALE_OVERFLOW_OFFSET + ", -1",
        "open state, " + SegmentDescriptor.OPEN_STATE_OFFSET + ", 7",
        "undo slot index, " + SegmentDescriptor.UNDO_SLOT_INDEX_OFFSET + ", 1000000000"})
    void aHeaderCounterOutOfRangeIsRefusedNamingSalvageWhichRecomputesIt(final String field, final int offset,
        final long value, @TempDir final Path dir) throws IOException
    {
        fillAndRemoveHalf(dir, ENTRIES);
        final Path file = currentFile(dir);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw"))
        {
            final int width = SegmentDescriptor.OPEN_STATE_OFFSET == offset ? Integer.BYTES : Long.BYTES;
            final ByteBuffer bytes = ByteBuffer.allocate(width).order(ByteOrder.LITTLE_ENDIAN);
            if (Integer.BYTES == width)
            {
                bytes.putInt(0, (int)value);
            }
            else
            {
                bytes.putLong(0, value);
            }
            out.seek(offset);
            out.write(bytes.array());
        }
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final CorruptStoreException refused = assertThrows(CorruptStoreException.class, () -> open(dir, false, ENTRIES));
        assertTrue(refused.getMessage().contains(field) && refused.getMessage().contains("salvage"),
            refused::getMessage);
        assertEquals(before, StoreFiles.fingerprint(dir), "a refused open changed the store");

        try (Cubby store = open(dir, true, ENTRIES))
        {
            assertEverything(store, ENTRIES / 2, ENTRIES);
        }
        try (Cubby store = open(dir, false, ENTRIES))
        {
            assertEverything(store, ENTRIES / 2, ENTRIES);
            store.put(key(0), value(0));
            assertEquals(ENTRIES / 2 + 1, store.size());
        }
    }

    private static void fillAndRemoveHalf(final Path dir, final long expected)
    {
        try (Cubby store = open(dir, false, expected))
        {
            for (int i = 0; i < ENTRIES; i++)
            {
                store.put(key(i), value(i));
            }
            for (int i = 0; i < ENTRIES; i += 2)
            {
                store.remove(key(i));
            }
        }
    }

    private static Cubby open(final Path dir, final boolean salvage, final long expected)
    {
        return Cubby.builder(dir).formatVersion(2).segments(1).maxKeySize(16).maxValueSize(16)
            .expectedEntries(expected).salvage(salvage).open();
    }

    /**
     * Every odd key below {@link #ENTRIES}, {@code size} entries in all among keys {@code [0, keys)}, each read
     * back with its own value (removed keys that came back included), and verify finds nothing wrong.
     */
    private static void assertEverything(final Cubby store, final long size, final int keys)
    {
        assertEquals(size, store.size());
        long found = 0;
        for (int i = 0; i < keys; i++)
        {
            final byte[] value = store.get(key(i));
            if (i % 2 == 1 && i < ENTRIES)
            {
                assertArrayEquals(value(i), value, "key " + i);
            }
            if (null != value)
            {
                assertArrayEquals(value(i), value, "key " + i + " has another key's value");
                found++;
            }
        }
        assertEquals(size, found, "entries read back");
        final VerifyReport report = store.verify();
        assertTrue(report.isOk(), report::toString);
    }

    private static Path currentFile(final Path dir) throws IOException
    {
        try (Manifest manifest = Manifest.open(dir, true))
        {
            return dir.resolve(SegmentDescriptor.fileName(0, manifest.currentGeneration(0)));
        }
    }

    /** Give every emptied slot (a removed key's bytes) of segment 0's current file its tag again. */
    private static int setTagsOfEmptiedSlots(final Path dir) throws IOException
    {
        final long generation;
        final SegmentParams params;
        try (Manifest manifest = Manifest.open(dir, true))
        {
            generation = manifest.currentGeneration(0);
            params = manifest.params;
        }
        final Path file = dir.resolve(SegmentDescriptor.fileName(0, generation));
        int set = 0;
        try (SegmentTable table = SegmentFile.open(file, params, 0, generation, true);
            RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw"))
        {
            for (int slot = 0; slot < table.slotCount; slot++)
            {
                final int keyLength = table.keyLength(slot);
                if (!table.tags.isFull(slot) && keyLength > 0 && keyLength <= params.maxKeyLength)
                {
                    out.seek(SegmentDescriptor.tagArrayOffset(params.headerLength) +
                        (long)(slot / SegmentDescriptor.GROUP_SLOTS) * SegmentDescriptor.GROUP_LENGTH +
                        slot % SegmentDescriptor.GROUP_SLOTS);
                    out.write(SegmentDescriptor.tag(table.slotHash(slot, keyLength)));
                    set++;
                }
            }
        }
        return set;
    }

    private static byte[] key(final int i)
    {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(final int i)
    {
        return ("value-" + i).getBytes(StandardCharsets.UTF_8);
    }
}
