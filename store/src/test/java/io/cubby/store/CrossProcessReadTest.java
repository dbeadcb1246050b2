package io.cubby.store;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Read-only opens in other processes while one process writes (FORMAT.md §3.4): writers and readers are child
 * JVMs ({@link CrossProcessWriterChild}, {@link CrossProcessReaderChild}); readers check that every value they
 * read was written for its key and that versions never go backwards per key.
 */
class CrossProcessReadTest
{
    private static final int KEYS = 3000;
    /** Compactions in the campaigns, so that readers follow new generations however fast the writer grew. */
    private static final long COMPACT_EVERY = 25_000;

    @TempDir
    Path tmp;

    @Test
    void readersInOtherProcessesSeeOnlyWrittenValuesWhileTheStoreGrowsAndShrinks() throws Exception
    {
        runCampaign(2, 2_000, 0);
    }

    @Test
    void readersKeepReadingWhileTheWriterIsKilledAndRestarted() throws Exception
    {
        runCampaign(2, 2_500, 2);
    }

    /** Version 2: the readers follow each segment's growth through the manifest. */
    @Test
    void readersOfAVersion2StoreSeeOnlyWrittenValuesWhileItGrows() throws Exception
    {
        runCampaign(2, 2_000, 0, 2);
    }

    /**
     * Version 2 across kills and restarts: a killed writer's torn slot is reported as needing recovery, never as
     * plain corruption, also while the restarted writer recovers it.
     */
    @Test
    void readersOfAVersion2StoreKeepReadingWhileTheWriterIsKilledAndRestarted() throws Exception
    {
        runCampaign(2, 2_500, 2, 2);
    }

    @Test
    @Tag("slow")
    void manyReadersOverALongRunWithRepeatedKills() throws Exception
    {
        runCampaign(4, 30_000, 12);
    }

    @Test
    @Tag("slow")
    void manyReadersOverALongRunWithoutKills() throws Exception
    {
        runCampaign(4, 30_000, 0);
    }

