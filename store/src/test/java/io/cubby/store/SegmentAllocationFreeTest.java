package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The version-2 buffer path (segment set get, put, update, remove) allocates nothing once warm, measured with the
 * JVM's per-thread allocation counter. The set is presized so that no rehash (which creates a file) runs. With
 * expiry, the puts give deadlines in the past (expired), in the future, and "keep the current expiry", and every
 * operation reads the expiry clock.
 */
class SegmentAllocationFreeTest
{
    private static final int KEYS = 20_000;
    /** Year 2500 in epoch ms. */
    private static final long FAR_FUTURE = 16_725_225_600_000L;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void segmentSetGetPutRemoveAllocateNothing(final boolean expiry, @TempDir final Path dir) throws Exception
    {
        final ThreadAllocation allocation = ThreadAllocation.ofThisThread();
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        final SegmentLookup lookup = new SegmentLookup();
        final SegmentParams params = new SegmentParams(2, 16, 64,
            expiry ? SegmentDescriptor.FLAG_EXPIRY : 0, 0x5EED, 937_500);
        final long groups = (long)Math.ceil(KEYS / 4.0 * 1.2 / (15 * 0.8));
        try (SegmentSet set = SegmentSet.create(dir, params, groups, 1, false))
        {
            final ThreadAllocation.Round round = () -> work(set, expiry, key, value, dst, lookup);
            final long allocated = allocation.warm(30, round).measure(round);
            assertEquals(0, allocated, "bytes allocated by " + 4 * KEYS + " operations (checksum " +
                allocation.checksum() + ")");
            assertEquals(1, set.manifest.currentGeneration(0), "no rehash ran");
        }
    }

    private static long work(final SegmentSet set, final boolean expiry, final UnsafeBuffer key,
        final UnsafeBuffer value, final UnsafeBuffer dst, final SegmentLookup lookup) throws IOException
    {
        long sum = 0;
        for (int i = 0; i < KEYS; i++)
        {
            key.putLong(0, i);
            key.putLong(8, ~i);
            value.putLong(0, i);
            set.put(key, 0, 16, value, 0, 64, !expiry ? 0 : (i & 3) == 0 ? 1 : FAR_FUTURE + i, lookup);
            value.putLong(8, i);
            set.put(key, 0, 16, value, 0, 64, expiry ? Arguments.KEEP_EXPIRY : 0, lookup);
            sum += set.get(key, 0, 16, dst, 0, lookup);
            if ((i & 7) == 0)
            {
                sum += set.remove(key, 0, 16, lookup) ? 1 : 0;
            }
        }
        return sum;
    }

    /**
     * Reads through {@link Cubby} with {@code recordStats(true)} (hits and misses counted in striped counters)
     * allocate nothing either; up to three measured rounds ({@link ThreadAllocation}), so that a counter cell
     * created under contention by a background thread does not count as an allocation per read.
     */
    @Test
    void countedReadsThroughCubbyAllocateNothing(@TempDir final Path dir) throws Exception
    {
        final ThreadAllocation allocation = ThreadAllocation.ofThisThread();
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(16).maxValueSize(64)
            .expectedEntries(2 * KEYS).recordStats(true).open())
        {
            for (int i = 0; i < KEYS; i += 2)
            {
                key.putLong(0, i);
                key.putLong(8, ~i);
                value.putLong(0, i);
                store.put(key, 0, 16, value, 0, 64);
            }
            final ThreadAllocation.Round round = () -> reads(store, key, dst);
            final long allocated = allocation.warm(30, round).measure(round);
            assertEquals(0, allocated, "bytes allocated by " + 2 * KEYS + " counted reads (checksum " +
                allocation.checksum() + ")");
            final long rounds = 30 + allocation.measured();
            final CubbyStats stats = store.stats();
            assertEquals(rounds * KEYS / 2, stats.hits, stats.toString());
            assertEquals(rounds * KEYS / 2, stats.misses, stats.toString());
        }
    }

    /** Every key of 0 to KEYS - 1 read: the even ones are present, the odd ones absent. */
    private static long reads(final Cubby store, final UnsafeBuffer key, final UnsafeBuffer dst)
    {
        long sum = 0;
        for (int i = 0; i < KEYS; i++)
        {
            key.putLong(0, i);
            key.putLong(8, ~i);
            sum += store.get(key, 0, 16, dst, 0);
        }
        return sum;
    }
}
