package io.cubby.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One topology, {@code stream.groupByKey().count()}, with Kafka's default RocksDB store and with Cubby in the same
 * run, against an in-process KRaft broker: processing throughput (from start until every input offset is
 * committed), the size of the state directory after a clean close, and the time to restore the store from its
 * changelog after the local state is wiped. Not a test; run it with {@code kafka-streams/bench.sh}:
 * <pre>
 * kafka-streams/bench.sh [events=10000000] [keys=1000000] [stores=rocksdb,cubby] [partitions=2] [cacheBytes=10485760]
 * </pre>
 */
public final class KafkaStreamsStoreBenchmark
{
    private static final String INPUT = "events";
    private static final String STORE = "counts";
    private static final long TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(60);

    private KafkaStreamsStoreBenchmark()
    {
    }

    @SuppressWarnings("try") // KafkaClusterTestKit.close() declares Exception
    public static void main(final String[] args) throws Exception
    {
        final long events = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        final int keys = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        final List<String> stores = List.of((args.length > 2 ? args[2] : "rocksdb,cubby").split(","));
        final int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        final long cacheBytes = args.length > 4 ? Long.parseLong(args[4]) : 10L * 1024 * 1024;
        final Path work = Files.createTempDirectory("cubby-kafka-bench-");
        System.out.printf(Locale.ROOT, "events=%d keys=%d partitions=%d cacheBytes=%d work=%s%n",
            events, keys, partitions, cacheBytes, work);

        try (KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
            .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1)
            .setBaseDirectory(work.resolve("kafka")).build())
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
                admin.createTopics(List.of(new NewTopic(INPUT, partitions, (short)1))).all().get();
                final long produceStart = System.nanoTime();
                produce(cluster.bootstrapServers(), events, keys);
                System.out.printf(Locale.ROOT, "produced %d events in %.1f s%n", events,
                    (System.nanoTime() - produceStart) / 1e9);
                for (final String store : stores)
                {
                    run(cluster.bootstrapServers(), admin, store.trim(), work, events, keys, partitions, cacheBytes);
                }
            }
        }
    }

    private static void produce(final String bootstrap, final long events, final int keys)
    {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        final SplittableRandom random = new SplittableRandom(42);
        try (KafkaProducer<String, String> producer =
            new KafkaProducer<>(props, new StringSerializer(), new StringSerializer()))
        {
            for (long i = 0; i < events; i++)
            {
                producer.send(new ProducerRecord<>(INPUT, key(random.nextInt(keys)), "e"));
            }
            producer.flush();
        }
    }

    static String key(final int k)
    {
        return String.format(Locale.ROOT, "key-%08d", k);
    }

    private static KeyValueBytesStoreSupplier supplier(final String store, final int keys, final int partitions)
    {
        return switch (store)
        {
            case "rocksdb" -> Stores.persistentTimestampedKeyValueStore(STORE);
            case "cubby" -> CubbyStores.timestampedKeyValueStore(STORE)
                .withMaxKeySize(16)
                .withMaxValueSize(8)
                .withExpectedEntries(keys / partitions + keys / partitions / 4);
            default -> throw new IllegalArgumentException("store must be rocksdb or cubby: " + store);
        };
    }

    private static Topology topology(final String store, final int keys, final int partitions)
    {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(INPUT, Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey()
            .count(Materialized.<String, Long>as(supplier(store, keys, partitions))
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        return builder.build();
    }

    private static void run(
        final String bootstrap,
        final Admin admin,
        final String store,
        final Path work,
        final long events,
        final int keys,
        final int partitions,
        final long cacheBytes) throws Exception
    {
        final String app = "bench-" + store;
        final Path stateDir = work.resolve("state-" + store);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheBytes);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1_000);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.put(StreamsConfig.consumerPrefix("max.poll.records"), 5_000);

        final long start = System.nanoTime();
        try (KafkaStreams streams = new KafkaStreams(topology(store, keys, partitions), props))
        {
            streams.start();
            awaitCommitted(admin, app, events);
            leaveGroup(streams);
        }
        final double processSeconds = (System.nanoTime() - start) / 1e9;
        final long stateBytes = directorySize(stateDir);

        try (KafkaStreams wiper = new KafkaStreams(topology(store, keys, partitions), props))
        {
            wiper.cleanUp();
        }
        final AtomicLong restoreStart = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong restoreEnd = new AtomicLong();
        final AtomicLong restored = new AtomicLong();
        final AtomicLong ended = new AtomicLong();
        try (KafkaStreams streams = new KafkaStreams(topology(store, keys, partitions), props))
        {
            streams.setGlobalStateRestoreListener(new StateRestoreListener()
            {
                @Override
                public void onRestoreStart(final TopicPartition tp, final String name, final long from, final long to)
                {
                    restoreStart.accumulateAndGet(System.nanoTime(), Math::min);
                }

                @Override
                public void onBatchRestored(final TopicPartition tp, final String name, final long end, final long n)
                {
                    restored.addAndGet(n);
                }

                @Override
                public void onRestoreEnd(final TopicPartition tp, final String name, final long total)
                {
                    restoreEnd.accumulateAndGet(System.nanoTime(), Math::max);
                    ended.incrementAndGet();
                }
            });
            streams.start();
            final long deadline = System.nanoTime() + TIMEOUT_NANOS;
            while (ended.get() < partitions && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
        }
        System.out.printf(Locale.ROOT,
            "store=%s events=%d keys=%d process=%.1f s throughput=%.0f events/s stateDir=%.1f MiB " +
                "restore=%.2f s restoredRecords=%d (%.0f records/s)%n",
            store, events, keys, processSeconds, events / processSeconds, stateBytes / 1048576.0,
            (restoreEnd.get() - restoreStart.get()) / 1e9, restored.get(),
            restored.get() / ((restoreEnd.get() - restoreStart.get()) / 1e9));
    }

    /** Waits until the application's committed input offsets reach the end of the input topic. */
    private static void awaitCommitted(final Admin admin, final String app, final long events) throws Exception
    {
        final long deadline = System.nanoTime() + TIMEOUT_NANOS;
        final Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (final var info : admin.describeTopics(List.of(INPUT)).allTopicNames().get().get(INPUT).partitions())
        {
            latest.put(new TopicPartition(INPUT, info.partition()), OffsetSpec.latest());
        }
        final Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
        final long total = ends.values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
        if (total != events)
        {
            throw new IllegalStateException("input holds " + total + " events, expected " + events);
        }
        while (System.nanoTime() < deadline)
        {
            final Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get();
            long done = 0;
            for (final TopicPartition tp : ends.keySet())
            {
                final OffsetAndMetadata offset = committed.get(tp);
                done += null == offset ? 0 : offset.offset();
            }
            if (done >= total)
            {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("processing did not finish in time");
    }

    /** Closes and leaves the group, so the next instance's rebalance does not wait for this member to expire. */
    static void leaveGroup(final KafkaStreams streams)
    {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(60)));
    }

    private static long directorySize(final Path dir) throws IOException
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            return paths.filter(Files::isRegularFile).mapToLong(p ->
            {
                try
                {
                    return Files.size(p);
                }
                catch (final IOException ex)
                {
                    return 0;
                }
            }).sum();
        }
    }
}
