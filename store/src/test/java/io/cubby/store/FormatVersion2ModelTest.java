package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random operations through the public API on a format-version-2 store, checked against a HashMap model, in
 * every durability mode, across reopens (by a builder that does not name the version): each phase ends with the
 * whole content compared through {@code entries()}, {@code keys()} and {@code forEach}, and {@code verify()} clean.
 * The store starts with one group per segment, so it grows several times.
 */
class FormatVersion2ModelTest
{
    private static final int PHASES = 4;
    private static final int OPERATIONS = 3_000;
    private static final int KEYS = 600;

    @ParameterizedTest
    @EnumSource(Durability.class)
    void randomOperationsMatchAHashMapAcrossReopens(final Durability durability, @TempDir final Path dir)
    {
        final Random random = new Random(0x2_5EED + durability.ordinal());
        final Map<String, byte[]> model = new HashMap<>();
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(40));
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(40));
        for (int phase = 0; phase < PHASES; phase++)
        {
            final Cubby.Builder builder = Cubby.builder(dir).durability(durability);
            try (Cubby store = 0 == phase ?
                builder.formatVersion(2).segments(4).maxKeySize(16).maxValueSize(40).expectedEntries(0).open() :
                builder.open())
            {
                assertEquals(2, store.formatVersion());
                assertEquals(model.size(), store.size(), "size after reopen, phase " + phase);
                for (int op = 0; op < OPERATIONS; op++)
                {
                    final byte[] k = key(random.nextInt(KEYS));
                    final byte[] v = value(random);
                    final String m = new String(k);
                    final byte[] before = model.get(m);
                    switch (random.nextInt(13))
                    {
                        case 0:
                            assertEquals(null == before, store.put(k, v));
                            model.put(m, v);
                            break;
                        case 1:
                            key.putBytes(0, k);
                            value.putBytes(0, v);
                            assertEquals(null == before, store.put(key, 0, k.length, value, 0, v.length));
                            model.put(m, v);
                            break;
                        case 2:
                            assertArrayEquals(before, store.get(k));
                            break;
                        case 3:
                            key.putBytes(0, k);
                            final int length = store.get(key, 0, k.length, dst, 0);
                            assertEquals(null == before ? Cubby.MISSING : before.length, length);
                            if (null != before)
                            {
                                final byte[] read = new byte[length];
                                dst.getBytes(0, read);
                                assertArrayEquals(before, read);
                            }
                            assertEquals(null != before, store.containsKey(key, 0, k.length));
                            break;
                        case 4:
                            assertEquals(null != before, store.remove(k));
                            model.remove(m);
                            break;
                        case 5:
                            key.putBytes(0, k);
                            assertEquals(null != before, store.remove(key, 0, k.length));
                            model.remove(m);
                            break;
                        case 6:
                            assertArrayEquals(before, store.getAndPut(k, v));
                            model.put(m, v);
                            break;
                        case 7:
                            assertArrayEquals(before, store.putIfAbsent(k, v));
                            model.putIfAbsent(m, v);
                            break;
                        case 8:
                            assertArrayEquals(before, store.replace(k, v));
                            if (null != before)
                            {
                                model.put(m, v);
                            }
                            break;
                        case 9:
                        {
                            final byte[] expected = null != before && random.nextBoolean() ? before : value(random);
                            final boolean applies = null != before && java.util.Arrays.equals(before, expected);
                            assertEquals(applies, store.replace(k, expected, v));
                            if (applies)
                            {
                                model.put(m, v);
                            }
                            break;
                        }
                        case 10:
                        {
                            final byte[] expected = null != before && random.nextBoolean() ? before : value(random);
                            final boolean applies = null != before && java.util.Arrays.equals(before, expected);
                            assertEquals(applies, store.remove(k, expected));
                            if (applies)
                            {
                                model.remove(m);
                            }
                            break;
                        }
                        case 11:
                            assertArrayEquals(before, store.getAndRemove(k));
                            model.remove(m);
                            break;
                        default:
                        {
                            final boolean drop = random.nextInt(4) == 0;
                            final byte[] result = store.compute(k, (kk, present) ->
                            {
                                assertArrayEquals(before, present);
                                return drop ? null : v;
                            });
                            if (drop)
                            {
                                assertNull(result);
                                model.remove(m);
                            }
                            else
                            {
                                assertArrayEquals(v, result);
                                model.put(m, v);
                            }
                        }
                    }
                }
                assertContent(store, model);
                final VerifyReport report = store.verify();
                assertTrue(report.isOk(), () -> report + ": " + report.problems);
                assertEquals(model.size(), report.entriesCounted);
                if (phase == 1)
                {
                    store.checkpoint();
                }
                if (phase == PHASES - 1)
                {
                    assertTrue(store.stats().generation > 1, "the segments grew: " + store.stats());
                }
            }
        }
    }

    private static void assertContent(final Cubby store, final Map<String, byte[]> model)
    {
        assertEquals(model.size(), store.size());
        assertEquals(model.isEmpty(), store.isEmpty());
        final Map<String, byte[]> seen = new HashMap<>();
        for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
        {
            final Map.Entry<byte[], byte[]> entry = it.next();
            assertNull(seen.put(new String(entry.getKey()), entry.getValue()), "each entry once");
        }
        assertEquals(model.keySet(), seen.keySet());
        model.forEach((k, v) -> assertArrayEquals(v, seen.get(k), k));
        final Map<String, byte[]> visited = new HashMap<>();
        store.forEach((k, ko, kl, v, vo, vl) ->
        {
            final byte[] kb = new byte[kl];
            k.getBytes(ko, kb);
            final byte[] vb = new byte[vl];
            v.getBytes(vo, vb);
            visited.put(new String(kb), vb);
        });
        assertEquals(model.keySet(), visited.keySet());
        int keys = 0;
        for (final Iterator<byte[]> it = store.keys(); it.hasNext(); it.next())
        {
            keys++;
        }
        assertEquals(model.size(), keys);
    }

    /** Key 0 is the empty key. */
    private static byte[] key(final int i)
    {
        return 0 == i ? new byte[0] : ("k" + i).getBytes();
    }

    private static byte[] value(final Random random)
    {
        final byte[] v = new byte[random.nextInt(41)];
        random.nextBytes(v);
        return v;
    }
}
