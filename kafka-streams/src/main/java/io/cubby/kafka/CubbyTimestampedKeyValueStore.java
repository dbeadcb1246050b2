package io.cubby.kafka;

import org.apache.kafka.streams.state.TimestampedBytesStore;

/**
 * A Cubby store whose values are Kafka Streams' timestamped format (an 8-byte timestamp before the serialized
 * value), stored as they come. Marked {@link TimestampedBytesStore} so the DSL keeps record timestamps and no adapter
 * strips them; changelog records are converted to this format on restore by Kafka Streams.
 */
final class CubbyTimestampedKeyValueStore extends CubbyKeyValueStore implements TimestampedBytesStore
{
    static final int TIMESTAMP_LENGTH = Long.BYTES;

    CubbyTimestampedKeyValueStore(final CubbyKeyValueBytesStoreSupplier config)
    {
        super(config, TIMESTAMP_LENGTH);
    }
}
