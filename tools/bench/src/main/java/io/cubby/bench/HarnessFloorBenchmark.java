package io.cubby.bench;

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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What {@link FairBenchmark#getPresent1} costs before any store is asked: draw a random present key's index as its
 * worker does and read the key's 16 bytes from the same {@link Dataset} (its key block is as large as the
 * benchmark's: present and absent keys). Every store's get reads those bytes first (its hash depends on them),
 * so this is the floor of a get in that benchmark; the report gives each store's get beyond it in dependent reads.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar HarnessFloorBenchmark -p entries=1000000}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = { "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx8g" })
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 3, time = 1500, timeUnit = TimeUnit.MILLISECONDS)
public class HarnessFloorBenchmark
{
    @Param({ "1000000" })
    public long entries;

    Dataset data;
    UnsafeBuffer keys;
    long[] state;
    long chain;

    @Setup(Level.Trial)
    public void setUp()
    {
        data = new Dataset(entries, Dataset.absentFor(entries));
        keys = data.keys();
        state = new long[] { Dataset.mix(0x1234_5678_9ABCL + 1) | 1 };
    }

    /** A random present key's bytes, as a get's first read: the index drawn as {@code FairBenchmark.Worker} does. */
    @Benchmark
    @Threads(1)
    public long readKey1()
    {
        final int offset = data.keyOffset(Random.next(state) % entries);
        return keys.getLong(offset) ^ keys.getLong(offset + Long.BYTES);
    }

    /**
     * The same read with each draw depending on the previous key's bytes, so that reads cannot overlap: the
     * latency of the key read that begins every get's chain of dependent reads.
     */
    @Benchmark
    @Threads(1)
    public long readKeyChained1()
    {
        final int offset = data.keyOffset((Random.next(state) ^ (chain & 1)) % entries);
        chain = keys.getLong(offset) ^ keys.getLong(offset + Long.BYTES);
        return chain;
    }
}
