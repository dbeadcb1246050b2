package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-entry expiry in a format-version-2 store, with version 1's semantics, against a {@link HashMap} model of
 * values and deadlines: seeded random operations (every write of the byte API, with and without a time to live),
 * the {@link ExpiryClock} moved forward in whole hours while every time to live is a whole number of hours plus
 * 30 minutes, so that no deadline lies within minutes of the clock when it is compared (no timing threshold: the
 * test's own run time is far below that margin). The store starts with one group per segment, so it grows and
 * migrates again and again, dropping expired entries. After each phase the whole content is compared (get,
 * expiresAtMillis, size, forEach, entries, keys) and verify() is clean; phases end with a reopen (deadlines kept)
 * and, with a log, with a recovery of a copy of the open store's files (the log's records carry the deadlines
 * the writes resolved).
 */
class FormatVersion2ExpiryTest
{
    private static final long HOUR = 3_600_000L;
    private static final long MARGIN = 10 * 60_000L;
    private static final int KEYS = 300;
    private static final int PHASES = 4;
    private static final int OPERATIONS = 2_500;

    /** A model entry: its value and deadline (epoch ms, 0 for never). */
    private record Entry(byte[] value, long expiresAt)
    {
    }

    private final Map<String, Entry> model = new HashMap<>();

    @ParameterizedTest
    @EnumSource(value = Durability.class, names = {"NONE", "ASYNC"})
    void randomOperationsWithTimesToLiveMatchAModelAcrossReopensAndRecovery(final Durability durability,
        @TempDir final Path tmp) throws Exception
    {
        final SplittableRandom random = new SplittableRandom(0xE_5EEDL + durability.ordinal());
        final Path dir = tmp.resolve("store");
        for (int phase = 0; phase < PHASES; phase++)
        {
            final Cubby.Builder builder = Cubby.builder(dir).durability(durability);
            try (Cubby store = 0 == phase ? builder.formatVersion(2).segments(4).maxKeySize(16).maxValueSize(24)
                .expectedEntries(0).expiry(true).open() : (phase % 2 == 1 ? builder.expiry(true) : builder).open())
            {
                assertTrue(store.hasExpiry());
                checkAll(store, "reopen before phase " + phase);
                for (int op = 0; op < OPERATIONS; op++)
                {
                    step(store, random, "phase " + phase + " op " + op);
                    if (op % 250 == 249)
                    {
                        checkAll(store, "phase " + phase + " op " + op);
                    }
                }
                checkAll(store, "end of phase " + phase);
                if (Durability.NONE != durability)
                {
                    final Path copy = tmp.resolve("copy-" + phase);
                    store.segmentCore().store().segments().awaitAllocation();
                    copyFiles(dir, copy);
                    try (Cubby recovered = Cubby.builder(copy).durability(durability).open())
                    {
                        assertFalse(recovered.recoveryReport().cleanShutdown);
                        checkAll(recovered, "recovered copy of phase " + phase);
                    }
                }
            }
        }
    }

