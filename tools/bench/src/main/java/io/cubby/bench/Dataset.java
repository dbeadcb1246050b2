package io.cubby.bench;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The keys and values every store reads, in two flat off-heap blocks: key {@code i} is the 16 bytes at
 * {@code i * 16} of the key block, its value the 64 bytes at {@code i * 64} of the value block. Keys
 * {@code [0, present)} are loaded; keys {@code [present, present + absent)} are never inserted. Every value is
 * distinct and derived from its key's index, so a read can be checked.
 */
final class Dataset
{
    static final int KEY_SIZE = 16;
    static final int VALUE_SIZE = 64;

    private final long present;
    private final long absent;
    private final ByteBuffer keyBytes;
    private final ByteBuffer valueBytes;
    private final UnsafeBuffer keys;
    private final UnsafeBuffer values;

    Dataset(final long present, final long absent)
    {
        if ((present + absent) * KEY_SIZE > Integer.MAX_VALUE || present * VALUE_SIZE > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("too many entries for one block: " + present + " + " + absent);
        }
        this.present = present;
        this.absent = absent;
        keyBytes = ByteBuffer.allocateDirect((int)((present + absent) * KEY_SIZE));
        valueBytes = ByteBuffer.allocateDirect((int)Math.max(VALUE_SIZE, present * VALUE_SIZE));
        keys = new UnsafeBuffer(keyBytes);
        values = new UnsafeBuffer(valueBytes);
        for (long i = 0; i < present + absent; i++)
        {
            final int offset = keyOffset(i);
            keys.putLong(offset, mix(i));
            keys.putLong(offset + 8, i);
        }
        for (long i = 0; i < present; i++)
        {
            final int offset = valueOffset(i);
            for (int j = 0; j < VALUE_SIZE; j += 8)
            {
                values.putLong(offset + j, valueWord(i, j));
            }
        }
    }

    /** The number of absent keys to generate for a store of {@code entries}. */
    static long absentFor(final long entries)
    {
        return Math.max(1, Math.min(entries, 1_000_000));
    }

    static long mix(final long i)
    {
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long valueWord(final long index, final int word)
    {
        return mix(index * 8 + (word >>> 3) + 0x5DEECE66DL);
    }

    long present()
    {
        return present;
    }

    long absent()
    {
        return absent;
    }

    UnsafeBuffer keys()
    {
        return keys;
    }

    UnsafeBuffer values()
    {
        return values;
    }

    /** A view of the whole key block with its own position and limit (one per thread). */
    ByteBuffer keyView()
    {
        return keyBytes.duplicate();
    }

    /** A view of the whole value block with its own position and limit (one per thread). */
    ByteBuffer valueView()
    {
        return valueBytes.duplicate();
    }

    int keyOffset(final long index)
    {
        return (int)(index * KEY_SIZE);
    }

    int valueOffset(final long index)
    {
        return (int)(index * VALUE_SIZE);
    }

    /** Copy key {@code index} into {@code dst}. */
    void copyKey(final long index, final byte[] dst)
    {
        keys.getBytes(keyOffset(index), dst, 0, KEY_SIZE);
    }

    /** Copy value {@code index} into {@code dst}. */
    void copyValue(final long index, final byte[] dst)
    {
        values.getBytes(valueOffset(index), dst, 0, VALUE_SIZE);
    }

    /** Point {@code view} (a {@link #keyView()}) at key {@code index}. */
    ByteBuffer key(final ByteBuffer view, final long index)
    {
        final int offset = keyOffset(index);
        view.clear();
        view.position(offset).limit(offset + KEY_SIZE);
        return view;
    }

    /** Point {@code view} (a {@link #valueView()}) at value {@code index}. */
    ByteBuffer value(final ByteBuffer view, final long index)
    {
        final int offset = valueOffset(index);
        view.clear();
        view.position(offset).limit(offset + VALUE_SIZE);
        return view;
    }

    /** @return true if {@code length} bytes at {@code buffer[offset]} are value {@code index}. */
    boolean matches(final long index, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length != VALUE_SIZE)
        {
            return false;
        }
        for (int j = 0; j < VALUE_SIZE; j += 8)
        {
            if (buffer.getLong(offset + j) != values.getLong(valueOffset(index) + j))
            {
                return false;
            }
        }
        return true;
    }
}
