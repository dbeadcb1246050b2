package io.cubby.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crash-point enumeration: a {@link CrashPoints} hook fires at every numbered step of every write protocol
 * (FORMAT.md §5a) while a deterministic operation sequence runs (puts, updates, removes across several growths,
 * migrations one slot per write, compactions, checkpoints, log wraps, close and reopen). At each selected firing
 * the store files are copied as they are — exactly what a process kill at that instant leaves, since mapped bytes
 * are in the page cache — and the copy is opened, recovered and checked: verify() clean, and its contents equal
 * either the acknowledged state before the operation in flight or the state after it, nothing else. For a part of
 * the images the recovery itself is enumerated too: every crash point reached while recovering the copy yields a
 * second copy, which must recover to one of the same two states (a kill during recovery, then another recovery).
 * <p>
 * The default build checks every firing of rare points and a deterministic stride of frequent ones; the slow
 * variant checks every firing of every point.
 */
class CrashPointEnumerationTest
{
    private static final int MAX_KEYS = 300;

    /**
     * Crash images on tmpfs where there is one: the check forces every file it recovers, and on a disk the
     * forces dominate the run time.
     */
    static final class MemoryTempDir implements org.junit.jupiter.api.io.TempDirFactory
    {
        @Override
        public Path createTempDirectory(
            final org.junit.jupiter.api.extension.AnnotatedElementContext elementContext,
            final org.junit.jupiter.api.extension.ExtensionContext extensionContext) throws IOException
        {
            final Path shm = Path.of("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ?
                Files.createTempDirectory(shm, "cubby-crash-points") : Files.createTempDirectory("cubby-crash-points");
        }
    }

    /** Thousands of recoveries each log a line at INFO: keep the build output readable. */
    private static final java.util.logging.Logger STORE_LOGGER = java.util.logging.Logger.getLogger("io.cubby.store");

    @org.junit.jupiter.api.BeforeEach
    void quiet()
    {
        STORE_LOGGER.setLevel(java.util.logging.Level.WARNING);
    }

    @AfterEach
    void uninstall()
    {
        CrashPoints.Hook.installed = null;
        STORE_LOGGER.setLevel(null);
    }

    @ParameterizedTest
    @EnumSource(Durability.class)
    void everyCrashPointRecoversToTheOldOrTheNewStateOfTheOperationInFlight(
        final Durability durability, @TempDir(factory = MemoryTempDir.class) final Path tmp) throws Exception
    {
        final Enumerator enumerator = new Enumerator(tmp, durability, 16, 8, 20);
        enumerator.run(Durability.NONE == durability ? 2500 : 1800, 7);
        enumerator.report();
    }

    @ParameterizedTest
    @EnumSource(Durability.class)
    @Tag("slow")
    void everyFiringOfEveryCrashPointRecoversToTheOldOrTheNewState(
        final Durability durability, @TempDir(factory = MemoryTempDir.class) final Path tmp) throws Exception
    {
        final Enumerator enumerator = new Enumerator(tmp, durability, Integer.MAX_VALUE, 1, 10);
        enumerator.run(Durability.NONE == durability ? 5000 : 3000, 11);
        enumerator.report();
    }

    /**
     * Runs the sequence and checks the crash images; see the class comment.
     */
    static final class Enumerator implements CrashPoints
    {
        private final Path tmp;
        private final Path live;
        private final Durability durability;
        private final int everyFiringUpTo;
        private final int stride;
        private final int nestedEvery;
        private final Map<String, Integer> firings = new TreeMap<>();
        private final Map<String, Integer> checkedPerPoint = new TreeMap<>();
        private Map<String, String> before = new HashMap<>();
        private Map<String, String> after = new HashMap<>();
        private String inFlight = "none";
        private volatile boolean checking;
        private Thread capturingThread;
        private List<Path> nestedImages;
        private List<String> nestedPoints;
        private long images;
        private long nestedChecked;
        private long imageNumber;

        /**
         * @param everyFiringUpTo check every firing of a point up to this many, then one in {@code stride}.
         * @param stride          see above.
         * @param nestedEvery     enumerate the recovery of one checked image in this many.
         */
        Enumerator(
            final Path tmp, final Durability durability, final int everyFiringUpTo, final int stride,
            final int nestedEvery)
        {
            this.tmp = tmp;
            this.live = tmp.resolve("live");
            this.durability = durability;
            this.everyFiringUpTo = everyFiringUpTo;
            this.stride = stride;
            this.nestedEvery = nestedEvery;
        }

