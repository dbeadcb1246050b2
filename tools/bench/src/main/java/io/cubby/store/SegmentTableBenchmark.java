package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The table level of a get, version 1 against version 2, with everything above the table left out (no store
 * facade, no optimistic-read validation): hash the key, find its slot, verify the slot checksum, copy the value.
 * {@code v1} is a version-1 {@link Table} presized as a default store would be (a power of two at max load 0.75);
 * {@code v2} is {@code 2^segmentBits} {@link SegmentTable} files sized so that every segment is at {@code load}
 * (the format keeps a segment between 0.833 and 0.9375). Keys are 16 bytes computed from their index (no key array
 * to miss on), values 64 bytes; present keys are drawn at random from the loaded ones, absent keys from another
 * range. Setup prints the files' bytes per entry. Divide the times by {@code MemoryLatencyBenchmark}'s dependent
 * read, run on the same machine at the same time, for the memory-read cost.
 * <p>
 * Lives in package {@code io.cubby.store} (split across the jars on the class path) because both tables are
 * package-private.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar SegmentTableBenchmark -p entries=1000000,10000000}
 * <p>
 * On a machine shared with other work, JMH's one-trial-after-another order lets the load change between the
 * tables being compared. {@link #main} instead loads both tables in one JVM and interleaves short batches of each
 * workload (v1 and v2, present and absent) with a pointer-chasing batch over a 1 GiB buffer (the dependent read of
 * {@code MemoryLatencyBenchmark}), so that every workload sees the same load; it prints per-workload minimum,
 * quartiles and median batch times, the medians divided by the dependent read, and the median and quartiles of
 * the per-round ratio v2 / v1. Workloads, each for v1, v2 (the lookup choosing by the caller's recent outcomes),
 * v2-tags (tags first) and v2-eager (preferred slot first): present gets, absent gets, present gets made
 * dependent (each key computed from the value the previous get copied, so gets cannot overlap), a 50/50 random
 * mix; then the dependent read. Arguments: entries [rounds (40)] [operations per batch (20 000)]
 * [v2 slot padding (0)] [workload numbers to run, comma-separated (all)]:
 * {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -Dagrona.disable.bounds.checks=true -Xmx3g
 * -XX:MaxDirectMemorySize=2g -cp tools/bench/target/benchmarks.jar io.cubby.store.SegmentTableBenchmark 10000000}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(java.util.concurrent.TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Dagrona.disable.bounds.checks=true", "-Xmx2g" })
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class SegmentTableBenchmark
{
    private static final int KEY_LENGTH = 16;
    private static final int VALUE_LENGTH = 64;
    private static final long ABSENT_BASE = 1L << 40;
    private static final long SEED = 0x5EED_CAFE_F00DL;

    @Param({ "1000000", "10000000" })
    public int entries;

    /** {@code v2-tags}: version 2 with the lookup that reads the tag group before any slot. */
    @Param({ "v1", "v2", "v2-tags", "v2-eager" })
    public String engine;

    @Param({ "0.87" })
    public double load;

    @Param({ "8" })
    public int segmentBits;

    /**
     * Extra bytes of Max Value Length in the v2 files (values stay 64 bytes): 42 makes 128-byte slots, to measure
     * what cache-line aligned slots would gain.
     */
    @Param({ "0" })
    public int slotPadding;

    private Path dir;
    private Table v1;
    private SegmentTable[] v2;
    private int lookup;
    private final SegmentLookup hints = new SegmentLookup();
    private final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_LENGTH));
    private final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
    private long random = 0x9E37_79B9_7F4A_7C15L;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        dir = Files.createTempDirectory("cubby-segment-bench");
        lookup = "v2-tags".equals(engine) ? 1 : "v2-eager".equals(engine) ? 2 : 0;
        final long start = System.nanoTime();
        long fileBytes = 0;
        if ("v1".equals(engine))
        {
            final TableParams params = new TableParams(KEY_LENGTH, VALUE_LENGTH, Probing.LINEAR, 750_000, SEED, false,
                false);
            long capacity = TableDescriptor.MIN_CAPACITY;
            while (capacity * 3 / 4 < entries)
            {
                capacity *= 2;
            }
            v1 = TableCreator.create(dir.resolve("table-0000000000000001.cubby"), params, capacity, 1, 0, 0, null, true);
            for (long i = 0; i < entries; i++)
            {
                fill(i);
                final long hash = v1.hash(key, 0, KEY_LENGTH);
                final long index = v1.findForInsert(hash, key, 0, KEY_LENGTH);
                if (index >= 0)
                {
                    throw new IllegalStateException("duplicate key " + i);
                }
                v1.insert(-2 - index, hash, key, 0, KEY_LENGTH, value, 0, VALUE_LENGTH, 0, 0);
            }
            fileBytes = Files.size(v1.file);
        }
        else
        {
            final SegmentParams params = new SegmentParams(segmentBits, KEY_LENGTH, VALUE_LENGTH + slotPadding, 0,
                SEED, SegmentParams.DEFAULT_MAX_LOAD_PPM);
            final int segments = 1 << segmentBits;
            final long groups = (long)Math.ceil((double)entries / segments / (SegmentDescriptor.GROUP_SLOTS * load));
            v2 = new SegmentTable[segments];
            for (int s = 0; s < segments; s++)
            {
                v2[s] = SegmentFile.create(dir, params, s, 1, groups, 0, 0, false);
            }
            for (long i = 0; i < entries; i++)
            {
                fill(i);
                final long hash = v2[0].hash(key, 0, KEY_LENGTH);
                final SegmentTable table = v2[SegmentDescriptor.segmentOf(hash, segmentBits)];
                if (table.find(hash, key, 0, KEY_LENGTH) != SegmentTable.NOT_FOUND)
                {
                    throw new IllegalStateException("duplicate key " + i);
                }
                table.insert(hash, key, 0, KEY_LENGTH, value, 0, VALUE_LENGTH, 0, 0);
            }
            for (final SegmentTable table : v2)
            {
                fileBytes += Files.size(table.file);
            }
        }
        System.out.printf("%n%s %,d entries: %,d file bytes, %.1f bytes per entry, loaded in %.1f s%n", engine,
            entries, fileBytes, (double)fileBytes / entries, (System.nanoTime() - start) / 1e9);
        if (null != v2)
        {
            long preferred = 0;
            for (final SegmentTable table : v2)
            {
                preferred += table.countAtPreferredPosition();
            }
            System.out.printf("v2 slot length %d, %.1f %% of entries at their preferred position%n",
                v2[0].params.slotLength, 100.0 * preferred / entries);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        if (null != v1)
        {
            v1.close();
        }
        if (null != v2)
        {
            for (final SegmentTable table : v2)
            {
                table.close();
            }
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(file);
            }
        }
    }

    @Benchmark
    public long getPresent()
    {
        fill(nextIndex());
        return get();
    }

    @Benchmark
    public long getAbsent()
    {
        fill(ABSENT_BASE + nextIndex());
        return get();
    }

    /**
     * A present get whose key depends on the value the previous one copied (the stored values are zero), so
     * consecutive gets cannot overlap: the latency of one get, comparable with {@link Chase#dependentRead}.
     */
    @Benchmark
    public long getPresentDependent()
    {
        fill(nextIndex());
        final long length = get();
        random ^= value.getLong(0);
        return length;
    }

    /**
     * The dependent read: pointer chasing through a random cyclic permutation of 64-byte cells over 1 GiB.
     */
    @State(Scope.Thread)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(java.util.concurrent.TimeUnit.NANOSECONDS)
    @Fork(value = 1, jvmArgsAppend = {
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Dagrona.disable.bounds.checks=true", "-Xmx2g" })
    @Warmup(iterations = 2, time = 3)
    @Measurement(iterations = 3, time = 3)
    public static class Chase
    {
        static final int CELL = 64;
        UnsafeBuffer buffer;
        int position;

        @Setup(Level.Trial)
        public void setUp()
        {
            final int cells = (1 << 30) / CELL;
            buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(cells * CELL));
            final int[] order = new int[cells];
            for (int i = 0; i < cells; i++)
            {
                order[i] = i;
            }
            final java.util.SplittableRandom shuffle = new java.util.SplittableRandom(42);
            for (int i = cells - 1; i > 0; i--)
            {
                final int j = shuffle.nextInt(i + 1);
                final int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i = 0; i < cells; i++)
            {
                buffer.putInt(order[i] * CELL, order[(i + 1) % cells] * CELL);
            }
        }

        /**
         * @return the next cell.
         */
        @Benchmark
        public int dependentRead()
        {
            position = buffer.getInt(position);
            return position;
        }
    }

    private long get()
    {
        if (null != v1)
        {
            final long hash = v1.hash(key, 0, KEY_LENGTH);
            final long index = v1.find(hash, key, 0, KEY_LENGTH);
            if (index == Table.NOT_FOUND)
            {
                return -1;
            }
            if (!v1.checksumMatches(index))
            {
                throw new IllegalStateException("checksum");
            }
            final int length = v1.valueLength(index);
            v1.copyValue(index, value, 0, length);
            return length;
        }
        final long hash = v2[0].hash(key, 0, KEY_LENGTH);
        final SegmentTable table = v2[SegmentDescriptor.segmentOf(hash, segmentBits)];
        final int slot = 1 == lookup ? table.find(hash, key, 0, KEY_LENGTH) :
            2 == lookup ? table.findPreferredFirst(hash, key, 0, KEY_LENGTH) :
            table.find(hash, key, 0, KEY_LENGTH, hints);
        if (slot == SegmentTable.NOT_FOUND)
        {
            return -1;
        }
        if (!table.checksumMatches(slot))
        {
            throw new IllegalStateException("checksum");
        }
        final int length = table.valueLength(slot);
        table.copyValue(slot, value, 0, length);
        return length;
    }

    /**
     * Interleaved comparison (see the class comment). Arguments: entries [rounds] [operations per batch].
     */
    public static void main(final String[] args) throws IOException
    {
        final int entries = Integer.parseInt(args[0]);
        final int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        final int batch = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        final SegmentTableBenchmark v1 = new SegmentTableBenchmark();
        final SegmentTableBenchmark v2 = new SegmentTableBenchmark();
        v1.entries = entries;
        v1.engine = "v1";
        v2.entries = entries;
        v2.engine = "v2";
        v2.load = 0.87;
        v2.segmentBits = 8;
        v2.slotPadding = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        v1.setUp();
        v2.setUp();
        final Chase chase = new Chase();
        chase.setUp();
        final String[] names = {
            "v1 present", "v2 present", "v2-tags present", "v2-eager present",
            "v1 absent", "v2 absent", "v2-tags absent", "v2-eager absent",
            "v1 present dep", "v2 present dep", "v2-tags present dep", "v2-eager present dep",
            "v1 mixed", "v2 mixed", "v2-tags mixed", "v2-eager mixed", "dependent read" };
        final int read = names.length - 1;
        final boolean[] run = new boolean[names.length];
        java.util.Arrays.fill(run, args.length <= 4);
        if (args.length > 4)
        {
            for (final String w : args[4].split(","))
            {
                run[Integer.parseInt(w.trim())] = true;
            }
            run[read] = true;
        }
        final double[][] times = new double[names.length][rounds];
        long sink = 0;
        for (int round = -5; round < rounds; round++)
        {
            for (int w = 0; w < names.length; w++)
            {
                if (!run[w])
                {
                    continue;
                }
                final int kind = w / 4;
                final int engine = w % 4;
                final SegmentTableBenchmark b = 0 == engine ? v1 : v2;
                v2.lookup = engine - 1;
                final long start = System.nanoTime();
                for (int i = 0; i < batch; i++)
                {
                    switch (w == read ? -1 : kind)
                    {
                        case 0:
                            sink += b.getPresent();
                            break;
                        case 1:
                            sink += b.getAbsent();
                            break;
                        case 2:
                            sink += b.getPresentDependent();
                            break;
                        case 3:
                            sink += (b.random & 1) == 0 ? b.getPresent() : b.getAbsent();
                            break;
                        default:
                            sink += chase.dependentRead();
                            break;
                    }
                }
                final double perOp = (System.nanoTime() - start) / (double)batch;
                if (round >= 0)
                {
                    times[w][round] = perOp;
                }
            }
        }
        final double readMedian = median(times[read]);
        System.out.printf("%,d entries, %d rounds of %,d operations per workload (checksum %d)%n", entries, rounds,
            batch, sink);
        System.out.println("workload              min     p25  median     p75  (ns)  reads  v2/v1 per round: median" +
            " [p25, p75]");
        for (int w = 0; w < names.length; w++)
        {
            if (!run[w])
            {
                continue;
            }
            final double[] t = times[w].clone();
            java.util.Arrays.sort(t);
            final int v1Workload = w == read || w % 4 == 0 ? -1 : w - w % 4;
            String ratio = "";
            if (v1Workload >= 0 && run[v1Workload])
            {
                final double[] r = new double[rounds];
                for (int i = 0; i < rounds; i++)
                {
                    r[i] = times[w][i] / times[v1Workload][i];
                }
                java.util.Arrays.sort(r);
                ratio = String.format("  %.2f [%.2f, %.2f]", median(r), r[rounds / 4], r[rounds * 3 / 4]);
            }
            System.out.printf("%-20s %6.0f %7.0f %7.0f %7.0f       %5.2f%s%n", names[w], t[0], t[rounds / 4],
                median(times[w]), t[rounds * 3 / 4], median(times[w]) / readMedian, ratio);
        }
        v1.tearDown();
        v2.tearDown();
    }

    private static double median(final double[] values)
    {
        final double[] t = values.clone();
        java.util.Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }

    private long nextIndex()
    {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        return ((x >>> 32) * entries) >>> 32;
    }

    private void fill(final long i)
    {
        long z = (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        key.putLong(0, z ^ (z >>> 31));
        key.putLong(8, i);
    }
}
