package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoadCommandTest
{
    @TempDir
    Path tmp;

    private Path file(final String text) throws IOException
    {
        return Files.writeString(tmp.resolve("input-" + System.nanoTime() + ".jsonl"), text, StandardCharsets.UTF_8);
    }

    @Test
    void aDumpLoadsBackIntoANewStore() throws IOException
    {
        final Cli.Result dump = Cli.run("dump", Cli.golden(GoldenFiles.SMALL, tmp)).assertExit(ExitCode.OK);
        final Path input = file(dump.out());
        final Path copy = tmp.resolve("copy");

        final Cli.Result load = Cli.run("load", "--create", copy, input).assertExit(ExitCode.OK);

        assertTrue(load.out().startsWith("loaded 267 entries into " + copy + " (267 new, 0 replaced) in "),
            load::toString);
        assertEquals(GoldenFiles.store(GoldenFiles.SMALL).contents(),
            Cli.entries(Cli.run("dump", copy).assertExit(ExitCode.OK)));
        Cli.run("verify", copy).assertExit(ExitCode.OK);
    }

    @Test
    void aBase64DumpOfASetLoadsBack() throws IOException
    {
        final Path input = file(Cli.run("dump", "--encoding", "base64", Cli.golden(GoldenFiles.SET, tmp)).out());
        final Path copy = tmp.resolve("copy");

        Cli.run("load", "--create", "--max-value-size", "0", copy, input).assertExit(ExitCode.OK);

        assertEquals(GoldenFiles.store(GoldenFiles.SET).contents(), Cli.entries(Cli.run("dump", copy)));
    }

    @Test
    void replacesExistingKeysAndReportsJson() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Map<String, Object> json = Cli.json(Cli.run("load", "--format", "json", store,
            file("{\"key\":\"key-0002\",\"value\":\"new\"}\n\n{\"key\":\"fresh\",\"value\":\"x\"}\n"))
            .assertExit(ExitCode.OK).out());

        assertEquals(new BigDecimal(3), json.get("lines"));
        assertEquals(new BigDecimal(1), json.get("added"));
        assertEquals(new BigDecimal(1), json.get("replaced"));
        final Map<ByteBuffer, ByteBuffer> expected = new HashMap<>(GoldenFiles.store(GoldenFiles.SMALL).contents());
        expected.put(GoldenFiles.bytes("key-0002"), GoldenFiles.bytes("new"));
        expected.put(GoldenFiles.bytes("fresh"), GoldenFiles.bytes("x"));
        assertEquals(expected, Cli.entries(Cli.run("dump", store)));
    }

    @Test
    void readsStandardInput()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream("{\"key\":\"from-stdin\",\"value\":\"yes\"}\n"
            .getBytes(StandardCharsets.UTF_8)));
        try
        {
            Cli.run("load", store).assertExit(ExitCode.OK);
        }
        finally
        {
            System.setIn(stdin);
        }
        assertEquals("yes\n", Cli.run("get", store, "from-stdin").assertExit(ExitCode.OK).out());
    }

    @Test
    void stopsAtTheFirstBadLineNamingIt() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final Path input = file("{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\",\"value\":2}\n{\"key\":\"c\",\"value\":\"3\"}\n");

        final Cli.Result result = Cli.run("load", store, input).assertOneLineError("load")
            .assertExit(ExitCode.BAD_INPUT);

        assertEquals("cubby load: " + input + " line 2: \"value\" must be a string, not a number (1 entries before " +
            "it were loaded)", result.err().trim());
        assertEquals("1\n", Cli.run("get", store, "a").assertExit(ExitCode.OK).out());
        Cli.run("get", store, "c").assertExit(ExitCode.NOT_FOUND);
    }

    @Test
    void rejectsMalformedLines() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final String[][] cases = {
            { "{\"key\":\"a\",\"value\":\"1\"", "line 1: Unexpected end-of-input: expected close marker for Object (0 entries" },
            { "[1,2]", "expected a JSON object" },
            { "{\"key\":\"a\"}", "missing \"value\" (or \"valueBase64\")" },
            { "{\"value\":\"a\"}", "missing \"key\" (or \"keyBase64\")" },
            { "{\"key\":\"a\",\"vaule\":\"1\"}", "unknown member \"vaule\"" },
            { "{\"keyBase64\":\"***\",\"value\":\"1\"}", "invalid base64" },
            { "{\"key\":\"a\",\"key\":\"b\",\"value\":\"1\"}", "duplicate member \"key\"" },
            { "{\"key\":\"\\ud800\",\"value\":\"1\"}", "unpaired UTF-16 surrogate" },
            { "{\"key\":\"a\",\"keyBase64\":\"YQ==\",\"value\":\"1\"}", "both \"key\" and \"keyBase64\" given" },
            { "{\"key\":\"" + "k".repeat(25) + "\",\"value\":\"1\"}", "exceeds the maximum key size 24" },
        };
        for (final String[] c : cases)
        {
            final Cli.Result result = Cli.run("load", store, file(c[0] + "\n")).assertOneLineError("load")
                .assertExit(ExitCode.BAD_INPUT);
            assertTrue(result.err().contains(" line 1: "), result::toString);
            assertTrue(result.err().contains(c[1]), c[0] + " -> " + result);
        }
    }

    @Test
    void rejectsInputThatIsNotUtf8() throws IOException
    {
        final Path input = tmp.resolve("latin1.jsonl");
        Files.write(input, new byte[]{ '{', '"', 'k', 'e', 'y', '"', ':', '"', (byte)0xe9, '"', '}', '\n' });

        final Cli.Result result = Cli.run("load", Cli.golden(GoldenFiles.SMALL, tmp), input)
            .assertOneLineError("load").assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("line 1: input is not valid UTF-8"), result::toString);
    }

    @Test
    void invalidUtf8IsReportedOnItsOwnLine() throws IOException
    {
        final Path input = tmp.resolve("bad-third-line.jsonl");
        final byte[] good = "{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\",\"value\":\"2\"}\n"
            .getBytes(StandardCharsets.UTF_8);
        final byte[] bad = { '{', '"', 'k', 'e', 'y', '"', ':', '"', (byte)0xc0, (byte)0x80, '"', '}', '\n' };
        final byte[] bytes = java.util.Arrays.copyOf(good, good.length + bad.length);
        System.arraycopy(bad, 0, bytes, good.length, bad.length);
        Files.write(input, bytes);

        final Cli.Result result = Cli.run("load", Cli.golden(GoldenFiles.SMALL, tmp), input)
            .assertOneLineError("load").assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("line 3: input is not valid UTF-8 (2 entries before it were loaded)"),
            result::toString);
    }

    @Test
    void hugeOrMalformedNumbersAreBadInputNamingTheLine() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final String ok = "{\"key\":\"a\",\"value\":\"1\"}\n";
        final String[][] cases = {
            { "1e999999999999", "expected a JSON object" },
            { "{\"key\":\"k\",\"value\":1e999999999999}", "\"value\" must be a string, not a number" },
            { "{\"key\":\"k\",\"value\":\"v\",\"expiresAtMillis\":1e999999999999}",
                "\"expiresAtMillis\" must be an integer" },
            { "{\"key\":\"k\",\"value\":\"v\",\"expiresAtMillis\":99999999999999999999}", "out of range" },
            { "{\"key\":\"k\",\"value\":" + "9".repeat(10_000) + "}", "Number value length" },
            { "{\"key\":\"k\",\"value\":-}", "column" },
        };
        for (final String[] c : cases)
        {
            final Cli.Result result = Cli.run("load", store, file(ok + c[0] + "\n")).assertOneLineError("load")
                .assertExit(ExitCode.BAD_INPUT);
            assertTrue(result.err().contains(" line 2: "), result::toString);
            assertTrue(result.err().contains(c[1]), c[0] + " -> " + result);
            assertTrue(result.err().contains("(1 entries before it were loaded)"), result::toString);
        }
    }

    @Test
    void deepOrHugeJsonIsBadInputNamingTheLine() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final String[][] cases = {
            { "[".repeat(100_000), "expected a JSON object" },
            { "{\"key\":" + "[".repeat(100_000) + "}", "\"key\" must be a string, not an array" },
            { "{\"key\":\"k\",\"value\":\"" + "v".repeat(Json.MAX_STRING_LENGTH + 1) + "\"}", "String value length" },
            { "{\"" + "n".repeat(Json.MAX_NAME_LENGTH + 1) + "\":\"v\"}", "Name length" },
            { "{\"key\":\"k\",\"value\":\"v\"} {\"key\":\"l\",\"value\":\"w\"}", "a second JSON value on the line" },
            { "{\"key\":\"k\",\n\"value\":\"v\"}", "the object continues to line 2" },
        };
        for (final String[] c : cases)
        {
            final Cli.Result result = Cli.run("load", store, file(c[0] + "\n")).assertOneLineError("load")
                .assertExit(ExitCode.BAD_INPUT);
            assertTrue(result.err().contains(" line 1: "), result::toString);
            assertTrue(result.err().contains(c[1]), c[0].substring(0, Math.min(60, c[0].length())) + " -> " + result);
        }
    }

    @Test
    void aDumpHeaderGivesTheParametersOfTheStoreItCreates() throws IOException
    {
        final Path input = file(Cli.run("dump", Cli.golden(GoldenFiles.SET, tmp)).assertExit(ExitCode.OK).out());
        final Path copy = tmp.resolve("copy");

        Cli.run("load", "--create", "--format-version", "1", copy, input).assertExit(ExitCode.OK);

        final Map<String, Object> json = Cli.json(Cli.run("inspect", "--format", "json", copy).out());
        assertEquals(Boolean.TRUE, json.get("setMode"));
        assertEquals(new BigDecimal(32), json.get("maxKeySize"));
        assertEquals("QUADRATIC", json.get("probing"));
        assertEquals(GoldenFiles.store(GoldenFiles.SET).contents(), Cli.entries(Cli.run("dump", copy)));

        // format version 2 (the default) takes the header's sizes and set mode, and has no probing
        final Path v2 = tmp.resolve("v2");
        Cli.run("load", "--create", v2, input).assertExit(ExitCode.OK);
        final Map<String, Object> v2json = Cli.json(Cli.run("inspect", "--format", "json", v2).out());
        assertEquals(new BigDecimal(2), v2json.get("formatVersion"));
        assertEquals(new BigDecimal(32), v2json.get("maxKeySize"));
        assertEquals(GoldenFiles.store(GoldenFiles.SET).contents(), Cli.entries(Cli.run("dump", v2)));
    }

    @Test
    void linesMustUseTheEncodingTheHeaderStates() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final String header = Cli.run("dump", store).outLines().get(0);

        final Cli.Result result = Cli.run("load", store, file(header + "\n{\"key\":\"a\",\"value\":\"1\"}\n"))
            .assertOneLineError("load").assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("line 2: the dump header says every line is base64"), result::toString);
    }

    @Test
    void aSetTakesKeysOnly() throws IOException
    {
        final Path store = Cli.golden(GoldenFiles.SET, tmp);

        Cli.run("load", store, file("{\"key\":\"m1\"}\n{\"key\":\"m2\",\"value\":\"m2\"}\n")).assertExit(ExitCode.OK);
        final Cli.Result result = Cli.run("load", store, file("{\"key\":\"m3\",\"value\":\"other\"}\n"))
            .assertExit(ExitCode.BAD_INPUT);

        assertTrue(result.err().contains("the store is a set"), result::toString);
        Cli.run("get", store, "m2").assertExit(ExitCode.OK);
    }

    @Test
    void needsCreateForANewStore() throws IOException
    {
        final Path missing = tmp.resolve("missing");

        Cli.run("load", missing, file("")).assertOneLineError("load").assertExit(ExitCode.NOT_A_STORE);
        Cli.run("load", "--max-key-size", "8", missing, file("")).assertExit(ExitCode.USAGE);
        assertTrue(!Files.exists(missing));
    }

    @Test
    void creationParametersMustMatchAnExistingStore() throws IOException
    {
        final Cli.Result result = Cli.run("load", "--create", "--max-key-size", "8",
            Cli.golden(GoldenFiles.SMALL, tmp), file("")).assertOneLineError("load").assertExit(ExitCode.INCOMPATIBLE);

        assertTrue(result.err().contains("maxKeySize 24 (asked 8)"), result::toString);
    }

    @Test
    void aMissingInputFileIsAnError()
    {
        final Cli.Result result = Cli.run("load", Cli.golden(GoldenFiles.SMALL, tmp), tmp.resolve("nope.jsonl"))
            .assertOneLineError("load").assertExit(ExitCode.ERROR);

        assertTrue(result.err().contains("no such file: "), result::toString);
    }
}
