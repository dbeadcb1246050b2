package io.cubby.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts a main class of the test classpath in a new JVM, with the flags the store needs and those of this JVM
 * that change what the store may do ({@link #inheritedFlags()}).
 * <p>
 * The child's stdout is the protocol its parent reads; its stderr (JVM warnings such as JDK 24's
 * {@code sun.misc.Unsafe} notice, stack traces) always goes to a file of its own, never into stdout, and
 * {@link #report} puts both into failure messages.
 */
final class ChildJvm
{
    private static final String AGRONA_EXPORT = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private ChildJvm()
    {
    }

    /**
     * @param mainClass class whose main method the child runs.
     * @param stderr    file that receives the child's stderr.
     * @param args      arguments of the main method.
     * @return a process builder; stdout is a pipe unless redirected.
     */
    static ProcessBuilder builder(final Class<?> mainClass, final Path stderr, final String... args)
    {
        return new ProcessBuilder(command(mainClass, inheritedFlags(), args)).redirectError(stderr.toFile());
    }

    /**
     * The java command of a child JVM.
     *
     * @param mainClass class whose main method the child runs.
     * @param flags     JVM flags.
     * @param args      arguments of the main method.
     * @return the command line.
     */
    static List<String> command(final Class<?> mainClass, final List<String> flags, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(javaCommand());
        command.addAll(flags);
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Start a child JVM writing stdout to {@code output} and stderr to {@link #stderrFile(Path)} of it.
     *
     * @param mainClass class whose main method the child runs.
     * @param output    file that receives the child's stdout.
     * @param args      arguments of the main method.
     * @return the started process.
     * @throws IOException if it cannot be started.
     */
    static Process start(final Class<?> mainClass, final Path output, final String... args) throws IOException
    {
        return builder(mainClass, stderrFile(output), args).redirectOutput(output.toFile()).start();
    }

    /**
     * Start a child whose first line on stdout is {@code ready}, let it run {@code runMillis} after that line,
     * then SIGKILL it and wait until it is gone (the kill campaigns' round).
     *
     * @param round named in the failure if the child does not start.
     */
    static void startAndKill(final Class<?> mainClass, final Path stderr, final String round, final long runMillis,
        final String... args) throws IOException, InterruptedException
    {
        final Process child = builder(mainClass, stderr, args).start();
        final BufferedReader output = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        final String first = output.readLine();
        if (!"ready".equals(first))
        {
            // stop it before reading on: destroying a process closes the pipes
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            fail("child did not start (" + round + "); its first line: " + first + "\n" + report(null, stderr));
        }
        Thread.sleep(runMillis);
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
    }

    /**
     * @param output the file of a child's stdout.
     * @return the file beside it that receives its stderr.
     */
    static Path stderrFile(final Path output)
    {
        return output.resolveSibling(output.getFileName() + ".stderr");
    }

    /**
     * @param stdout file of a child's stdout, or null when the parent read it from a pipe.
     * @param stderr file of its stderr.
     * @return both, labelled, for a failure message.
     */
    static String report(final Path stdout, final Path stderr)
    {
        return (null == stdout ? "" : "--- child stdout:\n" + read(stdout)) + "--- child stderr:\n" + read(stderr);
    }

    /**
     * @param output the file of a child's stdout, its stderr beside it ({@link #stderrFile(Path)}).
     * @return both, labelled, for a failure message.
     */
    static String report(final Path output)
    {
        return report(output, stderrFile(output));
    }

    /**
     * Flags of this JVM the child gets too: module exports and opens (always the one Agrona needs), and the
     * {@code sun.misc.Unsafe} memory-access policy, so a test run with {@code --sun-misc-unsafe-memory-access=deny}
     * runs its children under it as well.
     *
     * @return the flags.
     */
    static List<String> inheritedFlags()
    {
        final List<String> flags = new ArrayList<>();
        flags.add(AGRONA_EXPORT);
        for (final String argument : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if ((argument.startsWith("--add-exports=") || argument.startsWith("--add-opens=") ||
                argument.startsWith("--sun-misc-unsafe-memory-access=") ||
                argument.startsWith("--enable-native-access=")) && !flags.contains(argument))
            {
                flags.add(argument);
            }
        }
        return flags;
    }

    private static String javaCommand()
    {
        return ProcessHandle.current().info().command().orElse(
            Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file) : "(no file)\n";
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex + ")\n";
        }
    }
}
