package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.GoldenFilesV2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI on a format-version-2 store: {@code load --create --format-version 2} creates one, and {@code get},
 * {@code put}, {@code inspect}, {@code verify}, {@code stats} and {@code compact} work on it through the public API.
 */
class FormatVersion2CommandTest
{
    @TempDir
    Path tmp;

    @Test
    void loadCreatesAVersion2StoreThatTheOtherCommandsRead() throws IOException
    {
        final Path store = tmp.resolve("v2");
        final Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"key\":\"a\",\"value\":\"one\"}\n{\"key\":\"b\",\"value\":\"two\"}\n");

        Cli.run("load", "--create", "--format-version", "2", store, input).assertExit(ExitCode.OK);
        assertTrue(Files.exists(store.resolve("manifest.cubby")));

        assertEquals("one\n", Cli.run("get", store, "a").assertExit(ExitCode.OK).out());
        assertEquals("added c\n", Cli.run("put", store, "c", "three").assertExit(ExitCode.OK).out());
        assertEquals("replaced a\n", Cli.run("put", store, "a", "uno").assertExit(ExitCode.OK).out());

        final String inspect = Cli.run("inspect", store).assertExit(ExitCode.OK).out();
        assertTrue(inspect.matches("(?s).*\nformat +version 2 \\(write \\d+\\)\n.*"), inspect);
        assertTrue(inspect.matches("(?s).*\nentries +3\n.*"), inspect);
        assertTrue(inspect.matches("(?s).*\nshutdown +clean\n.*"), inspect);
        final String json = Cli.run("inspect", "--format", "json", store).assertExit(ExitCode.OK).out();
        assertTrue(json.contains("\"formatVersion\":2") && json.contains("\"entries\":3"), json);

        final Cli.Result verify = Cli.run("verify", store).assertExit(ExitCode.OK);
        assertTrue(verify.out().contains("OK"), verify.toString());
        final Cli.Result stats = Cli.run("stats", store).assertExit(ExitCode.OK);
        assertTrue(stats.out().contains("tag groups (format version 2)"), stats.toString());

        final String dump = Cli.run("dump", store).assertExit(ExitCode.OK).out();
        assertTrue(dump.contains("{\"keyBase64\":\"Yw==\",\"valueBase64\":\"dGhyZWU=\"}"), dump);
        assertTrue(!dump.contains("probing") && !dump.contains("maxLoad"), "no version-1 table parameters: " + dump);
        final Path dumped = tmp.resolve("dump.jsonl");
        Files.writeString(dumped, dump);
        Cli.run("load", "--create", tmp.resolve("copy-v1"), dumped).assertExit(ExitCode.OK);
        Cli.run("load", "--create", "--format-version", "2", tmp.resolve("copy-v2"), dumped).assertExit(ExitCode.OK);
        assertEquals("three\n", Cli.run("get", tmp.resolve("copy-v1"), "c").assertExit(ExitCode.OK).out());
        assertEquals("three\n", Cli.run("get", tmp.resolve("copy-v2"), "c").assertExit(ExitCode.OK).out());
        Cli.run("compact", store).assertExit(ExitCode.OK);

