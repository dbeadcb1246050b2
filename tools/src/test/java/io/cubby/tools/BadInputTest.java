package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every store command against every path it cannot use: one line on stderr, a distinct exit code, nothing on
 * stdout, no stack trace, and the files left as they were.
 */
class BadInputTest
{
    /** Each command with the arguments it takes after STORE. */
    private static final String[][] COMMANDS = {
        { "inspect" }, { "stats" }, { "verify" }, { "dump" }, { "get", "key-0002" }, { "put", "k", "v" },
        { "remove", "key-0002" }, { "compact" }, { "recover" }, { "recover", "--salvage" }, { "load", "/dev/null" } };

    static Stream<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final String[] command : COMMANDS)
        {
            cases.add(Arguments.of(null, ExitCode.NOT_A_STORE, "no Cubby store at", command));
            cases.add(Arguments.of(GoldenFiles.NOT_A_STORE, ExitCode.NOT_A_STORE, "is a file, not a Cubby store",
                command));
            cases.add(Arguments.of(GoldenFiles.GARBAGE_TABLE, ExitCode.NOT_A_STORE, "is not a Cubby table file",
                command));
            cases.add(Arguments.of(GoldenFiles.TRUNCATED_TABLE, ExitCode.CORRUPT, "is truncated", command));
            cases.add(Arguments.of(GoldenFiles.BITFLIP_HEADER, ExitCode.CORRUPT, "header checksum mismatch",
                command));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{3} on {0}")
    @MethodSource("cases")
    void failsWithOneLineAndADistinctExitCode(
        final String sample, final int exitCode, final String message, final String[] command, @TempDir final Path tmp)
    {
        final Path path = null == sample ? tmp.resolve("missing") : Cli.corrupt(sample, tmp);
        final Map<String, ByteBuffer> before = Files.isDirectory(path) ? Cli.snapshot(path) : Map.of();

        final Cli.Result result = Cli.runOn(path, command).assertOneLineError(command[0]).assertExit(exitCode);

        assertTrue(result.err().contains(message), result::toString);
        assertEquals("", result.out());
        if (Files.isDirectory(path))
        {
            assertEquals(before, Cli.snapshot(path));
        }
        else
        {
            assertTrue(null != sample || !Files.exists(path), "a missing store is not created");
        }
    }

    @Test
    void verbosePrintsTheStackTrace(@TempDir final Path tmp)
    {
        final Cli.Result result = Cli.run("verify", "--verbose", Cli.corrupt(GoldenFiles.BITFLIP_HEADER, tmp))
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.err().contains("io.cubby.store.CorruptStoreException"), result::toString);
        assertTrue(result.err().contains("\tat "), result::toString);
    }

    @Test
    void everyExitCodeIsDistinct()
    {
        final int[] codes = { ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.CORRUPT, ExitCode.LOCKED,
            ExitCode.NOT_A_STORE, ExitCode.NOT_FOUND, ExitCode.INCOMPATIBLE, ExitCode.BAD_INPUT };
        assertEquals(codes.length, Arrays.stream(codes).distinct().count());
        assertEquals(codes.length, ExitCode.descriptions().size());
    }
}
