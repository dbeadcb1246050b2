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
 * {@code cubby compact}: rebuild the table without tombstones, crash-safely.
 */
@Command(name = "compact", header = "Rebuild the table without tombstones, crash-safely.",
    description = {
        "Rebuild the table into a new file without tombstones, sized for a target load, then switch to it. " +
            "Crash-safe: it is the store's incremental rehash driven to its end, so a crash at any point leaves a " +
            "store that the next open recovers (and finishes compacting on later writes).",
        "Shows a progress bar on stderr when run on a terminal."})
final class CompactCommand implements Callable<Integer>
{
    @Mixin
    private StoreDirectory store;

    @Option(names = "--load", paramLabel = "LOAD", defaultValue = "-1",
        description = "Load of the rebuilt table, in (0, max load]. Default: half the store's max load.")
    private double load;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final CubbyStats before;
        final CubbyStats after;
        final long start = System.nanoTime();
        try (Cubby cubby = Stores.openWritable(Stores.existing(store.path), err))
        {
            before = cubby.stats();
            final ProgressBar progress = new ProgressBar(err, "compacting", before.capacity,
                null != System.console());
            try
            {
                cubby.compact(load, progress::update);
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
            out.println(new JsonWriter().beginObject()
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