        try (Cubby cubby = Cubby.builder(store).open())
        {
            assertEquals(2, cubby.formatVersion());
            assertArrayEquals("uno".getBytes(), cubby.get("a".getBytes()));
            assertEquals(3, cubby.size());
        }
    }

    @Test
    void compactShrinksTheSegmentsAfterRemovalsAndKeepsEveryEntry()
    {
        final Path store = tmp.resolve("v2-compact");
        final Map<ByteBuffer, ByteBuffer> model = new HashMap<>();
        try (Cubby cubby = Cubby.builder(store).formatVersion(2).segments(4).expectedEntries(0).open())
        {
            for (int i = 0; i < 4000; i++)
            {
                final byte[] key = ("key" + i).getBytes(StandardCharsets.US_ASCII);
                final byte[] value = ("value" + i).getBytes(StandardCharsets.US_ASCII);
                cubby.put(key, value);
                if (i % 10 == 0)
                {
                    model.put(ByteBuffer.wrap(key), ByteBuffer.wrap(value));
                }
            }
            for (int i = 0; i < 4000; i++)
            {
                if (i % 10 != 0)
                {
                    cubby.remove(("key" + i).getBytes(StandardCharsets.US_ASCII));
                }
            }
        }

        final Map<String, Object> json = Cli.json(Cli.run("compact", "--format", "json", store)
            .assertExit(ExitCode.OK).out());

        @SuppressWarnings("unchecked")
        final Map<String, Object> before = (Map<String, Object>)json.get("before");
        @SuppressWarnings("unchecked")
        final Map<String, Object> after = (Map<String, Object>)json.get("after");
        assertEquals(new BigDecimal(400), after.get("entries"));
        assertEquals(new BigDecimal(0), after.get("tombstones"));
        assertTrue(((BigDecimal)after.get("tableFileBytes")).compareTo(
            ((BigDecimal)before.get("tableFileBytes")).divide(new BigDecimal(4))) < 0, json.toString());
        assertTrue(((BigDecimal)after.get("capacity")).compareTo((BigDecimal)before.get("capacity")) < 0,
            json.toString());
        assertEquals(model, Cli.entries(Cli.run("dump", store).assertExit(ExitCode.OK)));
        Cli.run("verify", store).assertExit(ExitCode.OK);

        // at the highest load a version-2 store has, the segments shrink again; beyond it the load is refused
        final Cli.Result text = Cli.run("compact", "--load", "0.96", store).assertExit(ExitCode.OK);
        assertTrue(text.out().contains("\nafter   400 entries, 0 tombstones, "), text.toString());
        Cli.run("compact", "--load", "0.97", store).assertExit(ExitCode.USAGE).assertOneLineError("compact");
        assertEquals(model, Cli.entries(Cli.run("dump", store).assertExit(ExitCode.OK)));
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }

    @Test
    void compactFinishesAVersion2RehashLeftByAKilledWriter()
    {
        final Path store = Cli.copy("v2/" + GoldenFilesV2.REHASH_KILLED, tmp);

        Cli.run("compact", store).assertExit(ExitCode.OK);

        assertEquals(GoldenFilesV2.store(GoldenFilesV2.REHASH_KILLED).contents(),
            Cli.entries(Cli.run("dump", store).assertExit(ExitCode.OK)));
        final Cli.Result verify = Cli.run("verify", store).assertExit(ExitCode.OK);
        assertTrue(verify.out().contains("OK"), verify.toString());
    }

    @Test
    void aVersionOtherThanTheStoresIsRefused() throws IOException
    {
        final Path store = tmp.resolve("v1");
        final Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"key\":\"a\",\"value\":\"one\"}\n");
        Cli.run("load", "--create", "--format-version", "1", store, input).assertExit(ExitCode.OK);

        final Cli.Result refused = Cli.run("load", "--create", "--format-version", "2", store, input);
        assertTrue(refused.exitCode() != ExitCode.OK, refused.toString());
        refused.assertOneLineError("load");

        // a store created without --format-version is a version-2 store
        final Path v2 = tmp.resolve("v2");
        Cli.run("load", "--create", v2, input).assertExit(ExitCode.OK);
        final Cli.Result refused1 = Cli.run("load", "--create", "--format-version", "1", v2, input);
        assertTrue(refused1.exitCode() != ExitCode.OK, refused1.toString());
        refused1.assertOneLineError("load");
        final Cli.Result probing = Cli.run("load", "--create", "--probing", "linear", tmp.resolve("p"), input);
        assertTrue(probing.err().contains("--probing needs --format-version 1"), probing.toString());
        probing.assertExit(ExitCode.USAGE);
    }

    @Test
    void theReadingCommandsChangeNoByteAndReadAStoreAnotherWriterHasOpen() throws Exception
    {
        final Path store = tmp.resolve("v2-read");
        final Path input = tmp.resolve("in.jsonl");
        Files.writeString(input, "{\"key\":\"a\",\"value\":\"one\"}\n{\"key\":\"b\",\"value\":\"two\"}\n");
        Cli.run("load", "--create", "--format-version", "2", store, input).assertExit(ExitCode.OK);
        final java.util.Map<String, String> before = digests(store);
        assertEquals("one\n", Cli.run("get", store, "a").assertExit(ExitCode.OK).out());
        Cli.run("dump", store).assertExit(ExitCode.OK);
        Cli.run("verify", store).assertExit(ExitCode.OK);
        Cli.run("stats", store).assertExit(ExitCode.OK);
        assertEquals(before, digests(store), "a reading command changed the store");

        try (Cubby writer = Cubby.builder(store).open())
        {
            writer.put("c".getBytes(), "three".getBytes());
            final Cli.Result get = Cli.run("get", store, "c").assertExit(ExitCode.OK);
            assertEquals("three\n", get.out());
            assertTrue(get.err().contains("open for writing"), get.toString());
            final Cli.Result verify = Cli.run("verify", store).assertExit(ExitCode.OK);
            assertTrue(verify.out().contains("OK"), verify.toString());
            assertTrue(Cli.run("dump", store).assertExit(ExitCode.OK).out().contains("dGhyZWU="));
            Cli.run("put", store, "d", "four").assertExit(ExitCode.LOCKED);
        }
    }

    private static java.util.Map<String, String> digests(final Path dir) throws Exception
    {
        final java.util.Map<String, String> digests = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                digests.put(file.getFileName().toString(), java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
            }
        }
        return digests;
    }
}