        private Cubby.Builder builder(final Path dir)
        {
            return Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(24).expectedEntries(8)
                .migrationStep(1)
                .durability(durability).logSize(1 << 16).preallocate(false);
        }

        void run(final int operations, final long seed) throws Exception
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final Map<String, String> model = new HashMap<>();
            Cubby store = builder(live).open();
            CrashPoints.Hook.installed = this;
            try
            {
                for (int i = 0; i < operations; i++)
                {
                    final int op = random.nextInt(1000);
                    // Waves of inserts and of removals: the table grows, then fills with tombstones and compacts.
                    final boolean removing = (i / 150) % 3 == 2;
                    // A key space that widens as the sequence goes: the table keeps growing, and writes often meet
                    // keys still waiting in the source of a migration.
                    final boolean migrating = null != store.sourceTable() && !model.isEmpty();
                    // While a migration is in flight, writes go to keys already stored, most of them still in the
                    // source table: the paths that touch both tables.
                    final String key = migrating ?
                        new ArrayList<>(new java.util.TreeSet<>(model.keySet())).get(random.nextInt(model.size())) :
                        "k" + random.nextInt(Math.min(MAX_KEYS, 16 + i / 4));
                    before = new HashMap<>(model);
                    if (op < 3)
                    {
                        begin("compact", model);
                        store.compact();
                    }
                    else if (op < 10)
                    {
                        begin("reopen", model);
                        store.close();
                        store = builder(live).open();
                    }
                    else if (op < 40 || (Durability.NONE == durability && op < 600))
                    {
                        // In NONE the log holds structural records only: frequent checkpoints make it wrap.
                        begin("checkpoint", model);
                        store.checkpoint();
                    }
                    else if (removing || migrating ? op < 700 : op < 250)
                    {
                        model.remove(key);
                        begin("remove " + key, model);
                        store.remove(bytes(key));
                    }
                    else
                    {
                        final String value = "v" + i + "-" + "x".repeat(random.nextInt(14));
                        model.put(key, value);
                        begin("put " + key + " " + value, model);
                        store.put(bytes(key), bytes(value));
                    }
                    synchronized (this)
                    {
                        inFlight = "none";
                        before = after;
                    }
                }
                begin("close", model);
                store.close();
            }
            finally
            {
                CrashPoints.Hook.installed = null;
                store.close();
            }
            try (Cubby reopened = builder(live).open())
            {
                StoreTestSupport.assertMatchesModel(reopened, model, "live store after the sequence");
            }
        }

        private synchronized void begin(final String operation, final Map<String, String> model)
        {
            inFlight = operation;
            after = new HashMap<>(model);
        }

        @Override
        public void reached(final String point)
        {
            if (Thread.currentThread() == capturingThread)
            {
                captureNested(point);
                return;
            }
            if (checking)
            {
                return;
            }
            synchronized (this)
            {
                final int n = firings.merge(point, 1, Integer::sum);
                if (n > everyFiringUpTo && n % stride != 0)
                {
                    return;
                }
                checking = true;
                try
                {
                    checkImage(point, n);
                }
                catch (final Exception ex)
                {
                    throw new AssertionError("crash image at " + point + " #" + n + " during " + inFlight + " (" +
                        durability + "): " + ex, ex);
                }
                finally
                {
                    checking = false;
                }
            }
        }

        private void checkImage(final String point, final int firing) throws Exception
        {
            final Path image = tmp.resolve("image-" + imageNumber++);
            copyFiles(live, image);
            images++;
            checkedPerPoint.merge(point, 1, Integer::sum);
            final String context = "crash image at " + point + " #" + firing + " during " + inFlight + " (" +
                durability + ")";
            final boolean nested = images % nestedEvery == 0;
            if (nested)
            {
                nestedImages = new ArrayList<>();
                nestedPoints = new ArrayList<>();
                nestedFirings.clear();
                capturingThread = Thread.currentThread();
            }
            final Map<String, String> recovered;
            try
            {
                recovered = recoverAndCheck(image, context);
            }
            finally
            {
                capturingThread = null;
            }
            if (nested)
            {
                for (int i = 0; i < nestedImages.size(); i++)
                {
                    recoverAndCheck(nestedImages.get(i), context + ", then killed during its recovery at " +
                        nestedPoints.get(i));
                    nestedChecked++;
                    deleteDirectory(nestedImages.get(i));
                }
            }
            assertTrue(null != recovered);
            deleteDirectory(image);
        }

