package io.cubby.tools;

import io.cubby.store.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damage on the probe path of {@code cubby get} is corruption (exit 3), not "not found" (exit 6).
 */
class DamagedSlotCommandTest
{
    @TempDir
    Path tmp;

    /** Flip one byte of every copy of {@code key} in the store's table file (live slot and any tombstones). */
    private static void damageKeyBytes(final Path store, final String key) throws Exception
    {
        final Path table;
        try (Stream<Path> files = Files.list(store))
        {
            table = files.filter(f -> f.getFileName().toString().endsWith(".cubby")).sorted().reduce((a, b) -> b)
                .orElseThrow();
        }
        final byte[] bytes = Files.readAllBytes(table);
        final byte[] needle = key.getBytes(StandardCharsets.UTF_8);
        int found = 0;
        for (int i = 0; i + needle.length <= bytes.length; i++)
        {
            boolean equal = true;
            for (int j = 0; j < needle.length && equal; j++)
            {
                equal = bytes[i + j] == needle[j];
            }
            if (equal)
            {
                bytes[i + needle.length - 1] ^= 0x10;
                found++;
            }
        }
        assertTrue(found > 0, key + " not found in " + table);
        Files.write(table, bytes);
    }

    @Test
    void getOfAKeyWhoseSlotHasDamagedKeyBytesExitsCorruptNotNotFound() throws Exception
    {
        final Path store = Cli.golden(GoldenFiles.SMALL, tmp);
        damageKeyBytes(store, "key-0010");

        final Cli.Result result = Cli.run("get", store, "key-0010").assertOneLineError("get")
            .assertExit(ExitCode.CORRUPT);
        assertEquals("", result.out());
        assertTrue(result.err().contains("key-0010") || result.err().contains("slot"), result::toString);
    }
}
