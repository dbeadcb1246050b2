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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Random single-key operations on a loaded store, every store on equal terms: keys and values come from one
 * off-heap {@link Dataset}, each trial works on a fresh copy of the same loaded store ({@link Prepared}), and
 * the forks run with the JVM's and the libraries' defaults (Agrona bounds checks on).
 * <p>
 * {@code tools/bench/run-fair.sh} runs it twice per size, the second time with the stores in reverse order.
 * One run by hand: {@code java -jar tools/bench/target/benchmarks.jar FairBenchmark -p store=cubby,chronicle
 * -p entries=1000000}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED", "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true", "-Ddisable.perf.info=true", "-Xmx8g" })
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1500, timeUnit = TimeUnit.MILLISECONDS)
public class FairBenchmark
{
    /** Share of gets in {@link #mixed2}: 90 %. */
    static final int GETS_IN_TEN = 9;

    @Param({ "cubby", "chronicle", "lmdb", "rocksdb", "mapdb", "chm" })
    public String store;

    @Param({ "1000000" })
    public long entries;

    Dataset data;
    Stores.Store db;
    Path dir;
    final AtomicLong seeds = new AtomicLong(0x1234_5678_9ABCL);

    @Setup(Level.Trial)
    public void setUp()
    {
        data = new Dataset(entries, Dataset.absentFor(entries));
        if (Stores.isPersistent(store))
        {
            dir = Prepared.copy(store, entries, data);
            db = Stores.open(store, dir, data, entries);
        }
        else
        {
            db = Stores.open(store, Prepared.base(), data, entries);
            try (Stores.Session session = db.session())
            {
                for (long i = 0; i < entries; i++)
                {
                    session.put(i);
                }
            }
        }
        try (Stores.Session session = db.session())
        {
            Stores.verify(session, data, 10_000, 42);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        try (Stores.Session session = db.session())
        {
            Stores.verify(session, data, 10_000, 43);
        }
        db.close();
        if (null != dir)
        {
            Stores.deleteRecursively(dir);
        }
    }

    /** One benchmark thread's session and random state. */
    @State(Scope.Thread)
    public static class Worker
    {
        Stores.Session session;
        long[] state;
        long entries;
        long absent;

        @Setup(Level.Trial)
        public void setUp(final FairBenchmark benchmark)
        {
            session = benchmark.db.session();
            state = new long[] { Dataset.mix(benchmark.seeds.incrementAndGet()) | 1 };
            entries = benchmark.entries;
            absent = benchmark.data.absent();
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            session.close();
        }

        long present()
        {
            return Random.next(state) % entries;
        }
    }

    @Benchmark
    @Threads(1)
    public int getPresent1(final Worker w)
    {
        return w.session.get(w.present());
    }

    @Benchmark
    @Threads(2)
    public int getPresent2(final Worker w)
    {
        return w.session.get(w.present());
    }

    @Benchmark
    @Threads(1)
    public int getAbsent1(final Worker w)
    {
        return w.session.get(w.entries + Random.next(w.state) % w.absent);
    }

    @Benchmark
    @Threads(1)
    public void update1(final Worker w)
    {
        w.session.put(w.present());
    }

    @Benchmark
    @Threads(2)
    public void update2(final Worker w)
    {
        w.session.put(w.present());
    }

    /** 90 % gets, 10 % updates of random present keys, on two threads. */
    @Benchmark
    @Threads(2)
    public int mixed2(final Worker w)
    {
        final long r = Random.next(w.state);
        final long index = r % w.entries;
        if ((r >>> 40) % 10 < GETS_IN_TEN)
        {
            return w.session.get(index);
        }
        w.session.put(index);
        return 0;
    }
}
