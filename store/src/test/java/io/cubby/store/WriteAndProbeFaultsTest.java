package io.cubby.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One regression test per fault class of the recovery review: write ordering during a rehash in NONE mode,
 * corruption on the probe path reported as corruption, non-regular files and read-only file systems.
 */
class WriteAndProbeFaultsTest
{
    @AfterEach
    void uninstall()
    {
        CrashPoints.Hook.installed = null;
    }

    private static Cubby.Builder small(final Path dir, final Durability durability)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).expectedEntries(8).migrationStep(1)
            .durability(durability).preallocate(false);
    }

    /** Fill a store until a rehash starts; returns the keys written, all still in the source table. */
    private static int fillUntilRehash(final Cubby store)
    {
        int i = 0;
        while (null == store.sourceTable())
        {
            store.put(bytes("k" + i), bytes("old" + i));
            i++;
        }
        return i;
    }

    /** Run an operation and copy the store files the first time {@code point} fires during it. */
    private static void captureAt(
        final Path live, final Path image, final String point, final Consumer<Void> operation)
    {
        final boolean[] taken = { false };
        CrashPoints.Hook.installed = reached ->
        {
            if (!taken[0] && reached.equals(point))
            {
                taken[0] = true;
                try
                {
                    CrashPointEnumerationTest.copyFiles(live, image);
                }
                catch (final IOException ex)
                {
                    throw new AssertionError(ex);
                }
            }
        };
        try
        {
            operation.accept(null);
        }
        finally
        {
            CrashPoints.Hook.installed = null;
        }
        assertTrue(taken[0], point + " never reached");
    }

    private static boolean holds(final Table table, final String key)
    {
        final org.agrona.concurrent.UnsafeBuffer buffer = new org.agrona.concurrent.UnsafeBuffer(bytes(key));
        return table.find(table.hash(buffer, 0, key.length()), buffer, 0, key.length()) >= 0;
    }

    /** A key waiting in the rehash source, beyond the slots the next few writes migrate. */
    private static String keyOnlyInSource(final Cubby store, final int written, final int skip)
    {
        int seen = 0;
        for (int i = 0; i < written; i++)
        {
            final String key = "k" + i;
            final org.agrona.concurrent.UnsafeBuffer buffer = new org.agrona.concurrent.UnsafeBuffer(bytes(key));
            final Table source = store.sourceTable();
            final long index = source.find(source.hash(buffer, 0, key.length()), buffer, 0, key.length());
            if (index > store.migrationCursor() + 4 && !holds(store.currentTable(), key) && seen++ == skip)
            {
                return key;
            }
        }
        throw new AssertionError("no key waits in the source");
    }

    @Test
    void putOfAKeyStillInTheRehashSourceIsNeverLostWhenKilledBetweenItsStepsInNoneMode(@TempDir final Path tmp)
    {
        final Path live = tmp.resolve("live");
        final Path beforeVisible = tmp.resolve("before-visible");
        final Path afterVisible = tmp.resolve("after-visible");
        final String first;
        final String second;
        try (Cubby store = small(live, Durability.NONE).open())
        {
            final int written = fillUntilRehash(store);
            first = keyOnlyInSource(store, written, 0);
            second = keyOnlyInSource(store, written, 1);
            // Killed with the new copy written but not yet visible: the source copy must still be there.
            captureAt(live, beforeVisible, "insert.body-written", x -> store.put(bytes(first), bytes("new")));
            // Killed with the new copy visible and the source copy not yet tombstoned: the new copy shadows it.
            captureAt(live, afterVisible, "insert.slot-full", x -> store.put(bytes(second), bytes("new")));
        }
        try (Cubby recovered = Cubby.builder(beforeVisible).formatVersion(1).open())
        {
            assertEquals("old" + first.substring(1), text(recovered.get(bytes(first))));
            assertTrue(recovered.verify().isOk());
        }
        try (Cubby recovered = Cubby.builder(afterVisible).formatVersion(1).open())
        {
            assertEquals("new", text(recovered.get(bytes(first))));
            assertEquals("new", text(recovered.get(bytes(second))));
            assertTrue(recovered.verify().isOk());
        }
    }

    @Test
    void removeOfAMigratedKeyNeverBringsBackItsOlderSourceValue(@TempDir final Path tmp)
    {
        final Path live = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        final String key;
        try (Cubby store = small(live, Durability.NONE).open())
        {
            final int filled = fillUntilRehash(store);
            // Migrate slots (one per put) until one of the filled keys has been copied into the current table
            // while its old value stays in the source, below the cursor (the first slots may hold none: the seed
            // is random).
            String migrated = null;
            for (int z = 0; null == migrated; z++)
            {
                assertNotNull(store.sourceTable(), "the rehash ended before any filled key was migrated");
                store.put(bytes("z" + z), bytes("z"));
                for (int i = 0; i < filled && null == migrated && null != store.sourceTable(); i++)
                {
                    final String k = "k" + i;
                    final org.agrona.concurrent.UnsafeBuffer buffer =
                        new org.agrona.concurrent.UnsafeBuffer(bytes(k));
                    final long hash = store.currentTable().hash(buffer, 0, k.length());
                    if (store.currentTable().find(hash, buffer, 0, k.length()) >= 0 &&
                        store.sourceTable().find(hash, buffer, 0, k.length()) >= 0)
                    {
                        migrated = k;
                    }
                }
            }
            key = migrated;
            store.put(bytes(key), bytes("newest"));
            captureAt(live, image, "remove.source-tombstoned", x -> store.remove(bytes(key)));
        }
        try (Cubby recovered = Cubby.builder(image).formatVersion(1).open())
        {
            final String value = text(recovered.get(bytes(key)));
            assertTrue(null == value || "newest".equals(value), "recovered " + key + " = " + value);
            assertTrue(recovered.verify().isOk());
        }
    }

    // ---------------------------------------------------------------- corruption on the probe path

    /** A closed store with one key; returns the byte offset of the key's slot in its table file. */
    private static long storeWithOneKey(final Path dir, final String key) throws Exception
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).expectedEntries(8)
            .open())
        {
            store.put(bytes(key), bytes("value"));
        }
        final Path table = StoreTestSupport.tableFile(dir);
        try (FileChannel channel = FileChannel.open(table, StandardOpenOption.READ))
        {
            final TableHeader header = TableHeader.read(table, channel);
            for (long i = 0; i < header.capacity; i++)
            {
                final long slot = header.headerLength + i * header.slotLength;
                final ByteBuffer state = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                channel.read(state, slot);
                if (state.getInt(0) == SlotDescriptor.STATE_FULL)
                {
                    return slot;
                }
            }
        }
        throw new AssertionError("no full slot");
    }

    private static void putInt(final Path file, final long offset, final int value) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value), offset);
        }
    }

    private static void flipByte(final Path file, final long offset) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer b = ByteBuffer.allocate(1);
            channel.read(b, offset);
            b.put(0, (byte)(b.get(0) ^ 0x41));
            channel.write(b.clear(), offset);
        }
    }

    @Test
    void getReportsCorruptionWhenTheProbedSlotHasADamagedKey(@TempDir final Path tmp) throws Exception
    {
        final long slot = storeWithOneKey(tmp, "alpha");
        flipByte(StoreTestSupport.tableFile(tmp), slot + SlotDescriptor.keyOffset(false) + 1);
        try (Cubby store = Cubby.builder(tmp).formatVersion(1).readOnly(true).open())
        {
            assertThrows(CorruptStoreException.class, () -> store.get(bytes("alpha")));
            assertThrows(CorruptStoreException.class, () -> store.containsKey(bytes("alpha")));
        }
    }

    @Test
    void getReportsCorruptionWhenTheProbedSlotHasADamagedKeyLength(@TempDir final Path tmp) throws Exception
    {
        final long slot = storeWithOneKey(tmp, "alpha");
        final Path table = StoreTestSupport.tableFile(tmp);
        putInt(table, slot + SlotDescriptor.KEY_LENGTH_OFFSET, 4);
        try (Cubby store = Cubby.builder(tmp).formatVersion(1).readOnly(true).open())
        {
            assertThrows(CorruptStoreException.class, () -> store.get(bytes("alpha")));
        }
        putInt(table, slot + SlotDescriptor.KEY_LENGTH_OFFSET, 0x7000_0000);
        try (Cubby store = Cubby.builder(tmp).formatVersion(1).readOnly(true).open())
        {
            assertThrows(CorruptStoreException.class, () -> store.get(bytes("alpha")));
        }
    }

    @Test
    void getReportsCorruptionWhenTheProbedSlotHasADamagedHashOrState(@TempDir final Path tmp) throws Exception
    {
        final long slot = storeWithOneKey(tmp, "alpha");
        final Path table = StoreTestSupport.tableFile(tmp);
        flipByte(table, slot + SlotDescriptor.HASH_OFFSET + 3);
        try (Cubby store = Cubby.builder(tmp).formatVersion(1).readOnly(true).open())
        {
            // The damaged hash usually moves the key off its home slot; where the probe still crosses it,
            // the key found under another hash is reported.
            try
            {
                assertEquals(null, store.get(bytes("alpha")));
            }
            catch (final CorruptStoreException expected)
            {
                // reported
            }
        }
        flipByte(table, slot + SlotDescriptor.HASH_OFFSET + 3);
        putInt(table, slot + SlotDescriptor.STATE_OFFSET, 7);
        try (Cubby store = Cubby.builder(tmp).formatVersion(1).readOnly(true).open())
        {
            assertThrows(CorruptStoreException.class, () -> store.get(bytes("alpha")));
        }
    }

    @Test
    void aDamagedRehashSourceIsReportedAsCorruptionNotAsAForeignDirectory(@TempDir final Path tmp) throws Exception
    {
        final long sourceGeneration;
        try (Cubby store = small(tmp, Durability.SYNC).open())
        {
            fillUntilRehash(store);
            sourceGeneration = store.sourceTable().generation;
        }
        final Path source = tmp.resolve(TableDescriptor.fileName(sourceGeneration));
        assertTrue(Files.exists(source), "closed mid-rehash: the source stays");
        flipByte(source, TableDescriptor.MAGIC_OFFSET);
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(tmp).formatVersion(1).readOnly(true).open()
            .close());
        assertThrows(CorruptStoreException.class, () -> Cubby.builder(tmp).formatVersion(1).open().close());
    }

    // ---------------------------------------------------------------- non-regular files, read-only media

    static void mkfifo(final Path path) throws Exception
    {
        Files.deleteIfExists(path);
        final Process process;
        try
        {
            process = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            Assumptions.abort("mkfifo is not available: " + ex.getMessage());
            return;
        }
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        Assumptions.assumeTrue(process.exitValue() == 0, "mkfifo failed");
    }

    private static void assertRefusedWithoutHanging(final Path dir, final String what)
    {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
        {
            final Exception readOnly = assertThrows(CubbyException.class,
                () -> Cubby.builder(dir).formatVersion(1).readOnly(true).open().close(), what + ": read-only open");
            assertTrue(readOnly.getMessage().contains("not a regular file"), readOnly.getMessage());
            assertThrows(CubbyException.class, () -> Cubby.builder(dir).formatVersion(1).open()
                .close(), what + ": writable open");
            assertThrows(CubbyException.class, () -> Cubby.inspect(dir), what + ": inspect");
        }, what + " hangs");
    }

    @Test
    void aFifoInPlaceOfATableFileIsRefusedInsteadOfBlocking(@TempDir final Path tmp) throws Exception
    {
        storeWithOneKey(tmp, "alpha");
        mkfifo(StoreTestSupport.tableFile(tmp));
        assertRefusedWithoutHanging(tmp, "FIFO table file");
    }

    @Test
    void aFifoInPlaceOfANewerTableIsRefusedInsteadOfBlocking(@TempDir final Path tmp) throws Exception
    {
        storeWithOneKey(tmp, "alpha");
        final long generation = StoreDirectory.tableGenerations(tmp).get(0);
        mkfifo(tmp.resolve(TableDescriptor.fileName(generation + 1)));
        assertRefusedWithoutHanging(tmp, "FIFO newer table");
    }

    @Test
    void aFifoInPlaceOfTheLockFileIsRefusedInsteadOfBlocking(@TempDir final Path tmp) throws Exception
    {
        storeWithOneKey(tmp, "alpha");
        mkfifo(tmp.resolve(StoreLock.FILE_NAME));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
        {
            assertThrows(StoreIOException.class, () -> Cubby.builder(tmp).formatVersion(1).readOnly(true).open()
                .close());
            assertThrows(StoreIOException.class, () -> Cubby.builder(tmp).formatVersion(1).open().close());
            assertEquals(false, Cubby.inspect(tmp).lockedByAnotherProcess);
        });
    }

    @Test
    void aFifoInPlaceOfTheLogNeverBlocksAndIsRefusedAfterAnUncleanShutdown(@TempDir final Path tmp) throws Exception
    {
        storeWithOneKey(tmp, "alpha");
        mkfifo(tmp.resolve(WalDescriptor.FILE_NAME));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
        {
            // inspect reports the log problem; a read-only open does not need the log
            assertTrue(String.valueOf(Cubby.inspect(tmp).logProblem).contains("not a regular file"));
            try (Cubby store = Cubby.builder(tmp).formatVersion(1).readOnly(true).open())
            {
                assertEquals("value", text(store.get(bytes("alpha"))));
            }
        });
    }

    @Test
    void readOnlyOpensWorkOnAReadOnlyFileSystemWithoutALockFile(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        storeWithOneKey(dir, "alpha");
        Files.delete(dir.resolve(StoreLock.FILE_NAME));
        final Path mount = tmp.resolve("ro");
        Files.createDirectories(mount);
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
            "needs root to bind-mount the store read-only");
        Assumptions.assumeTrue(run("mount", "--bind", dir.toString(), mount.toString()),
            "bind mounts are not permitted here");
        try
        {
            Assumptions.assumeTrue(run("mount", "-o", "remount,bind,ro", mount.toString()),
                "read-only remount is not permitted here");
            Assumptions.assumeFalse(Files.isWritable(mount), "the mount is still writable");
            try (Cubby store = Cubby.builder(mount).formatVersion(1).readOnly(true).open())
            {
                assertEquals("value", text(store.get(bytes("alpha"))));
                assertTrue(store.verify().isOk());
                assertEquals(1, store.size());
                assertNotNull(store.stats());
                final int[] visited = { 0 };
                store.forEach((k, ko, kl, v, vo, vl) -> visited[0]++);
                assertEquals(1, visited[0]);
            }
            assertTrue(Files.notExists(mount.resolve(StoreLock.FILE_NAME)));
            assertThrows(CubbyException.class, () -> Cubby.builder(mount).formatVersion(1).open().close(),
                "a writable open needs its lock file");
        }
        finally
        {
            // lazily: the closed store's mappings are released only when collected
            run("umount", "-l", mount.toString());
        }
    }

    static boolean run(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    }
}