    @Test
    void expireAfterWriteAppliesToTheOpenThatSetsItAndAStoreWithoutExpiryHasNoTimeToLive(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("eaw");
        final byte[] k = bytes("k");
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(2).expireAfterWrite(Duration.ofHours(2))
            .open())
        {
            assertTrue(store.hasExpiry());
            final long before = ExpiryClock.now();
            assertTrue(store.put(k, bytes("1")));
            final long deadline = store.expiresAtMillis(k);
            assertTrue(deadline >= before + 2 * HOUR && deadline <= ExpiryClock.now() + 2 * HOUR, "" + deadline);
            // an explicit time to live wins over the default
            store.put(bytes("own"), bytes("1"), Duration.ofHours(5));
            assertTrue(store.expiresAtMillis(bytes("own")) >= before + 5 * HOUR);
        }
        assertTrue(Cubby.inspect(dir).segments.expiry, "inspect reports the flag");
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertTrue(store.hasExpiry(), "expiry is the store's");
            final long kept = store.expiresAtMillis(k);
            assertFalse(store.put(k, bytes("2")), "a write without expireAfterWrite keeps the deadline");
            assertEquals(kept, store.expiresAtMillis(k));
            assertTrue(store.put(bytes("new"), bytes("1")));
            assertEquals(0, store.expiresAtMillis(bytes("new")), "a new entry without a time to live never expires");
            ExpiryClock.advance(3 * HOUR);
            assertNull(store.get(k));
            assertEquals(Cubby.MISSING, store.expiresAtMillis(k));
            assertArrayEquals(bytes("1"), store.get(bytes("own")));
            assertEquals(2, store.size());
            assertEquals(3, store.estimatedSize(), "expired entries count until reclaimed");
            assertFalse(store.remove(k), "an expired entry is absent for a removal");
            assertTrue(store.put(k, bytes("3")), "an expired entry is absent for a put");
            assertEquals(0, store.expiresAtMillis(k), "an expired entry's deadline is not kept");
            assertTrue(store.verify().isOk(), store.verify().toString());
        }
        try (Cubby store = Cubby.builder(tmp.resolve("plain")).formatVersion(2).segments(2).open())
        {
            assertFalse(store.hasExpiry());
            assertThrows(UnsupportedOperationException.class, () -> store.put(k, k, Duration.ofHours(1)));
            assertThrows(UnsupportedOperationException.class, () -> store.compute(k, (a, b) -> a,
                Duration.ofHours(1)));
            assertEquals(0, store.size());
        }
    }

    @Test
    void aComputeKeepsTheDeadlineOfItsOwnKeyWhateverItsFunctionReads(@TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(1).expiry(true).open())
        {
            store.put(bytes("a"), bytes("1"), Duration.ofHours(2));
            store.put(bytes("b"), bytes("2"), Duration.ofHours(5));
            final long a = store.expiresAtMillis(bytes("a"));
            store.compute(bytes("a"), (key, old) ->
            {
                assertArrayEquals(bytes("2"), store.get(bytes("b"))); // same segment, same thread
                assertTrue(store.expiresAtMillis(bytes("b")) > a);
                return bytes("3");
            });
            assertEquals(a, store.expiresAtMillis(bytes("a")));
            assertArrayEquals(bytes("3"), store.get(bytes("a")));
            assertNull(store.getAndPut(bytes("z"), bytes("1")));
            assertEquals(0, store.expiresAtMillis(bytes("z")));
        }
    }

    /**
     * {@code compact()} removes the expired entries of every segment while a writer in NONE (which takes only the
     * segments' own locks) rewrites every key, alternately expiring at once and lasting: a sweep that looked at an
     * expired entry and removed it after the writer had made it last would lose the last round's values.
     */
    @Test
    void compactionSweepsExpiredEntriesWhileAWriterGoesOn(@TempDir final Path dir) throws Exception
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).segments(4).expiry(true).maxKeySize(16)
            .maxValueSize(16).durability(Durability.NONE).open())
        {
            final int keys = 20_000;
            final int rounds = 21;
            final java.util.concurrent.atomic.AtomicReference<Throwable> failure =
                new java.util.concurrent.atomic.AtomicReference<>();
            final Thread writer = new Thread(() ->
            {
                try
                {
                    for (int round = 0; round < rounds; round++)
                    {
                        // odd rounds expire at once; even rounds, the last included, last
                        final Duration ttl = Duration.ofMillis(0 == round % 2 ? 3_600_000 : 1);
                        for (int i = 0; i < keys; i++)
                        {
                            store.put(("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + round).getBytes(
                                StandardCharsets.UTF_8), ttl);
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            });
            writer.start();
            while (writer.isAlive())
            {
                store.compact();
            }
            writer.join();
            assertNull(failure.get());
            store.compact();
            final byte[] last = ("v" + (rounds - 1)).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < keys; i++)
            {
                assertArrayEquals(last, store.get(("k" + i).getBytes(StandardCharsets.UTF_8)), "k" + i);
            }
            assertTrue(store.verify().isOk(), store.verify()::toString);
            assertEquals(keys, store.estimatedSize());
        }
    }

    @Test
    void aRehashDropsExpiredEntriesAndKeepsTheCountsRight(@TempDir final Path dir) throws IOException
    {
        final SegmentParams params = new SegmentParams(1, 16, 16, SegmentDescriptor.FLAG_EXPIRY, 0xE1L, 937_500);
        final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
        final UnsafeBuffer value = new UnsafeBuffer(new byte[16]);
        final SegmentLookup lookup = new SegmentLookup();
        try (SegmentSet set = SegmentSet.create(dir, params, 1, 1, false))
        {
            final long far = ExpiryClock.now() + 1000 * HOUR;
            for (int i = 0; i < 20; i++)
            {
                key.putInt(0, i);
                assertTrue(set.put(key, 0, 4, value, 0, 4, 1, lookup), "expired at once");
            }
            final long[] generations = {set.manifest.currentGeneration(0), set.manifest.currentGeneration(1)};
            int live = 0;
            while (live < 100_000 && (set.segment(0).rehashing() || set.segment(1).rehashing() ||
                set.manifest.currentGeneration(0) == generations[0] ||
                set.manifest.currentGeneration(1) == generations[1]))
            {
                key.putInt(0, 1000 + live);
                assertTrue(set.put(key, 0, 4, value, 0, 4, far, lookup));
                live++;
            }
            assertEquals(live, set.entryCount(), "every expired entry was dropped by a migration");
            final UnsafeBuffer scratch = new UnsafeBuffer(new byte[16]);
            long counted = 0;
            for (int s = 0; s < set.segmentCount(); s++)
            {
                assertEquals(java.util.List.of(), SegmentVerifier.verify(set.segment(s)));
                counted += SegmentScan.liveEntries(set.segment(s), ExpiryClock.now(), scratch);
            }
            assertEquals(live, counted);
        }
    }

    private void step(final Cubby store, final SplittableRandom random, final String where)
    {
        final int n = random.nextInt(KEYS);
        final String name = "key" + n;
        final byte[] k = bytes(name);
        final byte[] v = bytes("v" + random.nextInt(1_000_000) + "-" + "x".repeat(random.nextInt(12)));
        final Entry present = live(name);
        final long ttl = (1 + random.nextInt(6)) * HOUR + HOUR / 2;
        final String what = where + " on " + name;
        switch (random.nextInt(16))
        {
            case 0:
            case 1:
                assertEquals(null == present, store.put(k, v), what + ": put");
                model.put(name, new Entry(v, null == present ? 0 : present.expiresAt));
                break;
            case 2:
            case 3:
            case 4:
            {
                final long before = ExpiryClock.now();
                assertEquals(null == present, store.put(k, v, Duration.ofMillis(ttl)), what + ": put with ttl");
                model.put(name, new Entry(v, deadline(store, k, before, ttl, what)));
                break;
            }
            case 5:
                assertArrayEquals(valueOf(present), store.putIfAbsent(k, v), what + ": putIfAbsent");
                if (null == present)
                {
                    model.put(name, new Entry(v, 0));
                }
                break;
            case 6:
                assertArrayEquals(valueOf(present), store.replace(k, v), what + ": replace");
                if (null != present)
                {
                    model.put(name, new Entry(v, present.expiresAt));
                }
                break;
            case 7:
            {
                final byte[] expected = null != present && random.nextBoolean() ? present.value : bytes("other");
                final boolean applies = null != present && Arrays.equals(expected, present.value);
                assertEquals(applies, store.replace(k, expected, v), what + ": replace if equal");
                if (applies)
                {
                    model.put(name, new Entry(v, present.expiresAt));
                }
                break;
            }
            case 8:
                assertEquals(null != present, store.remove(k), what + ": remove");
                model.remove(name);
                break;
            case 9:
            {
                final byte[] expected = null != present && random.nextBoolean() ? present.value : bytes("other");
                final boolean applies = null != present && Arrays.equals(expected, present.value);
                assertEquals(applies, store.remove(k, expected), what + ": remove if equal");
                if (applies)
                {
                    model.remove(name);
                }
                break;
            }
            case 10:
                assertArrayEquals(valueOf(present), store.getAndPut(k, v), what + ": getAndPut");
                model.put(name, new Entry(v, null == present ? 0 : present.expiresAt));
                break;
            case 11:
                assertArrayEquals(valueOf(present), store.getAndRemove(k), what + ": getAndRemove");
                model.remove(name);
                break;
            case 12:
            {
                final boolean removes = random.nextInt(4) == 0;
                final byte[] result = store.compute(k, (key, old) ->
                {
                    assertArrayEquals(valueOf(present), old, what + ": compute sees the live value");
                    return removes ? null : v;
                });
                assertArrayEquals(removes ? null : v, result);
                if (removes)
                {
                    model.remove(name);
                }
                else
                {
                    model.put(name, new Entry(v, null == present ? 0 : present.expiresAt));
                }
                break;
            }
            case 13:
            {
                final long before = ExpiryClock.now();
                store.compute(k, (key, old) ->
                {
                    assertArrayEquals(valueOf(present), old, what + ": compute with ttl sees the live value");
                    return v;
                }, Duration.ofMillis(ttl));
                model.put(name, new Entry(v, deadline(store, k, before, ttl, what)));
                break;
            }
            case 14:
                if (random.nextInt(4) == 0)
                {
                    ExpiryClock.advance(HOUR);
                }
                break;
            default:
                assertArrayEquals(valueOf(present), store.get(k), what + ": get");
                break;
        }
        checkKey(store, name, what);
    }

    /** The deadline a write with {@code ttl} gave the key, checked to lie between the clock's reads around it. */
    private static long deadline(final Cubby store, final byte[] k, final long before, final long ttl,
        final String what)
    {
        final long deadline = store.expiresAtMillis(k);
        assertTrue(deadline >= before + ttl && deadline <= ExpiryClock.now() + ttl,
            what + ": deadline " + deadline + " for a time to live of " + ttl + " from " + before);
        return deadline;
    }

    /** The model's entry if it is live now, else null (an expired entry is absent); checks the margin. */
    private Entry live(final String name)
    {
        final Entry entry = model.get(name);
        if (null == entry || 0 == entry.expiresAt)
        {
            return entry;
        }
        final long now = ExpiryClock.now();
        assertTrue(Math.abs(entry.expiresAt - now) > MARGIN, "deadline " + entry.expiresAt + " too near " + now);
        return entry.expiresAt > now ? entry : null;
    }

    private void checkKey(final Cubby store, final String name, final String what)
    {
        final Entry entry = live(name);
        final byte[] k = bytes(name);
        assertArrayEquals(valueOf(entry), store.get(k), what + ": value");
        assertEquals(null == entry ? Cubby.MISSING : entry.expiresAt, store.expiresAtMillis(k), what + ": deadline");
        assertEquals(null != entry, store.containsKey(k), what + ": containsKey");
    }

    private void checkAll(final Cubby store, final String where)
    {
        final Map<String, String> expected = new HashMap<>();
        for (int n = 0; n < KEYS; n++)
        {
            final String name = "key" + n;
            checkKey(store, name, where);
            final Entry entry = live(name);
            if (null != entry)
            {
                expected.put(name, text(entry.value));
            }
        }
        assertEquals(expected.size(), store.size(), where + ": size");
        assertEquals(expected.isEmpty(), store.isEmpty(), where + ": isEmpty");
        assertTrue(store.estimatedSize() >= store.size(), where + ": estimated size counts expired entries too");
        final Map<String, String> visited = new HashMap<>();
        store.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
        {
            final byte[] kb = new byte[keyLength];
            final byte[] vb = new byte[valueLength];
            key.getBytes(keyOffset, kb);
            value.getBytes(valueOffset, vb);
            assertNull(visited.put(text(kb), text(vb)), where + ": forEach visits a key once");
        });
        assertEquals(expected, visited, where + ": forEach");
        final Map<String, String> iterated = new HashMap<>();
        for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
        {
            final Map.Entry<byte[], byte[]> e = it.next();
            assertNull(iterated.put(text(e.getKey()), text(e.getValue())), where + ": entries returns a key once");
        }
        assertEquals(expected, iterated, where + ": entries");
        int keys = 0;
        for (final Iterator<byte[]> it = store.keys(); it.hasNext(); it.next())
        {
            keys++;
        }
        assertEquals(expected.size(), keys, where + ": keys");
        final VerifyReport report = store.verify();
        assertTrue(report.isOk(), where + ": " + report);
    }

    private static byte[] valueOf(final Entry entry)
    {
        return null == entry ? null : entry.value;
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** The store's files as the page cache holds them (what a kill leaves), the lock file left out. */
    private static void copyFiles(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : files.toList())
            {
                if (!file.getFileName().toString().equals(StoreLock.FILE_NAME))
                {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }
}
