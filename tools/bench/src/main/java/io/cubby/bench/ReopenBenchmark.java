package io.cubby.bench;

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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Time to close and reopen a populated persistent store and read one key, as a restarted process would. Also
 * prints the store's file bytes per entry.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar ReopenBenchmark -p entries=10000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED", "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Ddisable.perf.info=true", "-Dagrona.disable.bounds.checks=true",
    "-Xms4g", "-Xmx10g" })
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class ReopenBenchmark
{
    @Param({ "cubby", "chronicle", "mapdb", "lmdb", "rocksdb" })
    public String store;

    @Param({ "1000000" })
    public long entries;

    @Param({ "64" })
    public int valueSize;

    Keys keys;
    Stores.Adapter adapter;
    Path dir;

    @Setup(Level.Trial)
    public void setUp()
    {
        keys = new Keys(entries);
        if (!"cubby".equals(store))
        {
            keys.materialise(keys.count());
        }
        dir = BenchSupport.newDirectory(store);
        adapter = Stores.open(store, dir, entries, valueSize);
        BenchSupport.fill(adapter, keys, entries, BenchSupport.value(valueSize));
        adapter.reopen();
        System.out.printf("%nFILE-SIZE store=%s entries=%d valueSize=%d bytes=%d bytesPerEntry=%.1f%n", store, entries,
            valueSize, Stores.directoryBytes(dir), Stores.directoryBytes(dir) / (double)entries);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        adapter.close();
        Stores.deleteRecursively(dir);
    }

    @Benchmark
    public int reopenAndGet()
    {
        adapter.reopen();
        return adapter.get(keys, entries / 2);
    }
}
