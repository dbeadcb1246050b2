package io.cubby.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.internals.ChangelogRecordDeserializationHelper;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.query.FailureReason;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.RangeQuery;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.PositionSerde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CubbyKeyValueStoreTest
{
    @TempDir
    Path stateDir;

    private final List<KeyValueStore<Bytes, byte[]>> opened = new ArrayList<>();

    @AfterEach
    void closeStores()
    {
        opened.stream().filter(KeyValueStore::isOpen).forEach(KeyValueStore::close);
    }

    private KeyValueStore<Bytes, byte[]> open(
        final CubbyKeyValueBytesStoreSupplier supplier, final CapturingStateStoreContext context)
    {
        final KeyValueStore<Bytes, byte[]> store = supplier.get();
        store.init(context, store);
        opened.add(store);
        return store;
    }

    private KeyValueStore<Bytes, byte[]> open(final CubbyKeyValueBytesStoreSupplier supplier)
    {
        return open(supplier, new CapturingStateStoreContext(stateDir.toFile(), false));
    }

    private static Bytes b(final String s)
    {
        return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] v(final String s)
    {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> keys(final KeyValueIterator<Bytes, byte[]> it)
    {
        final List<String> keys = new ArrayList<>();
        try (it)
        {
            it.forEachRemaining(kv -> keys.add(new String(kv.key.get(), StandardCharsets.UTF_8)));
        }
        return keys;
    }

    @Test
    void storeDirectory_isUnderTaskStateDirectory_andStoreIsPersistent()
    {
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("dir-test"));
        assertTrue(store.persistent());
        assertTrue(store.isOpen());
        assertEquals("dir-test", store.name());
        assertTrue(Files.isDirectory(stateDir.resolve("cubby").resolve("dir-test")));
        store.close();
        assertFalse(store.isOpen());
    }

    @Test
    void range_isInclusive_openWithNullBounds_andEmptyWhenFromAfterTo()
    {
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("ranges"));
        for (final String k : List.of("a", "b", "c", "d", "e"))
        {
            store.put(b(k), v(k));
        }
        assertEquals(List.of("b", "c", "d"), keys(store.range(b("b"), b("d"))));
        assertEquals(List.of("d", "c", "b"), keys(store.reverseRange(b("b"), b("d"))));
        assertEquals(List.of("a", "b"), keys(store.range(null, b("b"))));
        assertEquals(List.of("e", "d"), keys(store.reverseRange(b("d"), null)));
        assertEquals(List.of("c"), keys(store.range(b("c"), b("c"))));
        assertEquals(List.of(), keys(store.range(b("d"), b("b"))));
        assertEquals(List.of(), keys(store.reverseRange(b("d"), b("b"))));
        assertEquals(List.of("a", "b", "c", "d", "e"), keys(store.all()));
        assertEquals(List.of("e", "d", "c", "b", "a"), keys(store.reverseAll()));
    }

    @Test
    void iterator_isSnapshot_peeksAndFailsAfterClose()
    {
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("iterators"));
        store.put(b("a"), v("1"));
        store.put(b("b"), v("2"));
        final KeyValueIterator<Bytes, byte[]> it = store.all();
        store.put(b("c"), v("3"));
        store.delete(b("a"));
        assertEquals(b("a"), it.peekNextKey());
        final KeyValue<Bytes, byte[]> first = it.next();
        assertArrayEquals(v("1"), first.value);
        assertEquals(b("b"), it.next().key);
        assertFalse(it.hasNext());
        assertThrows(NoSuchElementException.class, it::next);
        it.close();
        assertThrows(InvalidStateStoreException.class, it::hasNext);
    }

    @Test
    void putNull_deletes_putIfAbsentKeepsPresent_deleteReturnsOld()
    {
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("points"));
        store.put(b("k"), v("1"));
        assertArrayEquals(v("1"), store.putIfAbsent(b("k"), v("2")));
        assertArrayEquals(v("1"), store.get(b("k")));
        store.put(b("k"), null);
        assertNull(store.get(b("k")));
        assertNull(store.putIfAbsent(b("k"), v("3")));
        assertArrayEquals(v("3"), store.delete(b("k")));
        assertNull(store.delete(b("k")));
        store.putAll(List.of(KeyValue.pair(b("x"), v("x")), KeyValue.pair(b("y"), v("y")),
            KeyValue.pair(b("x"), null)));
        assertNull(store.get(b("x")));
        assertArrayEquals(v("y"), store.get(b("y")));
        assertEquals(1, store.approximateNumEntries());
        assertThrows(NullPointerException.class, () -> store.put(null, v("1")));
    }

    @Test
    void recordOverLimits_isRejectedWithStoreAndSizes_andBatchWritesNothing()
    {
        final KeyValueStore<Bytes, byte[]> store =
            open(CubbyStores.keyValueStore("small").withMaxKeySize(4).withMaxValueSize(6));
        final CubbyRecordTooLargeException value = assertThrows(CubbyRecordTooLargeException.class,
            () -> store.put(b("k"), v("1234567")));
        assertEquals("Cubby store 'small': record with a key of 1 bytes and a value of 7 bytes exceeds the " +
            "store's limits (maxKeySize 4, maxValueSize 6 bytes); configure larger limits for this store and " +
            "rebuild it from its changelog", value.getMessage());
        assertInstanceOf(ProcessorStateException.class, value);
        final CubbyRecordTooLargeException key = assertThrows(CubbyRecordTooLargeException.class,
            () -> store.putAll(List.of(KeyValue.pair(b("ok"), v("1")), KeyValue.pair(b("12345"), v("1")))));
        assertEquals(5, key.keySize());
        assertNull(store.get(b("ok")), "a rejected batch writes nothing");
        assertNull(store.get(b("12345")), "an over-long key is absent, not an error, on reads");
        assertNull(store.delete(b("12345")));
        store.put(b("1234"), v("123456"));
        assertArrayEquals(v("123456"), store.get(b("1234")));
    }

    @Test
    void timestampedStore_limitsExcludeTheTimestamp()
    {
        final KeyValueStore<Bytes, byte[]> store =
            open(CubbyStores.timestampedKeyValueStore("ts").withMaxKeySize(4).withMaxValueSize(2));
        store.put(b("k"), new byte[8 + 2]);
        final CubbyRecordTooLargeException ex = assertThrows(CubbyRecordTooLargeException.class,
            () -> store.put(b("k"), new byte[8 + 3]));
        assertEquals(3, ex.valueSize());
        assertEquals(2, ex.maxValueSize());
    }

    @Test
    void reopenWithOtherLimits_failsWithAdvice()
    {
        open(CubbyStores.keyValueStore("limits").withMaxKeySize(8)).close();
        final ProcessorStateException ex = assertThrows(ProcessorStateException.class,
            () -> open(CubbyStores.keyValueStore("limits").withMaxKeySize(16)));
        assertTrue(ex.getMessage().contains("'limits'") && ex.getMessage().contains("cleanUp"), ex.getMessage());
    }

    @Test
    void closedStore_rejectsOperations()
    {
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("closed"));
        store.close();
        assertThrows(InvalidStateStoreException.class, () -> store.get(b("k")));
        assertThrows(InvalidStateStoreException.class, () -> store.put(b("k"), v("v")));
        assertThrows(InvalidStateStoreException.class, store::all);
        assertThrows(InvalidStateStoreException.class, store::approximateNumEntries);
        store.commit(Map.of());
        store.close();
    }

    @Test
    void restoreBatch_appliesPutsAndDeletes_andMergesChangelogPositions()
    {
        final CapturingStateStoreContext context = new CapturingStateStoreContext(stateDir.toFile(), true);
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("restored"), context);
        final RecordBatchingStateRestoreCallback callback =
            assertInstanceOf(RecordBatchingStateRestoreCallback.class, context.restoreCallback);
        callback.restoreBatch(List.of(
            changelog(0, "a", "1", Position.emptyPosition().withComponent("input", 0, 10)),
            changelog(1, "b", "2", Position.emptyPosition().withComponent("input", 0, 11)),
            changelog(2, "a", null, Position.emptyPosition().withComponent("input", 1, 4))));
        assertNull(store.get(b("a")));
        assertArrayEquals(v("2"), store.get(b("b")));
        assertEquals(Position.emptyPosition().withComponent("input", 0, 11).withComponent("input", 1, 4),
            store.getPosition());
    }

    private static ConsumerRecord<byte[], byte[]> changelog(
        final long offset, final String key, final String value, final Position position)
    {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(ChangelogRecordDeserializationHelper.CHANGELOG_VERSION_HEADER_RECORD_CONSISTENCY);
        headers.add(new RecordHeader(ChangelogRecordDeserializationHelper.CHANGELOG_POSITION_HEADER_KEY,
            PositionSerde.serialize(position).array()));
        return new ConsumerRecord<>("app-restored-changelog", 0, offset, 0L, TimestampType.CREATE_TIME, -1, -1,
            v(key), null == value ? null : v(value), headers, Optional.empty());
    }

    @Test
    void queries_answerKeyAndRange_trackPosition_andRejectUnknownQueries()
    {
        final CapturingStateStoreContext context = new CapturingStateStoreContext(stateDir.toFile(), false);
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("queried"), context);
        context.setRecordMetadata("input", 0, 41);
        store.put(b("a"), v("1"));
        context.setRecordMetadata("input", 0, 42);
        store.put(b("c"), v("3"));
        store.put(b("b"), v("2"));
        final Position expected = Position.emptyPosition().withComponent("input", 0, 42);
        assertEquals(expected, store.getPosition());

        final QueryResult<byte[]> key = store.query(KeyQuery.withKey(b("b")), PositionBound.at(expected),
            new QueryConfig(false));
        assertTrue(key.isSuccess(), key.toString());
        assertArrayEquals(v("2"), key.getResult());
        assertEquals(expected, key.getPosition());

        final QueryResult<KeyValueIterator<Bytes, byte[]>> range = store.query(
            RangeQuery.withRange(b("b"), b("c")), PositionBound.unbounded(), new QueryConfig(false));
        assertTrue(range.isSuccess(), range.toString());
        assertEquals(List.of("b", "c"), keys(range.getResult()));
        final QueryResult<KeyValueIterator<Bytes, byte[]>> descending = store.query(
            RangeQuery.<Bytes, byte[]>withNoBounds().withDescendingKeys(), PositionBound.unbounded(),
            new QueryConfig(false));
        assertEquals(List.of("c", "b", "a"), keys(descending.getResult()));

        final QueryResult<byte[]> ahead = store.query(KeyQuery.withKey(b("b")),
            PositionBound.at(Position.emptyPosition().withComponent("input", 0, 43)), new QueryConfig(false));
        assertTrue(ahead.isFailure());
        assertEquals(FailureReason.NOT_UP_TO_BOUND, ahead.getFailureReason());

        final QueryResult<String> unknown = store.query(new Query<String>()
        {
        }, PositionBound.unbounded(), new QueryConfig(false));
        assertEquals(FailureReason.UNKNOWN_QUERY_TYPE, unknown.getFailureReason());
    }

    @Test
    void position_survivesCommitAndReopen()
    {
        final CapturingStateStoreContext context = new CapturingStateStoreContext(stateDir.toFile(), false);
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("positioned"), context);
        context.setRecordMetadata("input", 3, 7);
        store.put(b("a"), v("1"));
        store.commit(Map.of());
        store.close();
        final KeyValueStore<Bytes, byte[]> reopened = open(CubbyStores.keyValueStore("positioned"));
        assertEquals(Position.emptyPosition().withComponent("input", 3, 7), reopened.getPosition());
        assertArrayEquals(v("1"), reopened.get(b("a")));
    }

    /** Kafka Streams re-initialises the same store object when it revives a task whose state it wiped. */
    @Test
    void reinitAfterStateWiped_startsEmpty_withoutTheOldPosition() throws java.io.IOException
    {
        final CapturingStateStoreContext context = new CapturingStateStoreContext(stateDir.toFile(), false);
        final KeyValueStore<Bytes, byte[]> store = open(CubbyStores.keyValueStore("revived"), context);
        context.setRecordMetadata("input", 0, 9);
        store.put(b("a"), v("1"));
        store.close();
        try (java.util.stream.Stream<Path> paths = Files.walk(stateDir.resolve("cubby")))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        store.init(context, store);
        assertEquals(Position.emptyPosition(), store.getPosition());
        assertNull(store.get(b("a")));
        assertEquals(0, store.approximateNumEntries());
    }

    @Test
    void dslSuppliers_readLimitsFromConfig_andRejectBadValues()
    {
        final CubbyDslStoreSuppliers suppliers = new CubbyDslStoreSuppliers();
        suppliers.configure(Map.of(CubbyDslStoreSuppliers.MAX_KEY_SIZE_CONFIG, "12",
            CubbyDslStoreSuppliers.MAX_VALUE_SIZE_CONFIG, 34, CubbyDslStoreSuppliers.EXPECTED_ENTRIES_CONFIG, 56L,
            CubbyDslStoreSuppliers.DURABILITY_CONFIG, "async", CubbyDslStoreSuppliers.FORCE_ON_COMMIT_CONFIG, "false"));
        final CubbyKeyValueBytesStoreSupplier supplier = (CubbyKeyValueBytesStoreSupplier)suppliers.keyValueStore(
            new org.apache.kafka.streams.state.DslKeyValueParams("s", org.apache.kafka.streams.DslStoreFormat.PLAIN));
        assertEquals(12, supplier.maxKeySize());
        assertEquals(34, supplier.maxValueSize());
        assertEquals(56, supplier.expectedEntries());
        assertEquals(io.cubby.store.Durability.ASYNC, supplier.durability());
        assertFalse(supplier.forceOnCommit());
        assertFalse(supplier.isTimestamped());
        assertTrue(((CubbyKeyValueBytesStoreSupplier)suppliers.keyValueStore(
            new org.apache.kafka.streams.state.DslKeyValueParams("t",
                org.apache.kafka.streams.DslStoreFormat.TIMESTAMPED))).isTimestamped());
        assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> new CubbyDslStoreSuppliers()
            .configure(Map.of(CubbyDslStoreSuppliers.MAX_KEY_SIZE_CONFIG, "0")));
        assertThrows(org.apache.kafka.common.config.ConfigException.class, () -> new CubbyDslStoreSuppliers()
            .configure(Map.of(CubbyDslStoreSuppliers.DURABILITY_CONFIG, "always")));
    }
}
