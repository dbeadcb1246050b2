package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DumpCommandTest
{
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {
        GoldenFiles.SMALL, GoldenFiles.SET, GoldenFiles.UNCLEAN_ASYNC, GoldenFiles.REHASH_CLEAN,
        GoldenFiles.REHASH_UNCLEAN })
    void dumpsExactlyWhatTheTablesHold(final String name)
    {
        final Path store = Cli.golden(name, tmp);
        final Map<String, ByteBuffer> before = Cli.snapshot(store);

        final Cli.Result result = Cli.run("dump", store).assertExit(ExitCode.OK);

        assertEquals(GoldenFiles.store(name).readOnlyContents(), Cli.entries(result));
        assertEquals(before, Cli.snapshot(store));
    }

    @Test
    void escapesTextAndFallsBackToBase64ForInvalidUtf8()
    {
        final Cli.Result result = Cli.run("dump", Cli.golden(GoldenFiles.SMALL, tmp)).assertExit(ExitCode.OK);

        assertTrue(result.outLines().contains("{\"key\":\"json\\\"quote\\\\back\"," +
            "\"value\":\"line1\\nline2\\ttab\\u0001ctl/\"}"), result::toString);
        assertTrue(result.outLines().contains("{\"key\":\"utf8-ключ-ü\",\"value\":\"значение ✓\"}"), result::toString);
        assertTrue(result.outLines().contains("{\"key\":\"emoji-\uD83D\uDE42\",\"value\":\"\uD83D\uDE42\uD83D\uDE42\"}"),
            result::toString);
        assertTrue(result.outLines().contains("{\"keyBase64\":\"//4AAQ==\",\"valueBase64\":\"wyiAAA==\"}"),
            result::toString);
        assertTrue(result.outLines().contains("{\"key\":\"empty-value\",\"value\":\"\"}"), result::toString);
        assertEquals("", result.err());
    }

    @Test
    void base64EncodesEverything()
    {
        final Cli.Result result = Cli.run("dump", "--encoding", "base64", Cli.golden(GoldenFiles.SMALL, tmp))
            .assertExit(ExitCode.OK);

        assertTrue(result.outLines().stream().allMatch(l -> l.matches(
            "\\{\"keyBase64\":\"[A-Za-z0-9+/=]+\",\"valueBase64\":\"[A-Za-z0-9+/=]*\"}")), result::toString);
        assertEquals(GoldenFiles.store(GoldenFiles.SMALL).contents(), Cli.entries(result));
    }

    @Test
    void setMembersHaveNoValue()
    {
        final Cli.Result result = Cli.run("dump", Cli.golden(GoldenFiles.SET, tmp)).assertExit(ExitCode.OK);

        assertEquals(160, result.outLines().size());
        assertTrue(result.outLines().stream().allMatch(l -> l.matches("\\{\"key\":\"member-\\d{3}\"}")),
            result::toString);
    }

    @Test
    void warnsThatAnUncleanStoreIsShownWithoutItsLog()
    {
        final Cli.Result result = Cli.run("dump", Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp))
            .assertExit(ExitCode.OK);

        assertEquals(1, result.errLines().size(), result::toString);
        assertTrue(result.err().contains("`cubby recover` replays them"), result::toString);
    }

    @Test
    void stopsAtACorruptEntry()
    {
        final Cli.Result result = Cli.run("dump", Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp))
            .assertOneLineError("dump")
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.err().contains("key \"" + GoldenFiles.BITFLIPPED_KEY + "\": slot "), result::toString);
        assertTrue(result.err().contains("fails its checksum"), result::toString);
        assertTrue(result.out().lines().noneMatch(l -> l.contains(GoldenFiles.BITFLIPPED_KEY)), result::toString);
    }

    @Test
    void skipsCorruptEntriesWhenAsked()
    {
        final Cli.Result result = Cli.run("dump", "--skip-corrupt", Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp))
            .assertExit(ExitCode.CORRUPT);

        final Map<ByteBuffer, ByteBuffer> expected = new HashMap<>(GoldenFiles.store(GoldenFiles.SMALL).contents());
        expected.remove(GoldenFiles.bytes(GoldenFiles.BITFLIPPED_KEY));
        assertEquals(expected, Cli.entries(result));
        assertEquals(2, result.errLines().size(), result::toString);
        assertTrue(result.errLines().get(0).startsWith("cubby dump: skipped: key \"key-0001\""), result::toString);
        assertEquals("cubby dump: 1 corrupt entry left out; 266 written", result.errLines().get(1));
    }
}
