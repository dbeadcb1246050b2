package io.cubby.store;

import static io.cubby.store.SegmentStoreTest.PARAMS;
import static io.cubby.store.SegmentStoreTest.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Iteration of a version-2 store while segments are rehashing: migration and puts keep a source's copy of a key the
 * current file holds (FORMAT-v2.md 9 step 5), and neither {@code forEach} nor the iterator may return that dead
 * copy, so every entry comes once, with its latest value. Checked against a model after every write made while a
 * rehash is in flight.
 */
class SegmentScanTest
{
    @Test
    void iterationDuringARehashReturnsEveryEntryOnceWithItsLatestValue(@TempDir final Path tmp) throws IOException
    {
        final Map<String, String> model = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(17);
        int checkedDuringRehash = 0;
        try (SegmentStore store = SegmentStore.create(tmp.resolve("store"), PARAMS, 1,
            SegmentLogDescriptor.minCapacity(PARAMS.segmentBits) * 4, Durability.NONE, Duration.ofMillis(20)))
        {
            final SegmentScan scan = new SegmentScan(store);
            for (int i = 0; i < 3_000; i++)
            {
                final boolean update = !model.isEmpty() && random.nextInt(3) == 0;
                final String key = "key" + (update ? random.nextInt(i) : i);
                final String value = "v" + i;
                if (update && !model.containsKey(key))
                {
                    continue;
                }
                final byte[] v = value.getBytes(StandardCharsets.US_ASCII);
                store.put(bytes(key), 0, key.length(), new UnsafeBuffer(v), 0, v.length);
                model.put(key, value);
                if (rehashing(store.segments()))
                {
                    checkedDuringRehash++;
                    assertContents(scan, model, "after write " + i);
                }
            }
            assertContents(scan, model, "at the end");
        }
        assertTrue(checkedDuringRehash > 20, "iterations during a rehash: " + checkedDuringRehash);
    }

    private static boolean rehashing(final SegmentSet set)
    {
        for (int s = 0; s < set.segmentCount(); s++)
        {
            if (null != set.segment(s).source())
            {
                return true;
            }
        }
        return false;
    }

    private static void assertContents(final SegmentScan scan, final Map<String, String> model, final String when)
    {
        final Map<String, String> visited = new HashMap<>();
        scan.forEach((k, ko, kl, v, vo, vl) ->
        {
            final String previous = visited.put(k.getStringWithoutLengthAscii(ko, kl),
                v.getStringWithoutLengthAscii(vo, vl));
            assertEquals(null, previous, "forEach returned a key twice " + when);
        }, null);
        assertEquals(model, visited, "forEach " + when);
        final Map<String, String> iterated = new HashMap<>();
        for (final Iterator<Map.Entry<byte[], byte[]>> it = scan.entries(k -> { }); it.hasNext(); )
        {
            final Map.Entry<byte[], byte[]> e = it.next();
            final String previous = iterated.put(new String(e.getKey(), StandardCharsets.US_ASCII),
                new String(e.getValue(), StandardCharsets.US_ASCII));
            assertEquals(null, previous, "the iterator returned a key twice " + when);
        }
        assertEquals(model, iterated, "iterator " + when);
    }
}
