package io.cubby.store;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Linearizability of {@code get}, {@code put}, {@code remove} and {@code containsKey} against a {@link HashMap},
 * checked by Lincheck on a tiny table: every scenario starts right after a rehash began (migration step 1), so the
 * operations run while entries move from the old table to the new one, and their writes finish that rehash or start
 * the next one.
 * <p>
 * The default build runs a short stress test and a short model-checking run;
 * {@code mvn -Pslow -pl store verify -Dtest=LincheckStoreTest} adds longer ones. On JDK 17 Lincheck needs no extra
 * JVM flags: it attaches its agent at run time (newer JDKs print a warning unless given
 * {@code -XX:+EnableDynamicAgentLoading}).
 */
public class LincheckStoreTest extends LincheckMapOperations
{
    /** Keys the operations never touch, written before each scenario to bring the table to the brink of growth. */
    private static final long FILLER_TAG = 0xF111_0000_0000_0000L;
    private static final Path ROOT = scratchRoot();
    private static Cubby previous;
    private static long instances;

    public LincheckStoreTest()
    {
        super(open());
        previous = store;
        long filler = 0;
        while (!store.stats().rehashInProgress)
        {
            store.put(fillerKey(filler++), encode(0));
        }
    }

    @Test
    void stressShort()
    {
        new StressOptions()
            .iterations(4)
            .invocationsPerIteration(40)
            .threads(2)
            .actorsPerThread(4)
            .actorsBefore(2)
            .actorsAfter(2)
            .sequentialSpecification(Spec.class)
            .check(LincheckStoreTest.class);
    }

    @Test
    void modelCheckingShort()
    {
        modelChecking().iterations(3).invocationsPerIteration(20).check(LincheckStoreTest.class);
    }

    @Test
    @Tag("slow")
    void stressLong()
    {
        new StressOptions()
            .iterations(100)
            .invocationsPerIteration(1_000)
            .threads(3)
            .actorsPerThread(4)
            .actorsBefore(3)
            .actorsAfter(2)
            .sequentialSpecification(Spec.class)
            .check(LincheckStoreTest.class);
    }

    @Test
    @Tag("slow")
    void modelCheckingLong()
    {
        modelChecking().iterations(50).invocationsPerIteration(500).check(LincheckStoreTest.class);
    }

    /**
     * The model checker interleaves threads at shared-memory accesses it can see. It cannot follow accesses to
     * mapped memory (Agrona buffers and XXH3 read it through {@code Unsafe} at raw addresses, which Lincheck 3.7
     * fails on), nor file operations, which it refuses. Those are ignored here: they run without switch points,
     * which matches how the store uses them (under its write lock, or as single aligned loads validated by a
     * {@code StampedLock} stamp). What is explored is the lock and stamp protocol and the table/migration state.
     */
    private static ModelCheckingOptions modelChecking()
    {
        return new ModelCheckingOptions()
            .threads(2)
            .actorsPerThread(3)
            .actorsBefore(1)
            .actorsAfter(1)
            .addGuarantee(forClasses(name -> name.startsWith("org.agrona.") || name.startsWith("net.openhft.hashing."))
                .allMethods().ignore())
            .addGuarantee(forClasses("io.cubby.store.Verifier", "io.cubby.store.Storage", "io.cubby.store.Wal")
                .allMethods().ignore())
            .addGuarantee(forClasses("io.cubby.store.Table")
                .methods("create", "open", "delete", "force", "forceHeader", "close").ignore())
            .addGuarantee(forClasses("io.cubby.store.Cubby")
                .methods("beginRehash", "completeRehashLocked", "scheduleRetire").ignore())
            .sequentialSpecification(Spec.class);
    }

    @AfterAll
    static void cleanUp()
    {
        closePrevious();
        deleteRecursively(ROOT);
    }

    /**
     * The sequential specification: a {@link HashMap} with the store's return conventions.
     */
    public static final class Spec
    {
        private final Map<Integer, Integer> map = new HashMap<>();

        public Integer get(final int key)
        {
            return map.get(key);
        }

        public boolean put(final int key, final int value)
        {
            return null == map.put(key, value);
        }

        public boolean remove(final int key)
        {
            return null != map.remove(key);
        }

        public boolean containsKey(final int key)
        {
            return map.containsKey(key);
        }
    }

    /**
     * Lincheck builds one instance per scenario run and has no tear-down hook: the previous store is closed here,
     * so at most one is open at a time.
     */
    private static Cubby open()
    {
        closePrevious();
        return Cubby.builder(ROOT.resolve("store-" + instances++)).formatVersion(1)
            .maxKeySize(8)
            .maxValueSize(4)
            .expectedEntries(1)
            .migrationStep(1)
            .open();
    }

    private static byte[] fillerKey(final long n)
    {
        return ByteBuffer.allocate(8).putLong(FILLER_TAG | n).array();
    }

    private static void closePrevious()
    {
        if (null != previous)
        {
            previous.close();
            deleteRecursively(previous.directory());
            previous = null;
        }
    }

    /**
     * Stores go to memory-backed {@code /dev/shm} where available: a scenario run opens a store, and forcing files
     * to a disk would dominate the run time.
     */
    private static Path scratchRoot()
    {
        try
        {
            final Path shm = Paths.get("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ?
                Files.createTempDirectory(shm, "cubby-lincheck-") : Files.createTempDirectory("cubby-lincheck-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteRecursively(final Path root)
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(root))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
