package io.cubby.kafka;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DSL topologies run with {@link TopologyTestDriver} on Cubby stores (picked per store with
 * {@code Materialized.as(supplier)} and for the whole topology with {@link CubbyDslStoreSuppliers}) give the same
 * output records (keys, values and timestamps) and the same final state as on Kafka's in-memory store.
 */
class CubbyTopologyTest
{
    private static final String APP = "cubby-topology-test";

    @TempDir(factory = MemoryTempDirFactory.class)
    Path tempDir;

    private final Set<String> seen = new TreeSet<>();

    /** How the topology's key-value stores are chosen. */
    enum Choice
    {
        CUBBY_SUPPLIER, CUBBY_DSL_CONFIG, IN_MEMORY
    }

    record Result(List<TestRecord<String, Long>> output, Map<String, Long> state)
    {
    }

    // ================================================================ topologies

    private static Materialized<String, Long, KeyValueStore<Bytes, byte[]>> materialized(
        final Choice choice, final String store)
    {
        return switch (choice)
        {
            case CUBBY_SUPPLIER -> Materialized.as(
                CubbyStores.timestampedKeyValueStore(store).withMaxKeySize(32).withForceOnCommit(false));
            case CUBBY_DSL_CONFIG -> Materialized.as(store);
            case IN_MEMORY -> Materialized.as(Stores.inMemoryKeyValueStore(store));
        };
    }

