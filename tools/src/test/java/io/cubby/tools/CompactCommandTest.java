package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompactCommandTest
{
    @TempDir
    Path tmp;

    @Test
    void dropsTombstonesAndKeepsEveryEntry()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Cli.Result result = Cli.run("compact", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nbefore  267 entries, 38 tombstones, 1,024 slots"), result::toString);
        // the default fits the 267 live entries within the max load 0.75: 512 slots
        assertTrue(result.out().contains("\nafter   267 entries, 0 tombstones, 512 slots"), result::toString);
        assertEquals("", result.err(), "no progress bar without a terminal");
        assertEquals(GoldenFiles.store(GoldenFiles.SMALL).contents(), Cli.entries(Cli.run("dump", store)));
        Cli.run("verify", store).assertExit(ExitCode.OK);
        assertTrue(Cli.run("inspect", store).out().contains("generation 2"));
    }

    @Test
    void rebuildsAtTheAskedLoadAndReportsJson()
    {
        final Path store = Cli.golden(GoldenFiles.SET, tmp);

        final Map<String, Object> json = Cli.json(Cli.run("compact", "--format", "json", "--load", "0.1", store)
            .assertExit(ExitCode.OK).out());

        @SuppressWarnings("unchecked")
        final Map<String, Object> after = (Map<String, Object>)json.get("after");
        assertEquals(new BigDecimal(2048), after.get("capacity"));
        assertEquals(new BigDecimal(160), after.get("entries"));
        assertEquals(new BigDecimal(0), after.get("tombstones"));
        assertEquals(GoldenFiles.store(GoldenFiles.SET).contents(), Cli.entries(Cli.run("dump", store)));
    }

    @Test
    void finishesARehashInProgress()
    {
        final Path store = Cli.golden(GoldenFiles.REHASH_UNCLEAN, tmp);

        Cli.run("compact", store).assertExit(ExitCode.OK);

        assertTrue(Cli.run("inspect", store).out().contains("\nrehash      none\n"));
        assertEquals(GoldenFiles.store(GoldenFiles.REHASH_UNCLEAN).contents(), Cli.entries(Cli.run("dump", store)));
    }

    @Test
    void rejectsALoadOutOfRange()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final Map<String, java.nio.ByteBuffer> before = Cli.snapshot(store);

        final Cli.Result result = Cli.run("compact", "--load", "0.9", store).assertOneLineError("compact")
            .assertExit(ExitCode.USAGE);

        assertTrue(result.err().contains("--load must be in [0.1, 0.75] (the store's max load): 0.9"),
            result::toString);
        assertEquals(before.keySet(), Cli.snapshot(store).keySet());
    }

    @Test
    void rejectsATinyLoadBeforeAllocatingAnything()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        final Map<String, java.nio.ByteBuffer> before = Cli.snapshot(store);

        for (final String load : new String[]{ "0.0000001", "0.09", "0", "-0.5", "NaN", "1.5" })
        {
            final Cli.Result result = Cli.run("compact", "--load", load, store).assertOneLineError("compact")
                .assertExit(ExitCode.USAGE);
            assertTrue(result.err().contains("--load must be in [0.1, "), result::toString);
        }
        assertEquals(before, Cli.snapshot(store));
    }

    @Test
    void theDefaultKeepsTheSizeOfAStoreWithoutTombstones(@TempDir final Path other) throws java.io.IOException
    {
        final Path store = other.resolve("full");
        final StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 5_000; i++)
        {
            lines.append("{\"key\":\"k").append(i).append("\",\"value\":\"v\"}\n");
        }
        Cli.run("load", "--create", "--format-version", "1", store,
            java.nio.file.Files.writeString(other.resolve("in.jsonl"), lines)).assertExit(ExitCode.OK);

        final Map<String, Object> json = Cli.json(Cli.run("compact", "--format", "json", store)
            .assertExit(ExitCode.OK).out());

        @SuppressWarnings("unchecked")
        final Map<String, Object> before = (Map<String, Object>)json.get("before");
        @SuppressWarnings("unchecked")
        final Map<String, Object> after = (Map<String, Object>)json.get("after");
        assertEquals(new BigDecimal(0), before.get("tombstones"));
        assertEquals(before.get("capacity"), after.get("capacity"));
        assertEquals(before.get("tableFileBytes"), after.get("tableFileBytes"));
        assertEquals(new BigDecimal(5_000), after.get("entries"));
    }
}
