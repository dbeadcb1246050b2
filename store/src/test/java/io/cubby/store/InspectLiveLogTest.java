package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.cubby.store.StoreTestSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Cubby#inspect(Path)} reads the log of a store another writer is appending to: the end of the records is
 * where a zero length begins (zero means absent), never "damage", and a record caught half-sealed is read again.
 */
class InspectLiveLogTest
{
    @Test
    void inspectOfALiveAsyncStoreReportsItsLogTailClean(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final List<String> problems = new ArrayList<>();
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(32)
            .durability(Durability.ASYNC)
            .logSize(1 << 20).expectedEntries(100_000).open())
        {
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread writer = new Thread(() ->
            {
                for (int i = 0; !stop.get(); i++)
                {
                    store.put(bytes("k" + (i % 50_000)), bytes("value-" + i));
                }
            });
            writer.start();
            try
            {
                for (int i = 0; i < 150; i++)
                {
                    final StoreInfo info = Cubby.inspect(dir);
                    assertNotNull(info.log, () -> "log unreadable: " + info.logProblem);
                    if (null != info.log.tailProblem)
                    {
                        problems.add(info.log.tailProblem);
                    }
                }
            }
            finally
            {
                stop.set(true);
                writer.join();
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void zeroLengthAfterTheLastRecordEndsTheLogEvenWithBytesBehindIt(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16)
            .durability(Durability.SYNC).open())
        {
            store.put(bytes("a"), bytes("1"));
        }
        final Path log = dir.resolve(WalDescriptor.FILE_NAME);
        final StoreInfo.LogInfo before = Cubby.inspect(dir).log;
        // a record being appended: its body is written, its length (written when it is sealed) is still zero
        final int end = logEnd(log);
        writeAt(log, end + WalRecordDescriptor.KEY_LENGTH_OFFSET, new byte[]{ 1, 0, 0, 0, 1, 0, 0, 0 });
        writeAt(log, end + WalRecordDescriptor.SALT_OFFSET, new byte[]{ 7, 7, 7, 7 });

        final StoreInfo.LogInfo after = Cubby.inspect(dir).log;

        assertNull(after.tailProblem);
        assertEquals(before.validRecords, after.validRecords);
    }

    @Test
    void nonZeroInvalidLengthAfterTheLastRecordIsStillReportedAsDamage(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16)
            .durability(Durability.SYNC).open())
        {
            store.put(bytes("a"), bytes("1"));
        }
        final Path log = dir.resolve(WalDescriptor.FILE_NAME);
        final int end = logEnd(log);
        final byte[] salt = new byte[4];
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ))
        {
            channel.read(java.nio.ByteBuffer.wrap(salt), WalDescriptor.SALT_OFFSET);
        }
        writeAt(log, end + WalRecordDescriptor.SALT_OFFSET, salt);
        writeAt(log, end + WalRecordDescriptor.LENGTH_OFFSET, new byte[]{ 3, 0, 0, 0 });

        final StoreInfo.LogInfo after = Cubby.inspect(dir).log;

        assertNotNull(after.tailProblem);
        assertTrue(after.tailProblem.startsWith("invalid record length 3"), after.tailProblem);
    }

    /** End of the records of a log that has not wrapped: from its start offset, record by record to a zero length. */
    private static int logEnd(final Path log) throws Exception
    {
        final java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(log))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int position = (int)bytes.getLong(WalDescriptor.START_OFFSET_OFFSET);
        while (bytes.getInt(position + WalRecordDescriptor.LENGTH_OFFSET) > 0)
        {
            position += bytes.getInt(position + WalRecordDescriptor.LENGTH_OFFSET);
        }
        return position;
    }

    private static void writeAt(final Path file, final long offset, final byte[] bytes) throws Exception
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(java.nio.ByteBuffer.wrap(bytes), offset);
        }
    }
}
