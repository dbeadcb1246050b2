package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpgradeCommandTest
{
    @TempDir
    Path tmp;

    @Test
    void rewritesAVersion1StoreInVersion2WithEveryEntry()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);

        final Cli.Result result = Cli.run("upgrade", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("format version  2"), result::toString);
        assertTrue(result.out().contains("entries         267"), result::toString);
        assertEquals("updated-10\n", Cli.run("get", store, "key-0010").assertExit(ExitCode.OK).out());
        Cli.run("verify", store).assertExit(ExitCode.OK);
        try (Cubby cubby = Cubby.builder(store).open())
        {
            assertEquals(2, cubby.formatVersion());
            final Map<ByteBuffer, ByteBuffer> contents = GoldenFiles.store(GoldenFiles.SMALL).contents();
            assertEquals(contents.size(), cubby.size());
            for (final Map.Entry<ByteBuffer, ByteBuffer> entry : contents.entrySet())
            {
                assertArrayEquals(entry.getValue().array(), cubby.get(entry.getKey().array()),
                    new String(entry.getKey().array(), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void keepsTheExpiryOfAStoreCreatedWithIt()
    {
        final Path store = Cli.golden(GoldenFiles.UNCLEAN_ASYNC, tmp);

        Cli.run("upgrade", store).assertExit(ExitCode.OK);

        try (Cubby cubby = Cubby.builder(store).open())
        {
            assertEquals(2, cubby.formatVersion());
            assertTrue(cubby.hasExpiry());
            assertTrue(cubby.expiresAtMillis("ttl-key".getBytes(StandardCharsets.UTF_8)) > 0);
        }
    }

    @Test
    void refusesAStoreAlreadyInVersion2WithoutAChange()
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        Cli.run("upgrade", "--format", "json", store).assertExit(ExitCode.OK);
        final Map<String, ByteBuffer> upgraded = Cli.snapshot(store);

        final Cli.Result again = Cli.run("upgrade", store).assertOneLineError("upgrade").assertExit(ExitCode.INCOMPATIBLE);

        assertTrue(again.err().contains("already a format version 2 store"), again::toString);
        assertEquals(upgraded, Cli.snapshot(store));
    }
}
