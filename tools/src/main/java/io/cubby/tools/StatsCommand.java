package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.CubbyStats;
import io.cubby.store.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code cubby stats}: counts and the probe-length and slot-occupancy distributions, drawn as bar charts.
 */
@Command(name = "stats", header = "Show counts, probe-length and slot-occupancy histograms.",
    description = {
        "Show counts and the distributions of probe lengths and of slot occupancy, drawn in the terminal.",
        "Opens the store read-only and scans every slot (as verify does); exits with 3 if that scan finds corruption."})
final class StatsCommand implements Callable<Integer>
{
    private static final int OCCUPANCY_BUCKETS = 10;

    @Mixin
    private StoreDirectory store;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final CubbyStats stats;
        final VerifyReport report;
        try (Cubby cubby = Stores.openReadOnly(store.path, err))
        {
            stats = cubby.stats();
            report = cubby.verify();
        }
        if (output.json())
        {
            out.println(json(stats, report));
        }
        else
        {
            text(stats, report, out);
        }
        if (!report.isOk())
        {
            err.println("cubby stats: " + report.problemCount + " problem(s) found; `cubby verify " + store.path +
                "` lists them");
            return ExitCode.CORRUPT;
        }
        return ExitCode.OK;
    }

    private void text(final CubbyStats stats, final VerifyReport report, final PrintWriter out)
    {
        new Fields()
            .add("store", store.path.toString())
            .add("entries", Text.count(stats.size))
            .add("capacity", Text.count(stats.capacity) + " slots of " + stats.slotLength + " bytes")
            .add("tombstones", Text.count(stats.tombstones))
            .add("load", Text.ratio(stats.load) + " (max " + Text.ratio(stats.maxLoad) + ")")
            .add("generation", Long.toString(stats.generation))
            .add("rehash", stats.rehashInProgress ? "in progress: " + Text.count(stats.migratedSlots) + " of " +
                Text.count(stats.sourceCapacity) + " old slots migrated" : "none")
            .add("table files", Text.bytes(stats.tableFileBytes))
            .add("probing", null == stats.probing ? "tag groups (format version 2)" : Text.lowerName(stats.probing))
            .print(out);
        if (null == stats.probing)
        {
            // format version 2: no probe length or region statistics yet
            return;
        }

        final long[] probes = report.probeLengthHistogram;
        int rows = probes.length;
        while (rows > 1 && probes[rows - 1] == 0)
        {
            rows--;
        }
        final String[] labels = new String[rows];
        final long[] counts = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = (i + 1) + (i == probes.length - 1 ? "+" : "");
            counts[i] = probes[i];
        }
        out.println();
        out.printf("Probe lengths of the %s live entries in the current table (mean %.2f, max %d):%n",
            Text.count(Arrays.stream(probes).sum()), report.meanProbeLength, report.maxProbeLength);
        Bars.chart(out, labels, counts);

        final double[] regions = report.regionOccupancy;
        out.println();
        out.println("Slot occupancy (full and tombstone slots) of " + regions.length + " equal regions of the " +
            "current table, in slot order (" + Bars.stripLegend() + "):");
        out.println("  [" + Bars.strip(regions) + "]");
        out.println();
        out.println("Regions by occupancy:");
        final String[] bucketLabels = new String[OCCUPANCY_BUCKETS];
        final long[] buckets = new long[OCCUPANCY_BUCKETS];
        for (int i = 0; i < OCCUPANCY_BUCKETS; i++)
        {
            bucketLabels[i] = (i * 100 / OCCUPANCY_BUCKETS) + "-" + ((i + 1) * 100 / OCCUPANCY_BUCKETS) + "%";
        }
        for (final double region : regions)
        {
            buckets[(int)Math.min(OCCUPANCY_BUCKETS - 1, Math.max(0, region * OCCUPANCY_BUCKETS))]++;
        }
        Bars.chart(out, bucketLabels, buckets);
    }

    private String json(final CubbyStats stats, final VerifyReport report)
    {
        return new JsonText().beginObject()
            .field("store", store.path.toString())
            .field("entries", stats.size)
            .field("capacity", stats.capacity)
            .field("tombstones", stats.tombstones)
            .field("load", stats.load)
            .field("maxLoad", stats.maxLoad)
            .field("slotLength", stats.slotLength)
            .field("generation", stats.generation)
            .field("rehashInProgress", stats.rehashInProgress)
            .field("migratedSlots", stats.migratedSlots)
            .field("sourceCapacity", stats.sourceCapacity)
            .field("tableFileBytes", stats.tableFileBytes)
            .field("probing", null == stats.probing ? null : stats.probing.name())
            .field("probeLengthHistogram", report.probeLengthHistogram)
            .field("meanProbeLength", report.meanProbeLength)
            .field("maxProbeLength", report.maxProbeLength)
            .field("regionOccupancy", report.regionOccupancy)
            .field("problemCount", report.problemCount)
            .endObject()
            .toString();
    }
}
