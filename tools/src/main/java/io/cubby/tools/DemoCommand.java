package io.cubby.tools;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code cubby demo}: the main job end to end (see {@link Demo}).
 */
@Command(name = "demo", header = "Run the demo: write, reopen, read back, verify a store.",
    description = {
        "Create a store in DIR, write to it (it grows several times), close it, reopen it, read everything back, " +
            "then verify and inspect it. Exit code 1 if anything read back is wrong."})
final class DemoCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "DIR", description = "Directory of the demo store (created).")
    private Path directory;

    @Option(names = "--entries", paramLabel = "N", defaultValue = "" + Demo.DEFAULT_ENTRIES,
        description = "Entries to write. Default: ${DEFAULT-VALUE}.")
    private int entries;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        return 0 == Demo.run(directory, entries, spec.commandLine().getOut()) ? ExitCode.OK : ExitCode.ERROR;
    }
}
