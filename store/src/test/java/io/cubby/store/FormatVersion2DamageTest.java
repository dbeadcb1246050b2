package io.cubby.store;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static io.cubby.store.StoreTestSupport.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged version-2 store directories, used as a user would: the store must either work or fail with one of its
 * documented exceptions ({@link CubbyException} subclasses, caused by nothing but I/O errors), never with another
 * exception, a hang or a JVM crash; a read-only open never changes a byte, and a failed writable open changes none.
 * <p>
 * Each case takes one of five small valid stores (a clean close; a copy of an open SYNC store holding log
 * records to replay; a copy taken while segments rehash; a copy of an open store with expiry and deadlines; a copy
 * of an open store bounded by maxEntries, whose log holds evictions), damages it from a seeded generator (bytes overwritten in
 * the manifest, a segment header, its tag groups or slots, or the log; a file truncated, extended or deleted), then
 * opens it read-only (gets, scans, iteration, size, stats, verify), then writable (recovery, writes, reads,
 * checkpoint, verify), closes and reopens it. A case that damages nothing must pass every phase and verify clean.
 * The default build runs a few hundred cases; the slow variant many thousands.
 */
class FormatVersion2DamageTest
{
    private static final int KEYS = 60;
    private static final long CASE_TIMEOUT_SECONDS = 60;
    private static final java.util.logging.Logger STORE_LOGGER = java.util.logging.Logger.getLogger("io.cubby.store");

    private static Path root;
    private static final List<Path> bases = new ArrayList<>();
    private static ExecutorService worker;
    private static Thread workerThread;

