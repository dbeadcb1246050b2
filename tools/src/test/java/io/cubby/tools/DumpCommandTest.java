package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    void writesEveryLineInBase64ByDefault()
    {
        final Cli.Result result = Cli.run("dump", Cli.golden(GoldenFiles.SMALL, tmp)).assertExit(ExitCode.OK);

        final List<String> lines = result.outLines();
        assertEquals("{\"cubbyDump\":1,\"encoding\":\"base64\",\"setMode\":false,\"expiry\":false," +
            "\"maxKeySize\":24,\"maxValueSize\":48,\"probing\":\"linear\",\"maxLoad\":0.75}", lines.get(0));
        assertEquals(268, lines.size());
        assertTrue(lines.stream().skip(1).allMatch(l -> l.matches(
            "\\{\"keyBase64\":\"[A-Za-z0-9+/=]+\",\"valueBase64\":\"[A-Za-z0-9+/=]*\"}")), result::toString);
        assertEquals(GoldenFiles.store(GoldenFiles.SMALL).contents(), Cli.entries(result));
        assertEquals("", result.err());
    }

    @Test
    void utf8EncodingWritesEveryKeyAndValueAsEscapedText() throws IOException
    {
        final Path store = tmp.resolve("text");
        final Path input = Files.writeString(tmp.resolve("in.jsonl"),
            "{\"key\":\"json\\\"quote\\\\back\",\"value\":\"line1\\nline2\\ttab\\u0001ctl/\\u2028\"}\n" +
            "{\"key\":\"utf8-ключ-ü\",\"value\":\"значение ✓\"}\n" +
            "{\"key\":\"emoji-\uD83D\uDE42\",\"value\":\"\"}\n", StandardCharsets.UTF_8);
        Cli.run("load", "--create", store, input).assertExit(ExitCode.OK);

        final Cli.Result result = Cli.run("dump", "--encoding", "utf8", store).assertExit(ExitCode.OK);

        assertTrue(result.outLines().get(0).contains("\"encoding\":\"utf8\""), result::toString);
        assertEquals(Set.of(
            "{\"key\":\"json\\\"quote\\\\back\",\"value\":\"line1\\nline2\\ttab\\u0001ctl/\\u2028\"}",
            "{\"key\":\"utf8-ключ-ü\",\"value\":\"значение ✓\"}",
            "{\"key\":\"emoji-\uD83D\uDE42\",\"value\":\"\"}"), Set.copyOf(result.outLines().subList(1, 4)));
        assertEquals(4, result.outLines().size());
    }

    @Test
    void utf8EncodingStopsAtBytesThatAreNotUtf8InsteadOfMixingEncodings()
    {
        final Cli.Result result = Cli.run("dump", "--encoding", "utf8", Cli.golden(GoldenFiles.SMALL, tmp))
            .assertOneLineError("dump").assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("(base64) //4AAQ== is not valid UTF-8"), result::toString);
        assertTrue(result.err().contains("use --encoding base64"), result::toString);
        assertTrue(result.outLines().stream().noneMatch(l -> l.contains("Base64")), result::toString);
        assertTrue(result.out().endsWith("\n"), "no partial line: " + result);
        assertTrue(result.outLines().stream().skip(1).allMatch(l -> l.matches("\\{\"key\":\".*\"}")),
            result::toString);
    }

    @Test
    void formatJsonWritesTheSameJsonLines()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Cli.Result json = Cli.run("dump", "--format", "json", store).assertExit(ExitCode.OK);

        assertEquals(Cli.run("dump", store).out(), json.out());
        Cli.run("dump", "--format", "text", store).assertExit(ExitCode.USAGE);
    }

    @Test
    void closedOutputStopsTheDumpQuietly()
    {
        final StringWriter err = new StringWriter();
        final PrintWriter closedAfterOneLine = new PrintWriter(new Writer()
        {
            private int written;

            @Override
            public void write(final char[] chars, final int offset, final int length) throws IOException
            {
                written += length;
                if (written > 200)
                {
                    throw new IOException("Broken pipe");
                }
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        });

        final int exit = CubbyCli.commandLine(closedAfterOneLine, new PrintWriter(err))
            .execute("dump", Cli.golden(GoldenFiles.SMALL, tmp).toString());

        assertEquals(ExitCode.OK, exit);
        assertEquals("", err.toString());
    }

    @Test
    void dumpIntoHeadExitsZero(@TempDir final Path other) throws IOException
    {
        final Path store = other.resolve("big");
        final StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            lines.append("{\"key\":\"key-").append(i).append("\",\"value\":\"").append("v".repeat(40)).append("\"}\n");
        }
        Cli.run("load", "--create", store, Files.writeString(other.resolve("in.jsonl"), lines)).assertExit(ExitCode.OK);

        final Cli.Result result = Cli.shell("cubby dump '" + store + "' | head -1; echo \"exit ${PIPESTATUS[0]}\"");

        assertEquals(0, result.exitCode(), result::toString);
        assertEquals(2, result.outLines().size(), result::toString);
        assertTrue(result.outLines().get(0).startsWith("{\"cubbyDump\":1"), result::toString);
        assertEquals("exit 0", result.outLines().get(1), result::toString);
        assertEquals("", result.err(), result::toString);
    }

    @Test
    void dumpAndLoadKeepTimeToLiveAndTheExpiryMode() throws IOException
    {
        final long later = System.currentTimeMillis() + 3_600_000;
        final long past = System.currentTimeMillis() - 1;
        final Path store = tmp.resolve("ttl");
        Cli.run("load", "--create", "--expiry", store, Files.writeString(tmp.resolve("ttl.jsonl"),
            "{\"key\":\"forever\",\"value\":\"a\"}\n" +
            "{\"key\":\"later\",\"value\":\"b\",\"expiresAtMillis\":" + later + "}\n"))
            .assertExit(ExitCode.OK);
        final Cli.Result dump = Cli.run("dump", "--encoding", "utf8", store).assertExit(ExitCode.OK);
        assertTrue(dump.outLines().get(0).contains("\"expiry\":true"), dump::toString);
        final long dumpedExpiry = expiresAt(dump, "later");
        assertTrue(dumpedExpiry >= later, dump::toString);
        assertTrue(dump.out().contains("{\"key\":\"forever\",\"value\":\"a\"}\n"), dump::toString);

        final Path copy = tmp.resolve("copy");
        final Cli.Result load = Cli.run("load", "--create", copy, Files.writeString(tmp.resolve("dump.jsonl"),
            dump.out() + "{\"key\":\"gone\",\"value\":\"c\",\"expiresAtMillis\":" + past + "}\n"))
            .assertExit(ExitCode.OK);

        assertTrue(load.out().contains("(2 new, 0 replaced, 1 expired left out)"), load::toString);
        assertTrue(Cli.run("inspect", copy).out().contains("with time-to-live"));
        final Cli.Result again = Cli.run("dump", "--encoding", "utf8", copy).assertExit(ExitCode.OK);
        final long copiedExpiry = expiresAt(again, "later");
        assertTrue(copiedExpiry >= dumpedExpiry && copiedExpiry - dumpedExpiry < 60_000, again::toString);
        assertTrue(again.out().contains("{\"key\":\"forever\",\"value\":\"a\"}\n"), again::toString);
        Cli.run("get", copy, "gone").assertExit(ExitCode.NOT_FOUND);
    }

    @Test
    void loadingAnExpiringEntryIntoAStoreWithoutExpiryIsBadInput() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Cli.Result result = Cli.run("load", store, Files.writeString(tmp.resolve("ttl.jsonl"),
            "{\"key\":\"k\",\"value\":\"v\",\"expiresAtMillis\":" + (System.currentTimeMillis() + 60_000) + "}\n"))
            .assertOneLineError("load").assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("line 1: the entry expires"), result::toString);
        assertTrue(result.err().contains("--expiry"), result::toString);
    }

    private static long expiresAt(final Cli.Result dump, final String key)
    {
        for (final String line : dump.outLines())
        {
            if (line.startsWith("{\"key\":\"" + key + "\""))
            {
                return EntryJson.parse(line).expiresAtMillis();
            }
        }
        throw new AssertionError("no line for " + key + " in " + dump);
    }

    @Test
    void setMembersHaveNoValue()
    {
        final Cli.Result result = Cli.run("dump", "--encoding", "utf8", Cli.golden(GoldenFiles.SET, tmp))
            .assertExit(ExitCode.OK);

        assertEquals(161, result.outLines().size());
        assertTrue(result.outLines().get(0).contains("\"setMode\":true"), result::toString);
        assertTrue(result.outLines().stream().skip(1).allMatch(l -> l.matches("\\{\"key\":\"member-\\d{3}\"}")),
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
