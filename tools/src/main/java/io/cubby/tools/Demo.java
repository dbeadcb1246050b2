package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.CubbyStats;
import io.cubby.store.Durability;
import io.cubby.store.StoreInfo;
import io.cubby.store.VerifyReport;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The main job end to end: create a store, write to it (it grows by incremental rehash as it goes), close it,
 * reopen it, read everything back, then inspect and verify the files.
 */
final class Demo
{
    static final int DEFAULT_ENTRIES = 200_000;

    private Demo()
    {
    }

    /**
     * @return 0 when every entry read back matched, 1 otherwise.
     */
    static int run(final Path directory, final int entries, final PrintWriter out)
    {
        final long startWrite = System.nanoTime();
        try (Cubby store = Cubby.builder(directory)
            .maxKeySize(32)
            .maxValueSize(64)
            .durability(Durability.ASYNC)
            .open())
        {
            out.printf("opened %s (%s)%n", directory, store.recoveryReport());
            for (int i = 0; i < entries; i++)
            {
                store.put(key(i), value(i));
            }
            for (int i = 0; i < entries; i += 10)
            {
                store.remove(key(i));
            }
            final CubbyStats stats = store.stats();
            out.printf("wrote %,d entries and removed every tenth in %d ms: %s%n", entries,
                (System.nanoTime() - startWrite) / 1_000_000, stats);
        }

        final long startOpen = System.nanoTime();
        try (Cubby store = Cubby.builder(directory).open())
        {
            out.printf("reopened in %.1f ms: %,d entries%n", (System.nanoTime() - startOpen) / 1e6, store.size());
            int wrong = 0;
            for (int i = 0; i < entries; i++)
            {
                final byte[] value = store.get(key(i));
                final boolean expected = i % 10 != 0;
                if (expected ? null == value || !new String(value, StandardCharsets.UTF_8).equals(text(i)) :
                    null != value)
                {
                    wrong++;
                }
            }
            out.printf("read back %,d keys: %s%n", entries, 0 == wrong ? "all correct" : wrong + " WRONG");
            final VerifyReport report = store.verify();
            out.printf("verify: %s%n", report);
            if (0 != wrong || !report.isOk())
            {
                return 1;
            }
        }

        final StoreInfo info = Cubby.inspect(directory);
        // a version-2 store's inspection reads no log record: its log is "present" unless it has a problem
        final String log = null != info.log ? info.log.validRecords + " live record(s) of " + info.log.capacity +
            " bytes" : null != info.logProblem ? info.logProblem : "present";
        if (null != info.segments)
        {
            final StoreInfo.SegmentsInfo segments = info.segments;
            out.printf("inspect: format v%d, %d segments in %d files of %,d bytes, %,d slots, %,d entries, " +
                "load %.3f, clean shutdown: %s, log: %s%n", info.formatVersion, segments.segmentCount,
                segments.segmentFiles, segments.segmentFileBytes, segments.capacity, info.entries(),
                segments.capacity == 0 ? 0.0 : (double)info.entries() / segments.capacity, info.cleanShutdown(), log);
            return 0;
        }
        final StoreInfo.TableInfo table = info.currentTable();
        out.printf("inspect: %s, format v%d, generation %d, %,d slots of %d bytes, %,d entries, load %.3f, " +
            "%s probing, %s, clean shutdown: %s, log: %s%n",
            table.file, table.readVersion, table.generation, table.capacity, table.slotLength, info.entries(),
            table.load(), table.probing, table.hashAlgorithm, info.cleanShutdown(), log);
        return 0;
    }

    private static byte[] key(final int i)
    {
        return ("user:" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static String text(final int i)
    {
        return "{\"id\":" + i + ",\"name\":\"user " + i + "\"}";
    }

    private static byte[] value(final int i)
    {
        return text(i).getBytes(StandardCharsets.UTF_8);
    }
}
