package io.cubby.store;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;

/**
 * A typed {@link ConcurrentMap} view of a {@link Cubby}, converting keys and values with {@link Codec}s. Every
 * single-key method is atomic; iteration has the weakly consistent guarantees of {@link Cubby#entries()}.
 * Null keys and values are rejected, as in {@link java.util.concurrent.ConcurrentHashMap}.
 *
 * @param <K> key type.
 * @param <V> value type.
 */
public final class CubbyMap<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V>
{
    private final Cubby store;
    private final Codec<K> keyCodec;
    private final Codec<V> valueCodec;

    CubbyMap(final Cubby store, final Codec<K> keyCodec, final Codec<V> valueCodec)
    {
        this.store = Objects.requireNonNull(store, "store");
        this.keyCodec = Objects.requireNonNull(keyCodec, "keyCodec");
        this.valueCodec = Objects.requireNonNull(valueCodec, "valueCodec");
    }

    /**
     * @return the store behind this view.
     */
    public Cubby store()
    {
        return store;
    }

    private byte[] encodeKey(final Object key)
    {
        Objects.requireNonNull(key, "key");
        final Class<K> type = keyCodec.type();
        return type.isInstance(key) ? keyCodec.encode(type.cast(key)) : null;
    }

    private byte[] encodeValue(final V value)
    {
        return valueCodec.encode(Objects.requireNonNull(value, "value"));
    }

    private V decode(final byte[] bytes)
    {
        return null == bytes ? null : valueCodec.decode(bytes);
    }

    @Override
    public int size()
    {
        return (int)Math.min(Integer.MAX_VALUE, store.size());
    }

    @Override
    public boolean isEmpty()
    {
        return store.isEmpty();
    }

    @Override
    public boolean containsKey(final Object key)
    {
        final byte[] k = encodeKey(key);
        return null != k && store.containsKey(k);
    }

    @Override
    public V get(final Object key)
    {
        final byte[] k = encodeKey(key);
        return null == k ? null : decode(store.get(k));
    }

    @Override
    public V put(final K key, final V value)
    {
        return decode(store.getAndPut(encodeKey(key), encodeValue(value)));
    }

    @Override
    public V remove(final Object key)
    {
        final byte[] k = encodeKey(key);
        return null == k ? null : decode(store.getAndRemove(k));
    }

    @Override
    public V putIfAbsent(final K key, final V value)
    {
        return decode(store.putIfAbsent(encodeKey(key), encodeValue(value)));
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean remove(final Object key, final Object value)
    {
        final byte[] k = encodeKey(key);
        if (null == k || null == value || !valueCodec.type().isInstance(value))
        {
            return false;
        }
        return store.remove(k, valueCodec.encode((V)value));
    }

    @Override
    public boolean replace(final K key, final V oldValue, final V newValue)
    {
        return store.replace(encodeKey(key), encodeValue(oldValue), encodeValue(newValue));
    }

    @Override
    public V replace(final K key, final V value)
    {
        return decode(store.replace(encodeKey(key), encodeValue(value)));
    }

    @Override
    public void clear()
    {
        final Iterator<byte[]> keys = store.keys();
        while (keys.hasNext())
        {
            store.remove(keys.next());
        }
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet()
    {
        return new AbstractSet<>()
        {
            public Iterator<Map.Entry<K, V>> iterator()
            {
                final Iterator<Map.Entry<byte[], byte[]>> entries = store.entries();
                return new Iterator<>()
                {
                    public boolean hasNext()
                    {
                        return entries.hasNext();
                    }

                    public Map.Entry<K, V> next()
                    {
                        final Map.Entry<byte[], byte[]> entry = entries.next();
                        return new SimpleImmutableEntry<>(
                            keyCodec.decode(entry.getKey()), valueCodec.decode(entry.getValue()));
                    }

                    public void remove()
                    {
                        entries.remove();
                    }
                };
            }

            public int size()
            {
                return CubbyMap.this.size();
            }
        };
    }
}