    @Test
    void aReaderFollowsTheWriterThroughCompaction() throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Writer writer = Writer.start(dir, tmp.resolve("writer.out"), 1, 1000, 1500, true);
        try
        {
            writer.await("filled");
            try (Cubby reader = Cubby.builder(dir).readOnly(true).open())
            {
                assertTrue(reader.hasLiveWriter());
                final long[] seen = new long[1000];
                final long first = reader.stats().generation;
                long generation = first;
                int changes = 0;
                final long cap = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (changes < 3 && System.nanoTime() < cap)
                {
                    for (int id = 0; id < seen.length; id++)
                    {
                        final byte[] value = reader.get(CrossProcessValues.key(id));
                        assertNotNull(value, "key " + id + " is never removed, yet read as absent");
                        assertNull(CrossProcessValues.problem(id, value));
                        final long version = CrossProcessValues.version(value);
                        assertTrue(version >= seen[id], "key " + id + " went back to an older version");
                        seen[id] = version;
                    }
                    final long now = reader.stats().generation;
                    if (now != generation)
                    {
                        changes++;
                        generation = now;
                    }
                }
                assertTrue(changes >= 3, "the reader followed " + changes + " compactions in a minute\n" +
                    writer.report());
                assertTrue(reader.verify().isOk());
            }
        }
        finally
        {
            writer.stop();
        }
    }

    @Test
    void aReadOnlyOpenWorksInADirectoryItCannotWriteWhileAWriterIsLive() throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Writer writer = Writer.start(dir, tmp.resolve("writer.out"), 2, 500, 0, true);
        final List<Path> files = new ArrayList<>();
        try
        {
            writer.await("filled");
            try (Stream<Path> list = Files.list(dir))
            {
                list.forEach(files::add);
            }
            for (final Path file : files)
            {
                chmod(file, "r--r--r--");
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
            assumeFalse(Files.isWritable(dir), "permissions do not bind this user (root)");
            try (Cubby reader = Cubby.builder(dir).readOnly(true).open())
            {
                assertTrue(reader.hasLiveWriter());
                long newest = 0;
                for (int round = 0; round < 3; round++)
                {
                    for (int id = 0; id < 500; id++)
                    {
                        final byte[] value = reader.get(CrossProcessValues.key(id));
                        assertNotNull(value);
                        assertNull(CrossProcessValues.problem(id, value));
                        newest = Math.max(newest, CrossProcessValues.version(value));
                    }
                }
                assertTrue(newest > 0);
            }
            try (Stream<Path> list = Files.list(dir))
            {
                // the writer may have deleted a retired table meanwhile; nothing may have appeared
                assertEquals(List.of(), list.filter(f -> !files.contains(f)).toList(), "the reader created no file");
            }
        }
        finally
        {
            Files.setPosixFilePermissions(dir, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE));
            for (final Path file : files)
            {
                chmod(file, "rw-r--r--");
            }
            writer.stop();
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertTrue(store.verify().isOk());
        }
    }

    /**
     * Change a file's permissions unless the writer deleted it meanwhile (a retired table).
     */
    private static void chmod(final Path file, final String permissions) throws IOException
    {
        try
        {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        }
        catch (final java.nio.file.NoSuchFileException ignore)
        {
            // gone: nothing to change
        }
    }

    /**
     * A writer child, then readers; with {@code kills} > 0 the writer is SIGKILLed that many times while the
     * readers run, and restarted on the same store (each restart recovers it).
     */
    private void runCampaign(final int readers, final long readMillis, final int kills) throws Exception
    {
        runCampaign(readers, readMillis, kills, 1);
    }

    private void runCampaign(final int readers, final long readMillis, final int kills, final int formatVersion)
        throws Exception
    {
        final Path dir = tmp.resolve("store");
        // Version 1 compacts every so often, so its generations keep changing; version 2's writer instead
        // widens its key space far beyond the readers' keys (which it writes first), so its segments keep growing
        // through the read window.
        final long compactEvery = 1 == formatVersion ? COMPACT_EVERY : 0;
        final int writerKeys = 1 == formatVersion ? KEYS : 1_000_000;
        Writer writer = Writer.start(dir, tmp.resolve("writer-0.out"), 100, writerKeys, compactEvery, false,
            formatVersion);
        writer.await("ready");
        final List<Process> readerProcesses = new ArrayList<>();
        final List<Path> outputs = new ArrayList<>();
        final List<String> events = new ArrayList<>(); // when each writer was killed and the next one ready
        try
        {
            for (int i = 0; i < readers; i++)
            {
                final Path output = tmp.resolve("reader-" + i + ".out");
                outputs.add(output);
                readerProcesses.add(ChildJvm.start(CrossProcessReaderChild.class, output, dir.toString(),
                    Integer.toString(i), Integer.toString(KEYS), Long.toString(readMillis)));
            }
            for (int kill = 1; kill <= kills; kill++)
            {
                Thread.sleep(readMillis / (kills + 1));
                writer.kill();
                events.add("killed at " + System.currentTimeMillis());
                writer = Writer.start(dir, tmp.resolve("writer-" + kill + ".out"), 100 + kill, writerKeys,
                    compactEvery, false, formatVersion);
                writer.await("ready");
                events.add("ready at " + System.currentTimeMillis());
            }
            for (int i = 0; i < readers; i++)
            {
                final Process reader = readerProcesses.get(i);
                if (!reader.waitFor(5, TimeUnit.MINUTES))
                {
                    reader.destroyForcibly();
                    fail("reader " + i + " did not finish\n" + ChildJvm.report(outputs.get(i)));
                }
                assertEquals(0, reader.exitValue(), ChildJvm.report(outputs.get(i)));
                final String line = Files.readAllLines(outputs.get(i)).stream().filter(l -> l.startsWith("reads "))
                    .findFirst().orElse(null);
                assertNotNull(line, ChildJvm.report(outputs.get(i)));
                final String[] f = line.split(" ");
                assertEquals("0", f[f.length - 1], "violations (writer " + events + "): " +
                    ChildJvm.report(outputs.get(i)));
                assertTrue(Long.parseLong(f[3]) > 0, "the reader found written keys: " + line);
                assertTrue(Long.parseLong(f[10]) > Long.parseLong(f[9]), "the reader followed growth: " + line);
            }
        }
        finally
        {
            for (final Process reader : readerProcesses)
            {
                reader.destroyForcibly();
            }
            writer.stop();
        }
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertTrue(store.verify().isOk(), "the store verifies after the campaign");
        }
    }

    /**
     * A writer child and its stdout.
     */
    private static final class Writer
    {
        final Process process;
        final BufferedReader out;
        final Path stderr;

        private Writer(final Process process, final Path stderr)
        {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.stderr = stderr;
        }

        static Writer start(final Path dir, final Path output, final long seed, final int keys, final long compactEvery,
            final boolean fill) throws IOException
        {
            return start(dir, output, seed, keys, compactEvery, fill, 1);
        }

        static Writer start(final Path dir, final Path output, final long seed, final int keys, final long compactEvery,
            final boolean fill, final int formatVersion) throws IOException
        {
            final Path stderr = ChildJvm.stderrFile(output);
            final Process process = ChildJvm.builder(CrossProcessWriterChild.class, stderr, dir.toString(),
                Long.toString(seed), Integer.toString(keys), Long.toString(compactEvery), Boolean.toString(fill),
                Integer.toString(formatVersion)).start();
            return new Writer(process, stderr);
        }

        void await(final String expected) throws IOException
        {
            String line;
            while (null != (line = out.readLine()))
            {
                if (line.equals(expected))
                {
                    drain();
                    return;
                }
            }
            fail("writer ended before '" + expected + "'\n" + report());
        }

        /**
         * Read the rest of stdout in the background, so the child never blocks on a full pipe.
         */
        private void drain()
        {
            final Thread drain = new Thread(() ->
            {
                try
                {
                    while (null != out.readLine())
                    {
                        // discard
                    }
                }
                catch (final IOException ignore)
                {
                    // ended
                }
            }, "writer-stdout");
            drain.setDaemon(true);
            drain.start();
        }

        String report()
        {
            return ChildJvm.report(null, stderr);
        }

        void kill() throws InterruptedException
        {
            process.destroyForcibly();
            assertTrue(process.waitFor(1, TimeUnit.MINUTES));
        }

        void stop() throws Exception
        {
            if (!process.isAlive())
            {
                return;
            }
            process.getOutputStream().close();
            if (!process.waitFor(2, TimeUnit.MINUTES))
            {
                process.destroyForcibly();
                fail("writer did not stop\n" + report());
            }
            assertEquals(0, process.exitValue(), report());
        }
    }
}
