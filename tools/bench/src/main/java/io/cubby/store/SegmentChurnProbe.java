package io.cubby.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * How far a lookup of an absent key walks in a version-2 store that keeps removing and inserting at a steady size
 * (removals leave overflow bits set; the clean-up compaction of FORMAT-v2.md 9.1 bounds them): a store presized for
 * {@code entries} is filled, then each step removes a random live key and inserts a new one. Four times during the
 * churn it prints the entries, groups, Stale Overflow, the share of groups whose overflow byte is saturated, and
 * the mean number of groups a lookup of an absent key reads (20,000 random hashes per segment,
 * {@link SegmentTable#groupsWalked}). Counts, not times: they vary only a little from run to run (background
 * threads decide when a rehash ends).
 * <p>
 * Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp tools/bench/target/benchmarks.jar
 * io.cubby.store.SegmentChurnProbe <entries> <removals and inserts>}, for example {@code 200000 2000000}.
 */
public final class SegmentChurnProbe
{
    private SegmentChurnProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int n = Integer.parseInt(args[0]);
        final long churn = Long.parseLong(args[1]);
        final Path dir = Files.createTempDirectory("cubby-churn");
        try
        {
            churn(dir, n, churn);
        }
        finally
        {
            try (java.util.stream.Stream<Path> files = Files.walk(dir))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void churn(final Path dir, final int n, final long churn) throws Exception
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(2).maxKeySize(16).maxValueSize(64).expectedEntries(n)
            .durability(Durability.NONE).open())
        {
            final byte[] v = new byte[64];
            final long[] live = new long[n];
            for (int i = 0; i < n; i++)
            {
                live[i] = i;
                store.put(key(i), v);
            }
            report(store, "filled " + n);
            final SplittableRandom r = new SplittableRandom(1);
            long next = n;
            for (long op = 1; op <= churn; op++)
            {
                final int victim = r.nextInt(n);
                store.remove(key(live[victim]));
                live[victim] = next;
                store.put(key(next++), v);
                if (op % Math.max(1, churn / 4) == 0)
                {
                    report(store, "after " + op + " remove+insert");
                }
            }
        }
    }

    private static byte[] key(final long id)
    {
        final byte[] k = new byte[16];
        for (int i = 0; i < 8; i++)
        {
            k[i] = (byte)(id >>> (8 * i));
        }
        return k;
    }

    private static void report(final Cubby store, final String when)
    {
        final SegmentSet set = store.segmentCore().store().segments();
        final SplittableRandom r = new SplittableRandom(7);
        long groups = 0;
        long probes = 0;
        long saturated = 0;
        long totalGroups = 0;
        long stale = 0;
        long entries = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final SegmentTable t = set.segment(s).current();
            totalGroups += t.groupCount;
            stale += t.staleOverflow();
            entries += t.entryCount();
            for (long g = 0; g < t.groupCount; g++)
            {
                saturated += t.tags.overflowByte(g) == 0xFF ? 1 : 0;
            }
            for (int i = 0; i < 20000; i++)
            {
                groups += t.tags.groupsWalked(r.nextLong());
                probes++;
            }
        }
        System.out.printf("%s: entries %d, groups %d (load %.3f), stale overflow %d, saturated groups %.1f%%, " +
            "groups read by an absent lookup %.2f%n", when, entries, totalGroups, entries / (15.0 * totalGroups), stale,
            100.0 * saturated / totalGroups, (double)groups / probes);
    }
}
