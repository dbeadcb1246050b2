package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.StoreInfo;
import io.cubby.store.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code cubby verify}: a full scan of a store, read-only.
 */
@Command(name = "verify", header = "Check every slot, checksum and count; exit 3 on corruption.",
    description = {
        "Check a whole store, read-only: table header checksums (on open), every slot's state, lengths and checksum, " +
            "every key reachable from its home slot and stored once, the header counts, and the log header.",
        "Lists each problem and exits with 3 if there is any."})
final class VerifyCommand implements Callable<Integer>
{
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
        final VerifyReport report;
        final StoreInfo info;
        final boolean clean;
        final boolean live;
        try (Cubby cubby = Stores.openReadOnly(store.path, err))
        {
            live = cubby.hasLiveWriter();
            clean = cubby.recoveryReport().cleanShutdown;
            report = cubby.verify();
            // with no writer these match the scan; with one active they may be a few writes ahead of it
            info = Cubby.inspect(store.path);
        }
        final List<String> problems = new ArrayList<>(report.problems);
        long problemCount = report.problemCount;
        final boolean logUnreadable = null == info.log && Files.exists(store.path.resolve("wal.log"));
        if (2 == info.formatVersion)
        {
            // the open replayed the version-2 log, whose damage it reports; inspect does not read that log
            if (null != info.logProblem)
            {
                problems.add("log: " + info.logProblem);
                problemCount++;
            }
        }
        else if (logUnreadable && !clean && !live)
        {
            // after an unclean shutdown the log holds changes the tables may lack
            problems.add("log: " + info.logProblem);
            problemCount++;
        }
        else if (null == info.log)
        {
            err.println("cubby verify: warning: log: " + info.logProblem + "; the store was closed cleanly, so " +
                "the next writable open replaces it");
        }
        else if (null != info.log.tailProblem)
        {
            err.println("cubby verify: warning: the log ends in a damaged record (" + info.log.tailProblem +
                "); recovery discards it" + (clean ? "" : ", losing any operation it held"));
        }

        if (output.json())
        {
            out.println(new JsonText().beginObject()
                .field("store", store.path.toString())
                .field("ok", 0 == problemCount)
                .field("problemCount", problemCount)
                .field("problems", problems)
                .field("entries", report.entriesCounted)
                .field("tombstones", report.tombstonesCounted)
                .field("slotsScanned", report.slotsScanned)
                .field("meanProbeLength", report.meanProbeLength)
                .field("maxProbeLength", report.maxProbeLength)
                .field("cleanShutdown", clean)
                .field("writerActive", live)
                .field("notChecked", report.notChecked)
                .field("logRecords", null == info.log ? 0 : info.log.validRecords)
                .endObject());
        }
        else
        {
            new Fields()
                .add("store", store.path.toString())
                .add("result", 0 == problemCount ? "OK" : "CORRUPT: " + Text.count(problemCount) + " problem(s)")
                .add("entries", Text.count(report.entriesCounted))
                .add("tombstones", Text.count(report.tombstonesCounted))
                .add("slots scanned", Text.count(report.slotsScanned))
                .add("probe length", String.format(Locale.ROOT, "mean %.2f, max %d",
                    report.meanProbeLength, report.maxProbeLength))
                .add("shutdown", live ? "open for writing in another process (online check)" :
                    clean ? "clean" : "unclean, not recovered")
                .add("log", null == info.log ? "unreadable: " + info.logProblem :
                    Text.count(info.log.validRecords) + " live record(s), tail " +
                    (null == info.log.tailProblem ? "clean" : "damaged"))
                .print(out);
            for (final String problem : problems)
            {
                out.println("problem: " + problem);
            }
            if (problemCount > problems.size())
            {
                out.println("... and " + Text.count(problemCount - problems.size()) + " more");
            }
        }
        for (final String limit : report.notChecked)
        {
            err.println("cubby verify: not checked: " + limit);
        }
        if (report.problemCount > 0)
        {
            err.println("cubby verify: " + store.path + " is corrupt (" + report.problemCount + " problem(s) in " +
                "its tables); `cubby recover --salvage` drops corrupt slots, losing their entries");
        }
        if (problemCount > report.problemCount)
        {
            err.println("cubby verify: the log of " + store.path + " is unreadable and the store was not closed " +
                "cleanly; opening for writing fails, or with `cubby recover --salvage` continues with a new log, " +
                "losing changes only the log held");
        }
        return 0 == problemCount ? ExitCode.OK : ExitCode.CORRUPT;
    }
}
