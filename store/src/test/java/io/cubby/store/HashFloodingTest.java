package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.LongUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hash flooding: an attacker who learns one store's seed can craft keys that all land in the same home slot of
 * that store and turn every lookup into a scan of one long probe chain. Each store draws its own random seed at
 * creation (kept in the table header, or version 2's manifest and segment headers, and used by XXH3 for every
 * key), so the same keys spread out in any other store.
 */
class HashFloodingTest
{
    private static final int COLLIDING_KEYS = 64;
    private static final long EXPECTED_ENTRIES = 2_000;
    private static final int KEY_LENGTH = 12;

    @ParameterizedTest
    @EnumSource(value = Probing.class, names = { "LINEAR", "QUADRATIC" })
    void keysCraftedAgainstOneSeedChainThereButSpreadInAnotherStore(
        final Probing probing, @TempDir final Path tmp)
    {
        final Path victim = tmp.resolve("victim");
        final Path other = tmp.resolve("other");
        try (Cubby a = open(victim, probing); Cubby b = open(other, probing))
        {
            final StoreInfo.TableInfo tableA = Cubby.inspect(victim).currentTable();
            final StoreInfo.TableInfo tableB = Cubby.inspect(other).currentTable();
            assertNotEquals(tableA.hashSeed, tableB.hashSeed, "every store draws its own seed");
            assertEquals(tableA.capacity, tableB.capacity);
            final long mask = tableA.capacity - 1;

            final List<byte[]> keys = craftCollidingKeys(tableA.hashSeed, h -> h & mask);
            final Xxh3 hashB = Xxh3.withSeed(tableB.hashSeed);
            final Set<Long> homesInB = new HashSet<>();
            for (final byte[] key : keys)
            {
                a.put(key, key);
                b.put(key, key);
                homesInB.add(hashB.hash(key, 0, key.length) & mask);
            }

            final VerifyReport flooded = a.verify();
            final VerifyReport spread = b.verify();
            assertTrue(flooded.isOk(), flooded::toString);
            assertTrue(spread.isOk(), spread::toString);

            // In the store whose seed they were crafted for, the keys form one chain: the i-th key inserted needs
            // i probes, so the longest probe is the number of keys and the mean half of it.
            assertEquals(COLLIDING_KEYS, flooded.maxProbeLength, flooded::toString);
            assertEquals((COLLIDING_KEYS + 1) / 2.0, flooded.meanProbeLength, 1e-9, flooded::toString);

            // Under another seed they behave like random keys: 64 keys in 4096 slots share a home slot only by
            // rare chance (about 0.5 pairs expected), and nearly all are found at their first probe.
            assertTrue(homesInB.size() >= COLLIDING_KEYS - 4, () -> "distinct home slots in the other store: " +
                homesInB.size() + " of " + COLLIDING_KEYS);
            assertTrue(spread.meanProbeLength < 1.2, spread::toString);
            assertTrue(spread.maxProbeLength <= 4, spread::toString);

            for (final byte[] key : keys)
            {
                assertArrayEquals(key, a.get(key));
                assertArrayEquals(key, b.get(key));
            }
        }
    }

    /**
     * Format version 2: keys crafted against one store's seed share a segment and a home group there, so they pile
     * into that group and its overflow chain; in another store (its own seed, in the manifest and every segment
     * header) they scatter over the segments and groups like random keys.
     */
    @Test
    void keysCraftedAgainstOneVersion2SeedShareAGroupThereButSpreadInAnotherStore(@TempDir final Path tmp)
    {
        final Path victim = tmp.resolve("victim");
        final Path other = tmp.resolve("other");
        try (Cubby a = openVersion2(victim); Cubby b = openVersion2(other))
        {
            final long seedA = Cubby.inspect(victim).segments.hashSeed;
            final long seedB = Cubby.inspect(other).segments.hashSeed;
            assertNotEquals(seedA, seedB, "every store draws its own seed");
            final SegmentSet setA = a.segmentCore().store().segments();
            final int bits = setA.params.segmentBits;
            final long groups = setA.segment(0).current().groupCount;
            assertEquals(groups, b.segmentCore().store().segments().segment(0).current().groupCount);

            // a place: the segment and the home group in it
            final LongUnaryOperator place = h -> ((long)SegmentDescriptor.segmentOf(h, bits) << 40) |
                SegmentDescriptor.homeGroup(h, groups);
            final List<byte[]> keys = craftCollidingKeys(seedA, place);
            final Xxh3 hashB = Xxh3.withSeed(seedB);
            final Set<Long> placesInB = new HashSet<>();
            for (final byte[] key : keys)
            {
                a.put(key, key);
                b.put(key, key);
                placesInB.add(place.applyAsLong(hashB.hash(key, 0, key.length)));
            }
            // 64 keys over (segments x groups) places of the other store share one only by rare chance
            final long places = (1L << bits) * groups;
            assertTrue(places >= 16 * COLLIDING_KEYS, "places " + places);
            assertTrue(placesInB.size() >= COLLIDING_KEYS - 6, () -> "distinct places in the other store: " +
                placesInB.size() + " of " + COLLIDING_KEYS + " over " + places);
            assertTrue(a.verify().isOk());
            assertTrue(b.verify().isOk());
            for (final byte[] key : keys)
            {
                assertArrayEquals(key, a.get(key));
                assertArrayEquals(key, b.get(key));
            }
        }
    }

    private static Cubby openVersion2(final Path dir)
    {
        return Cubby.builder(dir).formatVersion(2).segments(4).maxKeySize(KEY_LENGTH).maxValueSize(KEY_LENGTH)
            .expectedEntries(10 * EXPECTED_ENTRIES).open();
    }

    private static Cubby open(final Path dir, final Probing probing)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(KEY_LENGTH).maxValueSize(KEY_LENGTH).probing(probing)
            .expectedEntries(EXPECTED_ENTRIES).open();
    }

    /**
     * Random keys whose hash under the victim's seed has the same home ({@code place} of the hash: a slot, or a
     * segment and group), as an attacker knowing the seed (or probing timings) would find them: hash random keys and
     * keep those landing where the first key lands.
     */
    private static List<byte[]> craftCollidingKeys(final long seed, final LongUnaryOperator place)
    {
        final Xxh3 hash = Xxh3.withSeed(seed);
        final Random random = new Random(42);
        final List<byte[]> keys = new ArrayList<>();
        long target = -1;
        while (keys.size() < COLLIDING_KEYS)
        {
            final byte[] key = new byte[KEY_LENGTH];
            random.nextBytes(key);
            final long home = place.applyAsLong(hash.hash(key, 0, key.length));
            if (target < 0)
            {
                target = home;
            }
            if (home == target)
            {
                keys.add(key);
            }
        }
        return keys;
    }
}
