package io.cubby.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started without {@code --add-exports=java.base/jdk.internal.misc=...} cannot run Agrona's buffers: opening
 * or inspecting a store there fails with a {@link CubbyException} naming the flag, before any file is made.
 */
class MissingJvmFlagTest
{
    private static final String FLAG = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    @Test
    void openWithoutTheExportFlagNamesTheFlagAndCreatesNoFile(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final List<String> lines = runWithoutFlag(tmp, "open", dir);
        assertEquals(List.of("CubbyException: " + FLAG), lines.stream().map(MissingJvmFlagTest::flagOf)
            .collect(Collectors.toList()), lines::toString);
        assertFalse(Files.exists(dir), () -> "the store directory was made: " + list(dir));
    }

    @Test
    void openOfAnExistingStoreWithoutTheFlagLeavesItUntouched(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        try (Cubby store = Cubby.builder(dir).maxKeySize(8).maxValueSize(8).open())
        {
            store.put(new byte[] { 1 }, new byte[] { 2 });
        }
        final List<String> before = list(dir);
        final List<String> lines = runWithoutFlag(tmp, "open", dir);
        assertEquals(List.of("CubbyException: " + FLAG), lines.stream().map(MissingJvmFlagTest::flagOf)
            .collect(Collectors.toList()), lines::toString);
        assertEquals(before, list(dir), "no lock, no new file, none removed");
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertTrue(store.recoveryReport().cleanShutdown, store.recoveryReport()::toString);
            assertEquals(2, store.get(new byte[] { 1 })[0]);
        }
    }

    @Test
    void inspectWithoutTheExportFlagNamesTheFlag(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        Cubby.builder(dir).maxKeySize(8).maxValueSize(8).open().close();
        final List<String> lines = runWithoutFlag(tmp, "inspect", dir);
        assertEquals(List.of("CubbyException: " + FLAG), lines.stream().map(MissingJvmFlagTest::flagOf)
            .collect(Collectors.toList()), lines::toString);
    }

    /** "CubbyException: FLAG" when a line reports a CubbyException whose message holds the flag. */
    private static String flagOf(final String line)
    {
        return line.startsWith("CubbyException: ") && line.contains(FLAG) ? "CubbyException: " + FLAG : line;
    }

    private static List<String> runWithoutFlag(final Path tmp, final String action, final Path dir) throws Exception
    {
        final List<String> flags = ChildJvm.inheritedFlags().stream()
            .filter(flag -> !flag.contains("jdk.internal.misc")).collect(Collectors.toList());
        final Path output = tmp.resolve(action + ".out");
        final Process child = new ProcessBuilder(ChildJvm.command(Child.class, flags, action, dir.toString()))
            .redirectOutput(output.toFile()).redirectError(ChildJvm.stderrFile(output).toFile()).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), () -> "child finished\n" + ChildJvm.report(output));
        assertEquals(0, child.exitValue(), () -> ChildJvm.report(output));
        return Files.readAllLines(output);
    }

    private static List<String> list(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(file -> file.getFileName() + " " + file.toFile().length()).sorted()
                .collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /** Runs in the child JVM, started without the export flag: reports how the action failed, one line. */
    static final class Child
    {
        private Child()
        {
        }

        public static void main(final String[] args)
        {
            final Path dir = Path.of(args[1]);
            try
            {
                if ("open".equals(args[0]))
                {
                    Cubby.builder(dir).maxKeySize(8).maxValueSize(8).open().close();
                }
                else
                {
                    Cubby.inspect(dir);
                }
                System.out.println("OPENED");
            }
            catch (final CubbyException ex)
            {
                System.out.println("CubbyException: " + ex.getMessage());
            }
            catch (final Throwable ex)
            {
                System.out.println("UNEXPECTED " + ex);
            }
        }
    }
}
