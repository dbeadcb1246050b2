package io.cubby.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoCommandTest
{
    @Test
    void demoWritesReadsBackAndVerifies(@TempDir final Path tmp)
    {
        final Path store = tmp.resolve("demo");

        final Cli.Result result = Cli.run("demo", "--entries", "5000", store).assertExit(ExitCode.OK);

        assertTrue(result.out().contains("read back 5,000 keys: all correct"), result::toString);
        // the last line counts the store's entries, those of a rehash's source table included
        final String last = result.outLines().get(result.outLines().size() - 1);
        assertTrue(last.startsWith("inspect: ") && last.contains(" 4,500 entries, "), result::toString);
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }
}
