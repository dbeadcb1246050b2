package io.cubby.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelpTest
{
    private static final String[] COMMANDS = {
        "inspect", "stats", "verify", "dump", "load", "get", "put", "remove", "compact", "recover", "completion",
        "demo" };

    @Test
    void helpListsEveryCommandAndTheExitCodes()
    {
        final Cli.Result result = Cli.run("--help").assertExit(ExitCode.OK);

        for (final String command : COMMANDS)
        {
            assertTrue(result.out().contains("\n  " + command + " "), command);
        }
        assertTrue(result.out().contains("Exit codes:"), result::toString);
        for (final String code : ExitCode.descriptions().keySet())
        {
            assertTrue(result.out().contains("\n  " + code + "   " + ExitCode.descriptions().get(code)), code);
        }
        assertEquals("", result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "inspect", "stats", "verify", "dump", "load", "get", "put", "remove", "compact", "recover", "completion",
        "demo" })
    void everyCommandHasHelpWithTheExitCodes(final String command)
    {
        final Cli.Result result = Cli.run(command, "--help").assertExit(ExitCode.OK);

        assertTrue(result.out().startsWith(result.out().lines().findFirst().orElseThrow()));
        assertTrue(result.out().contains("Usage: cubby " + command), result::toString);
        assertTrue(result.out().contains("  3   corrupt:"), result::toString);
        assertTrue(result.out().contains("  4   locked:"), result::toString);
    }

    @Test
    void reportingCommandsOfferJson()
    {
        for (final String command : new String[]{ "inspect", "stats", "verify", "load", "get", "put", "remove",
            "compact", "recover" })
        {
            assertTrue(Cli.run(command, "--help").out().contains("--format=text|json"), command);
        }
    }

    @Test
    void unknownCommandIsAUsageError()
    {
        final Cli.Result result = Cli.run("inspekt", "x").assertExit(ExitCode.USAGE);

        assertTrue(result.err().startsWith("cubby: Unmatched arguments"), result::toString);
        assertTrue(result.err().contains("Did you mean: cubby inspect?"), result::toString);
        assertTrue(result.err().contains("Try 'cubby --help'"), result::toString);
        assertEquals("", result.out());
    }

    @Test
    void noCommandIsAUsageError()
    {
        final Cli.Result result = Cli.run().assertExit(ExitCode.USAGE);

        assertTrue(result.err().startsWith("cubby: missing command"), result::toString);
    }

    @Test
    void missingStoreArgumentIsAUsageError()
    {
        final Cli.Result result = Cli.run("verify").assertExit(ExitCode.USAGE);

        assertTrue(result.err().startsWith("cubby verify: Missing required parameter: 'STORE'"), result::toString);
        assertTrue(result.err().contains("Try 'cubby verify --help'"), result::toString);
    }

    @Test
    void badOptionValueIsAUsageError()
    {
        final Cli.Result result = Cli.run("inspect", "--format", "xml", "x").assertExit(ExitCode.USAGE);

        assertTrue(result.err().contains("--format"), result::toString);
    }

    @Test
    void versionIsPrinted()
    {
        assertTrue(Cli.run("--version").assertExit(ExitCode.OK).out().startsWith("cubby "));
    }

    @Test
    void completionPrintsABashScriptCoveringEveryCommand()
    {
        final Cli.Result result = Cli.run("completion").assertExit(ExitCode.OK);

        assertTrue(result.out().startsWith("#!/usr/bin/env bash"), result::toString);
        assertTrue(result.out().contains("complete -F _complete_cubby"), result::toString);
        for (final String command : COMMANDS)
        {
            assertTrue(result.out().contains(command), command);
        }
        assertTrue(result.out().contains("--skip-corrupt"), "dump options are completed");
        assertEquals("", result.err());
    }
}
