package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsCommandTest
{
    @TempDir
    Path tmp;

    @Test
    void drawsTheHistograms()
    {
        final Cli.Result result = Cli.run("stats", Cli.golden(GoldenFiles.SMALL, tmp)).assertExit(ExitCode.OK);

        final String out = result.out();
        assertTrue(out.contains("\nentries      267\n"), out);
        assertTrue(out.contains("\ncapacity     1,024 slots of 96 bytes\n"), out);
        assertTrue(out.contains("Probe lengths of the 267 live entries in the current table"), out);
        assertTrue(out.contains("\n  1 |########################################"), "longest bar is full width: " + out);
        assertTrue(out.contains("Slot occupancy (full and tombstone slots) of 64 equal regions"), out);
        assertTrue(out.matches("(?s).*\n  \\[[ .:\\-=+*#%@]{64}]\n.*"), out);
        assertTrue(out.contains("\n    0-10% |"), out);
        assertTrue(out.contains("\n  90-100% |"), out);
        assertEquals("", result.err());
    }

    @Test
    void jsonHistogramsAddUp()
    {
        final Map<String, Object> json = Cli.json(Cli.run("stats", "--format", "json",
            Cli.golden(GoldenFiles.SET, tmp)).assertExit(ExitCode.OK).out());

        long entries = 0;
        for (final Object count : (List<?>)json.get("probeLengthHistogram"))
        {
            entries += ((BigDecimal)count).longValueExact();
        }
        assertEquals(160, entries);
        assertEquals(new BigDecimal(160), json.get("entries"));
        assertEquals(new BigDecimal(40), json.get("tombstones"));
        assertEquals(64, ((List<?>)json.get("regionOccupancy")).size());
        assertEquals("QUADRATIC", json.get("probing"));
    }

    @Test
    void showsARehashInProgress()
    {
        final String out = Cli.run("stats", Cli.golden(GoldenFiles.REHASH_CLEAN, tmp)).assertExit(ExitCode.OK)
            .out();

        assertTrue(out.contains("\nrehash       in progress: "), out);
        assertTrue(out.contains(" of 32 old slots migrated\n"), out);
        assertTrue(out.contains("\nentries      28\n"), out);
    }

    @Test
    void corruptionFoundByTheScanIsReported()
    {
        final Cli.Result result = Cli.run("stats", Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp))
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.out().contains("Probe lengths"), result::toString);
        assertTrue(result.err().startsWith("cubby stats: 1 problem(s) found; `cubby verify "), result::toString);
    }
}
