package io.cubby.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.cubby.store.FormatVersion2RefusalTest.hashes;
import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Read-only opens of a version-2 store: they take no lock and write no byte, read a closed store whole, follow a
 * writer (another instance here; the files and mappings are shared exactly as with another process) through its
 * growth and removals, never return a torn or older value while it writes, and are not hung by a writer that died
 * inside a write.
 */
class FormatVersion2ReadOnlyTest
{
    @AfterEach
    void uninstall()
    {
        CrashPoints.Hook.installed = null;
    }

    private static Cubby.Builder writer(final Path dir)
    {
        return Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(40).expectedEntries(16)
            .durability(Durability.NONE);
    }

    private static Cubby reader(final Path dir)
    {
        return Cubby.builder(dir).readOnly(true).open();
    }

    /** Random puts and removes over a key space that widens, so the segments grow several times. */
    private static void randomWrites(final Cubby store, final Map<String, String> model, final SplittableRandom random,
        final int operations, final Runnable afterEach)
    {
        for (int i = 0; i < operations; i++)
        {
            final String key = "k" + random.nextInt(16 + i / 3);
            if (random.nextInt(10) < 3)
            {
                store.remove(bytes(key));
                model.remove(key);
            }
            else
            {
                final String value = "v" + i + "-" + "x".repeat(random.nextInt(30));
                store.put(bytes(key), bytes(value));
                model.put(key, value);
            }
            afterEach.run();
        }
    }

