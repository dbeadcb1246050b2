package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.cubby.store.StoreTestSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Cubby#compact()} sizes the new table for the live entries within the maximum load, and
 * {@link Cubby#compact(double, java.util.function.LongConsumer)} refuses a load that would make it mostly empty.
 */
class CompactSizingTest
{
    @Test
    void compactionOfAStoreWithoutTombstonesKeepsItsCapacity(@TempDir final Path tmp)
    {
        try (Cubby store = Cubby.builder(tmp.resolve("s")).maxKeySize(16).maxValueSize(16).open())
        {
            for (int i = 0; i < 3_000; i++)
            {
                store.put(bytes("k" + i), bytes("v"));
            }
            store.compact();
            final CubbyStats before = store.stats();
            assertEquals(0, before.tombstones);

            store.compact();

            final CubbyStats after = store.stats();
            assertEquals(before.capacity, after.capacity);
            assertEquals(before.tableFileBytes, after.tableFileBytes);
            assertEquals(3_000, after.size);
        }
    }

    @Test
    void compactionAfterRemovalsShrinksToTheLiveEntries(@TempDir final Path tmp)
    {
        try (Cubby store = Cubby.builder(tmp.resolve("s")).maxKeySize(16).maxValueSize(16).open())
        {
            for (int i = 0; i < 3_000; i++)
            {
                store.put(bytes("k" + i), bytes("v"));
            }
            for (int i = 100; i < 3_000; i++)
            {
                store.remove(bytes("k" + i));
            }

            store.compact();

            final CubbyStats after = store.stats();
            assertEquals(0, after.tombstones);
            assertEquals(Cubby.capacityFor(101, after.maxLoad), after.capacity);
            assertTrue(100 / (double)after.capacity <= after.maxLoad);
        }
    }

    @Test
    void aTargetLoadBelowTheLowestMaxLoadIsRefused(@TempDir final Path tmp)
    {
        try (Cubby store = Cubby.builder(tmp.resolve("s")).maxKeySize(16).maxValueSize(16).open())
        {
            store.put(bytes("k"), bytes("v"));

            for (final double load : new double[]{ 0.0000001, 0.099, Double.NaN, 0.76 })
            {
                final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> store.compact(load, null));
                assertTrue(ex.getMessage().startsWith("target load must be in [0.1, 0.75]"), ex.getMessage());
            }
            store.compact(Cubby.MIN_COMPACTION_LOAD, null);
            assertEquals(Cubby.capacityFor(1, 0.1), store.stats().capacity);
            assertEquals(1, store.size());
        }
    }
}
