package io.cubby.store;

import java.nio.ByteBuffer;

/**
 * Keys and values of the cross-process tests: a key is its 8-byte id; a value encodes its key and a version and
 * is filled with bytes derived from both, at a length derived from the version, so a torn or mixed value, or one
 * of another key, is recognised.
 */
final class CrossProcessValues
{
    static final int KEY_SIZE = 8;
    static final int MAX_VALUE_SIZE = 16 + 48;

    private CrossProcessValues()
    {
    }

    static byte[] key(final long id)
    {
        return ByteBuffer.allocate(KEY_SIZE).putLong(id).array();
    }

    static byte[] value(final long id, final long version)
    {
        final int fill = (int)Math.floorMod(version * 7 + id, 49L);
        final ByteBuffer buffer = ByteBuffer.allocate(16 + fill).putLong(id).putLong(version);
        for (int i = 0; i < fill; i++)
        {
            buffer.put(fillByte(id, version, i));
        }
        return buffer.array();
    }

    private static byte fillByte(final long id, final long version, final int i)
    {
        return (byte)(id * 31 + version * 17 + i * 13);
    }

    /**
     * @return null if {@code value} is a value written for key {@code id}, else what is wrong with it.
     */
    static String problem(final long id, final byte[] value)
    {
        if (value.length < 16)
        {
            return "value of key " + id + " has " + value.length + " bytes";
        }
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        final long key = buffer.getLong();
        final long version = buffer.getLong();
        if (key != id)
        {
            return "value of key " + id + " encodes key " + key;
        }
        final int fill = (int)Math.floorMod(version * 7 + id, 49L);
        if (value.length != 16 + fill)
        {
            return "value of key " + id + " version " + version + " has length " + value.length + ", expected " +
                (16 + fill);
        }
        for (int i = 0; i < fill; i++)
        {
            if (value[16 + i] != fillByte(id, version, i))
            {
                return "value of key " + id + " version " + version + " differs at byte " + (16 + i);
            }
        }
        return null;
    }

    static long version(final byte[] value)
    {
        return ByteBuffer.wrap(value).getLong(8);
    }

    static long id(final byte[] key)
    {
        return ByteBuffer.wrap(key).getLong();
    }
}
