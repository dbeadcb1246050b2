package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.tableFile;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input gets a specific exception with a clear message, and loses nothing. Corruption tests come in pairs:
 * what is recovered, what is rejected.
 */
class BadInputTest
{
    private static Path storeWithData(final Path tmp)
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).open())
        {
            for (int i = 0; i < 100; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
        }
        return dir;
    }

    private static void assertIntact(final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertEquals(100, store.size());
            assertEquals("v7", text(store.get(bytes("k7"))));
            assertTrue(store.verify().isOk());
        }
    }

    @Test
    void oversizedKeysAndValuesAreRejectedAndNothingChanges(@TempDir final Path tmp)
    {
        final Path dir = storeWithData(tmp);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            final EntryTooLargeException key = assertThrows(EntryTooLargeException.class,
                () -> store.put(new byte[17], bytes("v")));
            assertTrue(key.getMessage().contains("17") && key.getMessage().contains("16"), key.getMessage());
            assertThrows(EntryTooLargeException.class, () -> store.put(bytes("k"), new byte[17]));
            assertThrows(EntryTooLargeException.class, () -> store.get(new byte[17]));
            final UnsafeBuffer big = new UnsafeBuffer(new byte[64]);
            assertThrows(EntryTooLargeException.class, () -> store.put(big, 0, 17, big, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> store.put(big, 60, 8, big, 0, 1));
            store.put(bytes("abcd"), bytes("0123456789"));
            assertThrows(IndexOutOfBoundsException.class,
                () -> store.get(new UnsafeBuffer(bytes("abcd")), 0, 4, new UnsafeBuffer(new byte[4]), 0));
            store.remove(bytes("abcd"));
        }
        assertIntact(dir);
    }

    @Test
    void nullArgumentsAreRejected(@TempDir final Path tmp)
    {
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).open())
        {
            assertThrows(NullPointerException.class, () -> store.put(null, bytes("v")));
            assertThrows(NullPointerException.class, () -> store.put(bytes("k"), null));
            assertThrows(NullPointerException.class, () -> store.get((byte[])null));
            assertThrows(NullPointerException.class, () -> store.remove((byte[])null));
            assertThrows(NullPointerException.class, () -> store.asMap(Codecs.STRING, Codecs.STRING).put("a", null));
        }
    }

    @Test
    void pathThatIsAFileIsNotAStore(@TempDir final Path tmp) throws Exception
    {
        final Path file = Files.writeString(tmp.resolve("file.txt"), "hello");
        final NotAStoreException ex = assertThrows(NotAStoreException.class, () -> Cubby.builder(file).formatVersion(1)
            .open());
        assertTrue(ex.getMessage().contains("is a file"), ex.getMessage());
        assertEquals("hello", Files.readString(file));
    }

    @Test
    void directoryOfOtherFilesIsNotTurnedIntoAStore(@TempDir final Path tmp) throws Exception
    {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        assertThrows(NotAStoreException.class, () -> Cubby.builder(tmp).formatVersion(1).open());
        assertEquals("mine", Files.readString(tmp.resolve("notes.txt")));
        assertThrows(NotAStoreException.class, () -> Cubby.builder(tmp.resolve("missing")).formatVersion(1)
            .createIfMissing(false)
            .open());
        assertThrows(NotAStoreException.class, () -> Cubby.inspect(tmp.resolve("missing")));
    }

    @Test
    void tableFileThatIsNotATableIsRejected(@TempDir final Path tmp) throws Exception
    {
        final Path dir = Files.createDirectories(tmp.resolve("s"));
        final byte[] garbage = new byte[8192];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(dir.resolve(TableDescriptor.fileName(1)), garbage);
        final NotAStoreException ex = assertThrows(NotAStoreException.class, () -> Cubby.builder(dir).formatVersion(1)
            .open());
        assertTrue(ex.getMessage().contains("not a Cubby table file"), ex.getMessage());
    }

    @Test
    void truncatedTableIsRejectedAndLeftAsItWas(@TempDir final Path tmp) throws Exception
    {
        final Path dir = storeWithData(tmp);
        final Path table = tableFile(dir);
        final long length = Files.size(table);
        try (FileChannel channel = FileChannel.open(table, StandardOpenOption.WRITE))
        {
            channel.truncate(length - 100);
        }
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("truncated"), ex.getMessage());
        assertEquals(length - 100, Files.size(table));
        try (FileChannel channel = FileChannel.open(table, StandardOpenOption.WRITE))
        {
            channel.truncate(40);
        }
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir).formatVersion(1).open());
        assertThrows(CorruptStoreException.class, () -> Cubby.inspect(dir));
    }

    @Test
    void flippedHeaderByteIsRejected(@TempDir final Path tmp) throws Exception
    {
        final Path dir = storeWithData(tmp);
        final Path table = tableFile(dir);
        for (final int offset : new int[]{ TableDescriptor.CAPACITY_OFFSET, TableDescriptor.SLOT_LENGTH_OFFSET,
            TableDescriptor.HASH_SEED_OFFSET + 3, TableDescriptor.HEADER_CHECKSUM_OFFSET })
        {
            flip(table, offset);
            final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(dir)
                .formatVersion(1).open());
            assertTrue(ex.getMessage().contains("checksum"), ex.getMessage());
            flip(table, offset);
        }
        flip(table, TableDescriptor.MAGIC_OFFSET);
        assertThrows(NotAStoreException.class, () -> Cubby.builder(dir).formatVersion(1).open());
        flip(table, TableDescriptor.MAGIC_OFFSET);
        assertIntact(dir);
    }

    @Test
    void newerReadVersionIsRefusedWithAClearMessage(@TempDir final Path tmp) throws Exception
    {
        final Path dir = storeWithData(tmp);
        final Path table = tableFile(dir);
        final ByteBuffer header = ByteBuffer.allocate(TableDescriptor.HEADER_CHECKSUM_OFFSET + 4)
            .order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(table, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            channel.read(header, 0);
            final UnsafeBuffer h = new UnsafeBuffer(header);
            h.putInt(TableDescriptor.READ_VERSION_OFFSET, 9);
            h.putInt(TableDescriptor.WRITE_VERSION_OFFSET, 9);
            h.putInt(TableDescriptor.HEADER_CHECKSUM_OFFSET, TableHeader.headerChecksum(h, TableDescriptor.MAGIC));
            channel.write(header.clear(), 0);
        }
        final IncompatibleStoreException ex = assertThrows(IncompatibleStoreException.class,
            () -> Cubby.builder(dir).formatVersion(1).open());
        assertTrue(ex.getMessage().contains("version 9"), ex.getMessage());
    }

    @Test
    void corruptSlotAfterUncleanShutdownIsRejectedUnlessTheLogRestoresItOrSalvageIsAsked(@TempDir final Path tmp)
        throws Exception
    {
        // rejected: NONE logs no operations, so nothing can restore the slot
        final Path dir = tmp.resolve("none");
        final Path snapshot = tmp.resolve("none-copy");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).open())
        {
            for (int i = 0; i < 50; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            StoreTestSupport.copyDirectory(dir, snapshot);
        }
        final long slot = corruptFirstFullSlot(snapshot);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class,
            () -> Cubby.builder(snapshot).formatVersion(1).open());
        assertTrue(ex.getMessage().contains("slot " + slot), ex.getMessage());
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(snapshot).formatVersion(1)
            .open(), "nothing was changed");
        try (Cubby store = Cubby.builder(snapshot).formatVersion(1).salvage(true).open())
        {
            assertEquals(1, store.recoveryReport().corruptSlotsDropped);
            assertEquals(49, store.size());
            assertTrue(store.verify().isOk());
        }

        // recovered: SYNC logged the write of that slot, so replay restores it
        final Path logged = tmp.resolve("sync");
        final Path loggedCopy = tmp.resolve("sync-copy");
        try (Cubby store = Cubby.builder(logged).formatVersion(1).maxKeySize(16).maxValueSize(16)
            .durability(Durability.SYNC).open())
        {
            store.checkpoint();
            for (int i = 0; i < 50; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            StoreTestSupport.copyDirectory(logged, loggedCopy);
        }
        corruptFirstFullSlot(loggedCopy);
        try (Cubby store = Cubby.builder(loggedCopy).formatVersion(1).open())
        {
            assertEquals(1, store.recoveryReport().corruptSlotsRestoredFromLog);
            assertEquals(50, store.size());
            for (int i = 0; i < 50; i++)
            {
                assertEquals("v" + i, text(store.get(bytes("k" + i))));
            }
            assertTrue(store.verify().isOk());
        }
    }

    @Test
    void corruptSlotOfACleanStoreIsReportedOnReadAndByVerify(@TempDir final Path tmp) throws Exception
    {
        final Path dir = storeWithData(tmp);
        final long slot = corruptFirstFullSlot(dir);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            final VerifyReport report = store.verify();
            assertEquals(1, report.problemCount, report.problems.toString());
            assertTrue(report.problems.get(0).contains("slot " + slot), report.problems.toString());
            int failures = 0;
            for (int i = 0; i < 100; i++)
            {
                try
                {
                    assertEquals("v" + i, text(store.get(bytes("k" + i))));
                }
                catch (final CorruptStoreException ex)
                {
                    failures++;
                }
            }
            assertTrue(failures <= 1, "only the damaged entry fails");
        }
    }

    @Test
    void randomGarbageInSlotsNeverCrashesTheJvm(@TempDir final Path tmp) throws Exception
    {
        final Path dir = storeWithData(tmp);
        final Path table = tableFile(dir);
        final java.util.Random random = new java.util.Random(7);
        final long length = Files.size(table);
        final int header = TableDescriptor.headerLength(SlotDescriptor.slotLength(16, 16, false));
        try (FileChannel channel = FileChannel.open(table, StandardOpenOption.WRITE))
        {
            for (int i = 0; i < 200; i++)
            {
                final long position = header + (long)(random.nextDouble() * (length - header - 4));
                channel.write(ByteBuffer.wrap(new byte[]{ (byte)random.nextInt(), (byte)random.nextInt(),
                    (byte)0x7F, (byte)random.nextInt() }), position);
            }
        }
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            for (int i = 0; i < 200; i++)
            {
                try
                {
                    store.get(bytes("k" + i));
                    store.put(bytes("n" + i), bytes("x"));
                }
                catch (final CubbyException expected)
                {
                    assertTrue(expected.getMessage().contains("slot") || expected.getMessage().contains("table"),
                        expected.getMessage());
                }
            }
            assertTrue(store.verify().problemCount > 0);
        }
        catch (final CubbyException rejected)
        {
            assertTrue(rejected.getMessage().length() > 10);
        }
    }

    @Test
    void secondOpenerInThisProcessGetsALockError(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("s");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            store.put(bytes("a"), bytes("b"));
            final StoreLockedException ex = assertThrows(StoreLockedException.class, () -> Cubby.builder(dir)
                .formatVersion(1).open());
            assertTrue(ex.getMessage().contains("cubby.lock"), ex.getMessage());
            try (Cubby reader = Cubby.builder(dir).formatVersion(1).readOnly(true).open())
            {
                assertTrue(reader.hasLiveWriter(), "a read-only open beside the writer reads it live");
                assertEquals("b", text(reader.get(bytes("a"))));
                store.put(bytes("a"), bytes("c"));
                assertEquals("c", text(reader.get(bytes("a"))));
                store.put(bytes("a"), bytes("b"));
            }
            assertEquals("b", text(store.get(bytes("a"))));
        }
        try (Cubby again = Cubby.builder(dir).formatVersion(1).open())
        {
            assertEquals("b", text(again.get(bytes("a"))));
        }
    }

    @Test
    void differentCreationParametersAreRefused(@TempDir final Path tmp)
    {
        final Path dir = storeWithData(tmp);
        final IncompatibleStoreException ex = assertThrows(IncompatibleStoreException.class,
            () -> Cubby.builder(dir).formatVersion(1).maxKeySize(32).probing(Probing.QUADRATIC).open());
        assertTrue(ex.getMessage().contains("maxKeySize 16") && ex.getMessage().contains("probing LINEAR"),
            ex.getMessage());
        assertIntact(dir);
    }

    @Test
    void closedAndReadOnlyStoresRefuseWrites(@TempDir final Path tmp)
    {
        final Path dir = storeWithData(tmp);
        final Cubby store = Cubby.builder(dir).formatVersion(1).open();
        store.close();
        store.close();
        assertThrows(StoreClosedException.class, () -> store.get(bytes("k1")));
        assertThrows(StoreClosedException.class, () -> store.put(bytes("k1"), bytes("x")));
        try (Cubby readOnly = Cubby.builder(dir).formatVersion(1).readOnly(true).open())
        {
            assertEquals("v1", text(readOnly.get(bytes("k1"))));
            assertFalse(readOnly.hasLiveWriter());
            try (Cubby writer = Cubby.builder(dir).formatVersion(1).open())
            {
                // a reader never keeps a writer out, and follows it
                assertTrue(readOnly.hasLiveWriter());
                writer.put(bytes("k1"), bytes("w"));
                assertEquals("w", text(readOnly.get(bytes("k1"))));
                writer.put(bytes("k1"), bytes("v1"));
            }
            assertFalse(readOnly.hasLiveWriter());
            assertThrows(ReadOnlyStoreException.class, () -> readOnly.put(bytes("k1"), bytes("x")));
            assertThrows(ReadOnlyStoreException.class, () -> readOnly.remove(bytes("k1")));
        }
        assertIntact(dir);
    }

    private static void flip(final Path file, final int offset) throws Exception
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer b = ByteBuffer.allocate(1);
            channel.read(b, offset);
            b.put(0, (byte)(b.get(0) ^ 0x04));
            channel.write(b.clear(), offset);
        }
    }

    /** Flip a value byte of the first full slot; returns its index. */
    private static long corruptFirstFullSlot(final Path dir) throws Exception
    {
        final Path file = tableFile(dir);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final TableHeader header = TableHeader.read(file, channel);
            for (long i = 0; i < header.capacity; i++)
            {
                final long slot = header.headerLength + i * header.slotLength;
                final ByteBuffer state = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                channel.read(state, slot);
                if (state.getInt(0) == SlotDescriptor.STATE_FULL)
                {
                    final long valueByte = slot + SlotDescriptor.valueOffset(header.params.maxKeyLength, false);
                    final ByteBuffer b = ByteBuffer.allocate(1);
                    channel.read(b, valueByte);
                    b.put(0, (byte)(b.get(0) ^ 0x01));
                    channel.write(b.clear(), valueByte);
                    return i;
                }
            }
        }
        throw new AssertionError("no full slot");
    }
}
