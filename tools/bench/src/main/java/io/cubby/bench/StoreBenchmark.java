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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Random single-key operations on a populated store: get of present keys, get of absent keys, update of
 * existing keys, and remove (each remove is paired with a put of the same key so the store keeps its size).
 * Keys are 16 bytes, pre-generated; values {@code valueSize} bytes.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar StoreBenchmark -p store=cubby,chronicle -p entries=1000000}
 * (add {@code -t 2} for two threads; {@code hashmap} is not thread-safe and is only meaningful with one).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED", "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Ddisable.perf.info=true", "-Dagrona.disable.bounds.checks=true",
    "-Xms4g", "-Xmx10g" })
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class StoreBenchmark
{
    /** Keys beyond the populated range that are never inserted: the absent keys. */
    static final long ABSENT_KEYS = 1_000_000;

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

    /** Per-thread random state. */
    @State(Scope.Thread)
    public static class Cursor
    {
        final long[] state = { ThreadLocalRandom.current().nextLong() | 1 };
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        keys = new Keys(entries + ABSENT_KEYS);
        if (!"cubby".equals(store))
        {
            keys.materialise(keys.count());
        }
        value = BenchSupport.value(valueSize);
        dir = BenchSupport.newDirectory(store);
        adapter = Stores.open(store, dir, entries, valueSize);
        BenchSupport.fill(adapter, keys, entries, value);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        adapter.close();
        Stores.deleteRecursively(dir);
    }

    @Benchmark
    public int getPresent(final Cursor cursor)
    {
        return adapter.get(keys, BenchSupport.next(cursor.state) % entries);
    }

    @Benchmark
    public int getAbsent(final Cursor cursor)
    {
        return adapter.get(keys, entries + BenchSupport.next(cursor.state) % ABSENT_KEYS);
    }

    @Benchmark
    public void updateExisting(final Cursor cursor)
    {
        adapter.put(keys, BenchSupport.next(cursor.state) % entries, value);
    }

    @Benchmark
    public boolean removeThenPut(final Cursor cursor)
    {
        final long index = BenchSupport.next(cursor.state) % entries;
        final boolean removed = adapter.remove(keys, index);
        adapter.put(keys, index, value);
        return removed;
    }
}
