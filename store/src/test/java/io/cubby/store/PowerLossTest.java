package io.cubby.store;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Simulated power loss (SQLite's crash VFS, RocksDB's dropping of unsynced data, for a mapped store). A seeded
 * sequence of puts, removes, growth, compactions, checkpoints and log wraps runs with {@link PowerLossSimulator}
 * tracking what is durable; at crash points (every numbered protocol step reported through {@link CrashPoints},
 * every force, every completed operation) it takes images a power cut could leave: all dirty pages kept (a
 * process kill), all reverted (only completed forces), random pages, random 512-byte sectors, and directory
 * changes not yet forced undone or not. Each image is recovered and checked against the guarantees of
 * FORMAT.md §8:
 * <ul>
 *   <li>Images of whole pages as they were forced or written (all kept, all reverted): in SYNC and ASYNC every
 *       operation acknowledged before the last completed force of the log (in SYNC every acknowledged one),
 *       opened without salvage; in NONE a store that opens (with salvage if it says so) serving only values that
 *       were written; in every mode no value outside the key's history after its durable point.</li>
 *   <li>Images with pages or sectors mixed (a slot straddling a page or sector boundary half written): the
 *       version 1 format updates slots in place, so a torn slot whose log record was lost cannot be restored and
 *       its previous value is gone (FORMAT.md §8 says so); these must still open (with salvage), serve only
 *       values that were written, and verify clean. How many of them also met the mode's full guarantee is
 *       counted and printed.</li>
 * </ul>
 * The default build samples crash points (each step's first occurrences and a stride); the slow profile takes all.
 */
class PowerLossTest
{
    private static final int KEYS = 48;
    private static final long SEED = 0x5EED_0F_10_55L;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Durability.class)
    void recoveryFromEveryPowerLossImageKeepsThePromise(final Durability durability, @TempDir final Path tmp)
        throws Exception
    {
        final Campaign campaign = new Campaign(durability, tmp, 400, 3, 20, 2);
        campaign.run();
        assertEquals(List.of(), campaign.violations, campaign.summary());
        assertTrue(campaign.imagesChecked > 500 && campaign.tornChecked > 300, campaign.summary());
        System.out.println("power loss " + durability + ": " + campaign.summary());
    }

    @Tag("slow")
    @ParameterizedTest(name = "{0}")
    @EnumSource(Durability.class)
    void recoveryFromEveryPowerLossImageKeepsThePromiseLong(final Durability durability, @TempDir final Path tmp)
        throws Exception
    {
        final Campaign campaign = new Campaign(durability, tmp, 1500, Integer.MAX_VALUE, 1, 3);
        campaign.run();
        assertEquals(List.of(), campaign.violations, campaign.summary());
        System.out.println("power loss " + durability + " (slow): " + campaign.summary());
    }

    /** One operation of the sequence: a put (value) or a remove (null). */
    private record Op(int key, String value)
    {
    }

    private static final class Campaign
    {
        final Durability durability;
        final Path tmp;
        final Path dir;
        final int operations;
        final int firstOccurrences;
        final int stride;
        final int randomImages;
        final Random random = new Random(SEED);
        final List<Op> ops = new ArrayList<>();
        final List<String> violations = new ArrayList<>();
        final Map<String, Integer> occurrences = new HashMap<>();
        final PowerLossSimulator simulator;
        volatile int acknowledged;
        /** Per acknowledged operation: the log's appended sequence when it returned (its records are at or below). */
        final List<Long> loggedThrough = new ArrayList<>();
        /** The store's log while the sequence runs. */
        volatile Wal wal;
        boolean opened;
        boolean capturing;
        Thread writer;
        int imagesChecked;
        int tornChecked;
        int tornFullGuarantee;
        int crashPoints;
        int salvaged;

        Campaign(
            final Durability durability, final Path tmp, final int operations, final int firstOccurrences,
            final int stride, final int randomImages)
        {
            this.durability = durability;
            this.tmp = tmp;
            this.dir = tmp.resolve("store");
            this.operations = operations;
            this.firstOccurrences = firstOccurrences;
            this.stride = stride;
            this.randomImages = randomImages;
            this.simulator = new PowerLossSimulator(dir);
        }

        String summary()
        {
            return crashPoints + " crash points, " + imagesChecked + " images checked (" + tornChecked +
                " with torn pages or sectors, of which " + tornFullGuarantee + " met the mode's full guarantee), " +
                salvaged + " opened with salvage, " + violations.size() + " violations" +
                (violations.isEmpty() ? "" : ": " + violations.subList(0, Math.min(5, violations.size())));
        }

        void run() throws Exception
        {
            writer = Thread.currentThread();
            Files.createDirectories(dir);
            FileEvents.Hook.installed = new FileEvents()
            {
                public void forcing(final Path file, final long offset, final long length)
                {
                    if (simulator.concerns(file))
                    {
                        maybeCapture("force " + file.getFileName());
                        simulator.forcing(file, offset, length);
                    }
                }

                public void forced(final Path file, final long offset, final long length)
                {
                    simulator.forced(file, offset, length);
                }

                public void directoryForced(final Path directory)
                {
                    simulator.directoryForced(directory);
                }
            };
            CrashPoints.Hook.installed = this::maybeCapture;
            try
            {
                sequence();
            }
            finally
            {
                FileEvents.Hook.installed = null;
                CrashPoints.Hook.installed = null;
            }
        }

        private void sequence()
        {
            try (Cubby store = Cubby.builder(dir).formatVersion(1).maxKeySize(8).maxValueSize(24).expectedEntries(16)
                .durability(durability).logSize(WalDescriptor.MIN_CAPACITY).migrationStep(2)
                .syncInterval(java.time.Duration.ofMillis(100)).open())
            {
                opened = true;
                wal = store.wal();
                final int[] versions = new int[KEYS];
                for (int i = 0; i < operations; i++)
                {
                    final int choice = random.nextInt(100);
                    final int key = random.nextInt(KEYS);
                    if (choice < 3)
                    {
                        store.checkpoint();
                        continue;
                    }
                    if (choice < 4)
                    {
                        store.compact();
                        continue;
                    }
                    final Op op = choice < 75 ? new Op(key, "k" + key + "v" + ++versions[key]) : new Op(key, null);
                    ops.add(op);
                    if (null == op.value)
                    {
                        store.remove(key(key));
                    }
                    else
                    {
                        store.put(key(key), op.value.getBytes(StandardCharsets.UTF_8));
                    }
                    loggedThrough.add(wal.appendedSequence());
                    acknowledged = ops.size();
                    maybeCapture("op.done");
                }
            }
        }

        /**
         * The acknowledged operations the log has on disk: those whose records are at or below the log's durable
         * sequence. That sequence is set only after the force covering it completed, and the simulator's images
         * are taken under its lock, which a completed force has released, so an image holds at least this prefix.
         */
        private int durablePrefix()
        {
            final Wal log = wal;
            if (null == log)
            {
                return 0;
            }
            final long durable = log.durableSequence();
            int prefix = 0;
            while (prefix < loggedThrough.size() && loggedThrough.get(prefix) <= durable)
            {
                prefix++;
            }
            return prefix;
        }

        private static byte[] key(final int key)
        {
            return ("k" + key).getBytes(StandardCharsets.UTF_8);
        }

        /**
         * At a crash point on the writer thread (and not while checking images), take and check images.
         */
        private void maybeCapture(final String point)
        {
            if (Thread.currentThread() != writer || capturing)
            {
                return;
            }
            final int seen = occurrences.merge(point, 1, Integer::sum);
            if (seen > firstOccurrences && seen % stride != 0)
            {
                return;
            }
            capturing = true;
            try
            {
                crashPoints++;
                final List<PowerLossSimulator.Choice> choices = new ArrayList<>(List.of(
                    PowerLossSimulator.Choice.ALL_KEPT, PowerLossSimulator.Choice.ALL_REVERTED));
                for (int i = 0; i < randomImages; i++)
                {
                    choices.add(PowerLossSimulator.Choice.RANDOM_PAGES);
                    choices.add(PowerLossSimulator.Choice.RANDOM_SECTORS);
                }
                final List<List<PowerLossSimulator.ImageFile>> images;
                final int prefix;
                final int acked;
                final int inFlight;
                synchronized (simulator)
                {
                    images = simulator.images(choices, random);
                    prefix = durablePrefix();
                    acked = acknowledged;
                    inFlight = ops.size();
                }
                for (int i = 0; i < images.size(); i++)
                {
                    final boolean torn = choices.get(i) == PowerLossSimulator.Choice.RANDOM_PAGES ||
                        choices.get(i) == PowerLossSimulator.Choice.RANDOM_SECTORS;
                    final String context = point + " #" + occurrences.get(point) + " " + choices.get(i);
                    if (!torn)
                    {
                        check(context, images.get(i), prefix, acked, inFlight, violations);
                        continue;
                    }
                    tornChecked++;
                    final List<String> full = new ArrayList<>();
                    check(context, images.get(i), prefix, acked, inFlight, full);
                    if (full.isEmpty())
                    {
                        tornFullGuarantee++;
                    }
                    else if (durability != Durability.NONE)
                    {
                        checkWeak(context, images.get(i), inFlight);
                    }
                    else
                    {
                        violations.addAll(full);
                    }
                }
            }
            catch (final Exception ex)
            {
                violations.add(point + ": image check failed: " + ex);
            }
            finally
            {
                capturing = false;
            }
        }

        /**
         * The weaker guarantee of torn images in SYNC and ASYNC: opens (with salvage), serves only written values,
         * verifies clean.
         */
        private void checkWeak(final String context, final List<PowerLossSimulator.ImageFile> image,
            final int inFlight) throws Exception
        {
            final Path target = tmp.resolve("image");
            delete(target);
            PowerLossSimulator.write(image, target);
            try (Cubby recovered = Cubby.builder(target).formatVersion(1).createIfMissing(false)
                .logSize(WalDescriptor.MIN_CAPACITY).salvage(true).open())
            {
                salvaged++;
                for (int key = 0; key < KEYS; key++)
                {
                    final byte[] bytes = recovered.get(key(key));
                    final String value = null == bytes ? null : new String(bytes, StandardCharsets.UTF_8);
                    if (!allowed(key, value, -1, inFlight))
                    {
                        violations.add(context + " (salvaged): key " + key + " reads " + value + ", never written");
                    }
                }
                final VerifyReport report = recovered.verify();
                if (!report.isOk())
                {
                    violations.add(context + " (salvaged): verify " + report.problems);
                }
            }
            catch (final CubbyException ex)
            {
                violations.add(context + ": does not open even with salvage: " + ex);
            }
            delete(target);
        }

        private void check(
            final String context, final List<PowerLossSimulator.ImageFile> image, final int prefix, final int acked,
            final int inFlight, final List<String> violations) throws Exception
        {
            final Path target = tmp.resolve("image");
            delete(target);
            PowerLossSimulator.write(image, target);
            imagesChecked++;
            Cubby store;
            try
            {
                store = Cubby.builder(target).formatVersion(1).createIfMissing(false)
                    .logSize(WalDescriptor.MIN_CAPACITY).durability(durability).open();
            }
            catch (final NotAStoreException ex)
            {
                if (opened)
                {
                    violations.add(context + ": store lost: " + ex.getMessage());
                }
                return;
            }
            catch (final CubbyException ex)
            {
                if (durability != Durability.NONE)
                {
                    violations.add(context + ": does not open: " + ex);
                    return;
                }
                store = Cubby.builder(target).formatVersion(1).createIfMissing(false)
                    .logSize(WalDescriptor.MIN_CAPACITY).salvage(true).open();
                salvaged++;
            }
            try (Cubby recovered = store)
            {
                final int guaranteed = durability == Durability.SYNC ? acked : prefix;
                for (int key = 0; key < KEYS; key++)
                {
                    final byte[] bytes = recovered.get(key(key));
                    final String value = null == bytes ? null : new String(bytes, StandardCharsets.UTF_8);
                    if (!allowed(key, value, durability == Durability.NONE ? -1 : guaranteed, inFlight))
                    {
                        violations.add(context + ": key " + key + " reads " + value + " (durable prefix " +
                            guaranteed + ", acknowledged " + acked + ", ops " + inFlight + ")");
                    }
                }
                final VerifyReport report = recovered.verify();
                if (!report.isOk())
                {
                    violations.add(context + ": verify " + report.problems);
                }
            }
            delete(target);
        }

        /**
         * A value is allowed if it is the key's value after the durable prefix's last operation on it, or any
         * value written to it after that (up to the operation in flight); with no durable prefix (NONE, -1), any
         * value ever written, or absence.
         */
        private boolean allowed(final int key, final String value, final int prefix, final int inFlight)
        {
            if (prefix < 0)
            {
                if (null == value)
                {
                    return true;
                }
                for (int i = 0; i < inFlight; i++)
                {
                    if (ops.get(i).key == key && value.equals(ops.get(i).value))
                    {
                        return true;
                    }
                }
                return false;
            }
            String atPrefix = null;
            for (int i = 0; i < Math.min(prefix, inFlight); i++)
            {
                if (ops.get(i).key == key)
                {
                    atPrefix = ops.get(i).value;
                }
            }
            if (java.util.Objects.equals(atPrefix, value))
            {
                return true;
            }
            for (int i = prefix; i < inFlight; i++)
            {
                if (ops.get(i).key == key && java.util.Objects.equals(ops.get(i).value, value))
                {
                    return true;
                }
            }
            return false;
        }

        private static void delete(final Path target) throws Exception
        {
            if (!Files.exists(target))
            {
                return;
            }
            try (Stream<Path> files = Files.walk(target))
            {
                for (final Path file : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
                {
                    Files.delete(file);
                }
            }
        }
    }
}
