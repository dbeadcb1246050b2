package io.cubby.store;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.cubby.store.StoreTestSupport.assertMatchesModel;
import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random operation sequences against a {@link HashMap} model, across the configuration matrix, with reopen steps
 * (often in the middle of a rehash: tiny tables and a migration step of one slot), compaction and checkpoints,
 * and a structural validation after every sequence. A failure message names the seed and step to replay.
 */
class ModelBasedTest
{
    private static final int SEQUENCES = 3;
    private static final int OPERATIONS = 600;
    private static final int KEY_SPACE = 300;

    /** The configuration matrix, declared once. */
    static Stream<Arguments> configurations()
    {
        final List<Arguments> list = new ArrayList<>();
        for (final Probing probing : Probing.values())
        {
            for (final Durability durability : new Durability[]{ Durability.NONE, Durability.SYNC })
            {
                list.add(Arguments.of(probing, durability, 12, 20, false));
                list.add(Arguments.of(probing, durability, 40, 200, false));
            }
            list.add(Arguments.of(probing, Durability.ASYNC, 12, 0, true));
        }
        list.add(Arguments.of(Probing.LINEAR, Durability.ASYNC, 12, 20, true));
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} key {2} value {3} expiry {4}")
    @MethodSource("configurations")
    void randomSequencesMatchTheModel(
        final Probing probing,
        final Durability durability,
        final int maxKey,
        final int maxValue,
        final boolean expiry,
        @TempDir final Path tmp)
    {
        for (int sequence = 0; sequence < SEQUENCES; sequence++)
        {
            final long seed = 0x5EED_0000L + sequence * 7919L + probing.ordinal() * 31 + durability.ordinal();
            runSequence(tmp.resolve("s" + sequence), seed, probing, durability, maxKey, maxValue, expiry);
        }
    }

    private static Cubby open(
        final Path dir, final Probing probing, final Durability durability, final int maxKey, final int maxValue,
        final boolean expiry, final int migrationStep)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(maxKey).maxValueSize(maxValue).probing(probing)
            .expectedEntries(8)
            .durability(durability).migrationStep(migrationStep).expiry(expiry).logSize(1 << 16).open();
    }

    private static void runSequence(
        final Path dir,
        final long seed,
        final Probing probing,
        final Durability durability,
        final int maxKey,
        final int maxValue,
        final boolean expiry)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final boolean setMode = 0 == maxValue;
        final Map<String, String> model = new HashMap<>();
        final int migrationStep = 1 + random.nextInt(3);
        Cubby store = open(dir, probing, durability, maxKey, maxValue, expiry, migrationStep);
        try
        {
            for (int step = 0; step < OPERATIONS; step++)
            {
                final String context = "seed " + seed + " step " + step;
                final String key = "k" + random.nextInt(KEY_SPACE);
                final String value = setMode ? key : "v" + random.nextInt(1 << 20) + "x".repeat(random.nextInt(4));
                final int op = random.nextInt(100);
                if (op < 35)
                {
                    assertEquals(!model.containsKey(key), store.put(bytes(key), setMode ? new byte[0] : bytes(value)),
                        context + " put");
                    model.put(key, value);
                }
                else if (op < 50)
                {
                    assertEquals(model.get(key), text(store.get(bytes(key))), context + " get");
                }
                else if (op < 62)
                {
                    assertEquals(null != model.remove(key), store.remove(bytes(key)), context + " remove");
                }
                else if (op < 67)
                {
                    final String previous = model.putIfAbsent(key, value);
                    assertEquals(previous, text(store.putIfAbsent(bytes(key), setMode ? new byte[0] : bytes(value))),
                        context + " putIfAbsent");
                }
                else if (op < 72 && !setMode)
                {
                    final String previous = model.put(key, value);
                    assertEquals(previous, text(store.getAndPut(bytes(key), bytes(value))), context + " getAndPut");
                }
                else if (op < 76 && !setMode)
                {
                    final String expected = random.nextBoolean() ? model.get(key) : "nope";
                    final boolean replaced = null != expected && expected.equals(model.get(key));
                    if (replaced)
                    {
                        model.put(key, value);
                    }
                    assertEquals(replaced, store.replace(bytes(key), bytes(null == expected ? "nope" : expected),
                        bytes(value)), context + " replace");
                }
                else if (op < 80)
                {
                    assertEquals(model.containsKey(key), store.containsKey(bytes(key)), context + " containsKey");
                }
                else if (op < 83)
                {
                    assertEquals(model.get(key), text(store.getAndRemove(bytes(key))), context + " getAndRemove");
                    model.remove(key);
                }
                else if (op < 86)
                {
                    final Map<String, String> iterated = new HashMap<>();
                    for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
                    {
                        final Map.Entry<byte[], byte[]> entry = it.next();
                        iterated.put(text(entry.getKey()), text(entry.getValue()));
                    }
                    assertEquals(model, iterated, context + " entries()");
                }
                else if (op < 90)
                {
                    store.close();
                    store = open(dir, probing, durability, maxKey, maxValue, expiry, migrationStep);
                    assertEquals(model.size(), store.size(), context + " size after reopen");
                }
                else if (op < 95)
                {
                    store.compact();
                }
                else if (op < 97)
                {
                    store.checkpoint();
                }
                else
                {
                    // a burst of inserts drives growth while a rehash may be running
                    for (int i = 0; i < 40; i++)
                    {
                        final String k = "b" + random.nextInt(KEY_SPACE);
                        final String v = setMode ? k : "burst" + i;
                        store.put(bytes(k), setMode ? new byte[0] : bytes(v));
                        model.put(k, v);
                    }
                }
            }
            assertMatchesModel(store, model, "seed " + seed + " end");
            final StoreInfo info = Cubby.inspect(dir);
            assertTrue(info.currentTable().capacity >= 16);
        }
        finally
        {
            store.close();
        }
        try (Cubby reopened = open(dir, probing, durability, maxKey, maxValue, expiry, migrationStep))
        {
            assertMatchesModel(reopened, model, "seed " + seed + " after final reopen");
            for (final Map.Entry<String, String> entry : model.entrySet())
            {
                assertArrayEquals(bytes(entry.getValue()), reopened.get(bytes(entry.getKey())));
            }
        }
    }
}
