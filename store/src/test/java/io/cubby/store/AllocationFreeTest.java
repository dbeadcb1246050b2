package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@link org.agrona.DirectBuffer} methods allocate nothing once warm, measured with the JVM's per-thread
 * allocation counter (HotSpot's {@code com.sun.management.ThreadMXBean}).
 */
class AllocationFreeTest
{
    private static final int KEYS = 20_000;

    @Test
    void directBufferGetPutRemoveAllocateNothing(@TempDir final Path dir) throws Exception
    {
        final ThreadAllocation allocation = ThreadAllocation.ofThisThread();
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        try (Cubby store = Cubby.builder(dir).maxKeySize(16).maxValueSize(64).expectedEntries(4 * KEYS)
            .durability(Durability.NONE).open())
        {
            // a measured round of 60,000 operations must allocate nothing (up to three rounds measured)
            allocation.warm(30, () -> work(store, key, value, dst));
            store.checkpoint(); // nothing left for background work to do during the measured rounds
            final long allocated = allocation.measure(() -> work(store, key, value, dst));
            assertEquals(0, allocated, "bytes allocated by " + 3 * KEYS + " operations (checksum " +
                allocation.checksum() + ")");
        }
    }

    private static long work(final Cubby store, final UnsafeBuffer key, final UnsafeBuffer value,
        final UnsafeBuffer dst)
    {
        long sum = 0;
        for (int i = 0; i < KEYS; i++)
        {
            key.putLong(0, i);
            key.putLong(8, ~i);
            value.putLong(0, i);
            store.put(key, 0, 16, value, 0, 64);
            sum += store.get(key, 0, 16, dst, 0);
            if ((i & 7) == 0)
            {
                store.remove(key, 0, 16);
            }
        }
        return sum;
    }
}
