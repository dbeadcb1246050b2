package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine v2's store core against a {@code HashMap} model: seeded random puts and removes across reopens, in every
 * durability mode, with a log small enough that it fills and checkpoints many times; two writers at once; bad
 * arguments refused before anything changes.
 */
class SegmentStoreTest
{
    static final SegmentParams PARAMS = new SegmentParams(3, 16, 40, 0, 0xC0FFEEL, SegmentParams.DEFAULT_MAX_LOAD_PPM);

    @Test
    void randomWritesMatchTheModelAcrossReopensAndLogCheckpoints(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        final Random random = new Random(7);
        final Map<String, byte[]> model = new HashMap<>();
        final long capacity = SegmentLogDescriptor.minCapacity(PARAMS.segmentBits);
        long checkpoints = 0;
        SegmentStore store = SegmentStore.create(dir, PARAMS, 1, capacity, Durability.NONE, Duration.ofMillis(50));
        try
        {
            for (int round = 0; round < 6; round++)
            {
                for (int i = 0; i < 4000; i++)
                {
                    final String key = "key" + random.nextInt(1500);
                    if (random.nextInt(4) == 0)
                    {
                        assertEquals(null != model.remove(key), store.remove(bytes(key), 0, key.length()), key);
                    }
                    else
                    {
                        final byte[] value = ("v" + i + "-" + round + "-" + key).getBytes(StandardCharsets.US_ASCII);
                        final byte[] old = model.put(key, value);
                        assertEquals(null == old,
                            store.put(bytes(key), 0, key.length(), new UnsafeBuffer(value), 0, value.length), key);
                    }
                }
                assertMatches(store, model);
                checkpoints += store.checkpointCount();
                store.close();
                final Durability next = Durability.values()[round % Durability.values().length];
                store = SegmentStore.open(dir, next, Duration.ofMillis(20), false);
                assertMatches(store, model);
                for (int s = 0; s < store.segments().segmentCount(); s++)
                {
                    assertEquals(List.of(), SegmentVerifier.verify(store.segments().segment(s).current()), "segment " + s);
                }
            }
        }
        finally
        {
            store.close();
        }
        assertTrue(checkpoints > 6, "the log filled and was checkpointed: " + checkpoints);
    }

