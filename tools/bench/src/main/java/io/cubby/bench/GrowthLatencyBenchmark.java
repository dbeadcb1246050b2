package io.cubby.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Put latency while a store grows from empty to {@code total} entries: each measurement iteration inserts the
 * next {@code total / PHASES} new keys and records every put's latency; at the end of each phase the p50, p99,
 * p99.9 and maximum of that phase are printed as {@code GROWTH} lines (the JMH score is the mean per put).
 * Cubby starts from its smallest table and grows by incremental rehash; {@code HashMap} starts empty and resizes
 * in one step; Chronicle Map cannot grow far past its configured size, so it is created for the total.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar GrowthLatencyBenchmark -p total=10000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED", "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Ddisable.perf.info=true", "-Dagrona.disable.bounds.checks=true",
    "-Xms6g", "-Xmx10g" })
@Warmup(iterations = 0)
@Measurement(iterations = GrowthLatencyBenchmark.PHASES)
public class GrowthLatencyBenchmark
{
    static final int PHASES = 10;

    @Param({ "cubby", "chronicle", "hashmap" })
    public String store;

    @Param({ "10000000" })
    public long total;

    @Param({ "64" })
    public int valueSize;

    Keys keys;
    Stores.Adapter adapter;
    byte[] value;
    Path dir;
    long next;
    int phase;
    final LatencyHistogram histogram = new LatencyHistogram();
    final LatencyHistogram all = new LatencyHistogram();

    @Setup(Level.Trial)
    public void setUp()
    {
        keys = new Keys(total);
        if (!"cubby".equals(store))
        {
            keys.materialise(total);
        }
        value = BenchSupport.value(valueSize);
        dir = BenchSupport.newDirectory(store);
        adapter = Stores.open(store, dir, "chronicle".equals(store) ? total : 16, valueSize);
    }

    @TearDown(Level.Iteration)
    public void endPhase()
    {
        print("phase " + (++phase), histogram);
        all.add(histogram);
        histogram.reset();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        print("all", all);
        adapter.close();
        Stores.deleteRecursively(dir);
    }

    private void print(final String label, final LatencyHistogram h)
    {
        System.out.printf("%nGROWTH store=%s %s entries=%d p50=%d p99=%d p99.9=%d max=%d (ns)%n", store, label, next,
            h.percentile(0.50), h.percentile(0.99), h.percentile(0.999), h.max());
    }

    @Benchmark
    @OperationsPerInvocation(1_000_000)
    public long growPhase()
    {
        final long end = Math.min(total, next + total / PHASES);
        for (long i = next; i < end; i++)
        {
            final long start = System.nanoTime();
            adapter.put(keys, i, value);
            histogram.record(System.nanoTime() - start);
        }
        next = end;
        return end;
    }
}
