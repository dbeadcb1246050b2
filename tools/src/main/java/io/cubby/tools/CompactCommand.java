package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.CubbyStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code cubby compact}: rebuild the table without tombstones, crash-safely; in a format-version-2 store, shrink
 * the segments whose files are larger than their entries need.
 */
@Command(name = "compact", header = "Rebuild the table without tombstones, crash-safely.",
    description = {
        "Rebuild the table into a new file without tombstones, sized for the live entries (or a target load), " +
            "then switch to it. " +
            "Crash-safe: it is the store's incremental rehash driven to its end, so a crash at any point leaves a " +
            "store that the next open recovers (and finishes compacting on later writes).",
        "In a format-version-2 store (no tombstones) each segment whose file has more groups than its entries " +
            "need is rehashed into a smaller file, one segment at a time; the others are left as they are.",
        "Shows a progress bar on stderr when run on a terminal."})
final class CompactCommand implements Callable<Integer>
{
    /** Highest max load a store can have (format version 2; version 1: 0.95). */
    private static final double MAX_LOAD = 0.96;

    @Mixin
    private StoreDirectory store;

    @Option(names = "--load", paramLabel = "LOAD",
        description = "Load of the rebuilt table, in [0.1, the store's max load]: 0.1 gives about ten times the " +
            "slots of the live entries (rounded up to a power of two). Default: the smallest table that holds " +
            "the live entries within the max load, so a store without tombstones keeps its size. Format version " +
            "2: the load of each shrunk segment; default its Target Load, the load growth sizes files for.")
    private Double load;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        if (null != load && !(load >= Cubby.MIN_COMPACTION_LOAD && load <= MAX_LOAD))
        {
            throw new IllegalArgumentException("--load must be in [" + Cubby.MIN_COMPACTION_LOAD +
                ", the store's max load (at most " + MAX_LOAD + ")]: " + load);
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final CubbyStats before;
        final CubbyStats after;
        final long start = System.nanoTime();
        try (Cubby cubby = Stores.openWritable(Stores.existing(store.path), err))
        {
            before = cubby.stats();
            if (null != load && load > before.maxLoad)
            {
                throw new IllegalArgumentException("--load must be in [" + Cubby.MIN_COMPACTION_LOAD + ", " +
                    before.maxLoad + "] (the store's max load): " + load);
            }
            final ProgressBar progress = new ProgressBar(err, "compacting", before.capacity,
                null != System.console());
            try
            {
                cubby.compact(null == load ? -1 : load, progress::update);
            }
            finally
            {
                progress.finish();
            }
            after = cubby.stats();
        }
        final long millis = (System.nanoTime() - start) / 1_000_000;
        if (output.json())
        {
            out.println(new JsonText().beginObject()
                .field("store", store.path.toString())
                .field("millis", millis)
                .name("before").beginObject().field("capacity", before.capacity).field("entries", before.size)
                .field("tombstones", before.tombstones).field("load", before.load)
                .field("tableFileBytes", before.tableFileBytes).endObject()
                .name("after").beginObject().field("capacity", after.capacity).field("entries", after.size)
                .field("tombstones", after.tombstones).field("load", after.load)
                .field("tableFileBytes", after.tableFileBytes).endObject()
                .endObject());
        }
        else
        {
            new Fields()
                .add("store", store.path.toString())
                .add("before", describe(before))
                .add("after", describe(after))
                .add("took", millis + " ms")
                .print(out);
        }
        return ExitCode.OK;
    }

    private static String describe(final CubbyStats stats)
    {
        return Text.count(stats.size) + " entries, " + Text.count(stats.tombstones) + " tombstones, " +
            Text.count(stats.capacity) + " slots, load " + Text.ratio(stats.load) + ", " +
            Text.bytes(stats.tableFileBytes) + (stats.rehashInProgress ? ", rehash in progress" : "");
    }
}
