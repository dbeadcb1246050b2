package io.cubby.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A word count on a Cubby store against a real in-process KRaft broker (Kafka's {@link KafkaClusterTestKit}): after
 * the application stops and its local state is wiped ({@link KafkaStreams#cleanUp()}), a new instance restores a
 * fresh Cubby store from the changelog topic and serves the same counts to interactive queries. About 20 s here;
 * each instance leaves the consumer group when it closes, so the next one's rebalance does not wait for the
 * session timeout.
 */
class ChangelogRestoreIntegrationTest
{
    private static final String APP = "cubby-restore-it";
    private static final String STORE = "counts";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path tempDir;

    @SuppressWarnings("try") // KafkaClusterTestKit.close() declares Exception
    @Test
    void wipedStateDirectory_isRestoredFromChangelogIntoFreshCubbyStore() throws Exception
    {
        try (KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBaseDirectory(tempDir.resolve("kafka"))
            .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build())
        {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            try (Admin admin = cluster.admin())
            {
                admin.createTopics(List.of(new NewTopic("words", 2, (short)1))).all().get(30, TimeUnit.SECONDS);
            }

            final TreeMap<String, Long> expected = new TreeMap<>();
            final Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps,
                new StringSerializer(), new StringSerializer()))
            {
                final Random random = new Random(21);
                for (int i = 0; i < 3_000; i++)
                {
                    final String word = "w-" + random.nextInt(200);
                    expected.merge(word, 1L, Long::sum);
                    producer.send(new ProducerRecord<>("words", Integer.toString(i), word));
                }
                producer.flush();
            }

            final Path stateDir = tempDir.resolve("state");
            final Properties props = streamsProps(cluster.bootstrapServers(), stateDir);

            try (KafkaStreams streams = new KafkaStreams(countTopology(), props))
            {
                streams.start();
                awaitState(streams, expected, "first run");
                leaveGroup(streams);
            }
            assertTrue(cubbyStoreDirectories(stateDir) > 0, "the first run kept its counts in Cubby stores");

            try (KafkaStreams wiper = new KafkaStreams(countTopology(), props))
            {
                wiper.cleanUp();
            }
            assertEquals(0, cubbyStoreDirectories(stateDir), "cleanUp wiped the local state");

            final AtomicLong restored = new AtomicLong();
            try (KafkaStreams streams = new KafkaStreams(countTopology(), props))
            {
                streams.setGlobalStateRestoreListener(new StateRestoreListener()
                {
                    @Override
                    public void onRestoreStart(
                        final TopicPartition partition, final String storeName, final long start, final long end)
                    {
                    }

                    @Override
                    public void onBatchRestored(
                        final TopicPartition partition, final String storeName, final long batchEnd,
                        final long numRestored)
                    {
                        if (STORE.equals(storeName))
                        {
                            restored.addAndGet(numRestored);
                        }
                    }

                    @Override
                    public void onRestoreEnd(
                        final TopicPartition partition, final String storeName, final long totalRestored)
                    {
                    }
                });
                streams.start();
                awaitState(streams, expected, "after the restore");
                assertTrue(restored.get() > 0, "records restored from the changelog: " + restored.get());
                assertTrue(cubbyStoreDirectories(stateDir) > 0, "restored into fresh Cubby stores");

                final StateQueryResult<Long> result = streams.query(
                    StateQueryRequest.inStore(STORE).withQuery(KeyQuery.<String, Long>withKey("w-7")));
                assertEquals(expected.get("w-7"), result.getOnlyPartitionResult().getResult());
            }
        }
    }

    /** Closes and leaves the group, so the next instance's rebalance does not wait for this member to expire. */
    static void leaveGroup(final KafkaStreams streams)
    {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(60)));
    }

    private static Topology countTopology()
    {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream("words", Consumed.with(Serdes.String(), Serdes.String()))
            .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
            .count(Materialized.<String, Long>as(CubbyStores.timestampedKeyValueStore(STORE))
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        return builder.build();
    }

    private static Properties streamsProps(final String bootstrap, final Path stateDir)
    {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        return props;
    }

    /** Waits, bounded, until the store holds exactly the expected counts. */
    private static void awaitState(final KafkaStreams streams, final Map<String, Long> expected, final String when)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, Long> actual = Map.of();
        while (System.nanoTime() < deadline)
        {
            if (streams.state() == KafkaStreams.State.RUNNING)
            {
                actual = read(() -> streams.store(StoreQueryParameters.fromNameAndType(STORE,
                    QueryableStoreTypes.<String, Long>keyValueStore())));
                if (expected.equals(actual))
                {
                    return;
                }
            }
            assertFalse(streams.state() == KafkaStreams.State.ERROR, "application failed " + when);
            Thread.sleep(200);
        }
        assertEquals(expected, actual, "state " + when + " (streams " + streams.state() + ")");
    }

    private static Map<String, Long> read(final Supplier<ReadOnlyKeyValueStore<String, Long>> store)
    {
        final Map<String, Long> contents = new TreeMap<>();
        try (KeyValueIterator<String, Long> it = store.get().all())
        {
            it.forEachRemaining(kv -> contents.put(kv.key, kv.value));
        }
        catch (final RuntimeException ex)
        {
            return Map.of();
        }
        return contents;
    }

    private static long cubbyStoreDirectories(final Path stateDir) throws java.io.IOException
    {
        if (!Files.exists(stateDir))
        {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(stateDir))
        {
            return paths.filter(p -> Files.isDirectory(p) && STORE.equals(p.getFileName().toString()) &&
                CubbyKeyValueStore.DIRECTORY.equals(p.getParent().getFileName().toString())).count();
        }
    }
}
