package io.cubby.kafka;

import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Seeded random sequences of every {@link KeyValueStore} operation against a {@link TreeMap} model, with the
 * ordered scans compared entry by entry and the store closed and reopened along the way. Keys are drawn from a small
 * alphabet holding 0x00, 0x7F, 0x80 and 0xFF, so unsigned ordering, prefixes and empty keys all occur.
 */
class CubbyKeyValueStoreContractTest
{
    private static final byte[] ALPHABET = {0x00, 0x01, 0x7F, (byte)0x80, (byte)0xFF};
    private static final int OPERATIONS = 4_000;

    @TempDir
    Path stateDir;

    private KeyValueStore<Bytes, byte[]> store;

    @AfterEach
    void closeStore()
    {
        if (null != store && store.isOpen())
        {
            store.close();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 20261201})
    void randomOperations_matchTreeMapModel(final long seed)
    {
        final Random random = new Random(seed);
        final CubbyKeyValueBytesStoreSupplier supplier =
            CubbyStores.keyValueStore("contract").withMaxKeySize(4).withMaxValueSize(8).withExpectedEntries(4);
        store = open(supplier);
        final NavigableMap<Bytes, byte[]> model = new TreeMap<>();

        for (int op = 0; op < OPERATIONS; op++)
        {
            final Bytes key = randomKey(random);
            final String where = "seed " + seed + ", operation " + op;
            switch (random.nextInt(13))
            {
                case 0, 1, 2 ->
                {
                    final byte[] value = randomValue(random);
                    store.put(key, value);
                    model.put(key, value);
                }
                case 3 ->
                {
                    store.put(key, null);
                    model.remove(key);
                }
                case 4 ->
                {
                    final byte[] value = random.nextInt(8) == 0 ? null : randomValue(random);
                    final byte[] expected = model.get(key);
                    assertArrayEquals(expected, store.putIfAbsent(key, value), where);
                    if (null == expected && null != value)
                    {
                        model.put(key, value);
                    }
                }
                case 5 ->
                {
                    final List<KeyValue<Bytes, byte[]>> batch = new ArrayList<>();
                    for (int i = random.nextInt(6); i > 0; i--)
                    {
                        final Bytes k = randomKey(random);
                        final byte[] v = random.nextInt(4) == 0 ? null : randomValue(random);
                        batch.add(KeyValue.pair(k, v));
                        if (null == v)
                        {
                            model.remove(k);
                        }
                        else
                        {
                            model.put(k, v);
                        }
                    }
                    store.putAll(batch);
                }
                case 6 -> assertArrayEquals(model.remove(key), store.delete(key), where);
                case 7, 8 -> assertArrayEquals(model.get(key), store.get(key), where);
                case 9 ->
                {
                    final Bytes from = random.nextInt(5) == 0 ? null : randomKey(random);
                    final Bytes to = random.nextInt(5) == 0 ? null : randomKey(random);
                    final boolean forward = random.nextBoolean();
                    final List<KeyValue<Bytes, byte[]>> expected = expectedRange(model, from, to, forward);
                    try (KeyValueIterator<Bytes, byte[]> it =
                        forward ? store.range(from, to) : store.reverseRange(from, to))
                    {
                        assertEntries(expected, it, where + " range " + from + ".." + to);
                    }
                }
                case 10 ->
                {
                    final boolean forward = random.nextBoolean();
                    try (KeyValueIterator<Bytes, byte[]> it = forward ? store.all() : store.reverseAll())
                    {
                        assertEntries(expectedRange(model, null, null, forward), it, where + " all");
                    }
                }
                case 11 ->
                {
                    final byte[] prefix = randomKey(random).get();
                    final List<KeyValue<Bytes, byte[]>> expected = new ArrayList<>();
                    for (final Map.Entry<Bytes, byte[]> e : model.entrySet())
                    {
                        final byte[] k = e.getKey().get();
                        if (k.length >= prefix.length &&
                            Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length))
                        {
                            expected.add(KeyValue.pair(e.getKey(), e.getValue()));
                        }
                    }
                    try (KeyValueIterator<Bytes, byte[]> it = store.prefixScan(prefix, new ByteArraySerializer()))
                    {
                        assertEntries(expected, it, where + " prefix " + Bytes.wrap(prefix));
                    }
                }
                default ->
                {
                    assertEquals(model.size(), store.approximateNumEntries(), where);
                    if (random.nextInt(20) == 0)
                    {
                        store.commit(Map.of());
                        store.close();
                        store = open(supplier);
                    }
                }
            }
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.all())
        {
            assertEntries(expectedRange(model, null, null, true), it, "final state");
        }
    }

    private KeyValueStore<Bytes, byte[]> open(final CubbyKeyValueBytesStoreSupplier supplier)
    {
        final KeyValueStore<Bytes, byte[]> opened = supplier.get();
        opened.init(new CapturingStateStoreContext(stateDir.toFile(), false), opened);
        return opened;
    }

    /** The model's range with Kafka's semantics: inclusive bounds, null bounds open, from > to empty. */
    static List<KeyValue<Bytes, byte[]>> expectedRange(
        final NavigableMap<Bytes, byte[]> model, final Bytes from, final Bytes to, final boolean forward)
    {
        final NavigableMap<Bytes, byte[]> view;
        if (null != from && null != to)
        {
            if (from.compareTo(to) > 0)
            {
                return List.of();
            }
            view = model.subMap(from, true, to, true);
        }
        else if (null != from)
        {
            view = model.tailMap(from, true);
        }
        else if (null != to)
        {
            view = model.headMap(to, true);
        }
        else
        {
            view = model;
        }
        final List<KeyValue<Bytes, byte[]>> entries = new ArrayList<>();
        for (final Map.Entry<Bytes, byte[]> e : (forward ? view : view.descendingMap()).entrySet())
        {
            entries.add(KeyValue.pair(e.getKey(), e.getValue()));
        }
        return entries;
    }

    static void assertEntries(
        final List<KeyValue<Bytes, byte[]>> expected, final KeyValueIterator<Bytes, byte[]> actual, final String where)
    {
        int i = 0;
        while (actual.hasNext())
        {
            final Bytes peeked = actual.peekNextKey();
            final KeyValue<Bytes, byte[]> entry = actual.next();
            assertEquals(peeked, entry.key, where);
            if (i >= expected.size())
            {
                throw new AssertionError(where + ": unexpected extra entry " + entry.key);
            }
            assertEquals(expected.get(i).key, entry.key, where + " entry " + i);
            assertArrayEquals(expected.get(i).value, entry.value, where + " entry " + i);
            i++;
        }
        assertEquals(expected.size(), i, where + ": entry count");
    }

    private static Bytes randomKey(final Random random)
    {
        final byte[] key = new byte[random.nextInt(4)];
        for (int i = 0; i < key.length; i++)
        {
            key[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return Bytes.wrap(key);
    }

    private static byte[] randomValue(final Random random)
    {
        final byte[] value = new byte[random.nextInt(9)];
        random.nextBytes(value);
        return value;
    }
}
