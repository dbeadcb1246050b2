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
        Cli.run("verify", store).assertExit(ExitCode.OK);
    }
}
