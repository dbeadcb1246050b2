package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compute function of a version-2 store runs holding its key's segment lock. A change to the store made from
 * inside it (a write to any key, a nested compute, a checkpoint, a compaction, a close) is refused with an
 * {@link IllegalStateException} that propagates out of the compute and changes nothing: two such functions in two
 * threads, each writing the other's segment, would otherwise wait for each other forever.
 */
class FormatVersion2ComputeTest
{
    private static Cubby.Builder builder(final Path dir)
    {
        return Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(32).expectedEntries(64);
    }

    @Test
    void everyChangeFromInsideAComputeFunctionIsRefusedAndChangesNothing(@TempDir final Path dir)
    {
        final List<Consumer<Cubby>> changes = List.of(
            store -> store.put(bytes("other"), bytes("x")),
            store -> store.put(bytes("k"), bytes("x")),
            store -> store.remove(bytes("other")),
            store -> store.compute(bytes("other"), (k, v) -> bytes("x")),
            store -> store.compute(bytes("k"), (k, v) -> bytes("x")),
            Cubby::checkpoint,
            Cubby::compact,
            Cubby::close);
        try (Cubby store = builder(dir).open())
        {
            store.put(bytes("k"), bytes("before"));
            store.put(bytes("other"), bytes("kept"));
            for (final Consumer<Cubby> change : changes)
            {
                final IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> store.compute(bytes("k"), (k, v) ->
                    {
                        change.accept(store);
                        return bytes("after");
                    }));
                assertTrue(refused.getMessage().contains("inside a compute function"), refused.getMessage());
                assertEquals("before", text(store.get(bytes("k"))));
                assertEquals("kept", text(store.get(bytes("other"))));
            }
            // reads inside the function are allowed, and the store is usable afterwards
            assertEquals("kept!", text(store.compute(bytes("k"), (k, v) -> bytes(text(store.get(bytes("other"))) +
                "!"))));
            store.put(bytes("other"), bytes("changed"));
            assertEquals("changed", text(store.get(bytes("other"))));
        }
        try (Cubby store = builder(dir).open())
        {
            assertEquals("kept!", text(store.get(bytes("k"))));
            assertTrue(store.verify().isOk());
        }
    }

    /** Two functions, each waiting for the other to run, then writing the other's key in another segment. */
    @Test
    @Timeout(60)
    void crossedWritesFromTwoComputeFunctionsFailInsteadOfDeadlocking(@TempDir final Path dir) throws Exception
    {
        try (Cubby store = builder(dir).open())
        {
            final String[] keys = keysInTwoSegments(dir);
            final CountDownLatch bothInside = new CountDownLatch(2);
            final ExecutorService threads = Executors.newFixedThreadPool(2);
            try
            {
                final List<Future<String>> outcomes = new ArrayList<>();
                for (int i = 0; i < 2; i++)
                {
                    final String mine = keys[i];
                    final String theirs = keys[1 - i];
                    outcomes.add(threads.submit(() ->
                    {
                        try
                        {
                            store.compute(bytes(mine), (k, v) ->
                            {
                                bothInside.countDown();
                                try
                                {
                                    assertTrue(bothInside.await(30, TimeUnit.SECONDS));
                                }
                                catch (final InterruptedException ex)
                                {
                                    throw new AssertionError(ex);
                                }
                                store.put(bytes(theirs), bytes("from " + mine));
                                return bytes("computed");
                            });
                            return "completed";
                        }
                        catch (final IllegalStateException refused)
                        {
                            return refused.getMessage();
                        }
                    }));
                }
                for (final Future<String> outcome : outcomes)
                {
                    assertTrue(outcome.get(30, TimeUnit.SECONDS).contains("inside a compute function"));
                }
            }
            finally
            {
                threads.shutdownNow();
            }
            assertEquals(null, store.get(bytes(keys[0])));
            assertEquals(null, store.get(bytes(keys[1])));
        }
    }

    /** Two keys whose hashes pick different segments of the store in {@code dir}. */
    private static String[] keysInTwoSegments(final Path dir) throws Exception
    {
        try (Manifest manifest = Manifest.open(dir, true))
        {
            final Xxh3 hash = Xxh3.withSeed(manifest.params.seed);
            final int first = segmentOf(hash, manifest, "key-0");
            for (int i = 1; ; i++)
            {
                final String candidate = "key-" + i;
                if (segmentOf(hash, manifest, candidate) != first)
                {
                    assertNotEquals(first, segmentOf(hash, manifest, candidate));
                    return new String[] {"key-0", candidate};
                }
            }
        }
    }

    private static int segmentOf(final Xxh3 hash, final Manifest manifest, final String key)
    {
        final byte[] bytes = bytes(key);
        return SegmentDescriptor.segmentOf(Hashing.hash(hash, new UnsafeBuffer(bytes), 0, bytes.length),
            manifest.params.segmentBits);
    }
}
