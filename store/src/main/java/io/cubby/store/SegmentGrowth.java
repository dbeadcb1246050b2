package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The growth policy of a {@link SegmentSet} and its driving (FORMAT-v2.md section 9): when a segment's next file
 * is asked for, when its rehash begins, who migrates it, and what a writer does at Max Load.
 * <p>
 * <b>Ahead of need.</b> After each write, under the segment's lock, a segment that has reached its
 * <em>request load</em> and has no rehash in flight and no file pending asks the {@link SegmentAllocator} for its
 * next file (which waits, if need be, for the segment's previous rehash end), provided the directory stays within its budget: the bytes beyond the
 * current files (files pending, sources not yet deleted) at most {@link #DIRECTORY_BUDGET} of the current files'
 * bytes. Every segment may have its own request queued; the allocator prepares them in batches. The request load
 * is Early Load for a segment of {@link #DOUBLING_GROUPS} groups or more; below, where a segment doubles, it is
 * spread over the segments between {@link #SPREAD_LOW_PPM} and Early Load (a fixed fraction per segment), so that
 * segments filled by uniformly hashed keys do not all ask at the same moment, and each has half a doubling of
 * inserts to wait for its file. The rehash into a prepared file begins with the segment's next write (under its
 * lock; no file operation on the writer's path).
 * <p>
 * <b>At Grow Load</b> ({@link #GROW_LOAD_PPM}, the band's top) a segment whose file is on the way goes on
 * inserting, up to Max Load; one without asks now ({@link #mustGrow}). <b>At Max Load</b> (or at Grow Load with
 * nothing on the way) the writer finishes any migration in flight, then takes the segment's file if it is
 * prepared, waits for it if it is being prepared, and otherwise cancels a request still queued and creates the
 * file itself. Max Load is the format's hard limit: {@link SegmentTable} refuses an insert beyond it, so at least
 * one slot stays empty and probing terminates. With the default Max Load, Grow Load and Max Load coincide.
 * <p>
 * <b>Migration.</b> Each write migrates {@code migrationStep} groups of its own segment's rehash, and after
 * releasing its lock, whichever writer finds the drive lock free migrates as many of the oldest rehash still in
 * flight (never waiting for a segment's lock). The writer that migrates the last group unpublishes the source and
 * hands the end to the allocator's {@link SegmentRetirer}.
 * <p>
 * <b>Compaction</b> ({@link #beginShrink}, FORMAT-v2.md 9.1) is the same rehash into a smaller file; while it is in
 * flight, a bound of the entries a power loss could leave in the segment's two files ends it as a growth before it
 * passes the smaller file's Max Load.
 * <p>
 * Thread-safe under the set's locking: the methods named for a segment are called under its lock.
 */
final class SegmentGrowth implements AutoCloseable
{
    /** Segments of fewer groups (167 KiB for 16 + 64-byte entries) grow by a factor of 2. */
    static final long DOUBLING_GROUPS = 128;
    /** Directory bytes beyond the current files' that prepared files and unretired sources may take, per byte. */
    static final double DIRECTORY_BUDGET = 0.35;
    /**
     * The same for a segment already at Grow Load: above this it goes on towards Max Load and asks again with its
     * next write. Only writers at Max Load go beyond (each by one file, its own).
     */
    static final double URGENT_DIRECTORY_BUDGET = 0.4;
    /**
     * The load at which a segment grows whatever it costs the writer, unless its file is on the way (parts per
     * million): the band's top. Max Load, the format's hard limit that {@link SegmentTable} enforces, may be set
     * higher (up to {@link SegmentParams#MAX_LOAD_PPM_MAX}) to give a segment room while its file is prepared.
     */
    static final int GROW_LOAD_PPM = 937_500;
    /** Lowest request load of a doubling segment (parts per million of its slots). */
    static final int SPREAD_LOW_PPM = 500_000;

    private final Path directory;
    private final Manifest manifest;
    private final SegmentParams params;
    private final Segment[] segments;
    private final ReentrantLock[] locks;
    private final int migrationStep;
    private final boolean allocate;
    private final SegmentAllocator allocator;
    private final ReentrantLock driveLock = new ReentrantLock();
    /** Segments whose rehash began, oldest first (a segment may appear twice; the driver skips finished ones). */
    private final ConcurrentLinkedQueue<Integer> inFlight = new ConcurrentLinkedQueue<>();
    /** Bytes of the segments' current files. */
    private final AtomicLong liveBytes = new AtomicLong();
    /** What growth did (tests, diagnostics). */
    final GrowthCounters counters = new GrowthCounters();
    private final boolean[] refused;
    /**
     * Per segment being shrunk by a compaction ({@link #beginShrink}), the entries a power loss may leave in its
     * two files: the source's entries when its force began the shrink, plus the new keys inserted since (a
     * removal's tag clear may be lost, an insert's slot kept). The shrink ends early in a growth when the next new
     * key would take it past the smaller file's Max Load; {@link #NOT_SHRINKING} otherwise, and
     * {@link #BOUND_UNKNOWN} for a shrink found in flight at open until the segment's first write computes it.
     */
    private final long[] shrinkBound;
    static final long NOT_SHRINKING = -1;
    static final long BOUND_UNKNOWN = -2;
    private volatile boolean cleanups = true;
    /**
     * Stale Overflow per group above which a removal compacts its segment ({@link #afterRemove}): measured with
     * 200,000 entries at Target Load and random removals each followed by an insert, an absent lookup read 1.2
     * groups after the fill and 6 once Stale Overflow had reached 25 per group, 91 at 118 per group.
     */
    static final long STALE_OVERFLOW_PER_GROUP = 4;

    SegmentGrowth(final Path directory, final Manifest manifest, final Segment[] segments,
        final ReentrantLock[] locks, final int migrationStep, final boolean allocate, final SegmentAllocator allocator)
    {
        this.directory = directory;
        this.manifest = manifest;
        this.params = manifest.params;
        this.segments = segments;
        this.locks = locks;
        this.migrationStep = migrationStep;
        this.allocate = allocate;
        this.allocator = allocator;
        this.refused = new boolean[segments.length];
        this.shrinkBound = new long[segments.length];
        Arrays.fill(shrinkBound, NOT_SHRINKING);
        long live = 0;
        for (int s = 0; s < segments.length; s++)
        {
            live += segments[s].current().fileLength();
            if (segments[s].rehashing())
            {
                inFlight.add(s);
                allocator.sourceInFlight(segments[s].source());
                if (segments[s].current().groupCount < segments[s].source().groupCount)
                {
                    // computed by the first write, once recovery's replay (which does not count here) is done
                    shrinkBound[s] = BOUND_UNKNOWN;
                }
            }
        }
        liveBytes.set(live);
    }

    /**
     * Under segment {@code s}'s lock, before a write: begin the rehash into its prepared file, if there is one.
     * A file whose preparation failed is dropped here; the segment then grows at Max Load, where a failure to
     * create the file is reported.
     */
    void beginPrepared(final int s, final Segment segment) throws IOException
    {
        final SegmentAllocator.Request request = allocator.pending(s);
        if (null == request || !request.done() || segment.rehashing())
        {
            return;
        }
        final SegmentTable target;
        try
        {
            target = allocator.take(request, false);
        }
        catch (final IOException | RuntimeException ex)
        {
            return;
        }
        if (null == target)
        {
            return;
        }
        if (!fits(target, segment.current()))
        {
            discard(target);
            return;
        }
        begin(s, segment, target);
        counters.beganPrepared.incrementAndGet();
        manifest.nextSegment(next(s));
    }

    /**
     * Under segment {@code s}'s lock, before a write that may insert: whether the segment must grow now (then the
     * caller checks that the key is new and calls {@link #growAtMaxLoad}). At Max Load it must. From Grow Load on
     * it must unless its file is on the way: a pending request lets it go on to Max Load, and if it has none (it
     * was refused for the budget) it asks for one now within the larger {@link #URGENT_DIRECTORY_BUDGET} (those
     * requests are prepared first), or else goes on towards Max Load and asks again with its next write.
     */
    boolean mustGrow(final int s, final Segment segment)
    {
        final SegmentTable current = segment.current();
        final long entries = segment.entryCount();
        if (isLargest(current))
        {
            // no larger file: inserts go on to Max Load, then growAtMaxLoad refuses them
            return entries >= current.maxEntries;
        }
        if (shrinkBound[s] == BOUND_UNKNOWN)
        {
            shrinkBound[s] = reopenedShrinkBound(segment);
        }
        if (entries >= current.maxEntries || shrinkBound[s] >= current.maxEntries)
        {
            return true;
        }
        if (entries < growEntries(current))
        {
            return false;
        }
        if (segment.rehashing())
        {
            return true;
        }
        SegmentAllocator.Request request = allocator.pending(s);
        if (null == request)
        {
            final long groups = groupsFor(entries, current);
            if (!withinBudget(URGENT_DIRECTORY_BUDGET, groups))
            {
                counters.overGrowLoad.incrementAndGet();
                return false;
            }
            if (allocator.request(s, current.generation + 1, groups, current.generation, current.groupCount, true))
            {
                request = allocator.pending(s);
            }
        }
        else if (entries == growEntries(current))
        {
            allocator.hurry(request);
        }
        if (null == request || request.done())
        {
            return true;
        }
        counters.overGrowLoad.incrementAndGet();
        return false;
    }

    /** Whether a file of {@code groups} groups keeps the directory's extra bytes within {@code budget}. */
    private boolean withinBudget(final double budget, final long groups)
    {
        final long length = SegmentDescriptor.fileLength(params.headerLength, params.slotLength, groups);
        return allocator.extraBytes() + length <= budget * liveBytes.get();
    }

    /** Entries at which {@code table} reaches Grow Load (at most its Max Load). */
    private static long growEntries(final SegmentTable table)
    {
        return Math.min(table.maxEntries, table.slotCount * (long)GROW_LOAD_PPM / 1_000_000L);
    }

    /**
     * Growth at Max Load, under the segment's lock: finish any migration in flight, then start a rehash into a file
     * sized for Target Load (FORMAT-v2.md section 9 steps 2 to 4; the log record is a later step): the prepared
     * one, the one being prepared (waited for), else one created here; either way outside the sequence bracket,
     * so readers do not wait for its allocation.
     */
    void growAtMaxLoad(final int s, final Segment segment) throws IOException
    {
        final GrowthSteps steps = GrowthSteps.ENABLED ? GrowthSteps.current() : null;
        if (GrowthSteps.ENABLED)
        {
            steps.mark(GrowthSteps.WRITE);
        }
        if (segment.rehashing())
        {
            migrateStep(s, segment, Integer.MAX_VALUE);
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.GROW_FINISH_MIGRATION);
            }
        }
        final SegmentTable current = segment.current();
        if (isLargest(current))
        {
            if (current.entryCount() < current.maxEntries)
            {
                return; // the migration just finished made room
            }
            throw new StoreFullException("segment " + s + " of " + directory + " is full: its file " +
                current.file.getFileName() + " holds " + current.entryCount() + " entries in " + current.groupCount +
                " groups, the largest file format version 2 maps (2 GiB); updates and removals go on. A store " +
                "created with more segments (Cubby.Builder.segments, or expectedEntries) holds more");
        }
        SegmentTable target = null;
        final SegmentAllocator.Request request = allocator.pending(s);
        int cause = refused[s] ? 1 : 0;
        if (null != request)
        {
            cause = allocator.retiring(s) ? 3 : request.done() ? 4 : 2;
            final boolean ready = request.done();
            try
            {
                target = allocator.take(request, true);
            }
            catch (final IOException | RuntimeException ex)
            {
                target = null;
            }
            if (null != target && !fits(target, current))
            {
                discard(target);
                target = null;
            }
            if (null != target && !ready)
            {
                counters.waitedForPrepared.incrementAndGet();
            }
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.GROW_WAIT_PREPARED);
            }
        }
        if (null == target)
        {
            target = SegmentFile.create(directory, params, s, current.generation + 1,
                groupsFor(toMigrate(current) + 1, current), current.generation, current.groupCount, allocate);
            allocator.sourceInFlight(current);
            counters.createdByWriter(cause, current.groupCount < DOUBLING_GROUPS);
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.GROW_CREATE);
            }
            beginSwitch(s, segment, target);
        }
        else
        {
            begin(s, segment, target);
        }
        if (GrowthSteps.ENABLED)
        {
            steps.mark(GrowthSteps.GROW_BEGIN);
        }
    }

    /**
     * Under segment {@code s}'s lock, after a write: migrate its own rehash by a step, then ask for its next file
     * if it has reached its request load.
     */
    void afterWrite(final int s, final Segment segment) throws IOException
    {
        migrateStep(s, segment, migrationStep);
        if (segment.rehashing() || null != allocator.pending(s))
        {
            return;
        }
        final SegmentTable current = segment.current();
        final long entries = current.entryCount();
        if (entries * 1_000_000L < requestLoadPpm(s, current.groupCount) * current.slotCount || isLargest(current))
        {
            return;
        }
        final long groups = groupsFor(entries, current);
        if (!withinBudget(DIRECTORY_BUDGET, groups))
        {
            if (!refused[s])
            {
                refused[s] = true;
                counters.refusedForBudget.incrementAndGet();
            }
            return;
        }
        refused[s] = false;
        allocator.request(s, current.generation + 1, groups, current.generation, current.groupCount);
    }

    /** Under segment {@code s}'s lock, after a put that inserted a new key: counted in a shrink's bound. */
    void afterInsert(final int s)
    {
        if (shrinkBound[s] >= 0)
        {
            shrinkBound[s]++;
        }
    }

    /**
     * Compaction of segment {@code s}, under its lock (FORMAT-v2.md 9.1): finish the rehash in flight, then, if
     * the segment's file has more groups than its entries need at {@code loadPpm}, begin a rehash into a smaller
     * file, as growth does (9 steps 3 to 5): a pending file of its next generation is discarded first, the
     * current file forced (so that the removals that made it too large are durable: a power loss can bring back
     * none of the entries they removed, which the smaller file might not hold), then the target created and both
     * published.
     *
     * @param loadPpm the load of the smaller file, at most Max Load.
     * @param fit     whether to size it for one entry more, and below {@link #DOUBLING_GROUPS} at most at the
     *                segment's request load (so that the next insert does not ask for a bigger file at once).
     * @return whether a shrink began; false if the segment already has the size or fewer groups.
     */
    boolean beginShrink(final int s, final Segment segment, final int loadPpm, final boolean fit) throws IOException
    {
        return beginShrink(s, segment, loadPpm, fit, false);
    }

    /**
     * @param sameSize whether a segment whose entries need as many groups as it has (or more) is rewritten at its
     *                 size all the same: a clean-up of its overflow bits ({@link #afterRemove}).
     */
    private boolean beginShrink(final int s, final Segment segment, final int loadPpm, final boolean fit,
        final boolean sameSize) throws IOException
    {
        if (segment.rehashing())
        {
            migrateStep(s, segment, Integer.MAX_VALUE);
        }
        final SegmentTable current = segment.current();
        final long entries = toMigrate(current) + (fit ? 1 : 0);
        long groups = shrinkGroups(entries, loadPpm);
        if (fit && groups < DOUBLING_GROUPS)
        {
            groups = shrinkGroups(entries, (int)Math.min(loadPpm, requestLoadPpm(s, groups)));
        }
        while (params.maxEntries(groups) < entries)
        {
            groups++; // rounding: Max Load holds them
        }
        if (groups >= current.groupCount)
        {
            if (!sameSize)
            {
                return false;
            }
            groups = current.groupCount;
        }
        final SegmentAllocator.Request request = allocator.pending(s);
        if (null != request)
        {
            SegmentTable pending;
            try
            {
                pending = allocator.take(request, true);
            }
            catch (final IOException | RuntimeException ex)
            {
                pending = null; // nothing of it is left in the directory
            }
            if (null != pending)
            {
                discard(pending);
            }
            CrashPoints.Hook.reached("v2.compact.pending-discarded");
        }
        current.force();
        CrashPoints.Hook.reached("v2.compact.source-forced");
        final SegmentTable target = SegmentFile.create(directory, params, s, current.generation + 1, groups,
            current.generation, current.groupCount, allocate);
        allocator.sourceInFlight(current);
        shrinkBound[s] = toMigrate(current);
        beginSwitch(s, segment, target);
        return true;
    }

    /** Under segment {@code s}'s lock: migrate up to {@code groups} groups of its rehash in flight, if any. */
    void migrate(final int s, final Segment segment, final int groups)
    {
        migrateStep(s, segment, groups);
    }

    /**
     * The group count of a compacted file: {@code ceil(entries / (15 × load))}, at least 1. Its Max Load holds
     * {@code entries}, as {@code loadPpm} is at most Max Load.
     */
    static long shrinkGroups(final long entries, final int loadPpm)
    {
        return Math.max(1,
            (long)Math.ceil(entries * 1_000_000.0 / ((double)loadPpm * SegmentDescriptor.GROUP_SLOTS)));
    }

    /**
     * A shrink found in flight at open, at the segment's first write: both files are forced (a recovery does not
     * force what it repaired), then its bound is what they hold (the source's full slots, dead copies included,
     * plus the current file's Entry Count): a power loss from now on can bring back no more than that.
     */
    private static long reopenedShrinkBound(final Segment segment)
    {
        final SegmentTable source = segment.source();
        source.force();
        segment.current().force();
        return source.tags.countFull() + segment.current().entryCount();
    }

    /**
     * Under segment {@code s}'s lock, after a write that cannot insert: migrate its own rehash by a step. With no
     * rehash in flight, a removal that leaves the segment's Stale Overflow above {@link #STALE_OVERFLOW_PER_GROUP}
     * times its group count begins a compaction of the segment (FORMAT-v2.md 9.1) into a file of its size or
     * smaller: removals leave overflow bits set, so without it a store that keeps removing and inserting at a
     * steady size would make absent lookups and inserts walk ever more groups.
     */
    void afterRemove(final int s, final Segment segment) throws IOException
    {
        migrateStep(s, segment, migrationStep);
        final SegmentTable current = segment.current();
        if (cleanups && !segment.rehashing() &&
            current.staleOverflow() > STALE_OVERFLOW_PER_GROUP * current.groupCount &&
            beginShrink(s, segment, manifest.targetLoadPpm, true, true))
        {
            counters.cleanupsBegun.incrementAndGet();
        }
    }

    /** Tests: whether removals begin clean-up compactions (on by default), for tests of explicit compaction. */
    void cleanups(final boolean on)
    {
        cleanups = on;
    }

    /**
     * The load (parts per million of the slots) at which segment {@code s} of {@code groupCount} groups asks for
     * its next file: Early Load, or below {@link #DOUBLING_GROUPS} a fraction of the way from
     * {@link #SPREAD_LOW_PPM} to Early Load fixed per segment (Weyl sequence of the golden ratio, so that any
     * number of consecutive segments spreads evenly).
     */
    long requestLoadPpm(final int s, final long groupCount)
    {
        final long early = manifest.earlyLoadPpm;
        if (groupCount >= DOUBLING_GROUPS || early <= SPREAD_LOW_PPM)
        {
            return early;
        }
        final long fraction = (s * 0x9E3779B9L) & 0xFFFF_FFFFL;
        return SPREAD_LOW_PPM + ((early - SPREAD_LOW_PPM) * fraction >>> 32);
    }

    /**
     * After a write, outside any segment lock, if no other writer is doing it: migrate {@code migrationStep}
     * groups of the oldest rehash in flight. Never waits for a segment's lock.
     */
    void advance() throws IOException
    {
        // nothing in flight: no lock taken (its compare-and-set is a full fence on every write)
        if (inFlight.isEmpty() || !driveLock.tryLock())
        {
            return;
        }
        try
        {
            final Integer g = inFlight.peek();
            if (null == g)
            {
                return;
            }
            final ReentrantLock lock = locks[g];
            if (!lock.tryLock())
            {
                return;
            }
            try
            {
                final Segment segment = segments[g];
                migrateStep(g, segment, migrationStep);
                if (!segment.rehashing())
                {
                    inFlight.poll();
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        finally
        {
            driveLock.unlock();
        }
    }

    /**
     * Group count for {@code entries} at Target Load, larger than the current file's; twice the current one while
     * that is below {@link #DOUBLING_GROUPS}, where the file is small and its bytes per entry do not matter
     * beside the headers, so that a store growing from empty takes a few rehashes per segment to get there
     * instead of dozens by the factor of 1.08 to 1.125 (each rehash creates, forces and deletes a file).
     */
    long groupsFor(final long entries, final SegmentTable current)
    {
        return groupsFor(entries, current, manifest.targetLoadPpm);
    }

    /** The sizing rule above for a given Target Load: also recovery's, when a replay grows a segment. */
    static long groupsFor(final long entries, final SegmentTable current, final int targetLoadPpm)
    {
        final long atTarget = Math.max(current.groupCount + 1, (long)Math.ceil(
            entries * 1_000_000.0 / ((double)targetLoadPpm * SegmentDescriptor.GROUP_SLOTS)));
        final long groups = current.groupCount < DOUBLING_GROUPS ? Math.max(atTarget, 2 * current.groupCount) :
            atTarget;
        return Math.min(groups, SegmentDescriptor.maxGroupCount(current.params.slotLength));
    }

    /** Whether {@code table} has the largest group count this format version maps for its slot length. */
    static boolean isLargest(final SegmentTable table)
    {
        return table.groupCount >= SegmentDescriptor.maxGroupCount(table.params.slotLength);
    }

    /** Whether a prepared file is a rehash target of {@code current} with room for its entries and one more. */
    private static boolean fits(final SegmentTable target, final SegmentTable current)
    {
        return target.sourceGeneration() == current.generation && target.sourceGroupCount() == current.groupCount &&
            target.maxEntries > toMigrate(current);
    }

    /**
     * The entries a rehash of {@code current} (not itself migrating, so every full slot is an entry) copies: its
     * full slots, which are its Entry Count unless damage a clean close vouched for set tags no count accounts
     * for. Targets are sized for the larger, so that such a migration still fits (its entries are served as they
     * are, and the new file's count agrees with its slots) instead of stopping half-way in a file too small for
     * it. A pass over the tags: one read per 8 slots, once per rehash.
     */
    private static long toMigrate(final SegmentTable current)
    {
        return Math.max(current.entryCount(), current.tags.countFull());
    }

    private static void discard(final SegmentTable table) throws IOException
    {
        table.close();
        Files.deleteIfExists(table.file);
    }

    /** Under the segment's lock: begin the rehash into a file the allocator prepared. */
    private void begin(final int s, final Segment segment, final SegmentTable target)
    {
        allocator.sourceInFlight(segment.current());
        beginSwitch(s, segment, target);
    }

    /** Switch the segment to {@code target} and publish both files, inside the bracket; count it in flight. */
    private void beginSwitch(final int s, final Segment segment, final SegmentTable target)
    {
        final SegmentTable current = segment.current();
        manifest.beginWrite(s);
        try
        {
            segment.beginRehash(target);
            manifest.publish(s, target.generation, target.groupCount, current.generation, current.groupCount);
        }
        finally
        {
            manifest.endWrite(s);
        }
        liveBytes.addAndGet(target.fileLength() - current.fileLength());
        inFlight.add(s);
        StoreEvents.rehashBegin(directory, s, target.generation, current.slotCount, target.slotCount,
            segment.entryCount());
    }

    private int next(final int s)
    {
        return (s + 1) & (segments.length - 1);
    }

    /**
     * Migrate up to {@code groups} groups of a segment's source, and complete the rehash when done: the source is
     * unpublished inside the bracket; the allocator then forces the new file, clears its Source Generation,
     * forces the manifest and deletes the source (readers still holding it keep a valid mapping).
     */
    private void migrateStep(final int s, final Segment segment, final int groups)
    {
        if (!segment.rehashing())
        {
            return;
        }
        SegmentTable done = null;
        manifest.beginWrite(s);
        try
        {
            if (segment.migrate(groups))
            {
                done = segment.detachSource();
                final SegmentTable current = segment.current();
                manifest.publish(s, current.generation, current.groupCount, 0, 0);
            }
        }
        finally
        {
            manifest.endWrite(s);
        }
        if (null != done)
        {
            shrinkBound[s] = NOT_SHRINKING;
            allocator.retire(segment.current(), done, manifest);
            final SegmentTable current = segment.current();
            StoreEvents.rehashEnd(directory, s, current.generation, current.slotCount, current.entryCount());
        }
    }

    /** The files pending (being prepared, or prepared for a rehash not yet begun), for tests' directory checks. */
    List<String> pendingFileNames()
    {
        final List<String> names = new ArrayList<>();
        for (int s = 0; s < segments.length; s++)
        {
            final SegmentAllocator.Request request = allocator.pending(s);
            if (null != request)
            {
                names.add(request.fileName());
            }
        }
        return names;
    }

    /** Bytes of the segments' current files. */
    long liveBytes()
    {
        return liveBytes.get();
    }

    @Override
    public void close() throws IOException
    {
        allocator.close();
    }
}
