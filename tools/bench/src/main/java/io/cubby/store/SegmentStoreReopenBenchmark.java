package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Create, close and reopen times of a version-2 {@link SegmentStore} (issue 11: "reopen under 10 ms whatever the
 * size"), single shot, phase by phase: create (presized for the entries, as the fair benchmark's store), load,
 * close, clean reopen (open + first get), a second clean reopen, a close after no write, the read-only open plan
 * and the log read on their own, and a reopen after a SIGKILL of a child process that opened the store and wrote
 * (no close), and the facade's {@code Cubby.builder(dir).open()} in a fresh JVM. 16-byte keys computed from their
 * index, 64-byte values, as {@link SegmentSetGrowthBenchmark}.
 * <p>
 * Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -Xmx1g -cp
 * tools/bench/target/benchmarks.jar io.cubby.store.SegmentStoreReopenBenchmark <entries> [durability NONE|ASYNC|SYNC
 * (NONE)] [segment bits (8)] [writes of the killed child (10000)] [parent directory (a temporary one)]}.
 */
public final class SegmentStoreReopenBenchmark
{
    private static final int KEY_LENGTH = 16;
    private static final int VALUE_LENGTH = 64;
    private static final long SEED = 0x5EED_CAFE_F00DL;
    private static final int ROUNDS = 6;

