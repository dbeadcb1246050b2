package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash-point enumeration of the version-2 per-segment protocols (FORMAT-v2.md 8.1 to 8.3 and 9): a
 * {@link CrashPoints} hook fires after every numbered step of insert, update in place and remove, inside a
 * migration step, at a rehash's begin (file creation, switch) and end (force, source cleared, source released), at
 * a compaction's own steps (9.1: a pending file discarded, the source forced), and at the steps of recovery itself,
 * while a deterministic sequence of puts, updates and removes runs against a {@link SegmentSet} that starts at one
 * group per segment and grows again and again, one group migrated per write, and shrinks: compactions at the end
 * of each wave of removals, and shrinks begun at Max Load in the middle of every 120 operations, left to the writes
 * that follow to migrate (inserts may turn them into growths).
 * <p>
 * At each selected firing the store directory is copied as it is (what a process kill at that instant leaves: the
 * mapped bytes are in the page cache), recovered with {@link SegmentRecovery#recover}, and checked: every segment
 * verifies clean ({@link SegmentVerifier}) and the contents equal the state before the operation in flight or the
 * state after it, compared against a {@link HashMap} model. With the log holding every operation before it is
 * applied ({@link Mode#LOGGED}, SYNC durability) the state must be the new one once the record is sealed (log
 * append steps of FORMAT-v2.md 7.4 included: before the checksum the record does not count, and the state must be
 * the old one); with nothing logged ({@link Mode#UNLOGGED}, NONE durability) either.
 * <p>
 * Power loss (logged mode): for a part of the firings, images are also built page by page (4 KiB) from the files
 * as they were when the operation began, taken as durable, and as they are now: every mix of the changed pages
 * (up to 2^4, else a sample), with pages forced since the operation began ({@link CrashPoints#forced}) taken as
 * they were forced, and a file created meanwhile reduced to its created header. Such images hold the torn slots of
 * FORMAT-v2.md 8.4 (a tag page without its slot page) and manifests older than the segment headers (8.5); each
 * must recover to the new state. Without a log (unlogged mode) power-loss images are built at the steps inside a
 * migration ({@code MIGRATION_POINTS}, every checked firing), from the files as the operation found them: recovered
 * with salvage (a slot the operation tore is accounted for by no record), every key the operation does not write
 * must keep its value from before it, so that a migration step can never lose an entry a power loss made durable
 * before the operation (FORMAT-v2.md 8.4, 9 step 5).
 * <p>
 * Recovery itself (nested): for a part of the images, every crash point reached while recovering the image yields
 * a second image, which must recover to the same states.
 */
class SegmentCrashPointTest
{
    private static final SegmentParams PARAMS = new SegmentParams(1, 16, 24, 0, 0x5EC5EEDL, 937_500);
    /** The same with the expiry flag: slots carry Expires At and Written At, log records a resolved Expires At. */
    private static final SegmentParams EXPIRY_PARAMS =
        new SegmentParams(1, 16, 24, SegmentDescriptor.FLAG_EXPIRY, 0x5EC5EEDL, 937_500);
    /** Year 2500 in epoch ms: a deadline no clock of these tests reaches. */
    private static final long FAR_FUTURE = 16_725_225_600_000L;
    private static final int MAX_KEYS = 400;
    private static final int PAGE = 4096;

    enum Mode
    {
        /** Every operation logged before it is applied, the log durable (SYNC). */
        LOGGED,
        /** Nothing logged (NONE): the segment files alone must recover to the old or the new state. */
        UNLOGGED
    }

    @AfterEach
    void uninstall()
    {
        CrashPoints.Hook.installed = null;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyCrashPointOfTheSegmentProtocolsRecoversToTheOldOrTheNewState(
        final Mode mode, @TempDir(factory = CrashPointEnumerationTest.MemoryTempDir.class) final Path tmp)
        throws Exception
    {
        final Enumerator enumerator = new Enumerator(tmp, mode, 4, 20, 8, 40, false);
        enumerator.run(600, 3);
        enumerator.assertEveryPointChecked();
    }

    /**
     * The same in a store with expiry: puts give no deadline, one far in the future, one in the past (the entry is
     * expired at once, so absent, and migration drops it: {@code v2.migrate.expired-dropped}), or "keep the current
     * expiry" (resolved by the segment under its lock; the log record carries the resolved deadline). States
     * compare values and deadlines, so Expires At must round-trip through every recovery.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyCrashPointWithExpiryRecoversToTheOldOrTheNewStateWithItsDeadlines(
        final Mode mode, @TempDir(factory = CrashPointEnumerationTest.MemoryTempDir.class) final Path tmp)
        throws Exception
    {
        final Enumerator enumerator = new Enumerator(tmp, mode, 4, 20, 8, 40, true);
        enumerator.run(1000, 5);
        enumerator.assertEveryPointChecked();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    @Tag("slow")
    void everyFiringOfEveryCrashPointRecoversToTheOldOrTheNewState(
        final Mode mode, @TempDir(factory = CrashPointEnumerationTest.MemoryTempDir.class) final Path tmp)
        throws Exception
    {
        for (long seed = 11; seed < 13; seed++)
        {
            final Enumerator enumerator = new Enumerator(tmp.resolve("seed-" + seed), mode, Integer.MAX_VALUE, 1,
                4, 10, seed % 2 == 0);
            enumerator.run(1200, seed);
            enumerator.assertEveryPointChecked();
        }
    }

    /** Steps every run must reach and check: the numbered steps of FORMAT-v2.md 8.1 to 8.3 and 9. */
    private static final String[] PROTOCOL_POINTS = {
        "v2.insert.overflow-set", "v2.slot.value-written", "v2.insert.slot-written", "v2.insert.tag-stored",
        "v2.insert.counted", "v2.update.undo-saved", "v2.update.slot-written", "v2.update.undo-cleared",
        "v2.remove.tag-cleared", "v2.remove.counted", "v2.put.current-written", "v2.migrate.copied",
        "v2.migrate.cursor-written", "v2.segment-create.fields-written", "v2.segment-create.magic-written",
        "v2.rehash-begin.switched", "v2.segment.forced", "v2.rehash-end.header-rewritten",
        "v2.rehash-end.source-cleared", "v2.rehash-end.source-released", "v2.compact.pending-discarded",
        "v2.compact.source-forced"};

    /** Steps of appending a log record (FORMAT-v2.md 7.4), reached in logged mode. */
    private static final String[] LOG_POINTS = {"v2.log.payload-written", "v2.log.header-written", "v2.log.sealed"};

    /**
     * Steps inside a migration (FORMAT-v2.md 9 step 5) at which unlogged mode also builds power-loss images: with
     * no log, every entry not written by the operation in flight must survive with its value from before it.
     */
    private static final java.util.Set<String> MIGRATION_POINTS = java.util.Set.of(
        "v2.migrate.copied", "v2.migrate.cursor-written", "v2.put.current-written", "v2.remove.copy-cleared",
        "v2.migrate.expired-dropped");

    /** Steps only a store with expiry reaches: migration removing an expired source entry. */
    private static final String[] EXPIRY_POINTS = {"v2.migrate.expired-dropped"};

    /** Steps of recovery reached while recovering the images (nested images). */
    private static final String[] RECOVERY_POINTS = {"v2.recover.set-opened", "v2.recover.repaired",
        "v2.recover.replayed"};

    /** Runs the sequence and checks the crash images; see the class comment. */
    static final class Enumerator implements CrashPoints
    {
        private final Path tmp;
        private final Path live;
        private final Mode mode;
        private final int everyFiringUpTo;
        private final int stride;
        private final int powerLossEvery;
        private final int nestedEvery;
        private final boolean expiry;
        private final SegmentParams params;
        private final Map<String, Integer> firings = new TreeMap<>();
        private final Map<String, Integer> checked = new TreeMap<>();
        private final Map<String, Integer> nestedChecked = new TreeMap<>();
        private final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
        private final UnsafeBuffer value = new UnsafeBuffer(new byte[24]);
        private final UnsafeBuffer out = new UnsafeBuffer(new byte[24]);
        private final SegmentLookup lookup = new SegmentLookup();
        /** The checks' own buffers: the live operation in flight still uses the ones above after the hook. */
        private final UnsafeBuffer checkKey = new UnsafeBuffer(new byte[16]);
        private final SegmentLookup checkLookup = new SegmentLookup();
        private Map<Integer, String> before = new HashMap<>();
        private Map<Integer, String> after = new HashMap<>();
        /** The files as the operation in flight found them, updated by forces: the durable image. */
        private Map<String, byte[]> durable = new HashMap<>();
        private String inFlight = "none";
        private boolean running;
        private boolean checking;
        private Path nestedSource;
        private List<Path> nestedImages;
        private long imageNumber;
        private long images;
        private long killImages;
        private long powerLossImages;
        private long unloggedPowerLossImages;
        private int inFlightKey = -1;
        private long nestedImageCount;
        private long oldStates;
        private long restoredSlots;
        private long sameKernelRecoveries;
        private long segmentsNotScanned;
        private long shrinks;

        Enumerator(final Path tmp, final Mode mode, final int everyFiringUpTo, final int stride,
            final int powerLossEvery, final int nestedEvery, final boolean expiry)
        {
            this.expiry = expiry;
            this.params = expiry ? EXPIRY_PARAMS : PARAMS;
            this.tmp = tmp;
            this.live = tmp.resolve("live");
            this.mode = mode;
            this.everyFiringUpTo = everyFiringUpTo;
            this.stride = stride;
            this.powerLossEvery = powerLossEvery;
            this.nestedEvery = nestedEvery;
        }

        private int keyOf(final int k)
        {
            return keyOf(key, k);
        }

        private static int keyOf(final UnsafeBuffer key, final int k)
        {
            key.putInt(0, k);
            key.putInt(4, k * 0x9E3779B1);
            return 8 + k % 5;
        }

        void run(final int operations, final long seed) throws Exception
        {
            Files.createDirectories(live);
            final SplittableRandom random = new SplittableRandom(seed);
            final Map<Integer, String> model = new HashMap<>();
            final Path logFile = live.resolve("wal.log");
            CrashPoints.Hook.installed = this;
            final Map<Integer, Long> deadlines = new HashMap<>();
            try (SegmentSet set = SegmentSet.create(live, params, 1, 1, false);
                SegmentLogWriter log = SegmentLogWriter.create(logFile, params,
                    Math.max(1 << 16, Integer.highestOneBit(operations * 96) << 1), 0x5A17, 1))
            {
                set.keepRetiredMappings();
                running = true;
                for (int i = 0; i < operations; i++)
                {
                    final boolean removing = (i / 120) % 3 == 2;
                    if (i % 120 == 119 && removing)
                    {
                        // a wave of removals ends: compaction at Target Load, run to its end
                        compact(set, model, set.manifest.targetLoadPpm, true);
                    }
                    else if (i % 120 == 60)
                    {
                        // shrinks begun at Max Load, migrated by the writes that follow (which may grow them again)
                        compact(set, model, PARAMS.maxLoadPpm, false);
                    }
                    // While a segment migrates, most writes go to keys still in its source: the paths that touch
                    // both files (the put that moves a key, the remove of a source copy).
                    final List<Integer> inSource = random.nextInt(3) > 0 ? sourceKeys(set) : List.of();
                    final int k = !inSource.isEmpty() ? inSource.get(random.nextInt(inSource.size())) :
                        random.nextInt(Math.min(MAX_KEYS, 8 + i / 2));
                    final int keyLength = keyOf(k);
                    inFlightKey = k;
                    before = new HashMap<>(model);
                    if (powerLossEvery > 0)
                    {
                        durable = snapshot(live);
                    }
                    if (random.nextInt(100) < (removing ? 60 : 20))
                    {
                        model.remove(k);
                        deadlines.remove(k);
                        after = new HashMap<>(model);
                        inFlight = "remove " + k;
                        if (Mode.LOGGED == mode)
                        {
                            log.appendRemove(key, 0, keyLength);
                        }
                        set.remove(key, 0, keyLength, lookup);
                    }
                    else
                    {
                        final String v = "v" + i + "-" + "x".repeat(random.nextInt(16));
                        // expiry: never, far in the future, keep the current deadline, or expired at once
                        final int kind = expiry ? random.nextInt(4) : 0;
                        final long asked = 1 == kind ? FAR_FUTURE + i : 2 == kind ? Arguments.KEEP_EXPIRY :
                            3 == kind ? 1 + i : 0;
                        final long resolved = 2 == kind ? deadlines.getOrDefault(k, 0L) : asked;
                        if (3 == kind)
                        {
                            model.remove(k);
                            deadlines.remove(k);
                        }
                        else
                        {
                            model.put(k, expiry ? v + "@" + resolved : v);
                            deadlines.put(k, resolved);
                        }
                        after = new HashMap<>(model);
                        inFlight = "put " + k + " " + v + (expiry ? " expiring " + asked : "");
                        final byte[] bytes = v.getBytes(StandardCharsets.US_ASCII);
                        value.putBytes(0, bytes);
                        if (Mode.LOGGED == mode)
                        {
                            log.appendPut(key, 0, keyLength, value, 0, bytes.length, resolved);
                        }
                        set.put(key, 0, keyLength, value, 0, bytes.length, asked, lookup);
                        assertEquals(resolved, lookup.expiresAt, "the deadline " + inFlight + " wrote");
                    }
                }
                running = false;
                assertEquals(model, contents(set), "the live set matches the model");
            }
            finally
            {
                CrashPoints.Hook.installed = null;
            }
        }

        /**
         * A compaction as the store runs it (FORMAT-v2.md 9.1): each segment's shrink begun, then, if {@code drive},
         * migrated to its end a few groups at a time. It changes no entry: old and new states are the model. First
         * a file is prepared for the growth of one segment that will shrink (as if it had asked for it before the
         * removals that left it too large), so that the compaction discards a pending file.
         */
        private void compact(final SegmentSet set, final Map<Integer, String> model, final int loadPpm,
            final boolean drive) throws IOException
        {
            for (int s = 0; s < set.segmentCount(); s++)
            {
                final SegmentTable current = set.segment(s).current();
                if (!set.segment(s).rehashing() && null == set.allocator().pending(s) &&
                    current.groupCount > SegmentGrowth.shrinkGroups(current.entryCount() + 1, loadPpm))
                {
                    set.allocator().request(s, current.generation + 1, current.groupCount + 1, current.generation,
                        current.groupCount);
                    break;
                }
            }
            inFlightKey = -1;
            before = new HashMap<>(model);
            after = before;
            inFlight = (drive ? "compaction" : "shrinks begun") + " at load " + loadPpm;
            if (powerLossEvery > 0)
            {
                durable = snapshot(live);
            }
            for (int s = 0; s < set.segmentCount(); s++)
            {
                if (SegmentCompaction.beginShrink(set, s, loadPpm, drive) >= 0)
                {
                    shrinks++;
                    while (drive && SegmentCompaction.migrateStep(set, s, 3) >= 0)
                    {
                        continue;
                    }
                }
            }
        }

        /** Keys in the source files of the segments being rehashed, in slot order. */
        private List<Integer> sourceKeys(final SegmentSet set)
        {
            final List<Integer> keys = new ArrayList<>();
            for (int s = 0; s < set.segmentCount(); s++)
            {
                final SegmentTable source = set.segment(s).source();
                if (null != source)
                {
                    for (int slot = source.tags.nextFull(0); slot != SegmentTable.NOT_FOUND;
                        slot = source.tags.nextFull(slot + 1))
                    {
                        source.copyKey(slot, checkKey, 0, Integer.BYTES);
                        keys.add(checkKey.getInt(0));
                    }
                }
            }
            return keys;
        }

        @Override
        public void forced(final Path file)
        {
            if (running && !checking && file.startsWith(live) && !durable.isEmpty())
            {
                try
                {
                    durable.put(file.getFileName().toString(), Files.readAllBytes(file));
                }
                catch (final IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            }
        }

        @Override
        public void reached(final String point)
        {
            if (!running || !point.startsWith("v2."))
            {
                return;
            }
            try
            {
                if (checking)
                {
                    captureNested(point);
                    return;
                }
                final int n = firings.merge(point, 1, Integer::sum);
                if (n > everyFiringUpTo && n % stride != 0)
                {
                    return;
                }
                checking = true;
                try
                {
                    final int c = checked.merge(point, 1, Integer::sum);
                    final Path image = copy(live);
                    // two kill images in three as this kernel's page cache holds them (the recovery trusts the
                    // segments no writer was changing), the third as a copy (every slot scanned)
                    final boolean sameKernel = killImages % 3 != 2 && transferIdentity(live, image);
                    check(image, point, sameKernel ? "same-kernel kill" : "kill", ++killImages % nestedEvery == 0);
                    if (powerLossEvery > 0 && Mode.LOGGED == mode && c % powerLossEvery == 0)
                    {
                        checkPowerLoss(point, c, false);
                    }
                    else if (powerLossEvery > 0 && Mode.UNLOGGED == mode && MIGRATION_POINTS.contains(point))
                    {
                        checkPowerLoss(point, c, true);
                    }
                }
                finally
                {
                    checking = false;
                }
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        }

        private void captureNested(final String point) throws IOException
        {
            if (null != nestedSource && (nestedImages.size() < 8 || point.startsWith("v2.recover.")))
            {
                final Path image = copy(nestedSource);
                transferIdentity(nestedSource, image);
                nestedImages.add(image);
                nestedChecked.merge(point, 1, Integer::sum);
            }
        }

        /** Recover an image and check it; removes the image. */
        private void check(final Path image, final String point, final String kind, final boolean nested)
            throws IOException
        {
            check(image, point, kind, nested, false);
        }

        /**
         * @param unloggedPowerLoss a power-loss image without a log (NONE): recovered with salvage, since a slot the
         *                          operation in flight tore is accounted for by no log record; every other key must
         *                          keep its value from before the operation (migration must lose nothing that a
         *                          force or an earlier write-back made durable), the key in flight its old or new
         *                          value, or none if a damaged slot was dropped.
         */
        private void check(final Path image, final String point, final String kind, final boolean nested,
            final boolean unloggedPowerLoss) throws IOException
        {
            images++;
            final String where = kind + " image at " + point + " during '" + inFlight + "' (" + mode + ")";
            if (nested)
            {
                nestedSource = image;
                nestedImages = new ArrayList<>();
            }
            try
            {
                final SegmentRecovery.Recovered recovered;
                try
                {
                    recovered = SegmentRecovery.recover(image, image.resolve("wal.log"), 1, 0, unloggedPowerLoss,
                        false);
                }
                catch (final RuntimeException ex)
                {
                    throw new AssertionError("recovery failed for the " + where + ": " + ex, ex);
                }
                try (SegmentSet set = recovered.set)
                {
                    restoredSlots += recovered.report.restoredFromLog;
                    if (!recovered.report.scanned && !recovered.report.clean)
                    {
                        sameKernelRecoveries++;
                        segmentsNotScanned += set.segmentCount() - recovered.report.segmentsScanned;
                    }
                    for (int s = 0; s < set.segmentCount(); s++)
                    {
                        final List<String> problems = SegmentVerifier.verify(set.segment(s));
                        if (!problems.isEmpty())
                        {
                            fail("the " + where + " recovered to a segment that does not verify: " + problems + "; " +
                                recovered.report);
                        }
                    }
                    final Map<Integer, String> state = contents(set);
                    assertEquals(state.size(), liveCount(set), "entry count of the " + where);
                    if (unloggedPowerLoss)
                    {
                        checkUnloggedPowerLoss(state, where, recovered.report);
                        return;
                    }
                    // before its checksum is written, the record in flight does not count: the operation is not logged
                    final boolean unsealed = point.startsWith("v2.log.") && !"v2.log.sealed".equals(point);
                    if (state.equals(before) && !state.equals(after))
                    {
                        oldStates++;
                        if (Mode.LOGGED == mode && !unsealed)
                        {
                            fail("the " + where + " lost the logged operation; " + recovered.report);
                        }
                    }
                    else if (unsealed && state.equals(after) && !state.equals(before))
                    {
                        fail("the " + where + " applied an operation whose log record is not sealed; " +
                            recovered.report);
                    }
                    else if (!state.equals(after))
                    {
                        fail("the " + where + " recovered to neither the old nor the new state: " +
                            difference(state) + "; " + recovered.report);
                    }
                }
            }
            finally
            {
                nestedSource = null;
                delete(image);
            }
            if (nested)
            {
                final List<Path> captured = nestedImages;
                nestedImages = null;
                for (final Path second : captured)
                {
                    nestedImageCount++;
                    check(second, point, "recovery-interrupted " + kind, false);
                }
            }
        }

        private void checkUnloggedPowerLoss(final Map<Integer, String> state, final String where,
            final SegmentRecovery.Report report)
        {
            unloggedPowerLossImages++;
            final StringBuilder lost = new StringBuilder();
            for (int k = 0; k < MAX_KEYS; k++)
            {
                final String got = state.get(k);
                final String old = before.get(k);
                final String now = after.get(k);
                final boolean inFlight = !java.util.Objects.equals(old, now) || inFlightKey == k;
                final boolean allowed = java.util.Objects.equals(got, old) ||
                    inFlight && (java.util.Objects.equals(got, now) || null == got && report.dropped > 0);
                if (!allowed)
                {
                    lost.append(" key ").append(k).append(": ").append(got).append(" (old ").append(old)
                        .append(", new ").append(now).append(')');
                }
            }
            if (lost.length() > 0)
            {
                fail("the " + where + " lost or changed entries the operation in flight did not write:" + lost +
                    "; " + report);
            }
        }

        private String difference(final Map<Integer, String> state)
        {
            final StringBuilder text = new StringBuilder();
            for (int k = 0; k < MAX_KEYS; k++)
            {
                final String got = state.get(k);
                if (!java.util.Objects.equals(got, after.get(k)))
                {
                    text.append(" key ").append(k).append(": ").append(got).append(" (old ").append(before.get(k))
                        .append(", new ").append(after.get(k)).append(')');
                }
            }
            return text.toString();
        }

        /** Images mixing the durable pages and the current ones (see the class comment). */
        private void checkPowerLoss(final String point, final int firing, final boolean unlogged)
            throws IOException
        {
            final Map<String, byte[]> now = snapshot(live);
            final List<String> names = new ArrayList<>();
            final List<Integer> pages = new ArrayList<>();
            final Map<String, byte[]> base = new TreeMap<>();
            for (final Map.Entry<String, byte[]> file : now.entrySet())
            {
                final String name = file.getKey();
                final byte[] current = file.getValue();
                byte[] old = durable.get(name);
                if ("wal.log".equals(name))
                {
                    old = current;
                }
                else if (null == old && name.endsWith(SegmentDescriptor.FILE_SUFFIX))
                {
                    old = asCreated(current);
                }
                else if (null == old || old.length != current.length)
                {
                    old = current;
                }
                base.put(name, old);
                for (int p = 0; p * PAGE < current.length; p++)
                {
                    final int from = p * PAGE;
                    final int to = Math.min(current.length, from + PAGE);
                    if (!java.util.Arrays.equals(old, from, to, current, from, to))
                    {
                        names.add(name);
                        pages.add(p);
                    }
                }
            }
            if (pages.isEmpty())
            {
                return;
            }
            final int d = pages.size();
            final SplittableRandom random = new SplittableRandom(firing * 31L + point.hashCode());
            final int combinations = d <= 4 ? (1 << d) - 1 : 8;
            for (int c = 0; c < combinations; c++)
            {
                final long mask = d <= 4 ? c : random.nextLong();
                final Map<String, byte[]> image = new TreeMap<>();
                for (final Map.Entry<String, byte[]> file : base.entrySet())
                {
                    image.put(file.getKey(), file.getValue().clone());
                }
                for (int i = 0; i < d; i++)
                {
                    if ((mask >>> (i % 64) & 1) != 0)
                    {
                        final byte[] current = now.get(names.get(i));
                        final int from = pages.get(i) * PAGE;
                        System.arraycopy(current, from, image.get(names.get(i)), from,
                            Math.min(PAGE, current.length - from));
                    }
                }
                final Path dir = tmp.resolve("image-" + imageNumber++);
                Files.createDirectories(dir);
                for (final Map.Entry<String, byte[]> file : image.entrySet())
                {
                    Files.write(dir.resolve(file.getKey()), file.getValue());
                }
                powerLossImages++;
                check(dir, point, "power-loss (" + Long.toBinaryString(mask & ((1L << Math.min(d, 63)) - 1)) +
                    " of " + d + " changed pages " + names + pages + ")", false, unlogged);
            }
        }

        /** A segment file as its creation left it: the header's immutable part, the rest as created. */
        private static byte[] asCreated(final byte[] current)
        {
            final byte[] created = new byte[current.length];
            System.arraycopy(current, 0, created, 0, SegmentDescriptor.ENTRY_COUNT_OFFSET);
            final UnsafeBuffer h = new UnsafeBuffer(created);
            h.putInt(SegmentDescriptor.OPEN_STATE_OFFSET, SegmentDescriptor.OPEN_STATE_OPEN,
                java.nio.ByteOrder.LITTLE_ENDIAN);
            h.putLong(SegmentDescriptor.UNDO_SLOT_INDEX_OFFSET, SegmentDescriptor.NO_UNDO,
                java.nio.ByteOrder.LITTLE_ENDIAN);
            return created;
        }

        /** Entry Count, or in a store with expiry the entries not expired (the expired ones count until dropped). */
        private long liveCount(final SegmentSet set)
        {
            if (!expiry)
            {
                return set.entryCount();
            }
            final UnsafeBuffer scratch = new UnsafeBuffer(new byte[params.maxKeyLength]);
            final long now = ExpiryClock.now();
            long count = 0;
            for (int s = 0; s < set.segmentCount(); s++)
            {
                count += SegmentScan.liveEntries(set.segment(s), now, scratch);
            }
            return count;
        }

        private Map<Integer, String> contents(final SegmentSet set)
        {
            final Map<Integer, String> state = new HashMap<>();
            for (int k = 0; k < MAX_KEYS; k++)
            {
                final int length = set.get(checkKey, 0, keyOf(checkKey, k), out, 0, checkLookup);
                if (length >= 0)
                {
                    final byte[] bytes = new byte[length];
                    out.getBytes(0, bytes);
                    final String v = new String(bytes, StandardCharsets.US_ASCII);
                    state.put(k, expiry ? v + "@" + checkLookup.expiresAt : v);
                }
            }
            return state;
        }

        private Path copy(final Path from) throws IOException
        {
            final Path to = tmp.resolve("image-" + imageNumber++);
            Files.createDirectories(to);
            try (Stream<Path> files = Files.list(from))
            {
                for (final Path file : files.toList())
                {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
            return to;
        }

        /**
         * Make a copy of the files stand for the page cache of a writer killed under the running kernel: if the
         * original's manifest holds the Writer Identity of this boot and its own file, the copy's gets the
         * identity of this boot and the copy's file (as if the killed writer had recorded it there).
         *
         * @return whether the identity was transferred.
         */
        static boolean transferIdentity(final Path from, final Path to) throws IOException
        {
            final Path original = from.resolve(ManifestDescriptor.FILE_NAME);
            final Path copy = to.resolve(ManifestDescriptor.FILE_NAME);
            final byte[] recorded = new byte[ManifestDescriptor.WRITER_IDENTITY_LENGTH];
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(original))
            {
                if (channel.read(java.nio.ByteBuffer.wrap(recorded), ManifestDescriptor.WRITER_IDENTITY_OFFSET) !=
                    recorded.length || !WriterIdentity.same(recorded, WriterIdentity.of(original)))
                {
                    return false;
                }
            }
            final byte[] identity = WriterIdentity.of(copy);
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(copy,
                java.nio.file.StandardOpenOption.WRITE))
            {
                channel.write(java.nio.ByteBuffer.wrap(identity), ManifestDescriptor.WRITER_IDENTITY_OFFSET);
            }
            return true;
        }

        private static Map<String, byte[]> snapshot(final Path dir) throws IOException
        {
            final Map<String, byte[]> files = new HashMap<>();
            try (Stream<Path> list = Files.list(dir))
            {
                for (final Path file : list.toList())
                {
                    files.put(file.getFileName().toString(), Files.readAllBytes(file));
                }
            }
            return files;
        }

        private static void delete(final Path dir) throws IOException
        {
            try (Stream<Path> files = Files.walk(dir))
            {
                for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.delete(file);
                }
            }
        }

        void assertEveryPointChecked()
        {
            System.out.println("v2 crash points (" + mode + (expiry ? ", expiry" : "") + "): " + images + " images (" + powerLossImages +
                " power-loss, " + unloggedPowerLossImages + " of them unlogged mid-migration, " + nestedImageCount + " recovery-interrupted), " + oldStates + " recovered the old " +
                "state, " + restoredSlots + " damaged slots restored from the log, " + sameKernelRecoveries +
                " same-kernel recoveries (" + segmentsNotScanned + " segments not scanned), " + shrinks +
                " shrinks; firings " + firings +
                "; checked " + checked + "; nested " + nestedChecked);
            for (final String point : PROTOCOL_POINTS)
            {
                assertTrue(checked.getOrDefault(point, 0) > 0, point + " was never checked; checked " + checked);
            }
            for (final String point : expiry ? EXPIRY_POINTS : new String[0])
            {
                assertTrue(checked.getOrDefault(point, 0) > 0, point + " was never checked; checked " + checked);
            }
            for (final String point : Mode.LOGGED == mode ? LOG_POINTS : new String[0])
            {
                assertTrue(checked.getOrDefault(point, 0) > 0, point + " was never checked; checked " + checked);
            }
            assertTrue(shrinks > 0, "no compaction shrank a segment");
            if (Mode.UNLOGGED == mode)
            {
                assertTrue(unloggedPowerLossImages > 0, "no unlogged power-loss image mid-migration was checked");
            }
            if (null != WriterIdentity.bootId())
            {
                assertTrue(sameKernelRecoveries > 0 && segmentsNotScanned > 0, "no recovery trusted the page " +
                    "cache of a killed writer: " + sameKernelRecoveries + " recoveries, " + segmentsNotScanned +
                    " segments not scanned");
            }
            for (final String point : RECOVERY_POINTS)
            {
                assertTrue(nestedChecked.getOrDefault(point, 0) > 0, point + " was never interrupted; " +
                    nestedChecked);
            }
        }
    }
}
