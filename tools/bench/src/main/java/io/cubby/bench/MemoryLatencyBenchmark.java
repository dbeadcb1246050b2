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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The hardware limit for a random lookup: the latency of one dependent read (pointer chasing through a random
 * cyclic permutation of 64-byte cells) over an off-heap buffer far larger than the caches. A hash store's get
 * of a random present key cannot beat one such read; the results report each store's get as a multiple of it,
 * measured over a footprint comparable to the store's ({@code run-fair.sh} passes 256 MiB for 1 M entries and
 * 2 GiB for 10 M). Agrona bounds checks stay on, as in the store benchmarks.
 * <p>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar MemoryLatencyBenchmark -p bytes=268435456}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = { "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx4g" })
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class MemoryLatencyBenchmark
{
    static final int CELL = 64;

    @Param({ "2147483584" })
    public int bytes;

    UnsafeBuffer buffer;
    int position;

    @Setup(Level.Trial)
    public void setUp()
    {
        buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes));
        final int cells = bytes / CELL;
        final int[] order = new int[cells];
        for (int i = 0; i < cells; i++)
        {
            order[i] = i;
        }
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = cells - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < cells; i++)
        {
            buffer.putInt(order[i] * CELL, order[(i + 1) % cells] * CELL);
        }
    }

    @Benchmark
    public int dependentRead()
    {
        position = buffer.getInt(position);
        return position;
    }
}
