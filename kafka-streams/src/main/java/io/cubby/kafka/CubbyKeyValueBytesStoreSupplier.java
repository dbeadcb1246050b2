package io.cubby.kafka;

import io.cubby.store.Durability;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.Objects;

/**
 * Supplies Cubby key-value stores to Kafka Streams, one per task (and so per input partition), each in its own
 * directory. Immutable: the {@code with*} methods return configured copies.
 * <pre>{@code
 * builder.stream("words", Consumed.with(Serdes.String(), Serdes.String()))
 *     .groupBy((k, word) -> word)
 *     .count(Materialized.as(CubbyStores.timestampedKeyValueStore("counts").withMaxKeySize(128)));
 * }</pre>
 * Cubby slots have a fixed size: every entry costs {@code maxKeySize + maxValueSize} plus a small header on disk,
 * so the limits should fit the serialized records closely. A record over them fails the task with
 * {@link CubbyRecordTooLargeException}. The limits are fixed when a store is created; a store reopened with other
 * limits fails to open until its local state is removed and rebuilt from the changelog.
 */
public final class CubbyKeyValueBytesStoreSupplier implements KeyValueBytesStoreSupplier
{
    /** Default largest serialized key, in bytes. */
    public static final int DEFAULT_MAX_KEY_SIZE = 64;
    /** Default largest serialized value, in bytes (without a timestamped store's 8-byte timestamp). */
    public static final int DEFAULT_MAX_VALUE_SIZE = 256;
    /** Default number of entries the first table of each store instance is sized for; tables grow beyond it. */
    public static final long DEFAULT_EXPECTED_ENTRIES = 1024;
    /** The metrics scope of Cubby stores. */
    public static final String METRICS_SCOPE = "cubby";

    private final String name;
    private final boolean timestamped;
    private final int maxKeySize;
    private final int maxValueSize;
    private final long expectedEntries;
    private final Durability durability;
    private final boolean forceOnCommit;

    CubbyKeyValueBytesStoreSupplier(final String name, final boolean timestamped)
    {
        this(name, timestamped, DEFAULT_MAX_KEY_SIZE, DEFAULT_MAX_VALUE_SIZE, DEFAULT_EXPECTED_ENTRIES,
            Durability.NONE, true);
    }

    private CubbyKeyValueBytesStoreSupplier(
        final String name,
        final boolean timestamped,
        final int maxKeySize,
        final int maxValueSize,
        final long expectedEntries,
        final Durability durability,
        final boolean forceOnCommit)
    {
        this.name = Objects.requireNonNull(name, "name cannot be null");
        if (maxKeySize < 1)
        {
            throw new IllegalArgumentException("maxKeySize must be at least 1: " + maxKeySize);
        }
        if (maxValueSize < 1)
        {
            throw new IllegalArgumentException("maxValueSize must be at least 1: " + maxValueSize);
        }
        if (expectedEntries < 0)
        {
            throw new IllegalArgumentException("expectedEntries must be >= 0: " + expectedEntries);
        }
        this.timestamped = timestamped;
        this.maxKeySize = maxKeySize;
        this.maxValueSize = maxValueSize;
        this.expectedEntries = expectedEntries;
        this.durability = Objects.requireNonNull(durability, "durability cannot be null");
        this.forceOnCommit = forceOnCommit;
    }

    /** @return a copy with this largest serialized key in bytes. */
    public CubbyKeyValueBytesStoreSupplier withMaxKeySize(final int bytes)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, timestamped, bytes, maxValueSize, expectedEntries,
            durability, forceOnCommit);
    }

    /** @return a copy with this largest serialized value in bytes (a timestamped store adds 8 bytes itself). */
    public CubbyKeyValueBytesStoreSupplier withMaxValueSize(final int bytes)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, timestamped, maxKeySize, bytes, expectedEntries,
            durability, forceOnCommit);
    }

    /** @return a copy whose store instances size their first table for this many entries each. */
    public CubbyKeyValueBytesStoreSupplier withExpectedEntries(final long entries)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, timestamped, maxKeySize, maxValueSize, entries,
            durability, forceOnCommit);
    }

    /**
     * @return a copy opening its stores with this Cubby durability. The default {@link Durability#NONE} logs no
     * operations: the changelog topic is the log, and the table is forced to disk at every commit.
     */
    public CubbyKeyValueBytesStoreSupplier withDurability(final Durability durability)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, timestamped, maxKeySize, maxValueSize, expectedEntries,
            durability, forceOnCommit);
    }

    /**
     * @return a copy that forces (true, the default) or does not force the table to disk at each commit. Without
     * it a power loss can leave the store behind the changelog offsets checkpointed by Kafka Streams, which then
     * does not restore the difference; a process crash loses nothing either way.
     */
    public CubbyKeyValueBytesStoreSupplier withForceOnCommit(final boolean force)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, timestamped, maxKeySize, maxValueSize, expectedEntries,
            durability, force);
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public KeyValueStore<Bytes, byte[]> get()
    {
        return timestamped ? new CubbyTimestampedKeyValueStore(this) : new CubbyKeyValueStore(this, 0);
    }

    @Override
    public String metricsScope()
    {
        return METRICS_SCOPE;
    }

    /** @return true if the stores keep values in Kafka Streams' timestamped format. */
    public boolean isTimestamped()
    {
        return timestamped;
    }

    /** @return the largest serialized key in bytes. */
    public int maxKeySize()
    {
        return maxKeySize;
    }

    /** @return the largest serialized value in bytes, without a timestamped store's timestamp. */
    public int maxValueSize()
    {
        return maxValueSize;
    }

    /** @return the entries each store instance's first table is sized for. */
    public long expectedEntries()
    {
        return expectedEntries;
    }

    /** @return the Cubby durability the stores are opened with. */
    public Durability durability()
    {
        return durability;
    }

    /** @return true if each commit forces the table to disk. */
    public boolean forceOnCommit()
    {
        return forceOnCommit;
    }

    @Override
    public String toString()
    {
        return "CubbyKeyValueBytesStoreSupplier{name=" + name + ", timestamped=" + timestamped +
            ", maxKeySize=" + maxKeySize + ", maxValueSize=" + maxValueSize + ", expectedEntries=" +
            expectedEntries + ", durability=" + durability + ", forceOnCommit=" + forceOnCommit + '}';
    }
}
