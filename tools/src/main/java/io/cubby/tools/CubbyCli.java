package io.cubby.tools;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code cubby} command: inspect, verify, dump, load and compact store files. Run through
 * {@code tools/bin/cubby} or {@code java -jar tools/target/cubby.jar}.
 * <p>
 * Data goes to stdout, diagnostics to stderr; every failure is one line on stderr and an exit code from
 * {@link ExitCode}, mapped in {@link Errors}.
 */
@Command(
    name = "cubby",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    versionProvider = CubbyCli.Version.class,
    usageHelpAutoWidth = true,
    description = "Inspect, verify, dump, load and compact Cubby store files.",
    subcommands = {
        InspectCommand.class,
        StatsCommand.class,
        VerifyCommand.class,
        DumpCommand.class,
        LoadCommand.class,
        GetCommand.class,
        PutCommand.class,
        RemoveCommand.class,
        CompactCommand.class,
        UpgradeCommand.class,
        RecoverCommand.class,
        CompletionCommand.class,
        DemoCommand.class
    },
    footer = {
        "",
        "Read-only commands (inspect, stats, verify, dump, get) never change a store (opening one creates its " +
            "lock file if missing). All but inspect take a " +
            "shared lock, so they fail with exit code 4 while a writer has the store open; inspect works then too."
    })
public final class CubbyCli implements Callable<Integer>
{
    /** Held so that the logger's level is not lost to garbage collection. */
    private static final Logger STORE_LOGGER = Logger.getLogger("io.cubby.store");
    /** Standard output as a path (Linux, macOS), to tell a file from a pipe. */
    private static final Path STDOUT = Path.of("/dev/stdout");

    @Option(names = Errors.VERBOSE_OPTION, scope = ScopeType.INHERIT,
        description = "Print the stack trace of an error.")
    private boolean verbose;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        throw new ParameterException(spec.commandLine(), "missing command");
    }

    /**
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        // The tool reports recovery itself, in one line; the library's INFO log would repeat it.
        STORE_LOGGER.setLevel(Level.WARNING);
        final PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
            StandardCharsets.UTF_8), false);
        final PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
            StandardCharsets.UTF_8), true);
        int exitCode;
        try
        {
            Arguments.capture(args);
            exitCode = commandLine(out, err).execute(args);
        }
        catch (final Throwable failure)
        {
            err.println("cubby: " + Errors.message(failure));
            exitCode = ExitCode.ERROR;
        }
        if (out.checkError() && stdoutIsRegularFile())
        {
            // a pipe whose reader has gone is a quiet stop; a file that cannot take the output (full disk) is not
            err.println("cubby: cannot write to standard output (a full disk?); the output is incomplete");
            exitCode = ExitCode.ERROR;
        }
        err.flush();
        System.exit(exitCode);
    }

    private static boolean stdoutIsRegularFile()
    {
        try
        {
            return Files.isRegularFile(STDOUT);
        }
        catch (final SecurityException ex)
        {
            return false;
        }
    }

    /**
     * @param out standard output.
     * @param err standard error.
     * @return the configured command line, ready to {@link CommandLine#execute(String...)}.
     */
    static CommandLine commandLine(final PrintWriter out, final PrintWriter err)
    {
        final Errors errors = new Errors();
        final CommandLine commandLine = new CommandLine(new CubbyCli())
            .setOut(out)
            .setErr(err)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setExecutionExceptionHandler(errors)
            .setParameterExceptionHandler(errors);
        setExitCodeHelp(commandLine);
        return commandLine;
    }

    private static void setExitCodeHelp(final CommandLine commandLine)
    {
        commandLine.getCommandSpec().usageMessage()
            .exitCodeListHeading("%nExit codes:%n")
            .exitCodeList(ExitCode.descriptions());
        for (final CommandLine subcommand : commandLine.getSubcommands().values())
        {
            setExitCodeHelp(subcommand);
        }
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = CubbyCli.class.getPackage().getImplementationVersion();
            return new String[]{ "cubby " + (null == version ? "(development build)" : version) };
        }
    }
}
