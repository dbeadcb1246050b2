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
        assertTrue(result.out().contains("\nafter   267 entries, 0 tombstones, 1,024 slots"), result::toString);
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

        assertTrue(result.err().contains("target load must be in (0, 0.75]: 0.9"), result::toString);
        assertEquals(before.keySet(), Cli.snapshot(store).keySet());
    }
}
