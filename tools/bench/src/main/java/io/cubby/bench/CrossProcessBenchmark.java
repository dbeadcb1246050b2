package io.cubby.bench;

import io.cubby.store.Cubby;
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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Readers in other processes (FORMAT.md §3.4): the throughput of a get in a read-only store of another process
 * against a get on the writer's own instance, and the writer's put throughput with and without reader processes
 * attached. Keys (8 bytes) and values (32 bytes) are pre-generated; the measured loops allocate nothing.
 * <ul>
 *   <li>{@code get}: {@code where=writer} reads through the writable instance in this JVM; {@code
 *   where=reader-idle-writer} opens the store read-only here while a child JVM holds it open for writing and
 *   idles, {@code reader-busy-writer} while the child updates random keys as fast as it can.</li>
 *   <li>{@code put}: updates of random present keys through the writable instance here, with {@code readers}
 *   child JVMs each getting random keys in a loop from a read-only open.</li>
 * </ul>
 * Run: {@code java -jar tools/bench/target/benchmarks.jar CrossProcessBenchmark}
 * (short: {@code -wi 1 -w 2 -i 3 -r 2 -f 1}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g" })
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class CrossProcessBenchmark
{
    static final int ENTRIES = 100_000;
    static final int KEY_SIZE = 8;
    static final int VALUE_SIZE = 32;
    static final int KEY_COUNT_MASK = (1 << 16) - 1;

    /**
     * Gets of random present keys.
     */
    @State(Scope.Benchmark)
    public static class GetState
    {
        @Param({ "writer", "reader-idle-writer", "reader-busy-writer" })
        public String where;

        Path dir;
        Cubby writer;
        Cubby store;
        Process child;

        @Setup(Level.Trial)
        public void setUp() throws Exception
        {
            dir = Files.createTempDirectory("cubby-xproc-get");
            if ("writer".equals(where))
            {
                writer = CrossProcessChild.open(dir);
                CrossProcessChild.fill(writer);
                store = writer;
            }
            else
            {
                child = startChild("write", dir, Boolean.toString("reader-busy-writer".equals(where)));
                store = Cubby.builder(dir).readOnly(true).open();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception
        {
            if (store != writer)
            {
                store.close();
            }
            if (null != writer)
            {
                writer.close();
            }
            stopChild(child);
            deleteTree(dir);
        }
    }

    /**
     * Per-thread keys and destination.
     */
    @State(Scope.Thread)
    public static class Keys
    {
        final UnsafeBuffer[] keys = new UnsafeBuffer[KEY_COUNT_MASK + 1];
        final UnsafeBuffer value = new UnsafeBuffer(new byte[VALUE_SIZE]);
        final UnsafeBuffer dst = new UnsafeBuffer(new byte[VALUE_SIZE]);
        int next;

        @Setup(Level.Trial)
        public void setUp()
        {
            final SplittableRandom random = new SplittableRandom(7);
            for (int i = 0; i < keys.length; i++)
            {
                keys[i] = new UnsafeBuffer(CrossProcessChild.key(random.nextInt(ENTRIES)));
            }
            value.putLong(0, 42);
        }

        UnsafeBuffer nextKey()
        {
            return keys[next++ & KEY_COUNT_MASK];
        }
    }

    /**
     * A writable store here, with reader processes attached.
     */
    @State(Scope.Benchmark)
    public static class PutState
    {
        @Param({ "0", "2" })
        public int readers;

        Path dir;
        Cubby writer;
        final List<Process> children = new ArrayList<>();

        @Setup(Level.Trial)
        public void setUp() throws Exception
        {
            dir = Files.createTempDirectory("cubby-xproc-put");
            writer = CrossProcessChild.open(dir);
            CrossProcessChild.fill(writer);
            for (int i = 0; i < readers; i++)
            {
                children.add(startChild("read", dir, "-"));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception
        {
            for (final Process child : children)
            {
                stopChild(child);
            }
            writer.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public int get(final GetState state, final Keys keys)
    {
        return state.store.get(keys.nextKey(), 0, KEY_SIZE, keys.dst, 0);
    }

    @Benchmark
    public boolean put(final PutState state, final Keys keys)
    {
        keys.value.putInt(8, keys.next);
        return state.writer.put(keys.nextKey(), 0, KEY_SIZE, keys.value, 0, VALUE_SIZE);
    }

    static Process startChild(final String mode, final Path dir, final String arg) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CrossProcessChild.class.getName());
        command.add(mode);
        command.add(dir.toString());
        command.add(arg);
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = out.readLine();
        if (!"ready".equals(line))
        {
            process.destroyForcibly();
            throw new IllegalStateException("child " + mode + " did not start: " + line);
        }
        return process;
    }

    static void stopChild(final Process child) throws InterruptedException
    {
        if (null == child)
        {
            return;
        }
        try
        {
            child.getOutputStream().close();
        }
        catch (final IOException ignore)
        {
            // it ends anyway
        }
        if (!child.waitFor(60, TimeUnit.SECONDS))
        {
            child.destroyForcibly();
        }
    }

    static void deleteTree(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file ->
            {
                try
                {
                    Files.deleteIfExists(file);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
    }
}
