package io.cubby.kafka;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.CommitCallback;
import org.apache.kafka.streams.processor.StateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.io.File;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * A state store context over Kafka's {@link MockProcessorContext} that keeps the restore callback a store registers,
 * so a test can restore the store from changelog records as Kafka Streams' restore consumer would.
 */
final class CapturingStateStoreContext implements StateStoreContext
{
    final MockProcessorContext<Object, Object> processorContext;
    private final StateStoreContext delegate;
    StateRestoreCallback restoreCallback;

    CapturingStateStoreContext(final File stateDir, final boolean consistency)
    {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "cubby-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9");
        if (consistency)
        {
            props.put(StreamsConfig.InternalConfig.IQ_CONSISTENCY_OFFSET_VECTOR_ENABLED, true);
        }
        processorContext = new MockProcessorContext<>(props, new TaskId(0, 0), stateDir);
        delegate = processorContext.getStateStoreContext();
    }

    void setRecordMetadata(final String topic, final int partition, final long offset)
    {
        processorContext.setRecordMetadata(topic, partition, offset);
    }

    @Override
    public String applicationId()
    {
        return delegate.applicationId();
    }

    @Override
    public TaskId taskId()
    {
        return delegate.taskId();
    }

    @Override
    public Optional<RecordMetadata> recordMetadata()
    {
        return delegate.recordMetadata();
    }

    @Override
    public Serde<?> keySerde()
    {
        return delegate.keySerde();
    }

    @Override
    public Serde<?> valueSerde()
    {
        return delegate.valueSerde();
    }

    @Override
    public File stateDir()
    {
        return delegate.stateDir();
    }

    @Override
    public StreamsMetrics metrics()
    {
        return delegate.metrics();
    }

    @Override
    public void register(final StateStore store, final StateRestoreCallback stateRestoreCallback)
    {
        restoreCallback = stateRestoreCallback;
    }

    @Override
    public void register(
        final StateStore store, final StateRestoreCallback stateRestoreCallback, final CommitCallback commitCallback)
    {
        restoreCallback = stateRestoreCallback;
    }

    @Override
    public Map<String, Object> appConfigs()
    {
        return delegate.appConfigs();
    }

    @Override
    public Map<String, Object> appConfigsWithPrefix(final String prefix)
    {
        return delegate.appConfigsWithPrefix(prefix);
    }
}