    static Topology countTopology(final Choice choice)
    {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("words", Consumed.with(Serdes.String(), Serdes.String()))
            .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
            .count(materialized(choice, "counts").withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
            .toStream()
            .to("out", Produced.with(Serdes.String(), Serdes.Long()));
        return builder.build();
    }

    static Topology sumTopology(final Choice choice)
    {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("amounts", Consumed.with(Serdes.String(), Serdes.Long()))
            .groupByKey()
            .aggregate(() -> 0L, (key, amount, sum) -> sum + amount,
                materialized(choice, "sums").withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
            .toStream()
            .to("out", Produced.with(Serdes.String(), Serdes.Long()));
        return builder.build();
    }

    /** A table of prices (with deletes), doubled by mapValues into a second store, joined with a stream of orders. */
    static Topology tableJoinTopology(final Choice choice)
    {
        final StreamsBuilder builder = new StreamsBuilder();
        final KTable<String, Long> prices = builder.table("prices", Consumed.with(Serdes.String(), Serdes.Long()),
            materialized(choice, "prices").withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        final KTable<String, Long> doubled = prices.mapValues(price -> price * 2,
            materialized(choice, "doubled").withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        builder.stream("orders", Consumed.with(Serdes.String(), Serdes.Long()))
            .join(doubled, (quantity, price) -> quantity * price)
            .to("out", Produced.with(Serdes.String(), Serdes.Long()));
        return builder.build();
    }

    // ================================================================ comparisons with the in-memory store

    @Test
    void count_matchesInMemoryStore_perStoreSupplierAndDslConfig()
    {
        final List<KeyValue<String, Object>> input = words(new Random(11), 1_500, 300);
        final Result expected = run(countTopology(Choice.IN_MEMORY), props(Choice.IN_MEMORY, "mem"), "words",
            input, "counts");
        for (final Choice choice : List.of(Choice.CUBBY_SUPPLIER, Choice.CUBBY_DSL_CONFIG))
        {
            final Result actual = run(countTopology(choice), props(choice, choice.name()), "words", input, "counts");
            assertEquals(expected, actual, choice.name());
            assertTrue(seen.contains(choice.name() + ":cubby/counts"), "Cubby store directory for " + choice + " " + seen);
        }
        assertFalse(seen.stream().anyMatch(dir -> dir.startsWith("mem:")), seen.toString());
        assertTrue(expected.state().size() > 250);
    }

    @Test
    void sumAggregate_matchesInMemoryStore()
    {
        final Random random = new Random(12);
        final List<KeyValue<String, Object>> input = new ArrayList<>();
        for (int i = 0; i < 1_500; i++)
        {
            input.add(KeyValue.pair("account-" + random.nextInt(500), (long)(random.nextInt(2_001) - 1_000)));
        }
        final Result expected = run(sumTopology(Choice.IN_MEMORY), props(Choice.IN_MEMORY, "mem"), "amounts",
            input, "sums");
        for (final Choice choice : List.of(Choice.CUBBY_SUPPLIER, Choice.CUBBY_DSL_CONFIG))
        {
            final Result actual = run(sumTopology(choice), props(choice, choice.name()), "amounts", input, "sums");
            assertEquals(expected, actual, choice.name());
            assertTrue(seen.contains(choice.name() + ":cubby/sums"), seen.toString());
        }
    }

    @Test
    void tableMapValuesAndJoin_matchInMemoryStore()
    {
        final Random random = new Random(13);
        final List<String> topics = new ArrayList<>();
        final List<KeyValue<String, Object>> input = new ArrayList<>();
        for (int i = 0; i < 1_500; i++)
        {
            final String product = "product-" + random.nextInt(200);
            if (random.nextInt(3) == 0)
            {
                topics.add("prices");
                input.add(KeyValue.pair(product, random.nextInt(10) == 0 ? null : (long)random.nextInt(100)));
            }
            else
            {
                topics.add("orders");
                input.add(KeyValue.pair(product, (long)(1 + random.nextInt(5))));
            }
        }
        final Function<Choice, Result> runner = choice ->
        {
            final Properties props = props(choice, choice.name());
            try (TopologyTestDriver driver = new TopologyTestDriver(tableJoinTopology(choice), props))
            {
                final TestInputTopic<String, Long> prices = driver.createInputTopic("prices",
                    Serdes.String().serializer(), Serdes.Long().serializer(), Instant.ofEpochMilli(0),
                    Duration.ofMillis(7));
                final TestInputTopic<String, Long> orders = driver.createInputTopic("orders",
                    Serdes.String().serializer(), Serdes.Long().serializer(), Instant.ofEpochMilli(0),
                    Duration.ofMillis(5));
                for (int i = 0; i < input.size(); i++)
                {
                    (topics.get(i).equals("prices") ? prices : orders)
                        .pipeInput(input.get(i).key, (Long)input.get(i).value);
                }
                recordStoreDirectories(props);
                final Map<String, Long> state = new TreeMap<>(storeContents(driver, "doubled"));
                final Map<String, Long> priceState = storeContents(driver, "prices");
                priceState.forEach((k, v) -> assertEquals(v * 2, state.get(k), k));
                assertEquals(priceState.size(), state.size());
                return new Result(driver.createOutputTopic("out", Serdes.String().deserializer(),
                    Serdes.Long().deserializer()).readRecordsToList(), state);
            }
        };
        final Result expected = runner.apply(Choice.IN_MEMORY);
        assertTrue(expected.output().size() > 500);
        for (final Choice choice : List.of(Choice.CUBBY_SUPPLIER, Choice.CUBBY_DSL_CONFIG))
        {
            assertEquals(expected, runner.apply(choice), choice.name());
            assertTrue(seen.contains(choice.name() + ":cubby/prices"), seen.toString());
            assertTrue(seen.contains(choice.name() + ":cubby/doubled"), seen.toString());
        }
    }

    @Test
    void windowedCount_withCubbyDslSuppliers_usesRocksDbWindowStore()
    {
        final Function<Choice, List<TestRecord<String, Long>>> runner = choice ->
        {
            final StreamsBuilder builder = new StreamsBuilder();
            builder.stream("words", Consumed.with(Serdes.String(), Serdes.String()))
                .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofSeconds(10)))
                .count()
                .toStream((window, count) -> window.key() + "@" + window.window().start())
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
            final Properties props = props(choice, choice.name());
            if (choice == Choice.IN_MEMORY)
            {
                props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG,
                    BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
            }
            try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props))
            {
                final TestInputTopic<String, String> in = driver.createInputTopic("words",
                    Serdes.String().serializer(), Serdes.String().serializer(), Instant.ofEpochMilli(0),
                    Duration.ofMillis(50));
                for (final KeyValue<String, Object> kv : words(new Random(14), 1_000, 20))
                {
                    in.pipeInput(kv.key, (String)kv.value);
                }
                recordStoreDirectories(props);
                return driver.createOutputTopic("out", Serdes.String().deserializer(), Serdes.Long().deserializer())
                    .readRecordsToList();
            }
        };
        final List<TestRecord<String, Long>> expected = runner.apply(Choice.IN_MEMORY);
        assertEquals(expected, runner.apply(Choice.CUBBY_DSL_CONFIG));
        // The window store is Kafka's segmented RocksDB store, in a directory named after it; no Cubby store.
        assertTrue(seen.stream().anyMatch(dir -> dir.startsWith(Choice.CUBBY_DSL_CONFIG.name() + ":KSTREAM-")),
            seen.toString());
        assertFalse(seen.stream().anyMatch(dir -> dir.contains(":cubby")), seen.toString());
    }

    // ================================================================ restart, queries, limits

