package io.cubby.kafka;

/**
 * Factories of Cubby store suppliers, the counterpart of Kafka's {@code Stores.persistentKeyValueStore}.
 */
public final class CubbyStores
{
    private CubbyStores()
    {
    }

    /**
     * A plain key-value store, for {@code Stores.keyValueStoreBuilder} and the Processor API. Used by the DSL's
     * timestamped operations it loses record timestamps (Kafka Streams adapts it as it does a plain RocksDB store);
     * give those {@link #timestampedKeyValueStore(String)}.
     *
     * @param name the store name.
     * @return a supplier with the default limits.
     */
    public static CubbyKeyValueBytesStoreSupplier keyValueStore(final String name)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, false);
    }

    /**
     * A key-value store keeping values with their timestamps, for {@code Materialized.as} in the DSL (counts,
     * aggregations, KTables) and {@code Stores.timestampedKeyValueStoreBuilder}.
     *
     * @param name the store name.
     * @return a supplier with the default limits.
     */
    public static CubbyKeyValueBytesStoreSupplier timestampedKeyValueStore(final String name)
    {
        return new CubbyKeyValueBytesStoreSupplier(name, true);
    }
}
