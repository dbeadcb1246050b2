package io.cubby.store;

import net.openhft.hashing.LongHashFunction;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The store's XXH3-64 gives, bit for bit, what zero-allocation-hashing's {@code LongHashFunction.xx3(seed)} gives
 * (the function earlier versions of the store hashed keys and checksummed slots with), for every input length of
 * each of the specification's length classes, many seeds, and bytes in arrays, heap and direct buffers, and native
 * memory at every alignment.
 */
class Xxh3Test
{
    private static final int MAX_EXHAUSTIVE_LENGTH = 4096;
    private static final int ONE_MIB = 1 << 20;
    /** Room for the longest input at any of the 8 alignments of a word. */
    private static final int DATA_LENGTH = ONE_MIB + 64;

    private static final long[] SEEDS = LongStream.concat(
        LongStream.of(0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFF_FFFFL, 1L << 32, 0x9E3779B97F4A7C15L),
        new SplittableRandom(16).longs(8)).toArray();

    private static byte[] data;
    private static UnsafeBuffer direct;

    @BeforeAll
    static void randomBytes()
    {
        data = new byte[DATA_LENGTH];
        new SplittableRandom(42).nextBytes(data);
        direct = new UnsafeBuffer(BufferUtil.allocateDirectAligned(DATA_LENGTH, 64));
        direct.putBytes(0, data);
    }

    @Test
    void emptyInputHashesToTheSpecificationsValue()
    {
        // XXH3_64bits of no bytes, seed 0, as published with the reference implementation
        assertEquals(0x2D06800538D394C2L, Xxh3.withSeed(0).hash(new byte[0], 0, 0));
        assertEquals(0x2D06800538D394C2L, Xxh3.withSeed(0).hashMemory(direct.addressOffset(), 0));
    }

    @Test
    void matchesTheLibraryForEveryLengthUpTo4KiBAndManySeeds()
    {
        assumeLibraryUsable();
        for (final long seed : SEEDS)
        {
            final LongHashFunction expected = LongHashFunction.xx3(seed);
            final Xxh3 actual = Xxh3.withSeed(seed);
            for (int length = 0; length <= MAX_EXHAUSTIVE_LENGTH; length++)
            {
                final int offset = (length * 5 + (int)seed) & 7;
                assertSameEverywhere(expected, actual, seed, offset, length);
            }
        }
    }

    @Test
    void matchesTheLibraryAtEveryAlignment()
    {
        assumeLibraryUsable();
        final int[] lengths = { 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 96, 97, 127, 128, 129, 143,
            144, 239, 240, 241, 255, 256, 1023, 1024, 1025, 1087, 1088, 2049 };
        for (final long seed : SEEDS)
        {
            final LongHashFunction expected = LongHashFunction.xx3(seed);
            final Xxh3 actual = Xxh3.withSeed(seed);
            for (final int length : lengths)
            {
                for (int offset = 0; offset < 8; offset++)
                {
                    assertSameEverywhere(expected, actual, seed, offset, length);
                }
            }
        }
    }

    @Test
    void matchesTheLibraryOnLongInputsAroundBlockBoundariesAndAtOneMiB()
    {
        assumeLibraryUsable();
        final int[] lengths = { 4095, 4096, 4097, 8191, 8192 + 63, 8192 + 64, 8192 + 65, 16 * 1024 + 1, 65_536,
            100_000, ONE_MIB - 1, ONE_MIB, ONE_MIB + 13 };
        for (final long seed : new long[] { 0, 1, -1, SEEDS[SEEDS.length - 1] })
        {
            final LongHashFunction expected = LongHashFunction.xx3(seed);
            final Xxh3 actual = Xxh3.withSeed(seed);
            for (final int length : lengths)
            {
                assertSameEverywhere(expected, actual, seed, length & 7, length);
            }
        }
    }

    @Test
    void hashesOfAHeapByteBufferMatchThoseOfItsArray()
    {
        final Xxh3 hash = Xxh3.withSeed(SEEDS[9]);
        final ByteBuffer heap = ByteBuffer.wrap(data, 3, 1000).slice();
        final UnsafeBuffer view = new UnsafeBuffer(heap);
        for (int length = 0; length <= 1000; length += 7)
        {
            assertEquals(hash.hash(data, 3, length), hash.hash(view, 0, length), "length " + length);
        }
    }

    @Test
    void seedsChangeTheHashOfEveryLengthClass()
    {
        final Xxh3 zero = Xxh3.withSeed(0);
        final Xxh3 one = Xxh3.withSeed(1);
        for (final int length : new int[] { 0, 2, 6, 12, 100, 200, 1000 })
        {
            assertNotEquals(zero.hash(data, 0, length), one.hash(data, 0, length), "length " + length);
        }
    }

    @Test
    void anArrayRangeOutsideTheArrayIsRejected()
    {
        final Xxh3 hash = Xxh3.withSeed(0);
        final byte[] bytes = new byte[10];
        assertThrows(IndexOutOfBoundsException.class, () -> hash.hash(bytes, 5, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> hash.hash(bytes, -1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> hash.hash(bytes, 0, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> hash.hash(bytes, Integer.MAX_VALUE, 2));
    }

    private static void assertSameEverywhere(
        final LongHashFunction expected, final Xxh3 actual, final long seed, final int offset, final int length)
    {
        final long want = expected.hashBytes(data, offset, length);
        final String where = "seed " + seed + ", length " + length + ", offset " + offset;
        assertEquals(want, actual.hash(data, offset, length), () -> "byte[]: " + where);
        assertEquals(want, actual.hash(new UnsafeBuffer(data), offset, length), () -> "array buffer: " + where);
        assertEquals(want, actual.hash(direct, offset, length), () -> "direct buffer: " + where);
        assertEquals(want, actual.hashMemory(direct.addressOffset() + offset, length), () -> "memory: " + where);
    }

    /**
     * The library reads through {@code sun.misc.Unsafe}: where its memory access is denied
     * ({@code --sun-misc-unsafe-memory-access=deny}) there is nothing to compare against.
     */
    private static void assumeLibraryUsable()
    {
        boolean usable;
        try
        {
            LongHashFunction.xx3().hashBytes(new byte[] { 1, 2, 3 });
            usable = true;
        }
        catch (final UnsupportedOperationException | AssertionError | LinkageError ex)
        {
            // denied: the library's first use fails with an AssertionError wrapping sun.misc.Unsafe's
            // UnsupportedOperationException, every later one with a NoClassDefFoundError
            usable = false;
        }
        assumeTrue(usable, "zero-allocation-hashing cannot read memory in this JVM (sun.misc.Unsafe denied)");
    }
}
