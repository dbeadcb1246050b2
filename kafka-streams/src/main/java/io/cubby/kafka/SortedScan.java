package io.cubby.kafka;

import io.cubby.store.Cubby;
import org.agrona.DirectBuffer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ordered scans over a hash store: one pass over a consistent snapshot of every slot ({@link Cubby#forEach}),
 * copying the entries whose keys fall in the requested bounds, then a sort by key in the byte order Kafka Streams
 * uses ({@link Bytes#BYTES_LEXICO_COMPARATOR}, unsigned lexicographic). The pass costs the whole store whatever the
 * bounds; the sort costs O(m log m) and the copies O(m) heap for the m entries returned.
 */
final class SortedScan
{
    private SortedScan()
    {
    }

    /**
     * @param from lowest key, inclusive; null for no lower bound.
     * @param to   highest key, inclusive; null for no upper bound.
     * @return the entries with from &lt;= key &lt;= to, ascending by key.
     */
    static List<KeyValue<Bytes, byte[]>> range(final Cubby cubby, final byte[] from, final byte[] to)
    {
        final List<KeyValue<Bytes, byte[]>> entries = new ArrayList<>();
        cubby.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
        {
            if ((null == from || compare(key, keyOffset, keyLength, from) >= 0) &&
                (null == to || compare(key, keyOffset, keyLength, to) <= 0))
            {
                entries.add(copy(key, keyOffset, keyLength, value, valueOffset, valueLength));
            }
        });
        return sorted(entries);
    }

    /**
     * @return the entries whose key starts with the prefix, ascending by key.
     */
    static List<KeyValue<Bytes, byte[]>> prefix(final Cubby cubby, final byte[] prefix)
    {
        final List<KeyValue<Bytes, byte[]>> entries = new ArrayList<>();
        cubby.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
        {
            if (startsWith(key, keyOffset, keyLength, prefix))
            {
                entries.add(copy(key, keyOffset, keyLength, value, valueOffset, valueLength));
            }
        });
        return sorted(entries);
    }

    private static List<KeyValue<Bytes, byte[]>> sorted(final List<KeyValue<Bytes, byte[]>> entries)
    {
        entries.sort((a, b) -> Arrays.compareUnsigned(a.key.get(), b.key.get()));
        return entries;
    }

    private static KeyValue<Bytes, byte[]> copy(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength)
    {
        final byte[] k = new byte[keyLength];
        key.getBytes(keyOffset, k);
        final byte[] v = new byte[valueLength];
        value.getBytes(valueOffset, v);
        return KeyValue.pair(Bytes.wrap(k), v);
    }

    /** Unsigned lexicographic comparison of a key in a buffer with a bound, allocating nothing. */
    static int compare(final DirectBuffer key, final int keyOffset, final int keyLength, final byte[] bound)
    {
        final int common = Math.min(keyLength, bound.length);
        for (int i = 0; i < common; i++)
        {
            final int a = key.getByte(keyOffset + i) & 0xFF;
            final int b = bound[i] & 0xFF;
            if (a != b)
            {
                return a - b;
            }
        }
        return keyLength - bound.length;
    }

    static boolean startsWith(final DirectBuffer key, final int keyOffset, final int keyLength, final byte[] prefix)
    {
        if (keyLength < prefix.length)
        {
            return false;
        }
        for (int i = 0; i < prefix.length; i++)
        {
            if (key.getByte(keyOffset + i) != prefix[i])
            {
                return false;
            }
        }
        return true;
    }
}