    private SegmentStoreReopenBenchmark()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if ("reopen".equals(args[0]))
        {
            freshReopen(Path.of(args[1]), Durability.valueOf(args[2]), Long.parseLong(args[3]));
            return;
        }
        if ("facade".equals(args[0]))
        {
            freshFacadeReopen(Path.of(args[1]), Long.parseLong(args[2]));
            return;
        }
        if ("child".equals(args[0]))
        {
            child(Path.of(args[1]), Durability.valueOf(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]));
            return;
        }
        final long entries = Long.parseLong(args[0]);
        final Durability durability = args.length > 1 ? Durability.valueOf(args[1]) : Durability.NONE;
        final int segmentBits = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        final long childWrites = args.length > 3 ? Long.parseLong(args[3]) : 10_000;
        final Path parent = args.length > 4 ? Path.of(args[4]) : null;
        final Path dir = null == parent ? Files.createTempDirectory("cubby-reopen") :
            Files.createTempDirectory(parent, "cubby-reopen");
        try
        {
            run(dir, entries, durability, segmentBits, childWrites);
        }
        finally
        {
            delete(dir);
        }
    }

    private static void run(final Path dir, final long entries, final Durability durability, final int segmentBits,
        final long childWrites) throws Exception
    {
        final SegmentParams params = new SegmentParams(segmentBits, KEY_LENGTH, VALUE_LENGTH, 0, SEED,
            SegmentParams.DEFAULT_MAX_LOAD_PPM);
        final long groups = (long)Math.ceil((double)entries / (1 << segmentBits) * 1_000_000.0 /
            ((double)ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM * SegmentDescriptor.GROUP_SLOTS));
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_LENGTH));
        final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
        final Duration interval = Duration.ofMillis(100);
        System.out.printf("entries %d, durability %s, %d segments, load: %s%n", entries, durability, 1 << segmentBits,
            load());

        long t = System.nanoTime();
        SegmentStore store = SegmentStore.create(dir, params, groups, SegmentStore.DEFAULT_LOG_CAPACITY, durability,
            interval);
        report("create", t);
        t = System.nanoTime();
        for (long i = 0; i < entries; i++)
        {
            fill(key, i);
            value.putLong(0, i);
            store.put(key, 0, KEY_LENGTH, value, 0, VALUE_LENGTH);
        }
        report("load " + entries, t);
        t = System.nanoTime();
        store.close();
        report("close after load", t);
        closePhases(store);

        long best = Long.MAX_VALUE;
        for (int round = 1; round <= ROUNDS; round++)
        {
            t = System.nanoTime();
            store = SegmentStore.open(dir, durability, interval, false);
            final long opened = System.nanoTime();
            fill(key, entries / 2);
            final int length = store.get(key, 0, KEY_LENGTH, dst, 0);
            final long got = System.nanoTime();
            check(length == VALUE_LENGTH && dst.getLong(0) == entries / 2, "first get after reopen");
            best = Math.min(best, got - t);
            System.out.printf("  clean reopen %d: open %.2f ms + first get %.3f ms = %.2f ms (replayed: %s)%n    phases: %s%n",
                round, (opened - t) / 1e6, (got - opened) / 1e6, (got - t) / 1e6, store.recoveryReport(),
                SegmentRecovery.phases(store.recoveryReport()));
            t = System.nanoTime();
            store.close();
            report("close after no write", t);
            closePhases(store);
        }

        System.out.printf("  clean reopen, best of %d: %.2f ms%n", ROUNDS, best / 1e6);
        // the read-only halves on their own, best of ROUNDS
        long plan = Long.MAX_VALUE;
        long logRead = Long.MAX_VALUE;
        SegmentLogReader.Result read = null;
        for (int round = 0; round < ROUNDS; round++)
        {
            t = System.nanoTime();
            SegmentOpenPlan.validate(dir, dir.resolve(SegmentStore.LOG_FILE), false);
            plan = Math.min(plan, System.nanoTime() - t);
            t = System.nanoTime();
            read = SegmentLogReader.read(dir.resolve(SegmentStore.LOG_FILE), params, new SegmentLogReader.Visitor()
            {
            });
            logRead = Math.min(logRead, System.nanoTime() - t);
        }
        System.out.printf("  open plan alone (read-only): %.2f ms; log read alone: %.2f ms (%s), best of %d%n",
            plan / 1e6, logRead / 1e6, read, ROUNDS);

        fileCosts(dir, params);
        for (int round = 0; round < 3; round++)
        {
            runJava(List.of("reopen", dir.toString(), durability.name(), Long.toString(entries)), null);
        }
        for (int round = 0; round < 3; round++)
        {
            runJava(List.of("facade", dir.toString(), Long.toString(entries)), null);
        }

        // a writer killed after writes (no close)
        final Process child = runJava(List.of("child", dir.toString(), durability.name(), Long.toString(entries),
            Long.toString(childWrites)), "written");
        child.destroyForcibly();
        child.waitFor(30, TimeUnit.SECONDS);
        t = System.nanoTime();
        store = SegmentStore.open(dir, durability, interval, false);
        final long opened = System.nanoTime();
        fill(key, entries / 2);
        final int length = store.get(key, 0, KEY_LENGTH, dst, 0);
        final long got = System.nanoTime();
        check(length == VALUE_LENGTH, "first get after the kill");
        System.out.printf("  reopen after SIGKILL: open %.2f ms + first get %.3f ms = %.2f ms (%s)%n    phases: %s%n",
            (opened - t) / 1e6, (got - opened) / 1e6, (got - t) / 1e6, store.recoveryReport(),
            SegmentRecovery.phases(store.recoveryReport()));
        check(store.entryCount() == entries, "entries after the kill: " + store.entryCount());
        t = System.nanoTime();
        store.close();
        report("close after the kill's recovery", t);
        closePhases(store);
        System.out.printf("load at the end: %s%n", load());
    }

    /** A clean reopen + first get in a fresh JVM (class loading included), as an application's restart sees it. */
    private static void freshReopen(final Path dir, final Durability durability, final long entries)
        throws IOException
    {
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_LENGTH));
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
        final long t = System.nanoTime();
        try (SegmentStore store = SegmentStore.open(dir, durability, Duration.ofMillis(100), false))
        {
            final long opened = System.nanoTime();
            fill(key, entries / 3);
            final int length = store.get(key, 0, KEY_LENGTH, dst, 0);
            final long got = System.nanoTime();
            check(length == VALUE_LENGTH && dst.getLong(0) == entries / 3, "first get in a fresh JVM");
            System.out.printf("fresh JVM clean reopen: open %.2f ms + first get %.3f ms = %.2f ms; %s%n",
                (opened - t) / 1e6, (got - opened) / 1e6, (got - t) / 1e6,
                SegmentRecovery.phases(store.recoveryReport()));
        }
    }

    /** A user's reopen in a fresh JVM: {@code Cubby.builder(dir).open()}, then one get through the facade. */
    private static void freshFacadeReopen(final Path dir, final long entries)
    {
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_LENGTH));
        final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
        final long t = System.nanoTime();
        try (Cubby store = Cubby.builder(dir).open())
        {
            final long opened = System.nanoTime();
            fill(key, entries / 3);
            final int length = store.get(key, 0, KEY_LENGTH, dst, 0);
            final long got = System.nanoTime();
            check(length == VALUE_LENGTH && dst.getLong(0) == entries / 3, "first get in a fresh JVM");
            System.out.printf("fresh JVM Cubby.builder(dir).open(): open %.2f ms + first get %.3f ms = %.2f ms%n",
                (opened - t) / 1e6, (got - opened) / 1e6, (got - t) / 1e6);
        }
    }

    /** Run this class in a child JVM with {@code args}, echoing its output until a line starting with {@code until}. */
    private static Process runJava(final List<String> args, final String until) throws IOException, InterruptedException
    {
        final String java = ProcessHandle.current().info().command().orElse("java");
        final List<String> command = new ArrayList<>(List.of(java,
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx512m", "-cp",
            System.getProperty("java.class.path"), SegmentStoreReopenBenchmark.class.getName()));
        command.addAll(args);
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8));
        String line;
        while (null != (line = out.readLine()))
        {
            System.out.println("  child: " + line);
            if (null != until && line.startsWith(until))
            {
                return child;
            }
        }
        child.waitFor(60, TimeUnit.SECONDS);
        return child;
    }

    /** What opening the segment files costs, step by step, best of ROUNDS over all files. */
    private static void fileCosts(final Path dir, final SegmentParams params) throws IOException
    {
        final int count = 1 << params.segmentBits;
        final long[] generations = new long[count];
        try (Manifest manifest = Manifest.open(dir, true))
        {
            for (int s = 0; s < count; s++)
            {
                generations[s] = manifest.currentGeneration(s);
            }
        }
        long channels = Long.MAX_VALUE;
        long maps = Long.MAX_VALUE;
        long tables = Long.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++)
        {
            final java.nio.channels.FileChannel[] open = new java.nio.channels.FileChannel[count];
            long t = System.nanoTime();
            for (int s = 0; s < count; s++)
            {
                open[s] = java.nio.channels.FileChannel.open(dir.resolve(SegmentDescriptor.fileName(s, generations[s])),
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
            }
            channels = Math.min(channels, System.nanoTime() - t);
            t = System.nanoTime();
            final java.nio.MappedByteBuffer[] mapped = new java.nio.MappedByteBuffer[count];
            for (int s = 0; s < count; s++)
            {
                mapped[s] = open[s].map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, open[s].size());
            }
            maps = Math.min(maps, System.nanoTime() - t);
            for (int s = 0; s < count; s++)
            {
                org.agrona.IoUtil.unmap(mapped[s]);
                open[s].close();
            }
            t = System.nanoTime();
            final SegmentTable[] opened = new SegmentTable[count];
            for (int s = 0; s < count; s++)
            {
                opened[s] = SegmentFile.open(dir.resolve(SegmentDescriptor.fileName(s, generations[s])), params, s,
                    generations[s], false);
            }
            tables = Math.min(tables, System.nanoTime() - t);
            for (final SegmentTable table : opened)
            {
                table.unmap();
            }
        }
        System.out.printf("  %d segment files, best of %d: FileChannel.open %.2f ms, map %.2f ms, SegmentFile.open " +
            "(open, header read, map) %.2f ms%n", count, ROUNDS, channels / 1e6, maps / 1e6, tables / 1e6);
    }

    /** Open the store, update {@code writes} keys, say so, and wait to be killed. */
    private static void child(final Path dir, final Durability durability, final long entries, final long writes)
        throws Exception
    {
        final SegmentStore store = SegmentStore.open(dir, durability, Duration.ofMillis(100), false);
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(KEY_LENGTH));
        final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_LENGTH));
        for (long i = 0; i < writes; i++)
        {
            final long k = i * 7919 % entries;
            fill(key, k);
            value.putLong(0, k);
            value.putLong(8, 1);
            store.put(key, 0, KEY_LENGTH, value, 0, VALUE_LENGTH);
        }
        System.out.println("written " + writes);
        System.out.flush();
        Thread.sleep(60_000);
        store.close();
    }

    private static void closePhases(final SegmentStore store)
    {
        final StringBuilder text = new StringBuilder("    close phases: ");
        for (int i = 0; i < store.closePhases.names.length; i++)
        {
            text.append(i == 0 ? "" : ", ").append(store.closePhases.names[i]).append(' ')
                .append(String.format("%.2f", store.closePhases.sumNs(i) / 1e6));
        }
        System.out.println(text.append(" ms; set: ").append(store.segments().phaseTimes()).append(", ")
            .append(store.segments().filesForced()).append(" segment files forced"));
    }

    private static void report(final String what, final long start)
    {
        System.out.printf("  %s: %.2f ms%n", what, (System.nanoTime() - start) / 1e6);
    }

    private static void check(final boolean ok, final String what)
    {
        if (!ok)
        {
            throw new IllegalStateException("failed: " + what);
        }
    }

    private static String load()
    {
        try
        {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        }
        catch (final IOException ex)
        {
            return "?";
        }
    }

    private static void fill(final UnsafeBuffer key, final long i)
    {
        long z = (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        key.putLong(0, z ^ (z >>> 31));
        key.putLong(8, i);
    }

    private static void delete(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(file);
            }
        }
    }
}
