package io.cubby.store;

import java.nio.charset.StandardCharsets;

/**
 * Ready codecs for common types.
 */
public final class Codecs
{
    /** UTF-8 strings. */
    public static final Codec<String> STRING = new Codec<>()
    {
        public byte[] encode(final String value)
        {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        public String decode(final byte[] bytes)
        {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        public Class<String> type()
        {
            return String.class;
        }
    };

    /** Longs as 8 big-endian bytes. */
    public static final Codec<Long> LONG = new Codec<>()
    {
        public byte[] encode(final Long value)
        {
            final long v = value;
            final byte[] bytes = new byte[8];
            for (int i = 7; i >= 0; i--)
            {
                bytes[7 - i] = (byte)(v >>> (i * 8));
            }
            return bytes;
        }

        public Long decode(final byte[] bytes)
        {
            checkLength(bytes, 8, "Long");
            long v = 0;
            for (int i = 0; i < 8; i++)
            {
                v = (v << 8) | (bytes[i] & 0xFF);
            }
            return v;
        }

        public Class<Long> type()
        {
            return Long.class;
        }
    };

    /** Integers as 4 big-endian bytes. */
    public static final Codec<Integer> INTEGER = new Codec<>()
    {
        public byte[] encode(final Integer value)
        {
            final int v = value;
            return new byte[]{ (byte)(v >>> 24), (byte)(v >>> 16), (byte)(v >>> 8), (byte)v };
        }

        public Integer decode(final byte[] bytes)
        {
            checkLength(bytes, 4, "Integer");
            return ((bytes[0] & 0xFF) << 24) | ((bytes[1] & 0xFF) << 16) | ((bytes[2] & 0xFF) << 8) | (bytes[3] & 0xFF);
        }

        public Class<Integer> type()
        {
            return Integer.class;
        }
    };

    /** Byte arrays as themselves; arrays are copied so callers cannot change stored data. */
    public static final Codec<byte[]> BYTES = new Codec<>()
    {
        public byte[] encode(final byte[] value)
        {
            return value.clone();
        }

        public byte[] decode(final byte[] bytes)
        {
            return bytes;
        }

        public Class<byte[]> type()
        {
            return byte[].class;
        }
    };

    private Codecs()
    {
    }

    private static void checkLength(final byte[] bytes, final int expected, final String type)
    {
        if (bytes.length != expected)
        {
            throw new CorruptStoreException("stored " + type + " has " + bytes.length + " bytes, expected " + expected);
        }
    }
}