    /**
     * {@link TopologyTestDriver#close()} deletes the whole state directory, so the first run's directory is copied
     * aside after its last commit and put back after the close: the second driver then opens the Cubby store as a
     * restarted instance would (uncleanly closed, as after a crash; the driver restores nothing from changelogs).
     */
    @Test
    void countState_survivesDriverCloseAndReopenOnSameStateDirectory()
    {
        final List<KeyValue<String, Object>> input = words(new Random(15), 600, 150);
        final List<KeyValue<String, Object>> first = input.subList(0, 350);
        final List<KeyValue<String, Object>> second = input.subList(350, input.size());
        final Result whole = run(countTopology(Choice.IN_MEMORY), props(Choice.IN_MEMORY, "mem"), "words", input,
            "counts");

        // The default: every commit forces the table to disk.
        final Properties props = props(Choice.CUBBY_DSL_CONFIG, "restart");
        props.remove(CubbyDslStoreSuppliers.FORCE_ON_COMMIT_CONFIG);
        final Path stateDir = Path.of(props.getProperty(StreamsConfig.STATE_DIR_CONFIG));
        final Path saved = tempDir.resolve("saved");
        final Map<String, Long> firstState;
        try (TopologyTestDriver driver = new TopologyTestDriver(countTopology(Choice.CUBBY_DSL_CONFIG), props))
        {
            pipe(driver, "words", first);
            recordStoreDirectories(props);
            firstState = storeContents(driver, "counts");
            copyTree(stateDir, saved);
        }
        assertTrue(seen.contains("restart:cubby/counts"), seen.toString());
        assertFalse(Files.exists(stateDir.resolve(APP)), "the driver's close deletes the state directory");
        copyTree(saved, stateDir);

        try (TopologyTestDriver driver = new TopologyTestDriver(countTopology(Choice.CUBBY_DSL_CONFIG), props))
        {
            assertEquals(firstState, storeContents(driver, "counts"), "state after reopening");
            pipe(driver, "words", second);
            final List<TestRecord<String, Long>> output = driver.createOutputTopic("out",
                Serdes.String().deserializer(), Serdes.Long().deserializer()).readRecordsToList();
            assertEquals(whole.state(), storeContents(driver, "counts"));
            final List<KeyValue<String, Long>> expectedTail = new ArrayList<>();
            whole.output().subList(whole.output().size() - output.size(), whole.output().size())
                .forEach(r -> expectedTail.add(KeyValue.pair(r.key(), r.value())));
            final List<KeyValue<String, Long>> actualTail = new ArrayList<>();
            output.forEach(r -> actualTail.add(KeyValue.pair(r.key(), r.value())));
            assertEquals(expectedTail, actualTail);
        }
    }

    @Test
    void readOnlyStore_rangeAllAndPrefixScan_matchModel()
    {
        final List<KeyValue<String, Object>> input = words(new Random(16), 1_000, 400);
        final TreeMap<String, Long> model = new TreeMap<>();
        input.forEach(kv -> model.merge((String)kv.value, 1L, Long::sum));
        try (TopologyTestDriver driver = new TopologyTestDriver(countTopology(Choice.CUBBY_SUPPLIER),
            props(Choice.CUBBY_SUPPLIER, "iq")))
        {
            pipe(driver, "words", input);
            final KeyValueStore<String, Long> store = driver.getKeyValueStore("counts");
            assertEquals(model.size(), store.approximateNumEntries());
            assertEquals(model.get("w-17"), store.get("w-17"));
            assertEquals(new ArrayList<>(model.subMap("w-1", true, "w-2", true).entrySet()),
                toEntries(store.range("w-1", "w-2")));
            assertEquals(new ArrayList<>(model.subMap("w-1", true, "w-2", true).descendingMap().entrySet()),
                toEntries(store.reverseRange("w-1", "w-2")));
            assertEquals(new ArrayList<>(model.tailMap("w-3", true).entrySet()), toEntries(store.range("w-3", null)));
            assertEquals(new ArrayList<>(model.entrySet()), toEntries(store.all()));
            assertEquals(new ArrayList<>(model.descendingMap().entrySet()), toEntries(store.reverseAll()));
            assertEquals(new ArrayList<>(model.subMap("w-3", true, "w-4", false).entrySet()),
                toEntries(store.prefixScan("w-3", Serdes.String().serializer())));
            assertEquals(List.of(), toEntries(store.range("w-2", "w-1")));
        }
    }

