package io.cubby.kafka;

import io.cubby.store.Durability;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.DslStoreFormat;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.DslKeyValueParams;
import org.apache.kafka.streams.state.DslSessionParams;
import org.apache.kafka.streams.state.DslStoreSuppliers;
import org.apache.kafka.streams.state.DslWindowParams;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.SessionBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;

import java.util.Locale;
import java.util.Map;

/**
 * Makes Cubby the store of every DSL key-value store of a topology:
 * {@code props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, CubbyDslStoreSuppliers.class)}.
 * <p>
 * Key-value stores are Cubby stores: timestamped ones for the {@code TIMESTAMPED} format (the DSL default), plain
 * ones for {@code PLAIN}; for {@code HEADERS} a timestamped store that Kafka Streams adapts to the headers format, so
 * the stored headers are empty. Window and session stores need time-ordered range scans, which a hash store does
 * not have: they come from Kafka's built-in RocksDB suppliers.
 * <p>
 * The limits of all the Cubby stores come from the application configuration:
 * {@value #MAX_KEY_SIZE_CONFIG}, {@value #MAX_VALUE_SIZE_CONFIG}, {@value #EXPECTED_ENTRIES_CONFIG},
 * {@value #DURABILITY_CONFIG} ({@code none}, {@code async} or {@code sync}) and {@value #FORCE_ON_COMMIT_CONFIG}.
 * A store that needs other limits is given its own supplier with {@code Materialized.as}.
 */
public class CubbyDslStoreSuppliers implements DslStoreSuppliers
{
    /** Largest serialized key in bytes of every Cubby store. */
    public static final String MAX_KEY_SIZE_CONFIG = "cubby.max.key.size";
    /** Largest serialized value in bytes of every Cubby store (without the timestamp). */
    public static final String MAX_VALUE_SIZE_CONFIG = "cubby.max.value.size";
    /** Entries each store instance's first table is sized for. */
    public static final String EXPECTED_ENTRIES_CONFIG = "cubby.expected.entries";
    /** Cubby durability of the stores: none (default), async or sync. */
    public static final String DURABILITY_CONFIG = "cubby.durability";
    /** Whether each commit forces the table to disk (default true). */
    public static final String FORCE_ON_COMMIT_CONFIG = "cubby.force.on.commit";

    private final DslStoreSuppliers rocksDb = new BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers();
    private int maxKeySize = CubbyKeyValueBytesStoreSupplier.DEFAULT_MAX_KEY_SIZE;
    private int maxValueSize = CubbyKeyValueBytesStoreSupplier.DEFAULT_MAX_VALUE_SIZE;
    private long expectedEntries = CubbyKeyValueBytesStoreSupplier.DEFAULT_EXPECTED_ENTRIES;
    private Durability durability = Durability.NONE;
    private boolean forceOnCommit = true;

    /** Used by Kafka Streams, which then calls {@link #configure(Map)} with the application configuration. */
    public CubbyDslStoreSuppliers()
    {
    }

    @Override
    public void configure(final Map<String, ?> configs)
    {
        rocksDb.configure(configs);
        maxKeySize = (int)longConfig(configs, MAX_KEY_SIZE_CONFIG, maxKeySize, 1, Integer.MAX_VALUE);
        maxValueSize = (int)longConfig(configs, MAX_VALUE_SIZE_CONFIG, maxValueSize, 1, Integer.MAX_VALUE);
        expectedEntries = longConfig(configs, EXPECTED_ENTRIES_CONFIG, expectedEntries, 0, Long.MAX_VALUE);
        final Object durabilityValue = configs.get(DURABILITY_CONFIG);
        if (null != durabilityValue)
        {
            try
            {
                durability = Durability.valueOf(durabilityValue.toString().trim().toUpperCase(Locale.ROOT));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ConfigException(DURABILITY_CONFIG, durabilityValue, "must be none, async or sync");
            }
        }
        final Object force = configs.get(FORCE_ON_COMMIT_CONFIG);
        if (null != force)
        {
            final String text = force.toString().trim();
            if (!"true".equalsIgnoreCase(text) && !"false".equalsIgnoreCase(text))
            {
                throw new ConfigException(FORCE_ON_COMMIT_CONFIG, force, "must be true or false");
            }
            forceOnCommit = Boolean.parseBoolean(text);
        }
    }

    private static long longConfig(
        final Map<String, ?> configs, final String key, final long defaultValue, final long min, final long max)
    {
        final Object value = configs.get(key);
        if (null == value)
        {
            return defaultValue;
        }
        final long parsed;
        try
        {
            parsed = value instanceof Number ? ((Number)value).longValue() : Long.parseLong(value.toString().trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigException(key, value, "must be an integer");
        }
        if (parsed < min || parsed > max)
        {
            throw new ConfigException(key, value, "must be in [" + min + ", " + max + "]");
        }
        return parsed;
    }

    @Override
    public KeyValueBytesStoreSupplier keyValueStore(final DslKeyValueParams params)
    {
        final DslStoreFormat format = params.dslStoreFormat();
        final CubbyKeyValueBytesStoreSupplier supplier = DslStoreFormat.PLAIN == format ?
            CubbyStores.keyValueStore(params.name()) : CubbyStores.timestampedKeyValueStore(params.name());
        return supplier
            .withMaxKeySize(maxKeySize)
            .withMaxValueSize(maxValueSize)
            .withExpectedEntries(expectedEntries)
            .withDurability(durability)
            .withForceOnCommit(forceOnCommit);
    }

    /** Kafka's RocksDB window store: Cubby has no ordered index for time ranges. */
    @Override
    public WindowBytesStoreSupplier windowStore(final DslWindowParams params)
    {
        return rocksDb.windowStore(params);
    }

    /** Kafka's RocksDB session store: Cubby has no ordered index for time ranges. */
    @Override
    public SessionBytesStoreSupplier sessionStore(final DslSessionParams params)
    {
        return rocksDb.sessionStore(params);
    }
}
