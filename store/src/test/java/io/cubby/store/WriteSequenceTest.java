package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Write Sequence of the table header (FORMAT.md §3.4) and read-only stores that follow a writer, in one JVM.
 */
class WriteSequenceTest
{
    @Test
    void sequenceBeginIsAlwaysANewOddValueAndEndANonZeroEvenOne()
    {
        for (final int flags : new int[]{ 0, TableDescriptor.SEQUENCE_SUPERSEDED, TableDescriptor.SEQUENCE_RETIRED,
            TableDescriptor.SEQUENCE_FLAGS })
        {
            for (final int counter : new int[]{ 0, 1, 2, 3, 0x3FFF_FFFC, 0x3FFF_FFFD, 0x3FFF_FFFE, 0x3FFF_FFFF })
            {
                final int word = counter | flags;
                final int begun = TableDescriptor.sequenceBegin(word);
                assertEquals(1, begun & TableDescriptor.SEQUENCE_WRITING, Integer.toHexString(word));
                assertNotEquals(word, begun, "an odd word left by a dead writer moves on");
                assertEquals(flags, begun & TableDescriptor.SEQUENCE_FLAGS);
                final int ended = TableDescriptor.sequenceEnd(begun);
                assertEquals(0, ended & TableDescriptor.SEQUENCE_WRITING);
                assertNotEquals(0, ended & TableDescriptor.SEQUENCE_COUNTER, "0 means no session");
                assertEquals(flags, ended & TableDescriptor.SEQUENCE_FLAGS);
                assertNotEquals(word & TableDescriptor.SEQUENCE_COUNTER, ended & TableDescriptor.SEQUENCE_COUNTER);
            }
        }
    }

    @Test
    void everyWriteChangesTheWordAndACleanCloseLeavesItZero(@TempDir final Path dir) throws IOException
    {
        final int afterClose;
        try (Cubby store = Cubby.builder(dir).formatVersion(1).expectedEntries(1000).open())
        {
            final Path table = newestTable(dir);
            int before = word(table);
            assertNotEquals(0, before, "a writer session is open");
            for (int i = 0; i < 50; i++)
            {
                store.put(bytes("k" + (i % 10)), bytes("v" + i));
                final int after = word(table);
                assertEquals(0, after & TableDescriptor.SEQUENCE_WRITING, "no write in progress between writes");
                assertNotEquals(before, after);
                before = after;
            }
            store.remove(bytes("k1"));
            assertNotEquals(before, word(table));
        }
        afterClose = word(newestTable(dir));
        assertEquals(0, afterClose, "zero after a clean close, as format version 1 readers expect");
    }

