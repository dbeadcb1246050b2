package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.cubby.store.StoreTestSupport.assertMatchesModel;
import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.copyDirectory;
import static io.cubby.store.StoreTestSupport.tableFile;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One regression test per recovery fault class: each damages a store the way a crash or a disk can (fields
 * rewritten with their checksums recomputed, so the validation behind the checksum is what is tested), then checks
 * what recovery does and that a refused open changed nothing.
 */
class RecoveryFaultsTest
{
    private static final int KEYS = 40;

    // ------------------------------------------------------------------------------------------------ fault 2

    @Test
    void undoImageIsNeverRestoredIntoASlotHoldingAnotherKeyOrNone(@TempDir final Path tmp) throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(live).durability(Durability.NONE).open())
        {
            fill(store, model);
            store.put(bytes("k5"), bytes("second"));   // leaves the image of k5 = v5 in the undo area
            model.put("k5", "second");
            store.remove(bytes("k5"));
            model.remove("k5");
            copyDirectory(live, image);
        }
        final Path table = tableFile(image);
        final long empty = firstSlotInState(table, SlotDescriptor.STATE_EMPTY);
        final long other = StoreFiles.slotOf(table, bytes("k9"));
        for (final long target : new long[]{ empty, other })
        {
            final Path copy = tmp.resolve("copy-" + target);
            copyDirectory(image, copy);
            StoreFiles.putLong(tableFile(copy), TableDescriptor.UNDO_SLOT_INDEX_OFFSET, target);
            for (final boolean salvage : new boolean[]{ false, true })
            {
                final Path dir = tmp.resolve("copy-" + target + "-" + salvage);
                copyDirectory(copy, dir);
                try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(salvage).open())
                {
                    assertNull(store.get(bytes("k5")), "a removed key must not come back from an undo image");
                    assertMatchesModel(store, model, "undo index " + target + ", salvage " + salvage);
                    assertTrue(store.recoveryReport().notes.stream().anyMatch(n -> n.contains("undo image discarded")),
                        () -> "the report says the image was discarded: " + store.recoveryReport());
                }
            }
        }
    }

    @Test
    void tornUpdateIsRolledBackFromTheUndoImageOfItsKey(@TempDir final Path tmp) throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path dir = tmp.resolve("image");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(live).durability(Durability.NONE).open())
        {
            fill(store, model);
            store.put(bytes("k5"), bytes("second"));
            copyDirectory(live, dir);
        }
        // the update was torn: the undo index still names k5's slot, whose value is half written
        final Path table = tableFile(dir);
        final long slot = StoreFiles.slotOf(table, bytes("k5"));
        StoreFiles.putLong(table, TableDescriptor.UNDO_SLOT_INDEX_OFFSET, slot);
        final long valueOffset = StoreFiles.slotOffset(table, slot) + SlotDescriptor.valueOffset(16, false);
        StoreFiles.putInt(table, valueOffset, 0x7A7A7A7A);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertEquals(1, store.recoveryReport().tornUpdatesRolledBack);
            assertMatchesModel(store, model, "rolled back to the value before the torn update");
        }
    }

    // ------------------------------------------------------------------------------------------------ fault 3

    @Test
    void tableWhoseFileNameDisagreesWithItsHeaderIsRefusedAndNeverDeleted(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(dir).open())
        {
            fill(store, model);
        }
        final Path renamed = dir.resolve(TableDescriptor.fileName(2));
        Files.move(tableFile(dir), renamed);
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        for (final Cubby.Builder builder : List.of(Cubby.builder(dir).formatVersion(1), Cubby.builder(dir)
            .formatVersion(1).readOnly(true),
            Cubby.builder(dir).formatVersion(1).salvage(true)))
        {
            final CorruptStoreException ex = assertThrows(CorruptStoreException.class, builder::open);
            assertTrue(ex.getMessage().contains("disagrees with the generation"), ex::getMessage);
            assertEquals(before, StoreFiles.fingerprint(dir));
        }
        Files.move(renamed, dir.resolve(TableDescriptor.fileName(1)));
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            store.compact();
            assertMatchesModel(store, model, "renamed back, then compacted");
        }
    }

    @Test
    void damagedCurrentTableOfARehashIsNeitherUsedNorDeletedAndSalvageSetsItAside(@TempDir final Path tmp)
        throws Exception
    {
        final Path image = midRehashImage(tmp);
        final String newest = TableDescriptor.fileName(StoreDirectory.tableGenerations(image).get(0));
        for (final String damage : List.of("magic", "cut"))
        {
            final Path dir = tmp.resolve(damage);
            copyDirectory(image, dir);
            if (damage.equals("magic"))
            {
                StoreFiles.putLong(dir.resolve(newest), TableDescriptor.MAGIC_OFFSET, 0);
            }
            else
            {
                try (var channel = java.nio.channels.FileChannel.open(dir.resolve(newest),
                    java.nio.file.StandardOpenOption.WRITE))
                {
                    channel.truncate(5);
                }
            }
            final Map<String, String> before = StoreFiles.fingerprint(dir);
            for (final Cubby.Builder builder : List.of(Cubby.builder(dir).formatVersion(1), Cubby.builder(dir)
                .formatVersion(1).readOnly(true)))
            {
                final CorruptStoreException ex = assertThrows(CorruptStoreException.class, builder::open, damage);
                assertTrue(ex.getMessage().contains(newest), ex::getMessage);
                assertEquals(before, StoreFiles.fingerprint(dir), "nothing deleted or changed");
            }
            try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
            {
                assertTrue(store.verify().isOk(), () -> store.verify().problems.toString());
            }
            assertTrue(Files.exists(dir.resolve(newest + Salvage.SET_ASIDE_SUFFIX)),
                "the damaged table was renamed aside, not deleted");
        }
    }

    // ------------------------------------------------------------------------------------------------ fault 4

    @Test
    void failedRecoveryLeavesEveryByteAsItWas(@TempDir final Path tmp) throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path dir = tmp.resolve("image");
        try (Cubby store = builder(live).durability(Durability.SYNC).open())
        {
            fill(store, new HashMap<>());
            store.checkpoint();
            store.put(bytes("k3"), bytes("logged"));      // in the log: its slot can be restored from it
            store.put(bytes("k4"), bytes("updated"));     // undo image of k4 left in the header
            copyDirectory(live, dir);
        }
        final Path table = tableFile(dir);
        // k3's slot fails its checksum (the log restores it), k4's update looks torn (undo restores it), and k20's
        // slot fails its checksum with nothing to restore it: recovery must refuse having changed nothing.
        StoreFiles.putLong(table, TableDescriptor.UNDO_SLOT_INDEX_OFFSET, StoreFiles.slotOf(table, bytes("k4")));
        for (final String key : List.of("k3", "k4", "k20"))
        {
            final long offset = StoreFiles.slotOffset(table, StoreFiles.slotOf(table, bytes(key))) +
                SlotDescriptor.valueOffset(16, false);
            StoreFiles.putInt(dir.resolve(table.getFileName()), offset, 0x51515151);
        }
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("nothing was changed"), ex::getMessage);
        assertEquals(before, StoreFiles.fingerprint(dir));
        try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
        {
            assertNull(store.get(bytes("k20")), "dropped");
            assertEquals("logged", text(store.get(bytes("k3"))));
            assertEquals("updated", text(store.get(bytes("k4"))));
            assertTrue(store.verify().isOk());
        }
    }

    // ------------------------------------------------------------------------------------------------ fault 5

    @Test
    void outOfRangeCountersAreRefusedOnACleanOpenAndSalvageRecounts(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(dir).open())
        {
            fill(store, model);
        }
        for (final int offset : new int[]{ TableDescriptor.ENTRY_COUNT_OFFSET, TableDescriptor.TOMBSTONE_COUNT_OFFSET })
        {
            final Path copy = tmp.resolve("copy-" + offset);
            copyDirectory(dir, copy);
            StoreFiles.putLong(tableFile(copy), offset, -3);
            final Map<String, String> before = StoreFiles.fingerprint(copy);
            for (final Cubby.Builder builder : List.of(Cubby.builder(copy).formatVersion(1), Cubby.builder(copy)
                .formatVersion(1).readOnly(true)))
            {
                final CorruptStoreException ex = assertThrows(CorruptStoreException.class, builder::open);
                assertTrue(ex.getMessage().contains("Count -3"), ex::getMessage);
                assertEquals(before, StoreFiles.fingerprint(copy));
            }
            try (Cubby store = Cubby.builder(copy).formatVersion(1).salvage(true).open())
            {
                assertMatchesModel(store, model, "salvaged");
            }
            try (Cubby store = Cubby.builder(copy).formatVersion(1).open())
            {
                assertMatchesModel(store, model, "reopened after salvage");
            }
        }
    }

    @Test
    void countersDamagedWithinRangeNeverGoNegativeAndSalvageRestoresThem(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(dir).open())
        {
            fill(store, model);
        }
        StoreFiles.putLong(tableFile(dir), TableDescriptor.ENTRY_COUNT_OFFSET, 1);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            for (int i = 0; i < 10; i++)
            {
                store.remove(bytes("k" + i));
                model.remove("k" + i);
            }
            assertTrue(store.size() >= 0, "size " + store.size());
            assertFalse(store.verify().isOk(), "verify reports the wrong count");
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertTrue(store.size() >= 0);
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
        {
            assertMatchesModel(store, model, "salvaged");
        }
    }

    @Test
    void salvageReplacesUnreachableKeysSoTheStoreVerifiesClean(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(dir).open())
        {
            fill(store, model);
        }
        // Move k8's slot bytes to an empty slot off its probe sequence: its checksum stays valid, the key is
        // unreachable and its home slot is empty.
        final Path table = tableFile(dir);
        final long from = StoreFiles.slotOf(table, bytes("k8"));
        final int slotLength = StoreFiles.getInt(table, TableDescriptor.SLOT_LENGTH_OFFSET);
        final long capacity = StoreFiles.getLong(table, TableDescriptor.CAPACITY_OFFSET);
        long to = (from + capacity / 2) % capacity;
        while (StoreFiles.getInt(table, StoreFiles.slotOffset(table, to)) != SlotDescriptor.STATE_EMPTY ||
            StoreFiles.getInt(table, StoreFiles.slotOffset(table, (to + capacity - 1) % capacity)) !=
            SlotDescriptor.STATE_EMPTY)
        {
            to = (to + 1) % capacity;
        }
        final java.nio.ByteBuffer slot = StoreFiles.read(table, StoreFiles.slotOffset(table, from), slotLength);
        StoreFiles.write(table, StoreFiles.slotOffset(table, to), slot);
        StoreFiles.write(table, StoreFiles.slotOffset(table, from), java.nio.ByteBuffer.allocate(slotLength));
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertFalse(store.verify().isOk(), "the damage is visible to verify");
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
        {
            assertMatchesModel(store, model, "salvaged");
        }
    }

    // ------------------------------------------------------------------------------------------------ fault 6

    @Test
    void recoveryRefusesWhenLogMissingAfterUncleanShutdown(@TempDir final Path tmp) throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path dir = tmp.resolve("image");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(live).durability(Durability.SYNC).open())
        {
            fill(store, model);
            copyDirectory(live, dir);
        }
        Files.delete(dir.resolve(WalDescriptor.FILE_NAME));
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("missing after an unclean shutdown"), ex::getMessage);
        assertTrue(ex.getMessage().contains("salvage"), ex::getMessage);
        assertEquals(before, StoreFiles.fingerprint(dir), "no log was created");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
        {
            assertTrue(store.verify().isOk());
            assertEquals("log missing, created", store.recoveryReport().logTailProblem);
        }
        assertTrue(Files.exists(dir.resolve(WalDescriptor.FILE_NAME)));
    }

    @Test
    void missingLogAfterCleanShutdownIsReplaced(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(dir).durability(Durability.SYNC).open())
        {
            fill(store, model);
        }
        Files.delete(dir.resolve(WalDescriptor.FILE_NAME));
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertMatchesModel(store, model, "clean store with a new log");
        }
    }

    // ------------------------------------------------------------------------------------------------ fault 7

    @ParameterizedTest(name = "{0} = {2}")
    @CsvSource({
        "hash algorithm, 44, 2, 4",
        "hash algorithm, 44, 0, 4",
        "hash seed, 48, 0, 8",
        "generation, 56, 9223372036854775807, 8",
        "generation, 56, 0, 8",
        "flags (set mode with values), 84, 1, 4",
        "flags (reserved bit), 84, 8, 4",
        "probing, 40, 9, 4",
        "capacity, 32, 48, 8",
        "slot length, 20, 8, 4",
        "max key length, 24, 0, 4",
        "max value length, 28, -1, 4",
        "max load, 80, 0, 4",
        "source generation, 64, 1, 8",
        "source capacity, 72, 64, 8",
        "created, 88, -1, 8",
        "read version, 8, 0, 4",
        "header length, 16, 8192, 4",
    })
    void headerFieldsOutOfRangeAreRejectedBehindAValidChecksum(
        final String field, final int offset, final long value, final int size, @TempDir final Path tmp)
        throws Exception
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = builder(dir).open())
        {
            fill(store, new HashMap<>());
        }
        final Path table = tableFile(dir);
        if (8 == size)
        {
            StoreFiles.putLong(table, offset, value);
        }
        else
        {
            StoreFiles.putInt(table, offset, (int)value);
        }
        StoreFiles.fixTableHeaderChecksum(table);
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        for (final Cubby.Builder builder : List.of(Cubby.builder(dir).formatVersion(1), Cubby.builder(dir)
            .formatVersion(1).readOnly(true),
            Cubby.builder(dir).formatVersion(1).salvage(true)))
        {
            final CubbyException ex = assertThrows(CubbyException.class, builder::open, field);
            assertTrue(ex instanceof CorruptStoreException || ex instanceof IncompatibleStoreException,
                () -> field + ": " + ex);
            assertEquals(before, StoreFiles.fingerprint(dir), field);
        }
        assertThrows(CubbyException.class, () -> Cubby.inspect(dir));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "open state, 128, 7, 4",
        "undo slot index, 136, -5, 8",
        "reserved after the undo checksum, 148, 1, 4",
    })
    void mutableHeaderFieldsOutOfRangeAreRefusedUnlessSalvaged(
        final String field, final int offset, final long value, final int size, @TempDir final Path tmp)
        throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(dir).open())
        {
            fill(store, model);
        }
        final Path table = tableFile(dir);
        if (8 == size)
        {
            StoreFiles.putLong(table, offset, value);
        }
        else
        {
            StoreFiles.putInt(table, offset, (int)value);
        }
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("salvage"), ex::getMessage);
        assertEquals(before, StoreFiles.fingerprint(dir), field);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
        {
            assertMatchesModel(store, model, field + " salvaged");
        }
    }

    @Test
    void checkpointWithACursorOutsideTheSourceIsRefusedNotACrash(@TempDir final Path tmp) throws Exception
    {
        final Path image = midRehashImage(tmp);
        for (final long cursor : new long[]{ -1, 1L << 30 })
        {
            final Path dir = tmp.resolve("cursor" + cursor);
            copyDirectory(image, dir);
            final Path wal = dir.resolve(WalDescriptor.FILE_NAME);
            final int checkpoint = StoreFiles.logRecords(wal).stream()
                .filter(p -> recordType(wal, p) == WalRecordDescriptor.TYPE_CHECKPOINT).findFirst().orElseThrow();
            StoreFiles.putLong(wal, checkpoint + WalRecordDescriptor.STRUCTURAL_FIELD_3_OFFSET, cursor);
            StoreFiles.fixRecordChecksum(wal, checkpoint);
            final Map<String, String> before = StoreFiles.fingerprint(dir);
            final CorruptStoreException ex = assertThrows(CorruptStoreException.class,
                () -> Cubby.builder(dir).formatVersion(1).open(), "cursor " + cursor);
            assertTrue(ex.getMessage().contains("cursor"), ex::getMessage);
            assertEquals(before, StoreFiles.fingerprint(dir));
            try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
            {
                assertTrue(store.verify().isOk());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "reserved, 6, 1, 2",
        "expires at, 32, -1, 8",
        "key length, 24, 1000, 4",
        "value length, 28, -2, 4",
    })
    void loggedRecordFieldsOutOfRangeAreNeverApplied(
        final String field, final int offset, final long value, final int size, @TempDir final Path tmp)
        throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path dir = tmp.resolve("image");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = builder(live).durability(Durability.SYNC).open())
        {
            fill(store, model);
            store.checkpoint();
            store.put(bytes("first"), bytes("1"));
            store.put(bytes("second"), bytes("2"));
            copyDirectory(live, dir);
        }
        final Path wal = dir.resolve(WalDescriptor.FILE_NAME);
        final int put = StoreFiles.logRecords(wal).stream()
            .filter(p -> recordType(wal, p) == WalRecordDescriptor.TYPE_PUT).findFirst().orElseThrow();
        switch (size)
        {
            case 2:
                StoreFiles.putShort(wal, put + offset, (short)value);
                break;
            case 4:
                StoreFiles.putInt(wal, put + offset, (int)value);
                break;
            default:
                StoreFiles.putLong(wal, put + offset, value);
                break;
        }
        StoreFiles.fixRecordChecksum(wal, put);
        // a damaged record followed by a valid one: refused, then salvaged to the records before it
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("refusing to drop logged operations"), ex::getMessage);
        assertEquals(before, StoreFiles.fingerprint(dir));
        try (Cubby store = Cubby.builder(dir).formatVersion(1).salvage(true).open())
        {
            assertTrue(store.verify().isOk());
            for (final Map.Entry<String, String> entry : model.entrySet())
            {
                assertEquals(entry.getValue(), text(store.get(bytes(entry.getKey()))));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static short recordType(final Path wal, final int position)
    {
        try
        {
            return StoreFiles.recordType(wal, position);
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static Cubby.Builder builder(final Path dir)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).expectedEntries(KEYS)
            .logSize(1 << 16);
    }

    private static void fill(final Cubby store, final Map<String, String> model)
    {
        for (int i = 0; i < KEYS; i++)
        {
            store.put(bytes("k" + i), bytes("v" + i));
            model.put("k" + i, "v" + i);
        }
        for (int i = 0; i < KEYS; i += 6)
        {
            store.remove(bytes("k" + (i + 1)));
            model.remove("k" + (i + 1));
        }
    }

    /**
     * A copy of a store taken while it was open in the middle of a rehash (two table files, SYNC log).
     */
    static Path midRehashImage(final Path tmp) throws Exception
    {
        final Path live = tmp.resolve("rehash-live");
        final Path image = tmp.resolve("rehash-image");
        try (Cubby store = Cubby.builder(live).formatVersion(1).maxKeySize(16).maxValueSize(16).expectedEntries(1)
            .migrationStep(1)
            .durability(Durability.SYNC).logSize(1 << 16).open())
        {
            int i = 0;
            while (!store.stats().rehashInProgress)
            {
                store.put(bytes("k" + i), bytes("v" + i));
                i++;
            }
            store.checkpoint();
            store.put(bytes("k" + i), bytes("after start"));
            store.remove(bytes("k2"));
            copyDirectory(live, image);
        }
        try (Stream<Path> files = Files.list(image))
        {
            assertEquals(2, files.filter(f -> f.getFileName().toString().endsWith(".cubby"))
                .collect(Collectors.toList()).size(), "two tables");
        }
        return image;
    }

    private static long firstSlotInState(final Path table, final int state) throws Exception
    {
        final long capacity = StoreFiles.getLong(table, TableDescriptor.CAPACITY_OFFSET);
        for (long i = 0; i < capacity; i++)
        {
            if (StoreFiles.getInt(table, StoreFiles.slotOffset(table, i)) == state)
            {
                return i;
            }
        }
        throw new AssertionError("no slot in state " + state);
    }
}
