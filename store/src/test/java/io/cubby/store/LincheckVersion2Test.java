package io.cubby.store;

import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * {@link LincheckStoreTest}'s linearizability check of {@code get}, {@code put}, {@code remove} and
 * {@code containsKey} against a {@link java.util.HashMap} ({@link LincheckStoreTest.Spec}), on a format-version-2
 * store of one segment of one group (15 slots, at most 14 entries), brought to the brink of growth before each
 * scenario (11 entries), so that the scenario's inserts grow it while the other thread reads and writes. Stress mode only: the model checker cannot follow
 * the optimistic reads of the segments' sequence words, which go through mapped memory it does not see.
 */
public class LincheckVersion2Test extends LincheckMapOperations
{
    private static final long FILLER_TAG = 0xF222_0000_0000_0000L;
    /** Filler entries: a fourth new key reaches Max Load (14 of 15 slots) and grows the segment. */
    private static final int FILLERS = 11;
    private static final Path ROOT = scratchRoot();
    private static Cubby previous;
    private static long instances;

    public LincheckVersion2Test()
    {
        super(open());
        previous = store;
        for (int i = 0; i < FILLERS; i++)
        {
            store.put(ByteBuffer.allocate(8).putLong(FILLER_TAG | i).array(), encode(0));
        }
    }

    @Test
    void stressShort()
    {
        stress(4, 40, 2);
    }

    @Test
    @Tag("slow")
    void stressLong()
    {
        stress(100, 1_000, 3);
    }

    private static void stress(final int iterations, final int invocations, final int threads)
    {
        new StressOptions()
            .iterations(iterations)
            .invocationsPerIteration(invocations)
            .threads(threads)
            .actorsPerThread(4)
            .actorsBefore(2)
            .actorsAfter(2)
            .sequentialSpecification(LincheckStoreTest.Spec.class)
            .check(LincheckVersion2Test.class);
    }

    @AfterAll
    static void cleanUp()
    {
        closePrevious();
        try (Stream<Path> files = Files.walk(ROOT))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** One store per scenario run and no tear-down hook: the previous store is closed here. */
    private static Cubby open()
    {
        closePrevious();
        return Cubby.builder(ROOT.resolve("store-" + instances++)).formatVersion(2).segments(1).maxKeySize(8)
            .maxValueSize(4).expectedEntries(0).open();
    }

    private static void closePrevious()
    {
        if (null != previous)
        {
            final Path dir = previous.directory();
            previous.close();
            try (Stream<Path> files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            previous = null;
        }
    }

    /** Stores go to memory-backed {@code /dev/shm} where available, as {@link LincheckStoreTest}'s. */
    private static Path scratchRoot()
    {
        try
        {
            final Path shm = Paths.get("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ?
                Files.createTempDirectory(shm, "cubby-lincheck-v2-") : Files.createTempDirectory("cubby-lincheck-v2-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
