package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.copyDirectory;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A damaged log is either recovered to a prefix of what was logged or rejected with a clear error; never a wrong
 * value. The snapshot is a copy of a SYNC store's directory taken while it was open (an unclean shutdown), so
 * opening it must replay the log.
 */
class LogDamageTest
{
    private static final int ENTRIES = 60;

    private static Path snapshot(final Path tmp) throws Exception
    {
        final Path live = tmp.resolve("live");
        final Path snapshot = tmp.resolve("snapshot");
        try (Cubby store = Cubby.builder(live).formatVersion(1).maxKeySize(16).maxValueSize(16)
            .durability(Durability.SYNC)
            .logSize(1 << 16).expectedEntries(1000).open())
        {
            store.checkpoint();
            // the tables as a power loss would leave them: without the writes below, which only the log holds
            copyDirectory(live, snapshot);
            for (int i = 0; i < ENTRIES; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            Files.copy(live.resolve(WalDescriptor.FILE_NAME), snapshot.resolve(WalDescriptor.FILE_NAME),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return snapshot;
    }

    /** End of the used part of the log: the last non-zero byte, rounded up to a record boundary. */
    private static int logEnd(final byte[] log)
    {
        int end = log.length;
        while (end > 0 && log[end - 1] == 0)
        {
            end--;
        }
        return (end + 7) & ~7;
    }

    /**
     * @return the number of keys present; asserts they are a prefix k0..k(n-1) with their own values.
     */
    private static int checkPrefix(final Cubby store, final String context)
    {
        int present = 0;
        for (int i = 0; i < ENTRIES; i++)
        {
            final String value = text(store.get(bytes("k" + i)));
            if (null != value)
            {
                assertEquals("v" + i, value, context + ": wrong value");
                assertEquals(i, present, context + ": k" + i + " present after a missing key (not a prefix)");
                present++;
            }
        }
        assertTrue(store.verify().isOk(), context);
        return present;
    }

    @Test
    void tailCutAtEveryByteOfTheLastRecordsRecoversAPrefix(@TempDir final Path tmp) throws Exception
    {
        final Path snapshot = snapshot(tmp);
        final byte[] log = Files.readAllBytes(snapshot.resolve(WalDescriptor.FILE_NAME));
        final int end = logEnd(log);
        int previous = ENTRIES;
        for (int cut = end; cut >= end - 4 * 48; cut--)
        {
            final Path dir = tmp.resolve("cut" + cut);
            copyDirectory(snapshot, dir);
            final byte[] damaged = log.clone();
            Arrays.fill(damaged, cut, damaged.length, (byte)0);
            Files.write(dir.resolve(WalDescriptor.FILE_NAME), damaged);
            try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
            {
                final int present = checkPrefix(store, "cut at " + cut);
                assertTrue(present <= previous, "cutting more never recovers more");
                previous = present;
                if (!Arrays.equals(damaged, log))
                {
                    assertTrue(present < ENTRIES || null != store.recoveryReport().logTailProblem,
                        "cut at " + cut + " went unnoticed");
                }
            }
        }
        assertTrue(previous < ENTRIES, "the cuts reached into the logged records");
    }

    @Test
    void bitFlipInAnyLoggedByteIsRecoveredToAPrefixOrRejected(@TempDir final Path tmp) throws Exception
    {
        final Path snapshot = snapshot(tmp);
        final byte[] log = Files.readAllBytes(snapshot.resolve(WalDescriptor.FILE_NAME));
        final int end = logEnd(log);
        int rejected = 0;
        for (int position = WalDescriptor.HEADER_LENGTH; position < end; position += 7)
        {
            final Path dir = tmp.resolve("flip" + position);
            copyDirectory(snapshot, dir);
            final byte[] damaged = log.clone();
            damaged[position] ^= (byte)(1 << (position % 8));
            Files.write(dir.resolve(WalDescriptor.FILE_NAME), damaged);
            try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
            {
                checkPrefix(store, "flip at " + position);
            }
            catch (final CorruptStoreException ex)
            {
                assertNotNull(ex.getMessage());
                assertTrue(ex.getMessage().contains("wal.log"), ex.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 0, "a flip in a middle record followed by valid records is rejected");
    }

    @Test
    void damageInTheMiddleIsRejectedThenSalvagedToThePrefix(@TempDir final Path tmp) throws Exception
    {
        final Path snapshot = snapshot(tmp);
        final Path log = snapshot.resolve(WalDescriptor.FILE_NAME);
        final byte[] bytes = Files.readAllBytes(log);
        final int middle = WalDescriptor.HEADER_LENGTH + (logEnd(bytes) - WalDescriptor.HEADER_LENGTH) / 2;
        bytes[middle] ^= 0x40;
        Files.write(log, bytes);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(snapshot)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("middle of the log"), ex.getMessage());
        try (Cubby store = Cubby.builder(snapshot).formatVersion(1).salvage(true).open())
        {
            final int present = checkPrefix(store, "salvaged");
            assertTrue(present > 0 && present < ENTRIES, "salvage keeps the records before the damage: " + present);
        }
    }

    @Test
    void truncatedLogFileIsRejectedAfterAnUncleanShutdown(@TempDir final Path tmp) throws Exception
    {
        final Path snapshot = snapshot(tmp);
        try (FileChannel channel = FileChannel.open(snapshot.resolve(WalDescriptor.FILE_NAME), StandardOpenOption.WRITE))
        {
            channel.truncate(1000);
        }
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class, () -> Cubby.builder(snapshot)
            .formatVersion(1).open());
        assertTrue(ex.getMessage().contains("wal.log"), ex.getMessage());
    }

    @Test
    void damagedLogHeaderAfterCleanCloseIsReplaced(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            store.put(bytes("a"), bytes("1"));
        }
        final Path log = dir.resolve(WalDescriptor.FILE_NAME);
        final byte[] bytes = Files.readAllBytes(log);
        bytes[3] ^= 1;
        Files.write(log, bytes);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            assertEquals("1", text(store.get(bytes("a"))));
            assertTrue(store.recoveryReport().logTailProblem.startsWith("log replaced"));
        }
    }
}
