package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code get}, {@code put} and {@code remove}.
 */
class KeyCommandsTest
{
    @TempDir
    Path tmp;

    @Test
    void getPrintsTheValue()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        assertEquals("updated-10\n", Cli.run("get", store, "key-0010").assertExit(ExitCode.OK).out());
        assertEquals("значение ✓\n", Cli.run("get", store, "utf8-ключ-ü").assertExit(ExitCode.OK).out());
        assertEquals("\n", Cli.run("get", store, "empty-value").assertExit(ExitCode.OK).out());
    }

    @Test
    void getOfAnAbsentKeyExitsWithNotFound()
    {
        final Cli.Result result = Cli.run("get", Cli.golden(GoldenFiles.SMALL, tmp), "key-0007")
            .assertExit(ExitCode.NOT_FOUND);

        assertEquals("", result.out());
        assertEquals("cubby get: key not found: key-0007\n", result.err());
    }

    @Test
    void getTakesAndPrintsBase64()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        assertEquals("wyiAAA==\n", Cli.run("get", "--encoding", "base64", store, "//4AAQ==").assertExit(ExitCode.OK)
            .out());
        assertEquals("{\"keyBase64\":\"//4AAQ==\",\"valueBase64\":\"wyiAAA==\"}\n",
            Cli.run("get", "--format", "json", "--encoding", "base64", store, "//4AAQ==").out());
        Cli.run("get", "--encoding", "base64", store, "not base64!").assertOneLineError("get")
            .assertExit(ExitCode.BAD_INPUT);
    }

    @Test
    void getPrintsJsonAsADumpLine()
    {
        final Cli.Result result = Cli.run("get", "--format", "json", Cli.golden(GoldenFiles.SMALL, tmp),
            "json\"quote\\back").assertExit(ExitCode.OK);

        assertEquals("{\"key\":\"json\\\"quote\\\\back\",\"value\":\"line1\\nline2\\ttab\\u0001ctl/\"}\n",
            result.out());
    }

    @Test
    void getOfACorruptEntryFails()
    {
        final Cli.Result result = Cli.run("get", Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp),
            GoldenFiles.BITFLIPPED_KEY).assertOneLineError("get").assertExit(ExitCode.CORRUPT);

        assertTrue(result.err().contains("fails its checksum"), result::toString);
        assertEquals("", result.out());
        Cli.run("get", Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp.resolve("again")), "key-0002")
            .assertExit(ExitCode.OK);
    }

    @Test
    void putAddsThenReplaces()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        assertEquals("added new-key\n", Cli.run("put", store, "new-key", "one").assertExit(ExitCode.OK).out());
        assertEquals("replaced new-key\n", Cli.run("put", store, "new-key", "two").assertExit(ExitCode.OK).out());
        assertEquals(Map.of("key", "new-key", "added", false),
            Cli.json(Cli.run("put", "--format", "json", store, "new-key", "three").out()));
        assertEquals("three\n", Cli.run("get", store, "new-key").out());
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }

    @Test
    void putRejectsTooLargeEntries()
    {
        final Cli.Result result = Cli.run("put", Cli.golden(GoldenFiles.SMALL, tmp), "k", "v".repeat(49))
            .assertOneLineError("put").assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("value of 49 bytes exceeds the maximum value size 48"), result::toString);
    }

    @Test
    void putNeedsAValueExceptInASet()
    {
        Cli.run("put", Cli.golden(GoldenFiles.SMALL, tmp), "k").assertExit(ExitCode.USAGE);
        final Path set = Cli.golden(GoldenFiles.SET, tmp);
        Cli.run("put", set, "member-new", "value").assertExit(ExitCode.USAGE);

        assertEquals("added member-new\n", Cli.run("put", set, "member-new").assertExit(ExitCode.OK).out());
        assertEquals("member-new\n", Cli.run("get", set, "member-new").assertExit(ExitCode.OK).out());
    }

    @Test
    void putNeverCreatesAStore()
    {
        Cli.run("put", tmp.resolve("missing"), "k", "v").assertOneLineError("put").assertExit(ExitCode.NOT_A_STORE);
    }

    @Test
    void putRecoversAnUncleanStoreFirst()
    {
        final Path store = Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp);

        final Cli.Result result = Cli.run("put", store, "k", "v").assertExit(ExitCode.OK);

        assertTrue(result.err().startsWith("cubby: recovered " + store + ": recovered after unclean shutdown"),
            result::toString);
        assertEquals("lost if tail damaged\n", Cli.run("get", store, GoldenFiles.LAST_LOGGED_KEY).out());
    }

    @Test
    void removeRemovesOnce()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        assertEquals("removed key-0002\n", Cli.run("remove", store, "key-0002").assertExit(ExitCode.OK).out());
        final Cli.Result again = Cli.run("remove", store, "key-0002").assertExit(ExitCode.NOT_FOUND);

        assertEquals("cubby remove: key not found: key-0002\n", again.err());
        Cli.run("get", store, "key-0002").assertExit(ExitCode.NOT_FOUND);
        assertEquals(Map.of("key", "//4AAQ==", "removed", true), Cli.json(Cli.run("remove", "--format", "json",
            "--encoding", "base64", store, "//4AAQ==").assertExit(ExitCode.OK).out()));
    }

    @Test
    void putRejectsAKeyHoldingTheReplacementCharacterTheJvmSubstitutesForInvalidUtf8()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final Map<String, java.nio.ByteBuffer> before = Cli.snapshot(store);

        final Cli.Result result = Cli.run("put", store, "bad-\uFFFD", "v").assertOneLineError("put")
            .assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("holds U+FFFD"), result::toString);
        assertTrue(result.err().contains("--encoding base64"), result::toString);
        Cli.run("put", store, "k", "bad-\uFFFD").assertExit(ExitCode.BAD_INPUT);
        Cli.run("get", store, "bad-\uFFFD").assertExit(ExitCode.BAD_INPUT);
        assertEquals(before.keySet(), Cli.snapshot(store).keySet());
    }

    @Test
    void invalidUtf8BytesInAnArgumentAreRejectedWhileValidTextIsStored()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Cli.Result result = Cli.shell(
            "cubby put '" + store + "' \"$(printf 'bad-\\377')\" v; echo \"exit $?\"; " +
            "cubby put '" + store + "' k \"$(printf '\\300\\200')\"; echo \"exit $?\"; " +
            "cubby put '" + store + "' \"$(printf 'ключ-\\357\\277\\275')\" значение; echo \"exit $?\"; " +
            "cubby get --encoding base64 '" + store + "' \"$(printf 'ключ-\\357\\277\\275' | base64)\"");

        assertEquals(List.of("exit 8", "exit 8", "added ключ-\uFFFD", "exit 0", "0LfQvdCw0YfQtdC90LjQtQ=="),
            result.outLines(), result::toString);
        assertEquals(2, result.errLines().size(), result::toString);
        assertTrue(result.errLines().get(0).startsWith("cubby put: argument is not valid UTF-8 (bytes, in base64: " +
            "YmFkLf8=)"), result::toString);
        assertTrue(result.errLines().get(1).contains("base64: wIA=)"), result::toString);
        Cli.run("get", store, "k").assertExit(ExitCode.NOT_FOUND);
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }
}