    @BeforeAll
    static void makeStores() throws Exception
    {
        STORE_LOGGER.setLevel(java.util.logging.Level.OFF);
        // on tmpfs where there is one: recovery forces what it repairs
        final Path shm = Path.of("/dev/shm");
        root = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "cubby-v2-damage") :
            Files.createTempDirectory("cubby-v2-damage");
        worker = Executors.newSingleThreadExecutor(runnable ->
        {
            workerThread = new Thread(runnable, "damage-case");
            workerThread.setDaemon(true);
            return workerThread;
        });
        final Path clean = root.resolve("base-clean");
        try (Cubby store = builder(clean).durability(Durability.SYNC).open())
        {
            fill(store, 1);
        }
        bases.add(clean);
        final Path unclean = root.resolve("base-unclean");
        final Path live = root.resolve("live-unclean");
        try (Cubby store = builder(live).durability(Durability.SYNC).open())
        {
            fill(store, 2);
            CrashPointEnumerationTest.copyFiles(live, unclean);
        }
        bases.add(unclean);
        final Path rehashing = root.resolve("base-rehashing");
        final Path growing = root.resolve("live-rehashing");
        try (Cubby store = builder(growing).durability(Durability.NONE).open())
        {
            final long before = store.stats().generation;
            int i = 0;
            while (!store.stats().rehashInProgress || store.stats().generation == before)
            {
                store.put(bytes("g" + i), bytes("value-" + i++));
            }
            CrashPointEnumerationTest.copyFiles(growing, rehashing);
        }
        bases.add(rehashing);
        final Path expiry = root.resolve("base-expiry");
        final Path expiring = root.resolve("live-expiry");
        try (Cubby store = builder(expiring).expiry(true).durability(Durability.SYNC).open())
        {
            fill(store, 3);
            for (int i = 0; i < KEYS; i += 3)
            {
                store.put(bytes("k" + i), bytes("t" + i), java.time.Duration.ofHours(1 + i % 2));
            }
            CrashPointEnumerationTest.copyFiles(expiring, expiry);
        }
        bases.add(expiry);
        final Path bounded = root.resolve("base-bounded");
        final Path evicting = root.resolve("live-bounded");
        try (Cubby store = builder(evicting).maxEntries(40).durability(Durability.SYNC).open())
        {
            fill(store, 4);
            CrashPointEnumerationTest.copyFiles(evicting, bounded);
        }
        bases.add(bounded);
    }

    @AfterAll
    static void cleanUp() throws IOException
    {
        worker.shutdownNow();
        STORE_LOGGER.setLevel(null);
        CrashPointEnumerationTest.deleteDirectory(root);
    }

    private static Cubby.Builder builder(final Path dir)
    {
        return Cubby.builder(dir).formatVersion(2).segments(2).maxKeySize(16).maxValueSize(24).expectedEntries(16)
            .logSize(1 << 16).closeOnJvmShutdown(false);
    }

    private static void fill(final Cubby store, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 400; i++)
        {
            final String key = "k" + random.nextInt(KEYS);
            if (random.nextInt(4) == 0)
            {
                store.remove(bytes(key));
            }
            else
            {
                store.put(bytes(key), bytes("v" + i + "-" + "x".repeat(random.nextInt(10))));
            }
        }
    }

    @Test
    void damagedStoresWorkOrFailWithADocumentedErrorAndAFailedOpenChangesNothing() throws Exception
    {
        run(300, 7);
    }

    /**
     * A case the slow campaign found (seed 20261204, case 2407): a cleanly closed store whose segment file's Stale
     * Overflow and slots were overwritten; a clean-up compaction into a file of the same size then met a put of a
     * key still in the source with the file at Max Load, which was an internal IllegalStateException ("is full").
     */
    @Test
    void aPutIntoAFileItsCountsSayIsFullIsADocumentedError() throws Exception
    {
        runCase(3649604153222169035L, -1);
    }

    @Test
    @Tag("slow")
    void manyDamagedStores() throws Exception
    {
        run(5000, 99);
    }

    /** Cases per outcome: read-only phase failed, writable phase failed, every phase ran. */
    private static final java.util.concurrent.atomic.AtomicLongArray outcomes =
        new java.util.concurrent.atomic.AtomicLongArray(3);

    private static void run(final int cases, final long seed) throws Exception
    {
        final SplittableRandom seeds = new SplittableRandom(seed);
        for (int c = 0; c < cases; c++)
        {
            final long caseSeed = seeds.nextLong();
            final int number = c;
            final Future<?> result = worker.submit(() ->
            {
                runCase(caseSeed, number);
                return null;
            });
            try
            {
                result.get(CASE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            catch (final TimeoutException ex)
            {
                final AssertionError hang = new AssertionError("case " + c + " (seed " + caseSeed + ") still " +
                    "running after " + CASE_TIMEOUT_SECONDS + " s: a hang (its stack attached)");
                hang.setStackTrace(workerThread.getStackTrace());
                throw hang;
            }
            catch (final ExecutionException ex)
            {
                throw new AssertionError("case " + c + " (seed " + caseSeed + "): " + ex.getCause(), ex.getCause());
            }
            if (c % 500 == 499)
            {
                System.gc(); // mappings are released by the collector only
            }
        }
        System.out.println("version-2 damage cases: " + cases + "; read-only phase failed " + outcomes.get(0) +
            ", writable phase failed " + outcomes.get(1) + ", every phase ran " + outcomes.get(2));
        // the generator reaches both answers: damage that is refused and damage the store works through
        assertTrue(outcomes.get(1) > 0 && outcomes.get(2) > 0, "outcomes " + outcomes);
    }

    private static void runCase(final long seed, final int number) throws Exception
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final Path base = bases.get(random.nextInt(bases.size()));
        final Path dir = root.resolve("case-" + number);
        CrashPointEnumerationTest.copyFiles(base, dir);
        try
        {
            final String damage = damage(dir, random);
            final boolean undamaged = null == damage;
            final String context = base.getFileName() + ", " + (undamaged ? "undamaged" : damage) + ", seed " + seed;
            final Map<String, String> before = StoreFiles.fingerprint(dir);
            if (!attempt(() -> readOnlyPhase(dir), undamaged, context + ", read-only"))
            {
                outcomes.incrementAndGet(0);
            }
            assertEquals(before, StoreFiles.fingerprint(dir), context + ": a read-only open changed the store");
            final boolean opened = attempt(() -> writablePhase(dir, random.nextLong(), undamaged), undamaged,
                context + ", writable");
            if (!opened)
            {
                // the phase failed: if the open itself failed, nothing may have changed (checked inside)
                outcomes.incrementAndGet(1);
                return;
            }
            attempt(() -> reopenPhase(dir, undamaged), undamaged, context + ", reopen");
            outcomes.incrementAndGet(2);
        }
        finally
        {
            CrashPointEnumerationTest.deleteDirectory(dir);
        }
    }

    /** @return what was damaged, or null if nothing. */
    private static String damage(final Path dir, final SplittableRandom random) throws IOException
    {
        if (random.nextInt(20) == 0)
        {
            return null;
        }
        final List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(dir))
        {
            listing.filter(f -> !f.getFileName().toString().equals(StoreLock.FILE_NAME)).sorted()
                .forEach(files::add);
        }
        final Path file = files.get(random.nextInt(files.size()));
        final String name = file.getFileName().toString();
        final long length = Files.size(file);
        final int kind = random.nextInt(10);
        if (kind == 0)
        {
            Files.delete(file);
            return "deleted " + name;
        }
        if (kind == 1)
        {
            final long to = random.nextLong(Math.max(1, length));
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
            {
                f.setLength(to);
            }
            return "truncated " + name + " to " + to;
        }
        if (kind == 2)
        {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
            {
                f.setLength(length + 1 + random.nextInt(8192));
            }
            return "extended " + name;
        }
        final StringBuilder text = new StringBuilder("overwrote " + name + " at");
        final int writes = 1 + random.nextInt(6);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
        {
            for (int w = 0; w < writes && length > 0; w++)
            {
                // headers and the first groups half the time: the fields every open validates
                final long offset = random.nextBoolean() ? random.nextLong(Math.min(length, 4096 + 512)) :
                    random.nextLong(length);
                final byte[] bytes = new byte[1 + random.nextInt(random.nextBoolean() ? 2 : 16)];
                random.nextBytes(bytes);
                if (random.nextBoolean())
                {
                    // small changes to a little-endian field: lengths, counts, generations off by a little
                    bytes[0] = (byte)(readByte(f, offset) + (random.nextBoolean() ? 1 : -1));
                }
                f.seek(offset);
                f.write(bytes, 0, (int)Math.min(bytes.length, length - offset));
                text.append(' ').append(offset);
            }
        }
        return text.toString();
    }

    private static int readByte(final RandomAccessFile f, final long offset) throws IOException
    {
        f.seek(offset);
        return f.read();
    }

    private static void readOnlyPhase(final Path dir)
    {
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            readEverything(store);
        }
    }

    private static void readEverything(final Cubby store)
    {
        for (int k = 0; k < KEYS; k++)
        {
            final int key = k;
            attemptEach(() -> store.get(bytes("k" + key)));
            attemptEach(() -> store.containsKey(bytes("g" + key)));
        }
        attemptEach(() -> store.forEach((k, ko, kl, v, vo, vl) -> { }, (k, ko, kl, problem) -> { }));
        attemptEach(() ->
        {
            for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
            {
                it.next();
            }
        });
        attemptEach(store::size);
        attemptEach(store::stats);
        attemptEach(store::verify);
    }

    private static void writablePhase(final Path dir, final long seed, final boolean undamaged) throws Exception
    {
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final Cubby store;
        try
        {
            store = builder(dir).open();
        }
        catch (final CubbyException ex)
        {
            assertEquals(before, StoreFiles.fingerprint(dir), "a failed open changed the store: " + ex);
            throw ex;
        }
        try (store)
        {
            readEverything(store);
            final SplittableRandom random = new SplittableRandom(seed);
            for (int i = 0; i < 60; i++)
            {
                final String key = "k" + random.nextInt(KEYS);
                final int op = random.nextInt(10);
                if (op < 5)
                {
                    attemptEach(() -> store.put(bytes(key), bytes("w" + key)));
                }
                else if (op < 8)
                {
                    attemptEach(() -> store.remove(bytes(key)));
                }
                else if (op < 9)
                {
                    attemptEach(() -> store.get(bytes(key)));
                }
                else
                {
                    attemptEach(store::checkpoint);
                }
            }
            final VerifyReport report = store.verify();
            if (undamaged)
            {
                assertTrue(report.isOk(), "an undamaged store, recovered, verifies clean: " + report.problems);
            }
        }
    }

    private static void reopenPhase(final Path dir, final boolean undamaged)
    {
        try (Cubby store = builder(dir).open())
        {
            readEverything(store);
            if (undamaged)
            {
                assertTrue(store.verify().isOk());
            }
        }
    }

    private interface Action
    {
        void run() throws Exception;
    }

    /**
     * Run one operation of a phase: a documented failure of a damaged store is an answer, not a finding.
     */
    private static void attemptEach(final Action action)
    {
        try
        {
            action.run();
        }
        catch (final CubbyException ex)
        {
            checkDocumented(ex);
            if (undamagedCase.get())
            {
                throw new AssertionError("an undamaged store failed: " + ex, ex);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new AssertionError("unexpected checked exception", ex);
        }
    }

    private static final ThreadLocal<Boolean> undamagedCase = ThreadLocal.withInitial(() -> false);

    /** @return whether the phase ran to its end. */
    private static boolean attempt(final Action phase, final boolean undamaged, final String context)
    {
        undamagedCase.set(undamaged);
        try
        {
            phase.run();
            return true;
        }
        catch (final CubbyException ex)
        {
            if (undamaged)
            {
                throw new AssertionError(context + ": an undamaged store failed: " + ex, ex);
            }
            checkDocumented(ex);
            return false;
        }
        catch (final RuntimeException | Error ex)
        {
            throw new AssertionError(context + ": " + ex, ex);
        }
        catch (final Exception ex)
        {
            throw new AssertionError(context + ": unexpected checked exception " + ex, ex);
        }
        finally
        {
            undamagedCase.set(false);
        }
    }

    /** A store exception may carry an I/O error as its cause, not a programming error it merely wraps. */
    private static void checkDocumented(final CubbyException ex)
    {
        for (Throwable cause = ex.getCause(); null != cause; cause = cause.getCause())
        {
            if (!(cause instanceof CubbyException || cause instanceof IOException ||
                cause instanceof UncheckedIOException))
            {
                throw new AssertionError("a store exception wraps " + cause, ex);
            }
        }
    }
}