        private void captureNested(final String point)
        {
            // Recovery replays the whole log: the first firing of each point and then every power of two.
            final int n = nestedFirings.merge(point, 1, Integer::sum);
            if (Integer.bitCount(n) != 1)
            {
                return;
            }
            final Path nested = tmp.resolve("image-" + imageNumber++);
            try
            {
                copyFiles(recoveringImage, nested);
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
            nestedImages.add(nested);
            nestedPoints.add(point);
        }

        private Path recoveringImage;
        private final Map<String, Integer> nestedFirings = new HashMap<>();

        /**
         * Open (recover) a crash image, check it, write to it, and return what it held.
         */
        private Map<String, String> recoverAndCheck(final Path image, final String context) throws Exception
        {
            recoveringImage = image;
            final Map<String, String> actual = new HashMap<>();
            try (Cubby store = builder(image).open())
            {
                capturingThread = null;
                final VerifyReport report = store.verify();
                assertTrue(report.isOk(), context + ": verify " + report.problems + "; " + store.recoveryReport());
                store.forEach((k, ko, kl, v, vo, vl) ->
                    actual.put(k.getStringWithoutLengthAscii(ko, kl), v.getStringWithoutLengthAscii(vo, vl)));
                assertTrue(actual.equals(before) || actual.equals(after), context + ": recovered " +
                    difference(actual) + "; " + store.recoveryReport());
                assertEquals(actual.size(), store.size(), context + ": size");
                final Set<String> keys = new HashSet<>(before.keySet());
                keys.addAll(after.keySet());
                for (final String key : keys)
                {
                    assertEquals(actual.get(key), text(store.get(bytes(key))), context + ": get " + key);
                }
                // The recovered store takes writes.
                store.put(bytes("probe"), bytes("p"));
                assertEquals("p", text(store.get(bytes("probe"))), context + ": write after recovery");
            }
            return actual;
        }

        private String difference(final Map<String, String> actual)
        {
            final StringBuilder text = new StringBuilder();
            final Set<String> keys = new HashSet<>(actual.keySet());
            keys.addAll(before.keySet());
            keys.addAll(after.keySet());
            for (final String key : new java.util.TreeSet<>(keys))
            {
                final String a = actual.get(key);
                if (!java.util.Objects.equals(a, before.get(key)) || !java.util.Objects.equals(a, after.get(key)))
                {
                    text.append(key).append('=').append(a).append(" (before ").append(before.get(key))
                        .append(", after ").append(after.get(key)).append(") ");
                }
            }
            return text.toString();
        }

        void report()
        {
            final long points = firings.size();
            final long total = firings.values().stream().mapToLong(Integer::longValue).sum();
            System.out.println("crash-point enumeration (" + durability + "): " + images + " crash images and " +
                nestedChecked + " kill-during-recovery images checked, " + total + " firings of " + points +
                " points; firings " + firings + "; checked " + checkedPerPoint);
            final List<String> missing = new ArrayList<>(expectedPoints());
            missing.removeAll(firings.keySet());
            assertTrue(missing.isEmpty(), durability + ": crash points never reached: " + missing);
        }

        private List<String> expectedPoints()
        {
            final List<String> points = new ArrayList<>(List.of(
                "write.logged", "insert.body-written", "insert.slot-full", "insert.source-tombstoned",
                "update.undo-saved", "update.value-written", "update.checksum-written", "update.undo-cleared",
                "remove.source-tombstoned", "remove.current-tombstoned",
                "migrate.body-copied", "migrate.slot-copied", "migrate.cursor-written",
                "table-create.allocated", "table-create.header-written", "table-create.magic-written",
                "rehash-begin.table-created", "rehash-begin.logged",
                "rehash-end.forced", "rehash-end.source-cleared", "rehash-end.logged", "rehash-end.source-deleted",
                "checkpoint.logged", "checkpoint.forced", "checkpoint.start-moved",
                "log.payload-written", "log.header-written", "log.wrapped",
                "close.current-marked-clean", "open.current-marked-open"));
            return points;
        }
    }

    static void copyFiles(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
                {
                    try
                    {
                        Files.copy(file, to.resolve(file.getFileName()));
                    }
                    catch (final java.nio.file.NoSuchFileException ex)
                    {
                        // The background retirer deleted a retired source table between the listing and the copy:
                        // that deletion is its last step, so the image is the instant just after it.
                    }
                }
            }
        }
    }

    static void deleteDirectory(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(file);
            }
        }
    }
}
