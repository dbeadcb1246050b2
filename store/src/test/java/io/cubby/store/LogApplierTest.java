package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static io.cubby.store.StoreTestSupport.assertMatchesModel;
import static io.cubby.store.StoreTestSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery's path for log records: the same write rules as the write path (the current table shadows the source,
 * the entry bound holds), and nothing logged. Applied here to an open store from the test thread, as the opener
 * applies them before the store is published.
 */
class LogApplierTest
{
    /** One log record's key and value, laid out as the applier reads them from the log: key, then value. */
    private static UnsafeBuffer record(final String key, final String value)
    {
        final byte[] k = bytes(key);
        final byte[] v = bytes(value);
        final byte[] both = new byte[k.length + v.length];
        System.arraycopy(k, 0, both, 0, k.length);
        System.arraycopy(v, 0, both, k.length, v.length);
        return new UnsafeBuffer(both);
    }

    private static void put(final LogApplier applier, final String key, final String value)
    {
        final UnsafeBuffer buffer = record(key, value);
        final int keyLength = bytes(key).length;
        applier.apply(false, buffer, 0, keyLength, keyLength, buffer.capacity() - keyLength, 0);
    }

    private static void remove(final LogApplier applier, final String key)
    {
        final UnsafeBuffer buffer = record(key, "");
        applier.apply(true, buffer, 0, buffer.capacity(), buffer.capacity(), 0, 0);
    }

    private static boolean inTable(final Table table, final String key)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes(key));
        return table.find(table.hash(buffer, 0, buffer.capacity()), buffer, 0, buffer.capacity()) >= 0;
    }

    @Test
    void replayDuringARehashShadowsTheSourceAndLogsNothing(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).expectedEntries(8)
            .migrationStep(1)
            .durability(Durability.ASYNC).preallocate(false).open())
        {
            final Map<String, String> model = new HashMap<>();
            for (int i = 0; null == store.sourceTable(); i++)
            {
                store.put(bytes("k" + i), bytes("old" + i));
                model.put("k" + i, "old" + i);
            }
            final Table source = store.sourceTable();
            assertTrue(inTable(source, "k0") && !inTable(store.currentTable(), "k0"), "k0 is still in the source");
            assertTrue(inTable(source, "k1") && !inTable(store.currentTable(), "k1"), "k1 is still in the source");
            final long logBytes = store.stats().logBytesUsed;
            final LogApplier applier = store.logApplier();

            put(applier, "k0", "new0");
            model.put("k0", "new0");
            remove(applier, "k1");
            model.remove("k1");
            put(applier, "fresh", "f");
            model.put("fresh", "f");
            remove(applier, "absent");

            assertEquals(logBytes, store.stats().logBytesUsed, "replay appends nothing to the log");
            assertNotNull(store.sourceTable(), "replay does not migrate or complete the rehash");
            assertTrue(inTable(store.currentTable(), "k0"), "the new value of k0 went to the current table");
            assertFalse(inTable(source, "k0"), "the source copy of k0 it shadows is gone");
            assertFalse(inTable(source, "k1") || inTable(store.currentTable(), "k1"), "k1 is removed from both");
            assertMatchesModel(store, model, "after replay");
        }
    }

    /**
     * A crash during a rehash can leave a log whose replay inserts more new keys than the rehash target has room
     * for (keys put and later removed again, say, after a compaction sized the target for few entries): replay
     * must end the rehash and grow while the rest of the source still fits, never fill the target first.
     */
    @Test
    void replayOfMoreNewKeysThanTheRehashTargetHoldsGrowsInsteadOfOverfilling(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(16).expectedEntries(8)
            .migrationStep(1)
            .durability(Durability.ASYNC).preallocate(false).open())
        {
            final Map<String, String> model = new HashMap<>();
            for (int i = 0; null == store.sourceTable(); i++)
            {
                store.put(bytes("k" + i), bytes("old" + i));
                model.put("k" + i, "old" + i);
            }
            final long targetSlots = store.currentTable().capacity;
            final LogApplier applier = store.logApplier();
            for (int i = 0; i < 3 * targetSlots; i++)
            {
                put(applier, "fresh" + i, "f" + i);
                model.put("fresh" + i, "f" + i);
            }
            assertTrue(store.currentTable().capacity > targetSlots, "replay grew the table");
            assertMatchesModel(store, model, "after replay");
            assertTrue(store.verify().isOk(), store.verify().toString());
        }
    }

    @Test
    void replayAtTheEntryBoundEvictsAndLogsNothing(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(1).maxEntries(4).durability(Durability.ASYNC).open())
        {
            for (int i = 0; i < 4; i++)
            {
                store.put(bytes("k" + i), bytes("v" + i));
            }
            final long logBytes = store.stats().logBytesUsed;

            put(store.logApplier(), "k4", "v4");

            assertEquals(4, store.size(), "one entry was evicted to make room");
            assertEquals("v4", StoreTestSupport.text(store.get(bytes("k4"))));
            assertEquals(logBytes, store.stats().logBytesUsed, "neither the put nor the eviction is logged");
            assertTrue(store.verify().isOk(), store.verify().problems.toString());
        }
    }
}
