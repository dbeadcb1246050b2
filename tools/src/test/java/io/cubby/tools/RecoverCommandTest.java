package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecoverCommandTest
{
    @TempDir
    Path tmp;

    @Test
    void replaysTheLogOfAnUncleanStore()
    {
        final Path store = Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp);

        final Cli.Result result = Cli.run("recover", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nresult                    recovered\n"), result::toString);
        assertTrue(result.out().contains("\nshutdown                  unclean\n"), result::toString);
        assertTrue(result.out().contains("\noperations replayed       32\n"), result::toString);
        assertTrue(result.out().contains("\nlog tail                  clean\n"), result::toString);
        assertEquals("", result.err());
        final Cli.Result dump = Cli.run("dump", store).assertExit(ExitCode.OK);
        assertEquals(GoldenFiles.store(GoldenFiles.UNCLEAN_ASYNC).contents(), Cli.entries(dump));
        assertEquals("", dump.err(), "recovered: no more warning");
        assertTrue(Cli.run("recover", store).out().contains("\nresult                    nothing to recover\n"));
    }

    @Test
    void resumesARehash()
    {
        final Path store = Cli.golden(GoldenFiles.REHASH_UNCLEAN, tmp);

        final Map<String, Object> json = Cli.json(Cli.run("recover", "--format", "json", store)
            .assertExit(ExitCode.OK).out());

        assertEquals(Boolean.TRUE, json.get("didWork"));
        assertEquals(Boolean.TRUE, json.get("rehashResumed"));
        assertEquals(new BigDecimal(32), json.get("operationsReplayed"));
        assertEquals(GoldenFiles.store(GoldenFiles.REHASH_UNCLEAN).contents(), Cli.entries(Cli.run("dump", store)));
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }

    @Test
    void discardsADamagedLogTail()
    {
        final Path store = Cli.corrupt(GoldenFiles.DAMAGED_LOG_TAIL, tmp);

        final Cli.Result result = Cli.run("recover", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nlog tail                  damaged, 72 bytes discarded: checksum mismatch"),
            result::toString);
        assertTrue(result.out().contains("\noperations replayed       31\n"), result::toString);
        assertEquals(GoldenFiles.damagedLogTailContents(), Cli.entries(Cli.run("dump", store)));
    }

    @Test
    void refusesAnUnreadableLogAfterAnUncleanShutdownAndChangesNothing()
    {
        final Path store = Cli.corrupt(GoldenFiles.TRUNCATED_LOG, tmp);
        final Map<String, ByteBuffer> before = Cli.snapshot(store);

        final Cli.Result result = Cli.run("recover", store).assertOneLineError("recover")
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.err().contains("wal.log is 32776 bytes but its header says 65536"), result::toString);
        assertTrue(result.err().contains("`cubby recover --salvage`"), result::toString);
        assertEquals(before, Cli.snapshot(store));
    }

    @Test
    void refusesWithExitCorruptWhenLogMissingAfterUncleanShutdown() throws Exception
    {
        final Path store = Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp);
        java.nio.file.Files.delete(store.resolve("wal.log"));
        final Map<String, ByteBuffer> before = Cli.snapshot(store);

        final Cli.Result result = Cli.run("recover", store).assertOneLineError("recover")
            .assertExit(ExitCode.CORRUPT);

        assertTrue(result.err().contains("wal.log is missing after an unclean shutdown"), result::toString);
        assertTrue(result.err().contains("`cubby recover --salvage`"), result::toString);
        assertEquals(before, Cli.snapshot(store), "nothing changed, no log created");

        final Cli.Result salvaged = Cli.run("recover", "--salvage", store).assertExit(ExitCode.OK);
        assertTrue(salvaged.out().contains("log missing, created"), salvaged::toString);
        assertTrue(salvaged.out().contains("rebuilt into table-0000000000000002.cubby"),
            salvaged::toString);
        assertEquals(GoldenFiles.store(GoldenFiles.UNCLEAN_ASYNC).readOnlyContents(),
            Cli.entries(Cli.run("dump", store).assertExit(ExitCode.OK)));
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }

    @Test
    void salvageReplacesAnUnreadableLog()
    {
        final Path store = Cli.corrupt(GoldenFiles.TRUNCATED_LOG, tmp);

        final Cli.Result result = Cli.run("recover", "--salvage", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nlog tail                  damaged, 0 bytes discarded: log replaced: "),
            result::toString);
        assertEquals(GoldenFiles.store(GoldenFiles.UNCLEAN_ASYNC).readOnlyContents(),
            Cli.entries(Cli.run("dump", store).assertExit(ExitCode.OK)));
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }

    @Test
    void salvageDropsACorruptSlot()
    {
        final Path store = Cli.corrupt(GoldenFiles.BITFLIP_SLOT, tmp);

        final Cli.Result result = Cli.run("recover", "--salvage", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\ncorrupt slots dropped     1 (their entries are lost)\n"), result::toString);
        assertEquals("cubby recover: warning: dropped 1 corrupt slot(s); their entries are lost\n", result.err());
        final Map<ByteBuffer, ByteBuffer> expected = new HashMap<>(GoldenFiles.store(GoldenFiles.SMALL).contents());
        expected.remove(GoldenFiles.bytes(GoldenFiles.BITFLIPPED_KEY));
        assertEquals(expected, Cli.entries(Cli.run("dump", store).assertExit(ExitCode.OK)));
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }

    @Test
    void aCleanStoreNeedsNothing()
    {
        final Cli.Result result = Cli.run("recover", Cli.golden(GoldenFiles.SMALL, tmp)).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nresult                    nothing to recover\n"), result::toString);
    }
}
