package io.cubby.store;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loading a version-2 {@link SegmentSet} from empty (one group per segment, so it grows all the way): the latency
 * of every insert (HdrHistogram: p50, p99, p99.9, max), the store directory's size against the live table bytes
 * (sampled a thousand times; the peak ratio once the store holds 10 000 entries), the segments' load band at the
 * end, file bytes per entry, and the process's peak RSS. 16-byte keys computed from their index, 64-byte values,
 * as in {@link SegmentTableBenchmark}. No log (the set has none yet), no store facade.
 * <p>
 * Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -Xmx1g -cp
 * tools/bench/target/benchmarks.jar io.cubby.store.SegmentSetGrowthBenchmark <entries> [segment bits (8)]
 * [migration step in groups (2)] [background allocation: true|false (true)] [directory (a temporary one)]
 * [groups per segment at creation (1; "presized": sized for the entries at Target Load, the RSS baseline)]
 * [Max Load in ppm (937500; up to 960000 gives a segment room above Grow Load while its file is prepared)]}.
 * With {@code -Dcubby.growth.steps=true} it also attributes every insert over 1 ms to the step that took most of
 * it and names the ten slowest inserts.
 */
public final class SegmentSetGrowthBenchmark
{
    private static final int KEY_LENGTH = 16;
    private static final int VALUE_LENGTH = 64;
    private static final long SEED = 0x5EED_CAFE_F00DL;
    private static final int SAMPLES = 1000;
    private static final long RATIO_FROM = 10_000;

