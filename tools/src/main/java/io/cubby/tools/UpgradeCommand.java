package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.StoreInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code cubby upgrade}: rewrite a format-version-1 store in format version 2, in place, crash-safely.
 */
@Command(name = "upgrade", header = "Rewrite a format-version-1 store in format version 2, crash-safely.",
    description = {
        "Copy every entry of a version-1 store into a version-2 store built in the store's .upgrade-v2 staging " +
            "directory, then move it into place and delete the version-1 files. The store must not be open. " +
            "A store that was not closed cleanly is recovered first.",
        "Crash-safe: a crash before the copy is complete leaves the version-1 store as it was; after it, both " +
            "versions refuse to open the store until `cubby upgrade` is run again, which finishes the upgrade.",
        "A store created with expiry keeps it: every entry keeps its deadline."})
final class UpgradeCommand implements Callable<Integer>
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
        final long start = System.nanoTime();
        final ProgressBar progress = new ProgressBar(err, "upgrading", expectedEntries(), null != System.console());
        final long entries;
        try
        {
            entries = Cubby.upgrade(store.path, progress::update);
        }
        finally
        {
            progress.finish();
        }
        final StoreInfo after = Cubby.inspect(store.path);
        final long millis = (System.nanoTime() - start) / 1_000_000;
        if (output.json())
        {
            out.println(new JsonText().beginObject()
                .field("store", store.path.toString())
                .field("formatVersion", after.formatVersion)
                .field("entries", entries)
                .field("millis", millis)
                .endObject());
        }
        else
        {
            new Fields()
                .add("store", store.path.toString())
                .add("format version", String.valueOf(after.formatVersion))
                .add("entries", Text.count(entries))
                .add("took", millis + " ms")
                .print(out);
        }
        return ExitCode.OK;
    }

    /** For the progress bar: the entry count the version-1 headers give, or 0 if they cannot be read. */
    private long expectedEntries()
    {
        try
        {
            return Math.max(0, Cubby.inspect(store.path).entries());
        }
        catch (final RuntimeException ex)
        {
            return 0;
        }
    }
}
