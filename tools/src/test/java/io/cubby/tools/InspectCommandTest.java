package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.GoldenFiles;
import io.cubby.store.StoreInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectCommandTest
{
    @TempDir
    Path tmp;

    @Test
    void describesACleanStore()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Cli.Result result = Cli.run("inspect", store).assertExit(ExitCode.OK);

        final String out = result.out();
        assertTrue(out.contains("\nin use      no\n"), out);
        assertTrue(out.contains("\nshutdown    clean\n"), out);
        assertTrue(out.contains("\nformat      version 1 (read 1, write 1)\n"), out);
        assertTrue(out.contains("\ncapacity    1,024 slots\n"), out);
        assertTrue(out.contains("\nslot width  96 bytes (max key 24 B, max value 48 B)\n"), out);
        assertTrue(out.contains("\nentries     267\n"), out);
        assertTrue(out.contains("\ntombstones  38\n"), out);
        assertTrue(out.contains("\nload        0.298 (max 0.750)\n"), out);
        assertTrue(out.contains("\nprobing     linear\n"), out);
        assertTrue(out.contains("\nhash        XXH3-64, seed 0x"), out);
        assertTrue(out.contains("\nrehash      none\n"), out);
        assertTrue(out.contains("\nfile        table-0000000000000001.cubby 102,400 B (100.0 KiB)\n"), out);
        assertTrue(out.contains("\nfile        wal.log 65,536 B (64.0 KiB)\n"), out);
        assertTrue(out.contains("\nlog         1 live record(s) (CHECKPOINT 1)"), out);
        assertEquals("", result.err());
    }

    @Test
    void takesNoLockAndWritesNothing()
    {
        final Path store = Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp);
        final Map<String, java.nio.ByteBuffer> before = Cli.snapshot(store);

        Cli.run("inspect", store).assertExit(ExitCode.OK);

        assertEquals(before, Cli.snapshot(store));
        assertFalse(Files.exists(store.resolve("cubby.lock")));
    }

    @Test
    void jsonHasTheHeaderFields()
    {
        final Path store = Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp);

        final Map<String, Object> json = Cli.json(Cli.run("inspect", "--format", "json", store)
            .assertExit(ExitCode.OK).out());

        assertEquals(store.toString(), json.get("store"));
        assertEquals(Boolean.FALSE, json.get("inUse"));
        assertEquals(Boolean.FALSE, json.get("cleanShutdown"));
        assertEquals(Boolean.FALSE, json.get("rehashInProgress"));
        assertEquals(new BigDecimal(1), json.get("formatVersion"));
        assertEquals(new BigDecimal(256), json.get("capacity"));
        assertEquals(new BigDecimal(88), json.get("entries"));
        assertEquals(new BigDecimal(16), json.get("maxKeySize"));
        assertEquals(new BigDecimal(32), json.get("maxValueSize"));
        assertEquals(Boolean.TRUE, json.get("expiry"));
        assertEquals(Boolean.FALSE, json.get("setMode"));
        assertEquals("DOUBLE_HASHING", json.get("probing"));
        assertEquals("XXH3-64", json.get("hashAlgorithm"));
        assertEquals(1, ((List<?>)json.get("tables")).size());
        @SuppressWarnings("unchecked")
        final Map<String, Object> log = (Map<String, Object>)json.get("log");
        assertEquals(new BigDecimal(33), log.get("validRecords"));
        assertEquals(Map.of("CHECKPOINT", new BigDecimal(1), "PUT", new BigDecimal(27), "REMOVE", new BigDecimal(5)),
            log.get("recordsByType"));
        assertNull(log.get("tailProblem"));
        assertNull(json.get("logProblem"));
    }

    @Test
    void showsARehashInProgress()
    {
        final Path store = Cli.golden(GoldenFiles.REHASH_UNCLEAN, tmp);

        final String out = Cli.run("inspect", store).assertExit(ExitCode.OK).out();

        assertTrue(out.contains("\nshutdown    unclean: recovery runs on the next writable open"), out);
        assertTrue(out.contains("\nrehash      in progress: "), out);
        assertTrue(out.contains(" of 32 slots migrated from table-0000000000000001.cubby\n"), out);
        assertTrue(out.contains("\nentries     28 ("), out);
        assertTrue(out.contains("table-0000000000000002.cubby 7,680 B (7.5 KiB), marked open\n"), out);
    }

    @Test
    void showsASet()
    {
        final String out = Cli.run("inspect", Cli.golden(GoldenFiles.SET, tmp)).assertExit(ExitCode.OK).out();

        assertTrue(out.contains("\nmode        set\n"), out);
        assertTrue(out.contains("\nentries     160\n"), out);
        assertTrue(out.contains("\nprobing     quadratic\n"), out);
    }

    @Test
    void reportsAnUnreadableLog()
    {
        final Path store = Cli.corrupt(GoldenFiles.TRUNCATED_LOG, tmp);

        final Cli.Result result = Cli.run("inspect", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("\nlog         unreadable: wal.log is 32776 bytes but its header says 65536"),
            result::toString);
    }

    @Test
    void reportsADamagedLogTail()
    {
        final Path store = Cli.corrupt(GoldenFiles.DAMAGED_LOG_TAIL, tmp);

        final String out = Cli.run("inspect", store).assertExit(ExitCode.OK).out();

        assertTrue(out.contains(", tail damaged: checksum mismatch"), out);
    }

    @Test
    void storeInfoToStringNamesTheStoreTablesAndLog()
    {
        final Path store = Cli.golden(GoldenFiles.REHASH_CLEAN, tmp);

        final StoreInfo info = Cubby.inspect(store);
        final String text = info.toString();

        assertEquals(GoldenFiles.store(GoldenFiles.REHASH_CLEAN).readOnlyContents().size(), info.entries());
        assertTrue(text.startsWith("StoreInfo{directory=" + store + ", entries=" + info.entries() + ", "), text);
        assertTrue(text.contains("rehashInProgress=true"), text);
        assertTrue(text.contains("TableInfo{file=" + info.currentTable().file + ", generation="), text);
        assertTrue(text.contains("rehash from generation " + info.currentTable().sourceGeneration), text);
        assertTrue(text.contains("LogInfo{file=wal.log, "), text);
        assertTrue(info.currentTable().toString().contains("capacity=" + info.currentTable().capacity), text);
        assertTrue(info.log.toString().contains("validRecords=" + info.log.validRecords), text);
    }
}
