package io.cubby.kafka;

import org.apache.kafka.streams.errors.ProcessorStateException;

/**
 * A record's key or value is larger than the limits its Cubby store was configured with. Thrown from the write
 * that would store it, so the stream task fails (Cubby slots have a fixed size, chosen when the store is created).
 * Raise {@link CubbyKeyValueBytesStoreSupplier#withMaxKeySize(int)} or
 * {@link CubbyKeyValueBytesStoreSupplier#withMaxValueSize(int)} and rebuild the store from its changelog (remove
 * the local state with {@code KafkaStreams#cleanUp()}).
 */
public final class CubbyRecordTooLargeException extends ProcessorStateException
{
    private static final long serialVersionUID = 1L;

    private final String storeName;
    private final int keySize;
    private final int valueSize;
    private final int maxKeySize;
    private final int maxValueSize;

    CubbyRecordTooLargeException(
        final String storeName,
        final int keySize,
        final int valueSize,
        final int maxKeySize,
        final int maxValueSize)
    {
        super("Cubby store '" + storeName + "': record with a key of " + keySize + " bytes and a value of " +
            valueSize + " bytes exceeds the store's limits (maxKeySize " + maxKeySize + ", maxValueSize " +
            maxValueSize + " bytes); configure larger limits for this store and rebuild it from its changelog");
        this.storeName = storeName;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxKeySize = maxKeySize;
        this.maxValueSize = maxValueSize;
    }

    /** @return the name of the store that refused the record. */
    public String storeName()
    {
        return storeName;
    }

    /** @return the serialized key size in bytes. */
    public int keySize()
    {
        return keySize;
    }

    /** @return the serialized value size in bytes (without a timestamped store's 8-byte timestamp). */
    public int valueSize()
    {
        return valueSize;
    }

    /** @return the store's key size limit in bytes. */
    public int maxKeySize()
    {
        return maxKeySize;
    }

    /** @return the store's value size limit in bytes. */
    public int maxValueSize()
    {
        return maxValueSize;
    }
}
