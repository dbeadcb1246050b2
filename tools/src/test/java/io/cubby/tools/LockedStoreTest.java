package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A store held open for writing by another process: every writing command says so and exits with 4, the reading
 * commands read it live, and none of them changes a byte of it.
 */
class LockedStoreTest
{
    private static final String[][] LOCKING_COMMANDS = {
        { "put", "k", "v" }, { "remove", "key-0002" }, { "compact" }, { "recover" }, { "load", "/dev/null" } };
    private static final String[][] READING_COMMANDS = { { "stats" }, { "verify" }, { "dump" }, { "get", "key-0002" } };

    @TempDir
    Path tmp;

    @Test
    void aStoreOpenInAnotherProcessIsReportedAsLocked() throws Exception
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final Process holder = startHolder(store);
        try
        {
            final Map<String, ByteBuffer> whileHeld = Cli.snapshot(store);
            for (final String[] command : LOCKING_COMMANDS)
            {
                final Cli.Result result = Cli.runOn(store, command).assertOneLineError(command[0])
                    .assertExit(ExitCode.LOCKED);
                assertTrue(result.err().contains("is locked by another process (pid " + holder.pid() + ")"),
                    result::toString);
                assertTrue(result.err().contains("`cubby inspect` works meanwhile"), result::toString);
                assertEquals("", result.out());
            }
            for (final String[] command : READING_COMMANDS)
            {
                final Cli.Result result = Cli.runOn(store, command).assertExit(ExitCode.OK);
                assertTrue(result.err().contains("is open for writing in another process; reading it live"),
                    result::toString);
            }
            assertEquals(GoldenFiles.store(GoldenFiles.SMALL).contents(), Cli.entries(Cli.runOn(store, "dump")),
                "dump reads the live store");
            assertTrue(Cli.runOn(store, "verify").err().contains("cubby verify: not checked: a writer is active"));
            assertEquals(whileHeld, Cli.snapshot(store), "no command changed the store");

            final Cli.Result inspect = Cli.run("inspect", store).assertExit(ExitCode.OK);
            assertTrue(inspect.out().contains("\nin use      yes: locked by another process"), inspect::toString);
            assertTrue(inspect.out().contains("\nshutdown    marked open (by the process using it)\n"),
                inspect::toString);
            assertEquals(Boolean.TRUE, Cli.json(Cli.run("inspect", "--format", "json", store).out()).get("inUse"));
        }
        finally
        {
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(0, holder.exitValue());
        Cli.run("verify", store).assertExit(ExitCode.OK);
        assertEquals(GoldenFiles.store(GoldenFiles.SMALL).contents(), Cli.entries(Cli.run("dump", store)));
    }

    @Test
    void aStoreOpenInThisProcessIsReportedAsLocked()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        try (Cubby open = Cubby.builder(store).open())
        {
            for (final String[] command : LOCKING_COMMANDS)
            {
                final Cli.Result result = Cli.runOn(store, command).assertOneLineError(command[0])
                    .assertExit(ExitCode.LOCKED);
                assertTrue(result.err().contains("is already open in this process"), result::toString);
            }
            for (final String[] command : READING_COMMANDS)
            {
                Cli.runOn(store, command).assertExit(ExitCode.OK);
            }
            assertTrue(Cli.run("inspect", store).assertExit(ExitCode.OK).out().contains("\nin use      yes"));
            assertEquals(267, open.size());
        }
    }

    private Process startHolder(final Path store) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(LockHolder.class.getName());
        command.add(store.toString());
        // stdout is the holder's protocol; its stderr (JVM warnings, a stack trace) goes to a file of its own
        final Path stderr = tmp.resolve("holder.stderr");
        final Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8));
        final String line = out.readLine();
        if (!"locked 267".equals(line))
        {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            fail("lock holder did not start; its first line: " + line + "\n--- its stderr:\n" +
                Files.readString(stderr));
        }
        return process;
    }
}
