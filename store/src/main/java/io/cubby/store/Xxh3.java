package io.cubby.store;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/**
 * XXH3-64 (xxHash 0.8), seeded, over bytes in an array or in native memory, allocating nothing.
 *
 * <p>Each input is addressed as a base object and an offset, as {@link UnsafeApi} (Agrona's access to
 * {@code jdk.internal.misc.Unsafe}, the path its {@code UnsafeBuffer} reads through) takes them: a {@code byte[]}
 * and {@link BufferUtil#ARRAY_BASE_OFFSET} plus an index, or {@code null} and an address. Words are read
 * unaligned and little-endian whatever the platform. Nothing here goes through {@code sun.misc.Unsafe}.
 *
 * <p>The results are those of the reference implementation's {@code XXH3_64bits_withSeed} (and of
 * zero-allocation-hashing's {@code LongHashFunction.xx3(seed)}, which the store used before): stores written then
 * hash the same ({@code Xxh3Test} compares both over every length up to 4 KiB and many seeds). Inputs are split by
 * length as the specification does: 0, 1-3, 4-8, 9-16, 17-128, 129-240 bytes, and longer inputs in 64-byte
 * stripes and 1024-byte blocks against a 192-byte secret, which a non-zero seed derives from the default one.
 *
 * <p>An instance holds the seed and its derived secret; it is immutable and thread-safe.
 */
final class Xxh3
{
    private static final long PRIME32_1 = 0x9E3779B1L;
    private static final long PRIME32_2 = 0x85EBCA77L;
    private static final long PRIME32_3 = 0xC2B2AE3DL;
    private static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
    private static final long PRIME64_3 = 0x165667B19E3779F9L;
    private static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
    private static final long PRIME64_5 = 0x27D4EB2F165667C5L;
    private static final long PRIME_MX1 = 0x165667919E3779F9L;
    private static final long PRIME_MX2 = 0x9FB21C651E98DF25L;
    private static final long LOW_32_BITS = 0xFFFF_FFFFL;

    /** The default secret of the specification ({@code XXH3_kSecret}). */
    private static final byte[] DEFAULT_SECRET = bytes(
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
        0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
        0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
        0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
        0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
        0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
        0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
        0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
        0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
        0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
        0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
        0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e);

    private static final int SECRET_LENGTH = 192;
    private static final long ARRAY_BASE = BufferUtil.ARRAY_BASE_OFFSET;

    private static final int MAX_SHORT_LENGTH = 16;
    private static final int MAX_MEDIUM_LENGTH = 128;
    private static final int MAX_MIDSIZE_LENGTH = 240;
    /** Secret offset of the rounds after the eighth of a 129-240 byte input. */
    private static final int MIDSIZE_START_OFFSET = 3;
    /** Secret offset of the last 16 bytes of a 129-240 byte input: {@code XXH3_SECRET_SIZE_MIN - 17}. */
    private static final int MIDSIZE_LAST_OFFSET = 136 - 17;

    private static final int STRIPE_LENGTH = 64;
    private static final int SECRET_CONSUME_RATE = 8;
    private static final int STRIPES_PER_BLOCK = (SECRET_LENGTH - STRIPE_LENGTH) / SECRET_CONSUME_RATE;
    private static final int BLOCK_LENGTH = STRIPE_LENGTH * STRIPES_PER_BLOCK;
    private static final int SCRAMBLE_SECRET_OFFSET = SECRET_LENGTH - STRIPE_LENGTH;
    private static final int LAST_STRIPE_SECRET_OFFSET = SECRET_LENGTH - STRIPE_LENGTH - 7;
    private static final int MERGE_SECRET_OFFSET = 11;

    // Words of the default secret used by inputs up to 16 bytes, read once.
    private static final long EMPTY_FLIP = secret64(DEFAULT_SECRET, 56) ^ secret64(DEFAULT_SECRET, 64);
    private static final long TINY_FLIP =
        (secret32(DEFAULT_SECRET, 0) ^ secret32(DEFAULT_SECRET, 4)) & LOW_32_BITS;
    private static final long SMALL_FLIP = secret64(DEFAULT_SECRET, 8) ^ secret64(DEFAULT_SECRET, 16);
    private static final long SHORT_FLIP_LOW = secret64(DEFAULT_SECRET, 24) ^ secret64(DEFAULT_SECRET, 32);
    private static final long SHORT_FLIP_HIGH = secret64(DEFAULT_SECRET, 40) ^ secret64(DEFAULT_SECRET, 48);

