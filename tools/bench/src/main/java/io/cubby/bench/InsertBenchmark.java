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
 * Put of new keys into a populated store: each iteration inserts {@link #BATCH} keys never inserted before (so
 * the work is the same for every store), growing the store as it goes. Reported per insert.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar InsertBenchmark -p store=cubby,chronicle}
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
    "-Xms4g", "-Xmx10g" })
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class InsertBenchmark
{
    static final int BATCH = 500_000;
    static final int ITERATIONS = 4;

    @Param({ "cubby", "chronicle", "mapdb", "lmdb", "rocksdb", "hashmap", "chm" })
    public String store;

    @Param({ "1000000" })
    public long entries;

    @Param({ "64" })
    public int valueSize;

    Keys keys;
    Stores.Adapter adapter;
    byte[] value;
    Path dir;
    long next;

    @Setup(Level.Trial)
    public void setUp()
    {
        keys = new Keys(entries + (long)BATCH * ITERATIONS);
        if (!"cubby".equals(store))
        {
            keys.materialise(keys.count());
        }
        value = BenchSupport.value(valueSize);
        dir = BenchSupport.newDirectory(store);
        adapter = Stores.open(store, dir, entries, valueSize); // sized for the populated entries: inserts grow it
        BenchSupport.fill(adapter, keys, entries, value);
        next = entries;
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        adapter.close();
        Stores.deleteRecursively(dir);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long putNew()
    {
        final long end = next + BATCH;
        for (long i = next; i < end; i++)
        {
            adapter.put(keys, i, value);
        }
        next = end;
        return end;
    }
}
