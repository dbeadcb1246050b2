package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.RecoveryReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code cubby recover}: open for writing, which runs recovery, and report what it did.
 */
@Command(name = "recover", header = "Run recovery and print its report.",
    description = {
        "Run recovery now and print its report: replay the log, roll back torn updates, resume an unfinished rehash, " +
            "delete leftover files. A store closed cleanly needs none.",
        "Slots failing their checksum that the log cannot restore make recovery refuse (exit 3) without changing " +
            "anything, unless --salvage drops them (their entries are lost)."})
final class RecoverCommand implements Callable<Integer>
{
    @Mixin
    private StoreDirectory store;

    @Option(names = "--salvage", description = "Scan every slot, even after a clean shutdown, and drop corrupt " +
        "slots the log cannot restore, and log records after damage in the middle of the log.")
    private boolean salvage;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final RecoveryReport report;
        try (Cubby cubby = Stores.existing(store.path).salvage(salvage).open())
        {
            report = cubby.recoveryReport();
        }
        if (output.json())
        {
            out.println(new JsonText().beginObject()
                .field("store", store.path.toString())
                .field("didWork", report.didWork())
                .field("cleanShutdown", report.cleanShutdown)
                .field("logRecordsRead", report.logRecordsRead)
                .field("operationsReplayed", report.operationsReplayed)
                .field("logTailProblem", report.logTailProblem)
                .field("logBytesDiscarded", report.logBytesDiscarded)
                .field("tornUpdatesRolledBack", report.tornUpdatesRolledBack)
                .field("corruptSlotsRestoredFromLog", report.corruptSlotsRestoredFromLog)
                .field("corruptSlotsDropped", report.corruptSlotsDropped)
                .field("duplicatesResolved", report.duplicatesResolved)
                .field("rehashResumed", report.rehashResumed)
                .field("rehashResumedAt", report.rehashResumedAt)
                .field("filesDeleted", report.filesDeleted)
                .field("notes", report.notes)
                .field("durationMillis", report.durationMillis)
                .endObject());
        }
        else
        {
            new Fields()
                .add("store", store.path.toString())
                .add("result", report.didWork() ? "recovered" : "nothing to recover")
                .add("shutdown", report.cleanShutdown ? "clean" : "unclean")
                .add("log records read", Text.count(report.logRecordsRead))
                .add("operations replayed", Text.count(report.operationsReplayed))
                .add("log tail", null == report.logTailProblem ? "clean" :
                    "damaged, " + Text.count(report.logBytesDiscarded) + " bytes discarded: " + report.logTailProblem)
                .add("torn updates rolled back", Text.count(report.tornUpdatesRolledBack))
                .add("corrupt slots restored", Text.count(report.corruptSlotsRestoredFromLog) + " (from the log)")
                .add("corrupt slots dropped", Text.count(report.corruptSlotsDropped) +
                    (report.corruptSlotsDropped > 0 ? " (their entries are lost)" : ""))
                .add("duplicates resolved", Text.count(report.duplicatesResolved))
                .add("rehash resumed", report.rehashResumed ? "yes, at slot " + report.rehashResumedAt : "no")
                .add("files deleted", report.filesDeleted.isEmpty() ? "none" : String.join(", ", report.filesDeleted))
                .add("notes", report.notes.isEmpty() ? "none" : String.join("; ", report.notes))
                .add("took", report.durationMillis + " ms")
                .print(out);
        }
        if (report.corruptSlotsDropped > 0)
        {
            err.println("cubby recover: warning: dropped " + report.corruptSlotsDropped + " corrupt slot(s); " +
                "their entries are lost");
        }
        return ExitCode.OK;
    }
}
