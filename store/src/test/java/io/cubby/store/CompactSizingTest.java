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
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).maxKeySize(16).maxValueSize(16).open())
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
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).maxKeySize(16).maxValueSize(16).open())
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
            assertEquals(Rehasher.capacityFor(101, after.maxLoad), after.capacity);
            assertTrue(100 / (double)after.capacity <= after.maxLoad);
        }
    }

    @Test
    void aTargetLoadBelowTheLowestMaxLoadIsRefused(@TempDir final Path tmp)
    {
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).maxKeySize(16).maxValueSize(16).open())
        {
            store.put(bytes("k"), bytes("v"));

            for (final double load : new double[]{ 0.0000001, 0.099, Double.NaN, 0.76 })
            {
                final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> store.compact(load, null));
                assertTrue(ex.getMessage().startsWith("target load must be in [0.1, 0.75]"), ex.getMessage());
            }
            store.compact(Cubby.MIN_COMPACTION_LOAD, null);
            assertEquals(Rehasher.capacityFor(1, 0.1), store.stats().capacity);
            assertEquals(1, store.size());
        }
    }

    /**
     * A large table emptied down to a few thousand entries compacts into a small target, a few source slots per
     * write. A burst of inserts while that migration is still near the start of the source fills the target to
     * its load limit with most of the source's entries still to move: the rehash must end (and the table grow)
     * while they still fit, not move them into a target without room for them.
     */
    @Test
    void insertsDuringTheCompactionOfALargeTableGrowBeforeTheTargetOverfills(@TempDir final Path tmp)
    {
        final java.util.Map<String, String> model = new java.util.HashMap<>();
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).maxKeySize(16).maxValueSize(16)
            .expectedEntries(40_000)
            .migrationStep(1).tombstoneCompactionRatio(0.52).preallocate(false).open())
        {
            for (int i = 0; i < 40_000; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
                model.put("k" + i, "v" + i);
            }
            final long large = store.currentTable().capacity;
            for (int i = 0; null == store.sourceTable(); i++)
            {
                store.remove(bytes("k" + i));
                model.remove("k" + i);
            }
            final long target = store.currentTable().capacity;
            assertTrue(target * 4 <= large, "a compaction into a small target began: " + target + " of " + large);
            assertTrue(store.sourceTable().entryCount() > (target - target * 3 / 4),
                "more entries wait in the source than the target has room above its load limit");
            for (int i = 0; i < 20_000; i++)
            {
                store.put(bytes("n" + i), bytes("w" + i));
                model.put("n" + i, "w" + i);
            }
            StoreTestSupport.assertMatchesModel(store, model, "after the inserts");
            assertTrue(store.verify().isOk(), store.verify().toString());
        }
        try (Cubby store = Cubby.builder(tmp.resolve("s")).formatVersion(1).open())
        {
            StoreTestSupport.assertMatchesModel(store, model, "after reopening");
        }
    }
}
