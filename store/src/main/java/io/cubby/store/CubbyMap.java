package io.cubby.store;

import java.time.Duration;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A typed {@link ConcurrentMap} view of a {@link Cubby}, converting keys and values with {@link Codec}s. Every
 * single-key method is atomic; {@link #compute}, {@link #computeIfAbsent}, {@link #computeIfPresent} and
 * {@link #merge} run their function exactly once per call, holding the store's write lock meanwhile (as
 * {@link java.util.concurrent.ConcurrentHashMap} holds a bin lock): keep the functions short, and do not write to
 * the store from them. Iteration has the weakly consistent guarantees of {@link Cubby#entries()};
 * {@link Map.Entry#setValue} writes through. Null keys and values are rejected, as in
 * {@link java.util.concurrent.ConcurrentHashMap}.
 * <p>
 * In a store with expiry, expired entries are invisible to every read, to {@link #size()} and to iteration.
 * Writes without a time to live take the store's {@link Cubby.Builder#expireAfterWrite(Duration)} if set, else
 * keep the entry's present expiry; {@link #put(Object, Object, Duration)} gives one entry its own.
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

    /**
     * Insert or replace an entry that expires after a time to live; the store must have been created with
     * {@link Cubby.Builder#expiry(boolean) expiry}.
     *
     * @param key   the key.
     * @param value the value.
     * @param ttl   time to live, at least 1 ms.
     * @return the previous value, or null.
     */
    public V put(final K key, final V value, final Duration ttl)
    {
        Objects.requireNonNull(ttl, "ttl");
        final byte[] k = encodeKey(key);
        final byte[] v = encodeValue(value);
        final Object[] previous = new Object[1];
        store.compute(k, (kb, present) ->
        {
            previous[0] = present;
            return v;
        }, ttl);
        return decode((byte[])previous[0]);
    }

    @Override
    public V compute(final K key, final BiFunction<? super K, ? super V, ? extends V> remappingFunction)
    {
        Objects.requireNonNull(remappingFunction, "remappingFunction");
        final byte[] k = encodeKey(key);
        return decode(store.compute(k, (kb, present) ->
        {
            final V next = remappingFunction.apply(key, decode(present));
            return null == next ? null : valueCodec.encode(next);
        }));
    }

    @Override
    public V computeIfAbsent(final K key, final Function<? super K, ? extends V> mappingFunction)
    {
        Objects.requireNonNull(mappingFunction, "mappingFunction");
        final byte[] k = encodeKey(key);
        final V present = decode(store.get(k));
        if (null != present)
        {
            return present;
        }
        return decode(store.compute(k, (kb, bytes) ->
        {
            if (null != bytes)
            {
                return bytes;
            }
            final V next = mappingFunction.apply(key);
            return null == next ? null : valueCodec.encode(next);
        }));
    }

    @Override
    public V computeIfPresent(final K key, final BiFunction<? super K, ? super V, ? extends V> remappingFunction)
    {
        Objects.requireNonNull(remappingFunction, "remappingFunction");
        final byte[] k = encodeKey(key);
        if (!store.containsKey(k))
        {
            return null;
        }
        return decode(store.compute(k, (kb, bytes) ->
        {
            if (null == bytes)
            {
                return null;
            }
            final V next = remappingFunction.apply(key, valueCodec.decode(bytes));
            return null == next ? null : valueCodec.encode(next);
        }));
    }

    @Override
    public V merge(final K key, final V value, final BiFunction<? super V, ? super V, ? extends V> remappingFunction)
    {
        Objects.requireNonNull(remappingFunction, "remappingFunction");
        final byte[] k = encodeKey(key);
        final byte[] v = encodeValue(value);
        return decode(store.compute(k, (kb, bytes) ->
        {
            if (null == bytes)
            {
                return v;
            }
            final V next = remappingFunction.apply(valueCodec.decode(bytes), value);
            return null == next ? null : valueCodec.encode(next);
        }));
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
                        return new WriteThroughEntry(
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

            public boolean isEmpty()
            {
                return CubbyMap.this.isEmpty();
            }

            public void clear()
            {
                CubbyMap.this.clear();
            }
        };
    }

    /**
     * An entry returned by iteration: {@link #setValue} writes the new value to the store.
     */
    private final class WriteThroughEntry extends SimpleEntry<K, V>
    {
        private static final long serialVersionUID = 1L;

        WriteThroughEntry(final K key, final V value)
        {
            super(key, value);
        }

        @Override
        public V setValue(final V value)
        {
            CubbyMap.this.put(getKey(), value);
            return super.setValue(value);
        }
    }
}