    @Test
    void twoWritersOfOneStoreKeepEveryWrite(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Map<String, byte[]> model = new ConcurrentHashMap<>();
        try (SegmentStore store = SegmentStore.create(dir, PARAMS, 1, 1 << 18, Durability.SYNC, Duration.ofMillis(50)))
        {
            final List<Throwable> failures = new ArrayList<>();
            final Thread[] writers = new Thread[2];
            for (int t = 0; t < writers.length; t++)
            {
                final int id = t;
                writers[t] = new Thread(() ->
                {
                    try
                    {
                        final Random random = new Random(id);
                        for (int i = 0; i < 3000; i++)
                        {
                            final String key = "w" + id + "-" + random.nextInt(800);
                            final byte[] value = ("v" + i).getBytes(StandardCharsets.US_ASCII);
                            store.put(bytes(key), 0, key.length(), new UnsafeBuffer(value), 0, value.length);
                            model.put(key, value);
                            if (random.nextInt(5) == 0)
                            {
                                final String gone = "w" + id + "-" + random.nextInt(800);
                                store.remove(bytes(gone), 0, gone.length());
                                model.remove(gone);
                            }
                        }
                    }
                    catch (final Throwable ex)
                    {
                        synchronized (failures)
                        {
                            failures.add(ex);
                        }
                    }
                });
                writers[t].start();
            }
            for (final Thread writer : writers)
            {
                writer.join();
            }
            assertEquals(List.of(), failures);
            assertMatches(store, model);
        }
        try (SegmentStore store = SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(50), false))
        {
            assertMatches(store, model);
        }
    }

    @Test
    void badArgumentsAndASecondWriterAreRefusedAndChangeNothing(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        try (SegmentStore store = SegmentStore.create(dir, PARAMS, 1, 1 << 17, Durability.NONE, Duration.ofMillis(50)))
        {
            final UnsafeBuffer value = new UnsafeBuffer(new byte[41]);
            assertThrows(EntryTooLargeException.class, () -> store.put(bytes("k"), 0, 1, value, 0, 41));
            assertThrows(EntryTooLargeException.class, () -> store.put(new UnsafeBuffer(new byte[17]), 0, 17, value, 0, 1));
            assertThrows(EntryTooLargeException.class, () -> store.remove(bytes("k"), 0, -1));
            assertEquals(0, store.entryCount());
            assertThrows(StoreLockedException.class,
                () -> SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(50), false));
            assertThrows(StoreLockedException.class,
                () -> SegmentStore.create(dir, PARAMS, 1, 1 << 17, Durability.NONE, Duration.ofMillis(50)));
            assertTrue(store.put(bytes("k"), 0, 1, value, 0, 3));
        }
        assertThrows(IncompatibleStoreException.class,
            () -> SegmentStore.create(dir, PARAMS, 1, 1 << 17, Durability.NONE, Duration.ofMillis(50)));
        try (SegmentStore store = SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(50), false))
        {
            assertEquals(1, store.entryCount());
            final UnsafeBuffer out = new UnsafeBuffer(new byte[40]);
            assertEquals(3, store.get(bytes("k"), 0, 1, out, 0));
            assertEquals(-1, store.get(bytes("x"), 0, 1, out, 0));
        }
        final SegmentStore closed = SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(50), false);
        closed.close();
        assertThrows(StoreClosedException.class, () -> closed.get(bytes("k"), 0, 1, new UnsafeBuffer(new byte[40]), 0));
    }

    @Test
    void aDirectoryWithoutItsLogIsRefusedUntouched(@TempDir final Path tmp) throws IOException
    {
        final Path dir = tmp.resolve("store");
        SegmentStore.create(dir, PARAMS, 1, 1 << 17, Durability.NONE, Duration.ofMillis(50)).close();
        Files.delete(dir.resolve(SegmentStore.LOG_FILE));
        final List<String> before = listing(dir);
        final CorruptStoreException ex = assertThrows(CorruptStoreException.class,
            () -> SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(50), false));
        assertTrue(ex.getMessage().contains(SegmentStore.LOG_FILE), ex.getMessage());
        assertEquals(before, listing(dir));
        assertFalse(Files.exists(dir.resolve(SegmentStore.LOG_FILE)));
    }

    /**
     * Puts, updates, gets and removes allocate nothing once warm, log appends included (measured with the JVM's
     * per-thread allocation counter; the segments are presized so no rehash runs, and the log is checkpointed
     * before the measured round so that none runs inside it).
     */
    @Test
    void theBufferPathAllocatesNothingLogIncluded(@TempDir final Path tmp) throws Exception
    {
        final ThreadAllocation allocation = ThreadAllocation.ofThisThread();
        final int keys = 10_000;
        final UnsafeBuffer key = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(new byte[40]);
        final UnsafeBuffer dst = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(40));
        final long groups = (long)Math.ceil(keys / 8.0 * 1.25 / (SegmentDescriptor.GROUP_SLOTS * 0.8));
        try (SegmentStore store = SegmentStore.create(tmp.resolve("store"), PARAMS, groups, 16L << 20,
            Durability.NONE, Duration.ofMillis(50)))
        {
            final ThreadAllocation.Round round = () -> work(store, keys, key, value, dst);
            allocation.warm(20, round);
            store.checkpoint();
            final long checkpoints = store.checkpointCount();
            final long allocated = allocation.measure(round);
            assertEquals(checkpoints, store.checkpointCount(), "no checkpoint in the measured rounds");
            assertEquals(0, allocated, "bytes allocated by " + 4 * keys + " operations (checksum " +
                allocation.checksum() + ")");
            assertEquals(1, store.segments().manifest.currentGeneration(0), "no rehash ran");
        }
    }

    private static long work(final SegmentStore store, final int keys, final UnsafeBuffer key,
        final UnsafeBuffer value, final UnsafeBuffer dst) throws IOException
    {
        long sum = 0;
        for (int i = 0; i < keys; i++)
        {
            key.putLong(0, i);
            key.putLong(8, ~i);
            value.putLong(0, i);
            sum += store.put(key, 0, 16, value, 0, 40) ? 1 : 0;
            value.putLong(8, i);
            store.put(key, 0, 16, value, 0, 40);
            sum += store.get(key, 0, 16, dst, 0);
            if ((i & 7) == 0)
            {
                sum += store.remove(key, 0, 16) ? 1 : 0;
            }
        }
        return sum;
    }

    static List<String> listing(final Path dir) throws IOException
    {
        final List<String> names = new ArrayList<>();
        try (var files = Files.list(dir))
        {
            files.forEach(file ->
            {
                try
                {
                    names.add(file.getFileName() + " " + Arrays.hashCode(Files.readAllBytes(file)));
                }
                catch (final IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            });
        }
        names.sort(null);
        return names;
    }

    static UnsafeBuffer bytes(final String text)
    {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.US_ASCII));
    }

    static void assertMatches(final SegmentStore store, final Map<String, byte[]> model)
    {
        assertEquals(model.size(), store.entryCount());
        final UnsafeBuffer out = new UnsafeBuffer(new byte[PARAMS.maxValueLength]);
        for (final Map.Entry<String, byte[]> entry : model.entrySet())
        {
            final String key = entry.getKey();
            final int length = store.get(bytes(key), 0, key.length(), out, 0);
            assertEquals(entry.getValue().length, length, key);
            final byte[] value = new byte[length];
            out.getBytes(0, value);
            assertArrayEquals(entry.getValue(), value, key);
        }
    }
}
