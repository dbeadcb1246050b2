package io.cubby.bench;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Pre-generated 16-byte keys, so measured loops allocate nothing to make them: one off-heap block for stores
 * taking buffers, and lazily built {@code byte[]} / {@code ByteBuffer} views for stores that need objects (built
 * before measurement by {@link #materialise(long)}).
 */
final class Keys
{
    static final int KEY_SIZE = 16;

    private final long count;
    private final UnsafeBuffer block;
    private byte[][] arrays;
    private ByteBuffer[] objects;

    /**
     * @param count number of distinct keys; indexes [0, count) exist.
     */
    Keys(final long count)
    {
        if (count * KEY_SIZE > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("too many keys for one block: " + count);
        }
        this.count = count;
        this.block = new UnsafeBuffer(ByteBuffer.allocateDirect((int)(count * KEY_SIZE)));
        for (long i = 0; i < count; i++)
        {
            final int offset = (int)(i * KEY_SIZE);
            block.putLong(offset, mix(i));
            block.putLong(offset + 8, i);
        }
    }

    private static long mix(final long i)
    {
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Build the object views (byte[] and ByteBuffer) used by stores with object APIs. */
    void materialise(final long upTo)
    {
        final int n = (int)Math.min(count, upTo);
        arrays = new byte[n][];
        objects = new ByteBuffer[n];
        for (int i = 0; i < n; i++)
        {
            final byte[] key = new byte[KEY_SIZE];
            block.getBytes(i * KEY_SIZE, key);
            arrays[i] = key;
            objects[i] = ByteBuffer.wrap(key);
        }
    }

    long count()
    {
        return count;
    }

    UnsafeBuffer buffer()
    {
        return block;
    }

    int offset(final long index)
    {
        return (int)(index * KEY_SIZE);
    }

    byte[] array(final long index)
    {
        return arrays[(int)index];
    }

    ByteBuffer object(final long index)
    {
        return objects[(int)index];
    }
}