    private final long seed;
    /** Secret of inputs over 240 bytes: the default one, or the one derived from a non-zero seed. */
    private final byte[] secret;

    private Xxh3(final long seed)
    {
        this.seed = seed;
        this.secret = 0 == seed ? DEFAULT_SECRET : deriveSecret(seed);
    }

    /**
     * @param seed the seed; 0 gives the unseeded XXH3-64.
     * @return the hash function with that seed.
     */
    static Xxh3 withSeed(final long seed)
    {
        return new Xxh3(seed);
    }

    /**
     * Hash of a range of a buffer, array-backed or native. The caller must have bounds-checked the range.
     *
     * @param buffer bytes to hash.
     * @param offset offset within the buffer.
     * @param length number of bytes.
     * @return the 64-bit hash.
     */
    long hash(final DirectBuffer buffer, final int offset, final int length)
    {
        return hash(buffer.byteArray(), buffer.addressOffset() + offset, length);
    }

    /**
     * Hash of a range of an array.
     *
     * @param array  bytes to hash.
     * @param offset offset within the array.
     * @param length number of bytes.
     * @return the 64-bit hash.
     * @throws IndexOutOfBoundsException if the range is not within the array.
     */
    long hash(final byte[] array, final int offset, final int length)
    {
        if (offset < 0 || length < 0 || offset > array.length - length)
        {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " of " + array.length + " bytes");
        }
        return hash(array, ARRAY_BASE + offset, length);
    }

    /**
     * Hash of native memory. The caller must own the range.
     *
     * @param address first byte.
     * @param length  number of bytes.
     * @return the 64-bit hash.
     */
    long hashMemory(final long address, final int length)
    {
        return hash(null, address, length);
    }

    /**
     * @param base    the array holding the bytes, or null for native memory.
     * @param address offset of the first byte within {@code base}, or its address.
     * @param length  number of bytes, not negative.
     * @return the 64-bit hash.
     */
    long hash(final Object base, final long address, final int length)
    {
        if (length <= MAX_SHORT_LENGTH)
        {
            return hashShort(base, address, length);
        }
        if (length <= MAX_MEDIUM_LENGTH)
        {
            return hashMedium(base, address, length);
        }
        if (length <= MAX_MIDSIZE_LENGTH)
        {
            return hashMidsize(base, address, length);
        }
        return hashLong(base, address, length);
    }

    private long hashShort(final Object base, final long address, final int length)
    {
        if (length > 8)
        {
            final long low = read64(base, address) ^ (SHORT_FLIP_LOW + seed);
            final long high = read64(base, address + length - 8) ^ (SHORT_FLIP_HIGH - seed);
            return avalanche(length + Long.reverseBytes(low) + high + multiplyFold(low, high));
        }
        if (length >= 4)
        {
            final long shuffledSeed = seed ^ ((long)Integer.reverseBytes((int)seed) << 32);
            final long first = read32(base, address) & LOW_32_BITS;
            final long last = read32(base, address + length - 4) & LOW_32_BITS;
            return rrmxmx((last + (first << 32)) ^ (SMALL_FLIP - shuffledSeed), length);
        }
        if (length > 0)
        {
            final int first = UnsafeApi.getByte(base, address) & 0xFF;
            final int middle = UnsafeApi.getByte(base, address + (length >> 1)) & 0xFF;
            final int last = UnsafeApi.getByte(base, address + length - 1) & 0xFF;
            final long combined = ((first << 16) | (middle << 24) | last | (length << 8)) & LOW_32_BITS;
            return xxh64Avalanche(combined ^ (TINY_FLIP + seed));
        }
        return xxh64Avalanche(seed ^ EMPTY_FLIP);
    }

    private long hashMedium(final Object base, final long address, final int length)
    {
        final long end = address + length;
        long acc = length * PRIME64_1;
        if (length > 32)
        {
            if (length > 64)
            {
                if (length > 96)
                {
                    acc += mix16(base, address + 48, 96);
                    acc += mix16(base, end - 64, 112);
                }
                acc += mix16(base, address + 32, 64);
                acc += mix16(base, end - 48, 80);
            }
            acc += mix16(base, address + 16, 32);
            acc += mix16(base, end - 32, 48);
        }
        acc += mix16(base, address, 0);
        acc += mix16(base, end - 16, 16);
        return avalanche(acc);
    }

    private long hashMidsize(final Object base, final long address, final int length)
    {
        long acc = length * PRIME64_1;
        for (int i = 0; i < 8; i++)
        {
            acc += mix16(base, address + 16 * i, 16 * i);
        }
        acc = avalanche(acc);
        final int rounds = length / 16;
        for (int i = 8; i < rounds; i++)
        {
            acc += mix16(base, address + 16 * i, 16 * (i - 8) + MIDSIZE_START_OFFSET);
        }
        acc += mix16(base, address + length - 16, MIDSIZE_LAST_OFFSET);
        return avalanche(acc);
    }

    /**
     * Inputs over 240 bytes: eight accumulators take every 64-byte stripe, each stripe against the secret shifted
     * by 8 bytes per stripe of its 1024-byte block; the accumulators are scrambled after each whole block; the
     * last 64 bytes of the input are taken once more as a stripe of their own, then the accumulators merged.
     */
    private long hashLong(final Object base, final long address, final int length)
    {
        final byte[] key = secret;
        long acc0 = PRIME32_3;
        long acc1 = PRIME64_1;
        long acc2 = PRIME64_2;
        long acc3 = PRIME64_3;
        long acc4 = PRIME64_4;
        long acc5 = PRIME32_2;
        long acc6 = PRIME64_5;
        long acc7 = PRIME32_1;

        final int blocks = (length - 1) / BLOCK_LENGTH;
        final int stripes = blocks * STRIPES_PER_BLOCK + ((length - 1) - blocks * BLOCK_LENGTH) / STRIPE_LENGTH;
        int stripeInBlock = 0;
        // the stripe after the last (s == stripes) is the input's last 64 bytes, which may overlap the one before
        for (int s = 0; s <= stripes; s++)
        {
            final long input;
            final long k;
            if (s < stripes)
            {
                input = address + (long)s * STRIPE_LENGTH;
                k = ARRAY_BASE + (long)stripeInBlock * SECRET_CONSUME_RATE;
            }
            else
            {
                input = address + length - STRIPE_LENGTH;
                k = ARRAY_BASE + LAST_STRIPE_SECRET_OFFSET;
            }
            final long v0 = read64(base, input);
            final long v1 = read64(base, input + 8);
            final long v2 = read64(base, input + 16);
            final long v3 = read64(base, input + 24);
            final long v4 = read64(base, input + 32);
            final long v5 = read64(base, input + 40);
            final long v6 = read64(base, input + 48);
            final long v7 = read64(base, input + 56);
            final long d0 = v0 ^ read64(key, k);
            final long d1 = v1 ^ read64(key, k + 8);
            final long d2 = v2 ^ read64(key, k + 16);
            final long d3 = v3 ^ read64(key, k + 24);
            final long d4 = v4 ^ read64(key, k + 32);
            final long d5 = v5 ^ read64(key, k + 40);
            final long d6 = v6 ^ read64(key, k + 48);
            final long d7 = v7 ^ read64(key, k + 56);
            acc0 += v1 + (d0 & LOW_32_BITS) * (d0 >>> 32);
            acc1 += v0 + (d1 & LOW_32_BITS) * (d1 >>> 32);
            acc2 += v3 + (d2 & LOW_32_BITS) * (d2 >>> 32);
            acc3 += v2 + (d3 & LOW_32_BITS) * (d3 >>> 32);
            acc4 += v5 + (d4 & LOW_32_BITS) * (d4 >>> 32);
            acc5 += v4 + (d5 & LOW_32_BITS) * (d5 >>> 32);
            acc6 += v7 + (d6 & LOW_32_BITS) * (d6 >>> 32);
            acc7 += v6 + (d7 & LOW_32_BITS) * (d7 >>> 32);

            if (s < stripes && ++stripeInBlock == STRIPES_PER_BLOCK)
            {
                final long scramble = ARRAY_BASE + SCRAMBLE_SECRET_OFFSET;
                acc0 = scramble(acc0, read64(key, scramble));
                acc1 = scramble(acc1, read64(key, scramble + 8));
                acc2 = scramble(acc2, read64(key, scramble + 16));
                acc3 = scramble(acc3, read64(key, scramble + 24));
                acc4 = scramble(acc4, read64(key, scramble + 32));
                acc5 = scramble(acc5, read64(key, scramble + 40));
                acc6 = scramble(acc6, read64(key, scramble + 48));
                acc7 = scramble(acc7, read64(key, scramble + 56));
                stripeInBlock = 0;
            }
        }

        final long merge = ARRAY_BASE + MERGE_SECRET_OFFSET;
        long result = length * PRIME64_1;
        result += multiplyFold(acc0 ^ read64(key, merge), acc1 ^ read64(key, merge + 8));
        result += multiplyFold(acc2 ^ read64(key, merge + 16), acc3 ^ read64(key, merge + 24));
        result += multiplyFold(acc4 ^ read64(key, merge + 32), acc5 ^ read64(key, merge + 40));
        result += multiplyFold(acc6 ^ read64(key, merge + 48), acc7 ^ read64(key, merge + 56));
        return avalanche(result);
    }

    /** {@code XXH3_mix16B}: 16 input bytes against 16 bytes of the default secret, keyed by the seed. */
    private long mix16(final Object base, final long input, final int secretOffset)
    {
        final long low = read64(base, input) ^ (read64(DEFAULT_SECRET, ARRAY_BASE + secretOffset) + seed);
        final long high = read64(base, input + 8) ^ (read64(DEFAULT_SECRET, ARRAY_BASE + secretOffset + 8) - seed);
        return multiplyFold(low, high);
    }

    private static long scramble(final long acc, final long key)
    {
        return ((acc ^ (acc >>> 47)) ^ key) * PRIME32_1;
    }

    /** The 128-bit product of two unsigned 64-bit words, its high half xor its low half. */
    private static long multiplyFold(final long a, final long b)
    {
        final long high = Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
        return (a * b) ^ high;
    }

    private static long avalanche(final long hash)
    {
        final long h = (hash ^ (hash >>> 37)) * PRIME_MX1;
        return h ^ (h >>> 32);
    }

    private static long rrmxmx(final long hash, final int length)
    {
        long h = hash ^ Long.rotateLeft(hash, 49) ^ Long.rotateLeft(hash, 24);
        h *= PRIME_MX2;
        h ^= (h >>> 35) + length;
        h *= PRIME_MX2;
        return h ^ (h >>> 28);
    }

    private static long xxh64Avalanche(final long hash)
    {
        long h = (hash ^ (hash >>> 33)) * PRIME64_2;
        h = (h ^ (h >>> 29)) * PRIME64_3;
        return h ^ (h >>> 32);
    }

    private static long read64(final Object base, final long address)
    {
        return UnsafeApi.getLongUnaligned(base, address, false);
    }

    private static int read32(final Object base, final long address)
    {
        return UnsafeApi.getIntUnaligned(base, address, false);
    }

    /** {@code XXH3_initCustomSecret}: the seed added to the low and subtracted from the high word of each 16. */
    private static byte[] deriveSecret(final long seed)
    {
        final byte[] derived = new byte[SECRET_LENGTH];
        for (int i = 0; i < SECRET_LENGTH; i += 16)
        {
            putLittleEndian(derived, i, secret64(DEFAULT_SECRET, i) + seed);
            putLittleEndian(derived, i + 8, secret64(DEFAULT_SECRET, i + 8) - seed);
        }
        return derived;
    }

    private static long secret64(final byte[] secret, final int offset)
    {
        long value = 0;
        for (int i = 7; i >= 0; i--)
        {
            value = (value << 8) | (secret[offset + i] & 0xFF);
        }
        return value;
    }

    private static int secret32(final byte[] secret, final int offset)
    {
        return (int)secret64(secret, offset);
    }

    private static void putLittleEndian(final byte[] array, final int offset, final long value)
    {
        for (int i = 0; i < 8; i++)
        {
            array[offset + i] = (byte)(value >>> (8 * i));
        }
    }

    private static byte[] bytes(final int... values)
    {
        final byte[] array = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            array[i] = (byte)values[i];
        }
        return array;
    }
}
