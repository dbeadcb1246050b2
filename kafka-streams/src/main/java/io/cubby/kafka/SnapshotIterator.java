package io.cubby.kafka;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * Iterates over a sorted snapshot of entries, forwards or backwards. It holds no store resources: writes made after
 * its creation are not seen, like a RocksDB iterator over its implicit snapshot.
 */
final class SnapshotIterator implements KeyValueIterator<Bytes, byte[]>
{
    private final String storeName;
    private final List<KeyValue<Bytes, byte[]>> entries;
    private final boolean forward;
    private int next;
    private boolean open = true;

    SnapshotIterator(final String storeName, final List<KeyValue<Bytes, byte[]>> entries, final boolean forward)
    {
        this.storeName = storeName;
        this.entries = entries;
        this.forward = forward;
    }

    @Override
    public boolean hasNext()
    {
        if (!open)
        {
            throw new InvalidStateStoreException("iterator of Cubby store '" + storeName + "' is closed");
        }
        return next < entries.size();
    }

    @Override
    public KeyValue<Bytes, byte[]> next()
    {
        if (!hasNext())
        {
            throw new NoSuchElementException();
        }
        return entries.get(index(next++));
    }

    @Override
    public Bytes peekNextKey()
    {
        if (!hasNext())
        {
            throw new NoSuchElementException();
        }
        return entries.get(index(next)).key;
    }

    @Override
    public void close()
    {
        open = false;
    }

    private int index(final int position)
    {
        return forward ? position : entries.size() - 1 - position;
    }
}
