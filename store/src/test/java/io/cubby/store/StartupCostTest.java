package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What a store costs a JVM beyond its own work: a JVM that creates, grows, checkpoints and closes a store with no
 * recording running initializes no part of the Flight Recorder (loading the first event class does: tens of
 * milliseconds of class loading), and a JVM that reopens it, reads and closes it also leaves the platform logging
 * alone (finding the logger initializes it, about 15 ms). A JVM that creates segment files loads the logging
 * anyway, through JNA's own logger for {@code fallocate}, and may log that JNA lacks native access (JDK 24 and
 * later): so the creating child is checked for the recorder only, and the reopening one writes nothing, so that
 * no growth prepares a file behind it. The events still flow once a recording runs:
 * {@code CacheFeaturesTest.flightRecorderEventsCoverRehashCheckpointRecoveryAndEviction}.
 */
class StartupCostTest
{
    @ParameterizedTest(name = "format version {0}")
    @ValueSource(ints = {1, 2})
    void withoutARecordingOrALogMessageAStoreLoadsNeitherTheFlightRecorderNorTheLogging(final int version,
        @TempDir final Path dir) throws IOException, InterruptedException
    {
        final Path store = dir.resolve("store");
        final List<String> created = run(dir, "create", store, version, "grew");
        assertEquals(List.of(), unwanted(created, false), "classes a creation without a recording should not load");
        final List<String> reopened = run(dir, "reopen", store, version, "reopened");
        assertEquals(List.of(), unwanted(reopened, true),
            "classes a reopen without a recording or a log message should not load");
    }

    private static List<String> run(final Path dir, final String mode, final Path store, final int version,
        final String expected) throws IOException, InterruptedException
    {
        final Path classes = dir.resolve(mode + "-classes.txt");
        final Path output = dir.resolve(mode + ".out");
        final List<String> flags = new ArrayList<>(ChildJvm.inheritedFlags());
        flags.add("-Xlog:class+load=info:file=" + classes);
        final Process child = new ProcessBuilder(ChildJvm.command(StartupChild.class, flags, mode,
            store.toString(), Integer.toString(version)))
            .redirectOutput(output.toFile()).redirectError(ChildJvm.stderrFile(output).toFile()).start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        assertEquals(0, child.exitValue(), () -> ChildJvm.report(output));
        assertEquals(List.of(expected), Files.readAllLines(output, StandardCharsets.UTF_8),
            () -> ChildJvm.report(output));
        final List<String> loaded = Files.readAllLines(classes, StandardCharsets.UTF_8);
        assertTrue(loaded.stream().anyMatch(line -> line.contains("io.cubby.store.Cubby ")),
            "the class-load log lists the store's classes");
        return loaded;
    }

    private static List<String> unwanted(final List<String> loaded, final boolean logging)
    {
        return loaded.stream()
            .filter(line -> line.contains("jdk.jfr.internal.") || line.contains("io.cubby.store.StoreEvents$") ||
                logging && (line.contains("java.util.logging.LogManager ") || line.contains("io.cubby.store.Log ")))
            .collect(Collectors.toList());
    }

    /**
     * The child. {@code create}: a small store (so that it grows), written, checkpointed, closed. {@code reopen}:
     * opened, read, closed.
     */
    static final class StartupChild
    {
        private StartupChild()
        {
        }

        public static void main(final String[] args) throws IOException
        {
            final Path dir = Path.of(args[1]);
            final int version = Integer.parseInt(args[2]);
            if ("create".equals(args[0]))
            {
                try (Cubby store = Cubby.builder(dir).formatVersion(version).maxKeySize(16).maxValueSize(16)
                    .expectedEntries(16).open())
                {
                    for (int i = 0; i < 2_000; i++)
                    {
                        store.put(bytes("k" + i), bytes("v" + i));
                    }
                    store.checkpoint();
                    System.out.println(store.stats().capacity > 16 ? "grew" : "did not grow");
                }
                return;
            }
            try (Cubby store = Cubby.builder(dir).open())
            {
                final byte[] value = store.get(bytes("k7"));
                System.out.println(null != value && "v7".equals(new String(value, StandardCharsets.UTF_8)) ?
                    "reopened" : "lost k7");
            }
        }

        private static byte[] bytes(final String text)
        {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }
}
