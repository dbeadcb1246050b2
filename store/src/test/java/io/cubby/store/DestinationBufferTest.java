package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The allocation-free {@code get} into a caller's buffer: an offset outside the buffer, or a value that does not
 * fit, is an {@link IndexOutOfBoundsException} naming the sizes, and no byte of the buffer is written: also in a
 * JVM that disables Agrona's bounds checks, where a copy past the buffer would write foreign memory.
 */
class DestinationBufferTest
{
    private static final byte[] KEY = "key".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = "a value of 19 bytes".getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void aValueThatDoesNotFitIsRefusedAndNothingIsWritten(final int version, @TempDir final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(64).open())
        {
            assertEquals(List.of(), check(store));
        }
    }

    @Test
    void withAgronaBoundsChecksOffTheStoreStillChecks(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final Path output = dir.resolve("child.out");
        final List<String> flags = new ArrayList<>(ChildJvm.inheritedFlags());
        flags.add("-Dagrona.disable.bounds.checks=true");
        final Process child = new ProcessBuilder(ChildJvm.command(Child.class, flags, dir.toString()))
            .redirectOutput(output.toFile()).redirectError(ChildJvm.stderrFile(output).toFile()).start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        assertEquals(0, child.exitValue(), () -> ChildJvm.report(output));
        assertEquals(List.of("v1 ok", "v2 ok"), Files.readAllLines(output, StandardCharsets.UTF_8),
            () -> ChildJvm.report(output));
    }

    /** The checks, each a line of the returned list if it failed. */
    static List<String> check(final Cubby store)
    {
        final List<String> failures = new ArrayList<>();
        store.put(KEY, VALUE);
        final UnsafeBuffer key = new UnsafeBuffer(KEY);
        final byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte)7);
        // a view of 20 bytes at 8 of a 32-byte array: bytes outside it tell a copy past its end
        final UnsafeBuffer dst = new UnsafeBuffer(bytes, 8, 20);
        expectRefused(failures, "value at offset 2", () -> store.get(key, 0, KEY.length, dst, 2),
            "but the value has 19");
        expectRefused(failures, "offset -1", () -> store.get(key, 0, KEY.length, dst, -1), "outside buffer");
        expectRefused(failures, "offset 21", () -> store.get(key, 0, KEY.length, dst, 21), "outside buffer");
        final byte[] untouched = new byte[32];
        Arrays.fill(untouched, (byte)7);
        if (!Arrays.equals(untouched, bytes))
        {
            failures.add("bytes written by refused reads: " + Arrays.toString(bytes));
        }
        final int length = store.get(key, 0, KEY.length, dst, 1);
        if (length != VALUE.length || bytes[8] != 7 || bytes[8 + 1 + VALUE.length] != 7 ||
            !Arrays.equals(VALUE, Arrays.copyOfRange(bytes, 9, 9 + VALUE.length)))
        {
            failures.add("a value that fits: length " + length + ", bytes " + Arrays.toString(bytes));
        }
        if (Cubby.MISSING != store.get(new UnsafeBuffer("absent".getBytes(StandardCharsets.UTF_8)), 0, 6, dst, 20))
        {
            failures.add("an absent key at the end of dst is not MISSING");
        }
        return failures;
    }

    private static void expectRefused(final List<String> failures, final String what, final Runnable read,
        final String message)
    {
        try
        {
            read.run();
            failures.add(what + ": not refused");
        }
        catch (final IndexOutOfBoundsException ex)
        {
            if (null == ex.getMessage() || !ex.getMessage().contains(message))
            {
                failures.add(what + ": " + ex);
            }
        }
    }

    /** A JVM with Agrona's bounds checks off: each format version's checks, one line each. */
    static final class Child
    {
        private Child()
        {
        }

        public static void main(final String[] args)
        {
            for (final int version : new int[] {1, 2})
            {
                try (Cubby store = Cubby.builder(Path.of(args[0], "v" + version)).formatVersion(version)
                    .maxKeySize(16).maxValueSize(64).open())
                {
                    final List<String> failures = check(store);
                    System.out.println("v" + version + (failures.isEmpty() ? " ok" : " " + failures));
                }
            }
        }
    }
}