    @Test
    void aReaderOfAStoreWhoseWriterDiedMidWriteReadsItAsItStands(@TempDir final Path dir) throws IOException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(8).maxValueSize(16).open())
        {
            for (int i = 0; i < 10; i++)
            {
                store.put(bytes("k" + i), bytes("value-" + i));
            }
        }
        final Path table = newestTable(dir);
        putInt(table, TableDescriptor.WRITE_SEQUENCE_OFFSET, 0x1235);
        try (Cubby reader = Cubby.builder(dir).formatVersion(1).readOnly(true).open())
        {
            assertFalse(reader.hasLiveWriter());
            assertEquals("value-1", text(reader.get(bytes("k1"))), "no writer: read as it stands, not waited for");
            tearValueOf(table, bytes("k2"));
            final CorruptStoreException ex = assertThrows(CorruptStoreException.class,
                () -> reader.get(bytes("k2")));
            assertTrue(ex.getMessage().contains("needs recovery"), ex.getMessage());
            assertEquals("value-3", text(reader.get(bytes("k3"))));
        }
    }

    @Test
    void anyWordLeftByADeadWriterIsAcceptedAndTheNextWriterResetsIt(@TempDir final Path dir) throws IOException
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            store.put(bytes("k"), bytes("v"));
        }
        final Path table = newestTable(dir);
        // unlike the reserved bytes at 148 (RecoveryFaultsTest), no value of the word is corruption
        putInt(table, TableDescriptor.WRITE_SEQUENCE_OFFSET, TableDescriptor.SEQUENCE_FLAGS | 0x2345);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            final int open = word(table);
            assertEquals(0, open & TableDescriptor.SEQUENCE_FLAGS, "a current table is neither superseded nor retired");
            assertNotEquals(0, open);
            assertEquals("v", text(store.get(bytes("k"))));
        }
        assertEquals(0, word(table));
    }

    @Test
    void aReaderInThisProcessFollowsGrowthCompactionAndClose(@TempDir final Path dir)
    {
        final Cubby writer = Cubby.builder(dir).formatVersion(1).expectedEntries(16).open();
        try (Cubby reader = Cubby.builder(dir).formatVersion(1).readOnly(true).open())
        {
            assertTrue(reader.hasLiveWriter());
            final long first = reader.stats().generation;
            for (int i = 0; i < 3000; i++)
            {
                writer.put(bytes("k" + i), bytes("v" + i));
                if (i % 250 == 0)
                {
                    for (int j = 0; j <= i; j += 7)
                    {
                        assertEquals("v" + j, text(reader.get(bytes("k" + j))), "key " + j + " after " + i);
                    }
                }
            }
            writer.compact();
            for (int i = 0; i < 3000; i += 2)
            {
                writer.remove(bytes("k" + i));
            }
            for (int i = 0; i < 3000; i++)
            {
                final byte[] value = reader.get(bytes("k" + i));
                if (i % 2 == 0)
                {
                    assertNull(value, "k" + i);
                }
                else
                {
                    assertEquals("v" + i, text(value));
                }
            }
            assertTrue(reader.stats().generation > first, "the reader maps the newer tables");
            assertEquals(writer.stats().generation, reader.stats().generation);
            assertEquals(1500, reader.size());
            final long[] visited = new long[1];
            reader.forEach((k, ko, kl, v, vo, vl) -> visited[0]++);
            assertEquals(1500, visited[0]);
            final VerifyReport report = reader.verify();
            assertTrue(report.isOk(), report.problems::toString);
            assertFalse(report.notChecked.isEmpty(), "an online verify says what it could not check");
            writer.close();
            assertFalse(reader.hasLiveWriter());
            assertEquals("v1", text(reader.get(bytes("k1"))));
        }
        finally
        {
            writer.close();
        }
        try (Cubby again = Cubby.builder(dir).formatVersion(1).open())
        {
            assertEquals(1500, again.size());
        }
    }

    private static Path newestTable(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(f -> TableDescriptor.parseGeneration(f.getFileName().toString()) > 0)
                .max(Path::compareTo).orElseThrow();
        }
    }

    private static int word(final Path table) throws IOException
    {
        try (FileChannel channel = FileChannel.open(table, StandardOpenOption.READ))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(buffer, TableDescriptor.WRITE_SEQUENCE_OFFSET);
            return buffer.getInt(0);
        }
    }

    private static void putInt(final Path file, final long offset, final int value) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
            channel.write(buffer, offset);
        }
    }

    /**
     * Change one value byte of the slot holding {@code key}, as a write torn by a crash would leave it.
     */
    private static void tearValueOf(final Path table, final byte[] key) throws IOException
    {
        final ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(table)).order(ByteOrder.LITTLE_ENDIAN);
        final int headerLength = file.getInt(TableDescriptor.HEADER_LENGTH_OFFSET);
        final int slotLength = file.getInt(TableDescriptor.SLOT_LENGTH_OFFSET);
        final int maxKey = file.getInt(TableDescriptor.MAX_KEY_LENGTH_OFFSET);
        final long capacity = file.getLong(TableDescriptor.CAPACITY_OFFSET);
        for (long i = 0; i < capacity; i++)
        {
            final int slot = (int)(headerLength + i * slotLength);
            if (file.getInt(slot + SlotDescriptor.STATE_OFFSET) != SlotDescriptor.STATE_FULL ||
                file.getInt(slot + SlotDescriptor.KEY_LENGTH_OFFSET) != key.length)
            {
                continue;
            }
            final byte[] stored = new byte[key.length];
            file.get(slot + SlotDescriptor.keyOffset(false), stored);
            if (java.util.Arrays.equals(stored, key))
            {
                final int at = slot + SlotDescriptor.valueOffset(maxKey, false);
                try (FileChannel channel = FileChannel.open(table, StandardOpenOption.WRITE))
                {
                    channel.write(ByteBuffer.wrap(new byte[]{ (byte)(file.get(at) ^ 0x5A) }), at);
                }
                return;
            }
        }
        throw new AssertionError("key not found in " + table);
    }
}
