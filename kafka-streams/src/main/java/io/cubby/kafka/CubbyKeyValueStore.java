package io.cubby.kafka;

import io.cubby.store.Cubby;
import io.cubby.store.CubbyException;
import io.cubby.store.IncompatibleStoreException;
import io.cubby.store.StoreLockedException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.ChangelogRecordDeserializationHelper;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.apache.kafka.streams.state.internals.StoreQueryUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Kafka Streams key-value store of serialized keys and values in a Cubby store, at
 * {@code <task state dir>/cubby/<store name>}, beside the store's query position in
 * {@code <task state dir>/cubby/<store name>.position}.
 * <p>
 * Point operations go straight to Cubby. Ordered operations ({@code range}, {@code reverseRange}, {@code all},
 * {@code reverseAll}, {@code prefixScan}) scan the whole store and sort the matches ({@link SortedScan}); their
 * iterators are copies made at their creation (one scanning while the task writes sees each segment as of its own
 * instant). Range bounds are inclusive, a null bound is open, and {@code from > to} returns an empty iterator with
 * a warning, as in Kafka's RocksDB store.
 * <p>
 * One stream thread writes a task's stores; interactive queries read concurrently without blocking it (a scan
 * copies one segment at a time under that segment's write lock, delaying the task's writes to it meanwhile).
 */
class CubbyKeyValueStore implements KeyValueStore<Bytes, byte[]>
{
    static final String DIRECTORY = "cubby";
    private static final Logger LOG = LoggerFactory.getLogger(CubbyKeyValueStore.class);

    private final String name;
    private final CubbyKeyValueBytesStoreSupplier config;
    /** Bytes a stored value carries beyond the user's value (the timestamp of a timestamped store). */
    private final int valueOverhead;
    /** Replaced, not merged, by each init: a task revived after its state was wiped starts from the saved one. */
    private volatile Position position = Position.emptyPosition();
    private StateStoreContext context;
    private OffsetCheckpoint positionCheckpoint;
    private boolean consistencyEnabled;
    private volatile Cubby cubby;
    private volatile boolean open;
    /** Written since the last commit: a commit of an unchanged store forces and saves nothing. */
    private volatile boolean dirty;

