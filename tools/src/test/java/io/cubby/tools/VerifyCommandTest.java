package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifyCommandTest
{
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {
        GoldenFiles.SMALL, GoldenFiles.SET, GoldenFiles.UNCLEAN_ASYNC, GoldenFiles.REHASH_CLEAN,
        GoldenFiles.REHASH_UNCLEAN })
    void everyGoldenStoreIsIntactAndUnchanged(final String name)
    {
        final Path store = Cli.golden(name, tmp);
        final Map<String, java.nio.ByteBuffer> before = Cli.snapshot(store);

        final Cli.Result result = Cli.run("verify", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nresult         OK\n"), result::toString);
        assertTrue(result.out().contains("\nentries        " +
            GoldenFiles.store(name).readOnlyContents().size() + "\n"), result::toString);
        assertEquals(before, Cli.snapshot(store));
    }

    @Test
    void warnsThatAnUncleanStoreIsNotRecovered()
    {
        final Cli.Result result = Cli.run("verify", Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp))
            .assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nshutdown       unclean, not recovered\n"), result::toString);
        assertTrue(result.err().startsWith("cubby: warning: "), result::toString);
        assertTrue(result.err().contains("was not shut down cleanly"), result::toString);
    }

    @Test
    void listsACorruptSlotAndExitsWithCorrupt()
    {
        final Cli.Result result = Cli.run("verify", Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp))
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.out().contains("\nresult         CORRUPT: 1 problem(s)\n"), result::toString);
        final List<String> problems = result.outLines().stream().filter(l -> l.startsWith("problem: ")).toList();
        assertEquals(1, problems.size(), result::toString);
        assertTrue(problems.get(0).matches(
            "problem: table-0000000000000001\\.cubby slot \\d+: checksum or length mismatch.*"), problems::toString);
        assertTrue(result.err().contains("cubby recover --salvage"), result::toString);
    }

    @Test
    void jsonListsTheProblems()
    {
        final Map<String, Object> json = Cli.json(Cli.run("verify", "--format", "json",
            Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp)).assertExit(ExitCode.CORRUPT).out());

        assertEquals(Boolean.FALSE, json.get("ok"));
        assertEquals(new BigDecimal(1), json.get("problemCount"));
        assertEquals(1, ((List<?>)json.get("problems")).size());
        assertEquals(new BigDecimal(1024), json.get("slotsScanned"));
    }

    @Test
    void anUnreadableLogIsCorruption()
    {
        final Cli.Result result = Cli.run("verify", Cli.corrupt(GoldenFiles.TRUNCATED_LOG, tmp))
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.out().contains("problem: log: wal.log is 32776 bytes but its header says 65536"),
            result::toString);
        assertTrue(result.err().contains("`cubby recover --salvage` continues with a new log"), result::toString);
    }

    @Test
    void aDamagedLogTailIsAWarning()
    {
        final Cli.Result result = Cli.run("verify", Cli.corrupt(GoldenFiles.DAMAGED_LOG_TAIL, tmp))
            .assertExit(ExitCode.OK);

        assertTrue(result.err().contains("the log ends in a damaged record"), result::toString);
    }
}