    @Test
    void recordOverKeyLimit_failsTaskWithStoreNameAndSizes()
    {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("words", Consumed.with(Serdes.String(), Serdes.String()))
            .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
            .count(Materialized.<String, Long>as(CubbyStores.timestampedKeyValueStore("short-keys")
                .withMaxKeySize(8)).withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        final Properties props = props(Choice.CUBBY_SUPPLIER, "limits");
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props))
        {
            final TestInputTopic<String, String> in = driver.createInputTopic("words", Serdes.String().serializer(),
                Serdes.String().serializer());
            in.pipeInput(null, "short");
            final StreamsException thrown = assertThrows(StreamsException.class,
                () -> in.pipeInput(null, "a-word-of-24-characters!"));
            CubbyRecordTooLargeException tooLarge = null;
            for (Throwable t = thrown; null != t && null == tooLarge; t = t.getCause())
            {
                if (t instanceof CubbyRecordTooLargeException)
                {
                    tooLarge = (CubbyRecordTooLargeException)t;
                }
            }
            assertNotNull(tooLarge, "cause chain of " + thrown);
            assertEquals("short-keys", tooLarge.storeName());
            assertEquals(24, tooLarge.keySize());
            assertEquals(8, tooLarge.valueSize());
            assertEquals(8, tooLarge.maxKeySize());
            assertTrue(tooLarge.getMessage().contains("'short-keys'"), tooLarge.getMessage());
            assertTrue(tooLarge.getMessage().contains("key of 24 bytes"), tooLarge.getMessage());
            assertTrue(tooLarge.getMessage().contains("maxKeySize 8"), tooLarge.getMessage());
        }
    }

    // ================================================================ helpers

    private Properties props(final Choice choice, final String name)
    {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, tempDir.resolve(name).toString());
        if (choice == Choice.CUBBY_DSL_CONFIG)
        {
            props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, CubbyDslStoreSuppliers.class);
            props.put(CubbyDslStoreSuppliers.MAX_KEY_SIZE_CONFIG, 32);
            props.put(CubbyDslStoreSuppliers.MAX_VALUE_SIZE_CONFIG, "16");
            // The test driver commits after every record: forcing the table each time would dominate the run.
            props.put(CubbyDslStoreSuppliers.FORCE_ON_COMMIT_CONFIG, "false");
        }
        return props;
    }

    /**
     * Records what a run keeps in its task directories: "run:child" for each entry of a task directory and
     * "run:cubby/store" for each Cubby store. Called before the driver closes: closing deletes the state directory.
     */
    private void recordStoreDirectories(final Properties props)
    {
        final Path root = Path.of(props.getProperty(StreamsConfig.STATE_DIR_CONFIG));
        final String run = root.getFileName().toString();
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(root, 4))
        {
            paths.forEach(path ->
            {
                final Path relative = root.relativize(path);
                if (3 == relative.getNameCount())
                {
                    seen.add(run + ":" + relative.getFileName());
                }
                else if (4 == relative.getNameCount() && Files.isDirectory(path) &&
                    CubbyKeyValueStore.DIRECTORY.equals(relative.getName(2).toString()))
                {
                    seen.add(run + ":cubby/" + relative.getFileName());
                }
            });
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Copies a directory tree (a state directory, while its stores are open and committed). */
    static void copyTree(final Path from, final Path to)
    {
        try (Stream<Path> paths = Files.walk(from))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                final Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path))
                {
                    Files.createDirectories(target);
                }
                else
                {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static List<KeyValue<String, Object>> words(final Random random, final int count, final int distinct)
    {
        final List<KeyValue<String, Object>> input = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            input.add(KeyValue.pair(null, "w-" + random.nextInt(distinct)));
        }
        return input;
    }

    private Result run(
        final Topology topology,
        final Properties props,
        final String topic,
        final List<KeyValue<String, Object>> input,
        final String store)
    {
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props))
        {
            pipe(driver, topic, input);
            recordStoreDirectories(props);
            final List<TestRecord<String, Long>> output = driver.createOutputTopic("out",
                Serdes.String().deserializer(), Serdes.Long().deserializer()).readRecordsToList();
            return new Result(output, storeContents(driver, store));
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void pipe(final TopologyTestDriver driver, final String topic,
        final List<KeyValue<String, Object>> input)
    {
        final boolean longs = input.stream().anyMatch(kv -> kv.value instanceof Long);
        final org.apache.kafka.common.serialization.Serializer values =
            longs ? Serdes.Long().serializer() : Serdes.String().serializer();
        final TestInputTopic in = driver.createInputTopic(topic, Serdes.String().serializer(), values,
            Instant.ofEpochMilli(1_000), Duration.ofMillis(3));
        for (final KeyValue<String, Object> kv : input)
        {
            in.pipeInput(kv.key, kv.value);
        }
    }

    private static Map<String, Long> storeContents(final TopologyTestDriver driver, final String store)
    {
        final KeyValueStore<String, Long> kv = driver.getKeyValueStore(store);
        final Map<String, Long> contents = new TreeMap<>();
        try (KeyValueIterator<String, Long> it = kv.all())
        {
            it.forEachRemaining(e -> contents.put(e.key, e.value));
        }
        return contents;
    }

    private static List<Map.Entry<String, Long>> toEntries(final KeyValueIterator<String, Long> it)
    {
        final List<Map.Entry<String, Long>> entries = new ArrayList<>();
        try (it)
        {
            it.forEachRemaining(e -> entries.add(Map.entry(e.key, e.value)));
        }
        return entries;
    }
}