    CubbyKeyValueStore(final CubbyKeyValueBytesStoreSupplier config, final int valueOverhead)
    {
        this.name = config.name();
        this.config = config;
        this.valueOverhead = valueOverhead;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public void init(final StateStoreContext context, final StateStore root)
    {
        final File parent = new File(context.stateDir(), DIRECTORY);
        final File directory = new File(parent, name);
        try
        {
            Files.createDirectories(parent.toPath());
        }
        catch (final IOException ex)
        {
            throw new ProcessorStateException("Cannot create the directory of Cubby store '" + name + "' at " +
                parent, ex);
        }
        cubby = openCubby(directory);
        positionCheckpoint = new OffsetCheckpoint(new File(parent, name + ".position"));
        position = StoreQueryUtils.readPositionFromCheckpoint(positionCheckpoint);
        dirty = false;
        consistencyEnabled = StreamsConfig.InternalConfig.getBoolean(
            context.appConfigs(), StreamsConfig.InternalConfig.IQ_CONSISTENCY_OFFSET_VECTOR_ENABLED, false);
        this.context = context;
        open = true;
        if (null != root)
        {
            context.register(root, (RecordBatchingStateRestoreCallback)this::restoreBatch, this::savePosition);
        }
    }

    private Cubby openCubby(final File directory)
    {
        try
        {
            return Cubby.builder(directory.toPath())
                .maxKeySize(config.maxKeySize())
                .maxValueSize(config.maxValueSize() + valueOverhead)
                .expectedEntries(config.expectedEntries())
                .durability(config.durability())
                .open();
        }
        catch (final IncompatibleStoreException ex)
        {
            throw new ProcessorStateException("Cubby store '" + name + "' at " + directory + " was created with " +
                "other limits than the configured maxKeySize " + config.maxKeySize() + " and maxValueSize " +
                config.maxValueSize() + "; remove the local state (KafkaStreams#cleanUp()) to rebuild it from its " +
                "changelog with the new limits", ex);
        }
        catch (final StoreLockedException ex)
        {
            throw new ProcessorStateException("Cubby store '" + name + "' at " + directory +
                " is open elsewhere", ex);
        }
        catch (final CubbyException ex)
        {
            throw new ProcessorStateException("Cannot open Cubby store '" + name + "' at " + directory, ex);
        }
    }

    /** Applies a batch of changelog records, each a put or (null value) a delete, and advances the position. */
    void restoreBatch(final Collection<ConsumerRecord<byte[], byte[]>> records)
    {
        final Cubby store = openStore();
        synchronized (position)
        {
            for (final ConsumerRecord<byte[], byte[]> record : records)
            {
                ChangelogRecordDeserializationHelper.applyChecksAndUpdatePosition(record, consistencyEnabled,
                    position);
                write(store, record.key(), record.value());
            }
        }
    }

    @Override
    public boolean persistent()
    {
        return true;
    }

    @Override
    public boolean isOpen()
    {
        return open;
    }

    @Override
    public Position getPosition()
    {
        return position;
    }

    @Override
    public <R> QueryResult<R> query(final Query<R> query, final PositionBound positionBound, final QueryConfig config)
    {
        return StoreQueryUtils.handleBasicQueries(query, positionBound, config, this, position, context);
    }

    // ================================================================ point operations

    @Override
    public byte[] get(final Bytes key)
    {
        Objects.requireNonNull(key, "key cannot be null");
        final Cubby store = openStore();
        final byte[] k = key.get();
        return k.length > config.maxKeySize() ? null : store.get(k);
    }

    @Override
    public void put(final Bytes key, final byte[] value)
    {
        Objects.requireNonNull(key, "key cannot be null");
        final Cubby store = openStore();
        synchronized (position)
        {
            write(store, key.get(), value);
            StoreQueryUtils.updatePosition(position, context);
        }
    }

    @Override
    public byte[] putIfAbsent(final Bytes key, final byte[] value)
    {
        Objects.requireNonNull(key, "key cannot be null");
        final Cubby store = openStore();
        if (null == value)
        {
            return get(key);
        }
        final byte[] k = key.get();
        checkSize(k, value);
        synchronized (position)
        {
            final byte[] present = store.putIfAbsent(k, value);
            if (null == present)
            {
                dirty = true;
                StoreQueryUtils.updatePosition(position, context);
            }
            return present;
        }
    }

    @Override
    public void putAll(final List<KeyValue<Bytes, byte[]>> entries)
    {
        final Cubby store = openStore();
        for (final KeyValue<Bytes, byte[]> entry : entries)
        {
            Objects.requireNonNull(entry.key, "key cannot be null");
            if (null != entry.value)
            {
                checkSize(entry.key.get(), entry.value);
            }
        }
        synchronized (position)
        {
            for (final KeyValue<Bytes, byte[]> entry : entries)
            {
                write(store, entry.key.get(), entry.value);
            }
            StoreQueryUtils.updatePosition(position, context);
        }
    }

    @Override
    public byte[] delete(final Bytes key)
    {
        Objects.requireNonNull(key, "key cannot be null");
        final Cubby store = openStore();
        final byte[] k = key.get();
        synchronized (position)
        {
            dirty = true;
            final byte[] previous = k.length > config.maxKeySize() ? null : store.getAndRemove(k);
            StoreQueryUtils.updatePosition(position, context);
            return previous;
        }
    }

    private void write(final Cubby store, final byte[] key, final byte[] value)
    {
        dirty = true;
        if (null == value)
        {
            if (key.length <= config.maxKeySize())
            {
                store.remove(key);
            }
            return;
        }
        checkSize(key, value);
        store.put(key, value);
    }

    private void checkSize(final byte[] key, final byte[] value)
    {
        if (key.length > config.maxKeySize() || value.length - valueOverhead > config.maxValueSize())
        {
            throw new CubbyRecordTooLargeException(name, key.length, value.length - valueOverhead,
                config.maxKeySize(), config.maxValueSize());
        }
    }

    // ================================================================ ordered scans

    @Override
    public KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to)
    {
        return range(from, to, true);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(final Bytes from, final Bytes to)
    {
        return range(from, to, false);
    }

    private KeyValueIterator<Bytes, byte[]> range(final Bytes from, final Bytes to, final boolean forward)
    {
        if (null != from && null != to && from.compareTo(to) > 0)
        {
            LOG.warn("Returning empty iterator for fetch with invalid key range: from > to. " +
                "This may be due to range arguments set in the wrong order, " +
                "or serdes that don't preserve ordering when lexicographically comparing the serialized bytes. " +
                "Note that the built-in numerical serdes do not follow this for negative numbers");
            return new SnapshotIterator(name, List.of(), forward);
        }
        final Cubby store = openStore();
        return new SnapshotIterator(name,
            SortedScan.range(store, null == from ? null : from.get(), null == to ? null : to.get()), forward);
    }

    /** All entries in ascending key order (the caching layer merges this iterator with its sorted cache). */
    @Override
    public KeyValueIterator<Bytes, byte[]> all()
    {
        return range(null, null, true);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseAll()
    {
        return range(null, null, false);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(
        final P prefix, final PS prefixKeySerializer)
    {
        Objects.requireNonNull(prefix, "prefix cannot be null");
        Objects.requireNonNull(prefixKeySerializer, "prefixKeySerializer cannot be null");
        final Cubby store = openStore();
        final byte[] prefixBytes = prefixKeySerializer.serialize(null, prefix);
        return new SnapshotIterator(name, SortedScan.prefix(store, prefixBytes), true);
    }

    @Override
    public long approximateNumEntries()
    {
        return openStore().size();
    }

    // ================================================================ lifecycle

    /**
     * Forces the table to disk when the supplier asks for it, so the changelog offsets Kafka Streams checkpoints
     * after this call are never ahead of the data after a power loss. The query position is saved when Kafka Streams
     * writes its checkpoint (the commit callback) and on close.
     */
    @Override
    public void commit(final Map<TopicPartition, Long> changelogOffsets)
    {
        forceAndSavePosition();
    }

    /** Same as {@link #commit(Map)}, for callers of the deprecated method. */
    @Deprecated
    @Override
    public void flush()
    {
        forceAndSavePosition();
    }

    private void forceAndSavePosition()
    {
        final Cubby store = cubby;
        if (null == store || !open || !dirty)
        {
            return;
        }
        dirty = false;
        if (config.forceOnCommit())
        {
            try
            {
                store.checkpoint();
            }
            catch (final CubbyException ex)
            {
                throw new ProcessorStateException("Error while committing Cubby store '" + name + "'", ex);
            }
        }
    }

    private void savePosition()
    {
        if (null == positionCheckpoint)
        {
            return;
        }
        try
        {
            synchronized (position)
            {
                StoreQueryUtils.checkpointPosition(positionCheckpoint, position);
            }
        }
        catch (final RuntimeException ex)
        {
            throw new ProcessorStateException("Error while saving the position of Cubby store '" + name + "'", ex);
        }
    }

    @Override
    public void close()
    {
        final Cubby store = cubby;
        if (open)
        {
            savePosition();
        }
        open = false;
        if (null != store)
        {
            cubby = null;
            try
            {
                store.close();
            }
            catch (final CubbyException ex)
            {
                throw new ProcessorStateException("Error while closing Cubby store '" + name + "'", ex);
            }
        }
    }

    private Cubby openStore()
    {
        final Cubby store = cubby;
        if (!open || null == store)
        {
            throw new InvalidStateStoreException("Store " + name + " is currently closed");
        }
        return store;
    }

    @Override
    public String toString()
    {
        return "CubbyKeyValueStore{name=" + name + ", open=" + open + '}';
    }
}