    @Test
    void aClosedStoreReadsWholeAndNoByteChanges(@TempDir final Path dir) throws Exception
    {
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = writer(dir).open())
        {
            randomWrites(store, model, new SplittableRandom(3), 3000, () -> { });
        }
        final Map<String, String> before = hashes(dir);
        try (Cubby store = reader(dir))
        {
            assertTrue(store.isReadOnly());
            assertEquals(2, store.formatVersion());
            assertFalse(store.hasLiveWriter());
            assertTrue(store.recoveryReport().cleanShutdown);
            StoreTestSupport.assertMatchesModel(store, model, "read-only open");
            assertTrue(store.verify().notChecked.isEmpty());
            assertEquals(model.size(), store.stats().size);
            assertEquals(-1, store.stats().hits, "no statistics unless asked");
            final Map<String, String> iterated = new HashMap<>();
            for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
            {
                final Map.Entry<byte[], byte[]> entry = it.next();
                assertNull(iterated.put(text(entry.getKey()), text(entry.getValue())), "returned twice");
                assertThrows(ReadOnlyStoreException.class, it::remove);
            }
            assertEquals(model, iterated);
            final Set<String> keys = new HashSet<>();
            store.keys().forEachRemaining(k -> keys.add(text(k)));
            assertEquals(model.keySet(), keys);
            assertNull(store.get(bytes("absent")));
            assertFalse(store.containsKey(bytes("absent")));
            final String some = model.keySet().iterator().next();
            assertThrows(ReadOnlyStoreException.class, () -> store.put(bytes("new"), bytes("v")));
            assertThrows(ReadOnlyStoreException.class, () -> store.remove(bytes(some)));
            assertThrows(ReadOnlyStoreException.class, () -> store.putIfAbsent(bytes("new"), bytes("v")));
            assertThrows(ReadOnlyStoreException.class, () -> store.compute(bytes(some), (k, v) -> null));
            assertThrows(ReadOnlyStoreException.class, store::checkpoint);
            assertThrows(ReadOnlyStoreException.class, store::compact);
            assertEquals(model.get(some), text(store.get(bytes(some))), "a refused write changed nothing");
        }
        assertEquals(before, hashes(dir), "a read-only open wrote a byte or a file");
        try (Cubby store = Cubby.builder(dir).readOnly(true).recordStats(true).open())
        {
            final String some = model.keySet().iterator().next();
            store.get(bytes(some));
            store.containsKey(bytes(some));
            store.get(bytes("absent"));
            assertEquals(2, store.stats().hits);
            assertEquals(1, store.stats().misses);
        }
    }

    @Test
    void aReaderLeavesOutExpiredEntriesAndReportsDeadlines(@TempDir final Path dir) throws Exception
    {
        final Map<String, String> lasting = new HashMap<>();
        final Map<String, String> expiring = new HashMap<>();
        try (Cubby writer = writer(dir).expiry(true).open(); Cubby reader = reader(dir))
        {
            for (int i = 0; i < 200; i++)
            {
                final String key = "k" + i;
                if (i % 3 == 0)
                {
                    writer.put(bytes(key), bytes("e" + i), java.time.Duration.ofHours(1));
                    expiring.put(key, "e" + i);
                }
                else
                {
                    writer.put(bytes(key), bytes("l" + i));
                    lasting.put(key, "l" + i);
                }
            }
            final Map<String, String> all = new HashMap<>(lasting);
            all.putAll(expiring);
            StoreTestSupport.assertMatchesModel(reader, all, "before the deadlines");
            final String one = expiring.keySet().iterator().next();
            assertTrue(reader.hasExpiry(), "the reader has the store's expiry flag");
            assertEquals(writer.expiresAtMillis(bytes(one)), reader.expiresAtMillis(bytes(one)));
            assertEquals(0, reader.expiresAtMillis(bytes(lasting.keySet().iterator().next())));
            ExpiryClock.advance(java.util.concurrent.TimeUnit.HOURS.toMillis(2));
            for (final String key : expiring.keySet())
            {
                assertNull(reader.get(bytes(key)), key + " expired");
                assertEquals(Cubby.MISSING, reader.expiresAtMillis(bytes(key)));
            }
            assertEquals(lasting.size(), reader.size());
            assertEquals(all.size(), reader.estimatedSize(), "expired entries stay counted until reclaimed");
            final Map<String, String> visited = new HashMap<>();
            reader.forEach((k, ko, kl, v, vo, vl) -> visited.put(k.getStringWithoutLengthAscii(ko, kl),
                v.getStringWithoutLengthAscii(vo, vl)));
            assertEquals(lasting, visited);
            final Set<String> keys = new HashSet<>();
            reader.keys().forEachRemaining(k -> keys.add(text(k)));
            assertEquals(lasting.keySet(), keys);
        }
    }

    @Test
    void aReadOnlyOpenWorksOnAReadOnlyFileSystemWithoutALockFile(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = writer(dir).open())
        {
            randomWrites(store, model, new SplittableRandom(13), 500, () -> { });
        }
        Files.deleteIfExists(dir.resolve(StoreLock.FILE_NAME));
        final Path mount = Files.createDirectories(tmp.resolve("ro"));
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
            "needs root to bind-mount the store read-only");
        org.junit.jupiter.api.Assumptions.assumeTrue(
            WriteAndProbeFaultsTest.run("mount", "--bind", dir.toString(), mount.toString()),
            "bind mounts are not permitted here");
        try
        {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                WriteAndProbeFaultsTest.run("mount", "-o", "remount,bind,ro", mount.toString()),
                "read-only remount is not permitted here");
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(mount), "the mount is still writable");
            try (Cubby store = reader(mount))
            {
                assertFalse(store.hasLiveWriter());
                StoreTestSupport.assertMatchesModel(store, model, "read-only file system");
                assertTrue(null != store.stats());
            }
            assertTrue(Files.notExists(mount.resolve(StoreLock.FILE_NAME)));
            assertThrows(CubbyException.class, () -> writer(mount).open().close(), "a writable open is refused");
        }
        finally
        {
            // lazily: the closed store's mappings are released only when collected
            WriteAndProbeFaultsTest.run("umount", "-l", mount.toString());
        }
    }

    @Test
    void aReadOnlyOpenCreatesNothing(@TempDir final Path tmp) throws Exception
    {
        final Path missing = tmp.resolve("missing");
        assertThrows(NotAStoreException.class, () -> Cubby.builder(missing).formatVersion(2).readOnly(true).open());
        assertFalse(Files.exists(missing));
        final Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertThrows(NotAStoreException.class, () -> Cubby.builder(empty).formatVersion(2).readOnly(true).open());
        try (Stream<Path> files = Files.list(empty))
        {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aReaderFollowsAWriterThroughGrowthRemovalsAndReopens(@TempDir final Path dir) throws Exception
    {
        final Map<String, String> model = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(11);
        Cubby store = writer(dir).open();
        try (Cubby reader = reader(dir))
        {
            assertTrue(reader.hasLiveWriter());
            assertFalse(reader.recoveryReport().cleanShutdown, "a live writer's store is not known clean");
            for (int round = 0; round < 3; round++)
            {
                final Cubby writing = store;
                final int[] done = {0};
                randomWrites(writing, model, random, 1500, () ->
                {
                    // every key the writer touched reads as the model says, at once
                    if (++done[0] % 7 == 0)
                    {
                        for (final String key : List.of("k0", "k1", "k" + (done[0] % 50)))
                        {
                            assertEquals(model.get(key), text(reader.get(bytes(key))), "after " + done[0]);
                        }
                    }
                    if (done[0] % 500 == 0)
                    {
                        StoreTestSupport.assertMatchesModel(reader, model, "reader, round at " + done[0]);
                        assertTrue(reader.verify().notChecked.isEmpty());
                        assertTrue(writing.stats().generation >= 1);
                    }
                });
                StoreTestSupport.assertMatchesModel(reader, model, "reader after round " + round);
                assertTrue(store.stats().generation > 1, "the segments grew");
                store.close();
                assertFalse(reader.hasLiveWriter());
                StoreTestSupport.assertMatchesModel(reader, model, "reader after the writer closed");
                store = writer(dir).open();
                assertTrue(reader.hasLiveWriter());
            }
        }
        finally
        {
            store.close();
        }
    }

    @Test
    @Timeout(300)
    void concurrentReadsNeverSeeATornOrAnOlderValue(@TempDir final Path dir) throws Exception
    {
        final int keys = 64;
        final int rounds = 300;
        try (Cubby store = writer(dir).open(); Cubby reader = reader(dir))
        {
            final AtomicBoolean writing = new AtomicBoolean(true);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread getter = new Thread(() ->
            {
                final int[] last = new int[keys];
                java.util.Arrays.fill(last, -1);
                try
                {
                    while (writing.get())
                    {
                        for (int k = 0; k < keys; k++)
                        {
                            final byte[] value = reader.get(bytes("k" + k));
                            if (null != value)
                            {
                                final int round = parse(k, text(value));
                                assertTrue(round >= last[k], "k" + k + " went back from " + last[k] + " to " + round);
                                last[k] = round;
                            }
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            });
            final Thread scanner = new Thread(() ->
            {
                try
                {
                    while (writing.get())
                    {
                        final Set<String> seen = new HashSet<>();
                        reader.forEach((k, ko, kl, v, vo, vl) ->
                        {
                            final String key = k.getStringWithoutLengthAscii(ko, kl);
                            assertTrue(seen.add(key), key + " visited twice in one scan");
                            if (key.startsWith("k"))
                            {
                                parse(Integer.parseInt(key.substring(1)), v.getStringWithoutLengthAscii(vo, vl));
                            }
                        });
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            });
            getter.start();
            scanner.start();
            try
            {
                for (int round = 0; round < rounds && null == failure.get(); round++)
                {
                    for (int k = 0; k < keys; k++)
                    {
                        store.put(bytes("k" + k), bytes(value(k, round)));
                    }
                    // fresh keys keep the segments growing while the others are rewritten
                    for (int g = 0; g < 4; g++)
                    {
                        store.put(bytes("g" + (round * 4 + g)), bytes("grow"));
                    }
                }
            }
            finally
            {
                writing.set(false);
                getter.join();
                scanner.join();
            }
            if (null != failure.get())
            {
                throw new AssertionError("reader failed", failure.get());
            }
            for (int k = 0; k < keys; k++)
            {
                assertEquals(value(k, rounds - 1), text(reader.get(bytes("k" + k))));
            }
            assertEquals(keys + rounds * 4, reader.size());
        }
    }

    /** A value whose every byte depends on its key and round, of a length that varies with the round. */
    private static String value(final int key, final int round)
    {
        final String head = key + ":" + round + ":";
        final StringBuilder text = new StringBuilder(head);
        for (int i = 0; i < round % 25; i++)
        {
            text.append((char)('a' + (key + round + i) % 26));
        }
        return text.toString();
    }

    /** The round of a well-formed value of the key; fails on a torn or foreign one. */
    private static int parse(final int key, final String value)
    {
        final String[] parts = value.split(":", -1);
        assertEquals(3, parts.length, "malformed value " + value);
        assertEquals(String.valueOf(key), parts[0], "value of another key: " + value);
        final int round = Integer.parseInt(parts[1]);
        assertEquals(value(key, round), value, "torn value");
        return round;
    }

    /**
     * Put "updated" for {@code key}, copying the store's files to {@code image} at the first of {@code points} the
     * put reaches: the image is what a kill at that instant leaves.
     */
    private static void putWithImageAt(final Cubby store, final String key, final Set<String> points, final Path dir,
        final Path image)
    {
        CrashPoints.Hook.installed = point ->
        {
            if (points.contains(point) && !Files.exists(image))
            {
                try
                {
                    CrashPointEnumerationTest.copyFiles(dir, image);
                }
                catch (final Exception ex)
                {
                    throw new AssertionError(ex);
                }
            }
        };
        try
        {
            store.put(bytes(key), bytes("updated"));
        }
        finally
        {
            CrashPoints.Hook.installed = null;
        }
    }

    /** Steps of a put inside the segment's bracket (FORMAT-v2.md 8.1, 8.2). */
    private static final Set<String> IN_BRACKET = Set.of("v2.update.slot-written", "v2.insert.slot-written",
        "v2.slot.value-written");

    @Test
    @Timeout(120)
    void aWriterKilledInsideAWriteDoesNotHangReadersAndNothingChanges(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        final Map<String, String> model = new HashMap<>();
        try (Cubby store = writer(dir).open())
        {
            randomWrites(store, model, new SplittableRandom(5), 600, () -> { });
            final String key = model.keySet().iterator().next();
            final String before = model.get(key);
            // inside the segment's bracket: the copy is what a kill at this instant leaves
            putWithImageAt(store, key, IN_BRACKET, dir, image);
            assertTrue(Files.exists(image));
            final Map<String, String> hashesBefore = hashes(image);
            try (Cubby reader = reader(image))
            {
                assertFalse(reader.hasLiveWriter());
                assertFalse(reader.recoveryReport().cleanShutdown);
                for (final Map.Entry<String, String> entry : model.entrySet())
                {
                    if (entry.getKey().equals(key))
                    {
                        try
                        {
                            final String seen = text(reader.get(bytes(key)));
                            assertTrue(before.equals(seen) || "updated".equals(seen), "in-flight key read " + seen);
                        }
                        catch (final CorruptStoreException torn)
                        {
                            assertTrue(torn.getMessage().contains("needs recovery"), torn.getMessage());
                        }
                        continue;
                    }
                    assertEquals(entry.getValue(), text(reader.get(bytes(entry.getKey()))), entry.getKey());
                }
                final List<String> corrupt = new ArrayList<>();
                final Map<String, String> visited = new HashMap<>();
                reader.forEach((k, ko, kl, v, vo, vl) -> visited.put(k.getStringWithoutLengthAscii(ko, kl),
                    v.getStringWithoutLengthAscii(vo, vl)), (k, ko, kl, problem) -> corrupt.add(problem.getMessage()));
                assertTrue(corrupt.size() <= 1, corrupt.toString());
                for (final String problem : corrupt)
                {
                    assertTrue(problem.contains("needs recovery"), problem);
                }
                visited.remove(key);
                final Map<String, String> others = new HashMap<>(model);
                others.remove(key);
                assertEquals(others, visited);
                reader.verify();
            }
            assertEquals(hashesBefore, hashes(image), "the read-only open changed the image");
        }
        try (Cubby recovered = writer(image).open())
        {
            assertTrue(recovered.verify().isOk(), "a writable open recovers what the reader read as it stood");
        }
    }

    /**
     * A writer killed inside an update leaves a torn slot and its segment's sequence word odd. A writer opened on
     * the store afterwards recovers it: until its recovery has rolled the slot back, a reader must not validate a
     * read of that slot (it reports "needs recovery" while the word is the dead writer's, and waits once the
     * recovering writer has moved it), and it must never report the torn slot as plain corruption.
     */
    @Test
    @Timeout(120)
    void aRestartedWritersRecoveryKeepsReadersOffATornSlotUntilItIsRepaired(@TempDir final Path tmp)
        throws Exception
    {
        final Path dir = tmp.resolve("live");
        final Path image = tmp.resolve("image");
        final Map<String, String> model = new HashMap<>();
        final String key;
        try (Cubby store = writer(dir).open())
        {
            randomWrites(store, model, new SplittableRandom(11), 600, () -> { });
            key = model.keySet().iterator().next();
            // the value is written, its checksum not yet: a kill here tears the slot
            putWithImageAt(store, key, Set.of("v2.slot.value-written"), dir, image);
        }
        assertTrue(Files.exists(image));
        final int segment;
        try (Manifest manifest = Manifest.open(image, true))
        {
            final List<Integer> odd = new ArrayList<>();
            for (int s = 0; s < manifest.segmentCount; s++)
            {
                if ((manifest.readSequence(s) & 1) != 0)
                {
                    odd.add(s);
                }
            }
            assertEquals(1, odd.size(), "segments left inside a bracket: " + odd);
            segment = odd.get(0);
        }
        final java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newCachedThreadPool();
        try (Cubby reader = reader(image); Manifest watch = Manifest.open(image, true))
        {
            final CorruptStoreException torn = assertThrows(CorruptStoreException.class,
                () -> reader.get(bytes(key)));
            assertTrue(torn.getMessage().contains("needs recovery"), torn.getMessage());
            final List<String> scanned = new ArrayList<>();
            reader.forEach((k, ko, kl, v, vo, vl) -> { }, (k, ko, kl, problem) -> scanned.add(problem.getMessage()));
            assertEquals(1, scanned.size(), scanned.toString());
            assertTrue(scanned.get(0).contains("needs recovery"), scanned.get(0));
            final long deadWord = watch.readSequence(segment);
            final Map<String, java.util.concurrent.Future<String>> reads = new java.util.LinkedHashMap<>();
            CrashPoints.Hook.installed = point ->
            {
                if (!point.startsWith("v2.recover."))
                {
                    return;
                }
                final long word = watch.readSequence(segment);
                assertTrue((word & 1) != 0, point + ": the segment's word is even (" + word + ") before the " +
                    "recovery is done");
                final java.util.concurrent.Future<String> read = readers.submit(() ->
                {
                    try
                    {
                        return text(reader.get(bytes(key)));
                    }
                    catch (final CorruptStoreException ex)
                    {
                        return "error: " + ex.getMessage();
                    }
                });
                if (word != deadWord)
                {
                    // the recovering writer moved the word: the reader waits for the end of the recovery
                    try
                    {
                        read.get(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                        throw new AssertionError(point + ": a read returned while recovery held the segment");
                    }
                    catch (final java.util.concurrent.TimeoutException expected)
                    {
                        // still waiting, as it must
                    }
                    catch (final Exception ex)
                    {
                        throw new AssertionError(ex);
                    }
                }
                reads.put(point + " (word " + word + ")", read);
            };
            final String recoveredValue;
            try (Cubby recovered = writer(image).open())
            {
                CrashPoints.Hook.installed = null;
                recoveredValue = text(recovered.get(bytes(key)));
                assertTrue(model.get(key).equals(recoveredValue) || "updated".equals(recoveredValue),
                    recoveredValue);
                assertTrue(recovered.verify().isOk());
                assertEquals(0, watch.readSequence(segment) & 1, "the word is even once the store is open");
                assertTrue(reads.keySet().stream().anyMatch(p -> p.startsWith("v2.recover.set-opened")),
                    reads.keySet().toString());
                assertTrue(reads.keySet().stream().anyMatch(p -> p.startsWith("v2.recover.repaired")),
                    reads.keySet().toString());
                for (final Map.Entry<String, java.util.concurrent.Future<String>> read : reads.entrySet())
                {
                    final String seen = read.getValue().get(30, java.util.concurrent.TimeUnit.SECONDS);
                    assertTrue(recoveredValue.equals(seen) || seen.startsWith("error: ") &&
                        seen.contains("needs recovery"), read.getKey() + ": " + seen);
                }
                assertEquals(recoveredValue, text(reader.get(bytes(key))));
            }
        }
        finally
        {
            CrashPoints.Hook.installed = null;
            readers.shutdownNow();
        }
    }

    @Test
    void aDamagedManifestIsRefusedWithoutAChange(@TempDir final Path dir) throws Exception
    {
        try (Cubby store = writer(dir).open())
        {
            store.put(bytes("a"), bytes("1"));
        }
        final Path manifest = dir.resolve(ManifestDescriptor.FILE_NAME);
        final byte[] original = Files.readAllBytes(manifest);
        Files.write(manifest, java.util.Arrays.copyOf(original, original.length / 2));
        final Map<String, String> before = hashes(dir);
        assertThrows(CubbyException.class, () -> reader(dir));
        assertEquals(before, hashes(dir));
        final byte[] flipped = original.clone();
        flipped[20] ^= 0x40;
        Files.write(manifest, flipped);
        final Map<String, String> flippedBefore = hashes(dir);
        assertThrows(CubbyException.class, () -> reader(dir));
        assertEquals(flippedBefore, hashes(dir));
        Files.write(manifest, original);
        try (Cubby store = reader(dir))
        {
            assertArrayEquals(bytes("1"), store.get(bytes("a")));
        }
    }
}
