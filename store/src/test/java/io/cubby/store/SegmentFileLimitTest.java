package io.cubby.store;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A segment whose file has the largest group count format version 2 maps (2 GiB) refuses inserts beyond its Max
 * Load with a {@link StoreFullException} that changes nothing, while updates and removals go on and the store
 * reopens. One segment of 1 MiB slots reaches the limit with about 2,000 entries (the files are allocated, not
 * written: a few seconds).
 */
class SegmentFileLimitTest
{
    @ParameterizedTest
    @EnumSource(value = Durability.class, names = { "NONE", "SYNC" })
    void aSegmentAtTheLargestFileRefusesInsertsAndKeepsEverythingElse(final Durability durability,
        @TempDir final Path tmp) throws IOException
    {
        Assumptions.assumeTrue(Files.getFileStore(tmp).getUsableSpace() > 8L << 30,
            "needs 8 GiB free in the temporary directory");
        final Path dir = tmp.resolve("store");
        final int[] inserted = new int[1];
        try (Cubby store = Cubby.builder(dir).segments(1).maxKeySize(8).maxValueSize(1 << 20)
            .durability(durability).open())
        {
            final StoreFullException full = assertThrows(StoreFullException.class, () ->
            {
                for (; inserted[0] < 10_000; inserted[0]++)
                {
                    store.put(key(inserted[0]), value(inserted[0]));
                }
            });
            assertTrue(full.getMessage().contains("segment 0") && full.getMessage().contains("more segments"),
                full.getMessage());
            final int n = inserted[0];
            assertTrue(n > 1_000, "the limit came after " + n + " entries");
            assertEquals(n, store.size(), "the refused insert changed nothing");
            assertThrows(StoreFullException.class, () -> store.put(key(n), value(n)), "still full");
            store.put(key(7), "updated".getBytes());
            assertArrayEquals("updated".getBytes(), store.get(key(7)));
            assertTrue(store.remove(key(8)));
            store.put(key(n), value(n)); // the removal made room for one
            assertTrue(store.verify().isOk());
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(inserted[0], store.size());
            assertArrayEquals("updated".getBytes(), store.get(key(7)));
            assertArrayEquals(value(inserted[0]), store.get(key(inserted[0])));
            assertThrows(StoreFullException.class, () -> store.put(key(8), value(8)));
        }
    }

    private static byte[] key(final int i)
    {
        return ("k" + i).getBytes();
    }

    private static byte[] value(final int i)
    {
        return ("v" + i).getBytes();
    }
}