    private SegmentSetGrowthBenchmark()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final int entries = Integer.parseInt(args[0]);
        final int segmentBits = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        final int step = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        final boolean background = args.length <= 3 || Boolean.parseBoolean(args[3]);
        final Path parent = args.length > 4 && !"-".equals(args[4]) ? Path.of(args[4]) : null;
        final long initialGroups = args.length <= 5 ? 1 : "presized".equals(args[5]) ?
            (long)Math.ceil((double)entries / (1 << segmentBits) * 1_000_000.0 /
            ((double)ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM * SegmentDescriptor.GROUP_SLOTS)) :
            Long.parseLong(args[5]);
        final int maxLoadPpm = args.length > 6 ? Integer.parseInt(args[6]) : SegmentParams.DEFAULT_MAX_LOAD_PPM;
        final Path dir = null == parent ? Files.createTempDirectory("cubby-growth") :
            Files.createTempDirectory(parent, "cubby-growth");
        final SegmentParams params = new SegmentParams(segmentBits, KEY_LENGTH, VALUE_LENGTH, 0, SEED, maxLoadPpm);
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_LENGTH));
        final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
        final SegmentLookup lookup = new SegmentLookup();
        final Histogram latency = new Histogram(10_000_000_000L, 3);
        double peakRatio = 0;
        long peakAt = 0;
        long peakDirectory = 0;
        final long sampleEvery = Math.max(1, entries / SAMPLES);
        final long start = System.nanoTime();
        try (SegmentSet set = SegmentSet.create(dir, params, initialGroups, step, true, background))
        {
            for (long i = 0; i < entries; i++)
            {
                fill(key, i);
                final long t0 = System.nanoTime();
                set.put(key, 0, KEY_LENGTH, value, 0, VALUE_LENGTH, 0, lookup);
                latency.recordValue(System.nanoTime() - t0);
                if ((i + 1) % sampleEvery == 0 && i + 1 >= RATIO_FROM)
                {
                    final long directory = directoryBytes(dir);
                    final double ratio = (double)directory / liveBytes(set);
                    if (ratio > peakRatio)
                    {
                        peakRatio = ratio;
                        peakAt = i + 1;
                        peakDirectory = directory;
                    }
                }
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            double minLoad = 1;
            double maxLoad = 0;
            long slots = 0;
            int rehashing = 0;
            for (int s = 0; s < set.segmentCount(); s++)
            {
                final Segment segment = set.segment(s);
                final double load = (double)segment.entryCount() / segment.current().slotCount;
                minLoad = Math.min(minLoad, load);
                maxLoad = Math.max(maxLoad, load);
                slots += segment.current().slotCount;
                rehashing += segment.rehashing() ? 1 : 0;
            }
            final long directoryAtEnd = directoryBytes(dir);
            set.awaitAllocation();
            final long directory = directoryBytes(dir);
            System.out.printf("%,d entries, %d segments of %,d groups at creation, migration step %d, background " +
                "allocation %b, Max Load %.4f%n", entries, set.segmentCount(), initialGroups, step, background,
                maxLoadPpm / 1e6);
            System.out.printf("load from empty: %.2f s, %.0f ns per insert%n", seconds, seconds * 1e9 / entries);
            System.out.printf("insert latency ns: p50 %,d  p99 %,d  p99.9 %,d  p99.99 %,d  max %,d%n",
                latency.getValueAtPercentile(50), latency.getValueAtPercentile(99),
                latency.getValueAtPercentile(99.9), latency.getValueAtPercentile(99.99), latency.getMaxValue());
            System.out.printf("inserts over 10 us: %,d; over 1 ms: %,d%n",
                entries - latency.getCountBetweenValues(0, 10_000),
                entries - latency.getCountBetweenValues(0, 1_000_000));
            System.out.printf("directory / live table bytes: peak %.4f (at %,d entries, %,d bytes)%n", peakRatio,
                peakAt, peakDirectory);
            System.out.printf("end: directory %,d bytes right after the last insert (%.1f per entry), %,d once the " +
                "allocator is idle = %.1f bytes per entry (current files %.1f); store load %.3f; segment loads " +
                "%.3f .. %.3f; %d segments rehashing%n", directoryAtEnd, (double)directoryAtEnd / entries, directory,
                (double)directory / entries, (double)liveBytes(set) / entries, (double)set.entryCount() / slots,
                minLoad, maxLoad, rehashing);
            System.out.printf("peak RSS: %s; retired sources unmapped %,d, waiting for readers %,d%n", peakRss(),
                set.unmappedSources(), set.deferredUnmaps());
            final SegmentGrowth growth = set.growth();
            final SegmentAllocator allocator = set.allocator();
            System.out.printf("rehashes begun into prepared files %,d; files created by writers at Max Load %,d; " +
                "waited for a file being prepared %,d; files prepared %,d; directory forces by the allocator %,d%n",
                growth.counters.beganPrepared.get(), growth.counters.createdByWriters.get(),
                growth.counters.waitedForPrepared.get(),
                allocator.preparedCount(), allocator.directoryForceCount());
            System.out.printf("inserts above Grow Load while the segment's file was on the way %,d%n",
                growth.counters.overGrowLoad.get());
            final long[] created = growth.counters.createdBy();
            System.out.printf("files created by writers, by cause; segment requests refused for the directory " +
                "budget %,d:%n", growth.counters.refusedForBudget.get());
            for (int i = 0; i < created.length; i++)
            {
                System.out.printf("  %-55s %,8d%n", GrowthCounters.CREATE_CAUSES[i], created[i]);
            }
            System.out.printf("allocator batches by phase (total ms, longest ms):%n");
            for (final PhaseTimes phases : new PhaseTimes[] {allocator.phases, allocator.retirePhases()})
            {
                for (int i = 0; i < phases.names.length; i++)
                {
                    System.out.printf("  %-55s %,10.1f %,8.1f%n", phases.names[i], phases.sumNs(i) / 1e6,
                        phases.maxNs(i) / 1e6);
                }
            }
            long gcCount = 0;
            long gcMs = 0;
            for (final GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans())
            {
                gcCount += Math.max(0, gc.getCollectionCount());
                gcMs += Math.max(0, gc.getCollectionTime());
            }
            System.out.printf("garbage collections %,d, %,d ms in all%n", gcCount, gcMs);
            if (GrowthSteps.ENABLED)
            {
                final GrowthSteps steps = GrowthSteps.totals();
                System.out.printf("inserts over %,d ns by the step that took most of it (count, total ms, max " +
                    "of one step ms):%n", GrowthSteps.SLOW_NS);
                for (int i = 0; i < GrowthSteps.NAMES.length; i++)
                {
                    System.out.printf("  %-55s %,8d %,10.1f %,8.1f%n", GrowthSteps.NAMES[i],
                        steps.slowCount[i], steps.slowSumNs[i] / 1e6, steps.maxNs[i] / 1e6);
                }
                System.out.printf("the %d slowest inserts (insert number, ms, step that took most of it, its ms):%n",
                    GrowthSteps.TOP);
                for (int r = 0; r < GrowthSteps.TOP && steps.topTotalNs[r] > 0; r++)
                {
                    long stepNs = 0;
                    for (final long ns : steps.topSteps[r])
                    {
                        stepNs = Math.max(stepNs, ns);
                    }
                    System.out.printf("  %,11d %8.2f  %-55s %8.2f%n", steps.topPut[r], steps.topTotalNs[r] / 1e6,
                        steps.topStep(r), stepNs / 1e6);
                }
            }
        }
        finally
        {
            try (Stream<Path> files = Files.walk(dir))
            {
                for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
                {
                    Files.delete(file);
                }
            }
        }
    }

    /** Bytes of the current files: the table as it would be without growth in flight. */
    private static long liveBytes(final SegmentSet set)
    {
        long bytes = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            bytes += set.segment(s).current().fileLength();
        }
        return bytes;
    }

    private static long directoryBytes(final Path dir) throws IOException
    {
        long bytes = 0;
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                try
                {
                    bytes += Files.size(file);
                }
                catch (final java.nio.file.NoSuchFileException deletedMeanwhile)
                {
                    // a source deleted or a prepared file renamed while listing
                }
            }
        }
        return bytes;
    }

    private static String peakRss() throws IOException
    {
        final List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
        for (final String line : status)
        {
            if (line.startsWith("VmHWM:"))
            {
                return line.substring("VmHWM:".length()).trim();
            }
        }
        return "unknown";
    }

    private static void fill(final UnsafeBuffer key, final long i)
    {
        long z = (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        key.putLong(0, z ^ (z >>> 31));
        key.putLong(8, i);
    }
}
