package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The 2^k segments of a version-2 store and its manifest: routes a key's hash to its segment, takes the segment's
 * write lock for writes and brackets them with the segment's sequence word, and validates optimistic reads
 * against it (FORMAT-v2.md section 3.2).
 * <p>
 * Growth (FORMAT-v2.md section 9): a segment grows <em>ahead of need</em> in round-robin order, the order of
 * linear hashing (the manifest's Next Segment), when its load has reached Early Load and no other such rehash is
 * in flight; its new file is prepared by the {@link SegmentAllocator} (allocated and pre-faulted off the writers'
 * path) and its migration is driven by every write to the store, {@code migrationStep} groups at a time, so it
 * ends long before the next segment's turn. A segment that reaches Max Load anyway grows at once (with the
 * prepared file if it is the one being prepared, else with one created on the spot) and its migration is adopted
 * by the same driver. So the segments' loads stay spread over the band between Target Load and Early Load instead
 * of all reaching Max Load together, and at most one segment file in the directory is not live data. Logging and
 * recovery are later steps.
 * <p>
 * Retired sources are unmapped explicitly (so a grown store's RSS does not carry every former file until the
 * garbage collector finds its buffers): each optimistic read counts itself in its segment's reader count from
 * before its first sequence read to after its last use of the tables; the allocator unmaps a source only after it
 * was unpublished and a full fence later saw that count at zero. A reader arriving after that sees the new
 * sequence and so no source (the count's atomic increment is a full fence before its sequence read).
 * <p>
 * Thread-safe: writers of different segments proceed in parallel; readers take no lock. Growth work is done by
 * whichever writer finds the growth lock free after its own write (never while holding its segment's lock).
 */
final class SegmentSet implements AutoCloseable
{
    private static final int NONE = -1;
    /** Longs between two segments' reader counts: 128 bytes, so counts of different segments share no line. */
    private static final int READERS_STRIDE = 16;
    /** Segments of fewer groups (167 KiB for 16 + 64-byte entries) grow by a factor of 2. */
    static final long DOUBLING_GROUPS = 128;

    final Path directory;
    final Manifest manifest;
    final SegmentParams params;
    final int segmentBits;
    private final Segment[] segments;
    private final ReentrantLock[] locks;
    private final int migrationStep;
    private final boolean allocate;
    private final SegmentAllocator allocator;
    private final ReentrantLock growthLock = new ReentrantLock();
    /** The segment whose migration every write drives, or {@link #NONE}. */
    private final AtomicInteger driven = new AtomicInteger(NONE);
    /** Segments that grew at Max Load, waiting for the driver. */
    private final ConcurrentLinkedQueue<Integer> forced = new ConcurrentLinkedQueue<>();
    /** Optimistic reads in flight per segment, at {@code segment * READERS_STRIDE}. */
    private final AtomicLongArray readers;

    private SegmentSet(final Path directory, final Manifest manifest, final Segment[] segments,
        final int migrationStep, final boolean allocate, final boolean background)
    {
        this.directory = directory;
        this.manifest = manifest;
        this.params = manifest.params;
        this.segmentBits = params.segmentBits;
        this.segments = segments;
        this.migrationStep = migrationStep;
        this.allocate = allocate;
        this.readers = new AtomicLongArray(segments.length * READERS_STRIDE);
        this.allocator = new SegmentAllocator(directory, params, allocate, background, this::readersGone);
        this.locks = new ReentrantLock[segments.length];
        for (int i = 0; i < locks.length; i++)
        {
            locks[i] = new ReentrantLock();
            if (segments[i].rehashing())
            {
                forced.add(i);
            }
        }
    }

    /**
     * Create a store's manifest and its segment files, each of {@code groupsPerSegment} groups.
     *
     * @param allocate whether new segment files get all their blocks (false: sparse files, for tests).
     */
    static SegmentSet create(final Path directory, final SegmentParams params, final long groupsPerSegment,
        final int migrationStep, final boolean allocate) throws IOException
    {
        return create(directory, params, groupsPerSegment, migrationStep, allocate, false);
    }

    /**
     * @param background whether rehash targets are prepared on a background thread (else by the writer that
     *                   asks for one: deterministic, for tests).
     */
    static SegmentSet create(final Path directory, final SegmentParams params, final long groupsPerSegment,
        final int migrationStep, final boolean allocate, final boolean background) throws IOException
    {
        final Manifest manifest = Manifest.create(directory, params, ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM,
            ManifestDescriptor.DEFAULT_EARLY_LOAD_PPM, groupsPerSegment);
        final Segment[] segments = new Segment[1 << params.segmentBits];
        for (int s = 0; s < segments.length; s++)
        {
            segments[s] = new Segment(s, SegmentFile.create(directory, params, s, 1, groupsPerSegment, 0, 0,
                allocate), null);
        }
        return new SegmentSet(directory, manifest, segments, migrationStep, allocate, background);
    }

    /**
     * Open the segment files the manifest names. (Recovery from the files' own headers after a crash is a later
     * step: FORMAT-v2.md section 8.5.)
     */
    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate)
        throws IOException
    {
        return open(directory, migrationStep, allocate, false);
    }

    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate,
        final boolean background) throws IOException
    {
        final Manifest manifest = Manifest.open(directory, false);
        final SegmentParams params = manifest.params;
        final Segment[] segments = new Segment[manifest.segmentCount];
        try
        {
            for (int s = 0; s < segments.length; s++)
            {
                final long generation = manifest.currentGeneration(s);
                final SegmentTable current = SegmentFile.open(
                    directory.resolve(SegmentDescriptor.fileName(s, generation)), params, s, generation, false);
                if (current.groupCount != manifest.currentGroupCount(s))
                {
                    throw new CorruptStoreException(current.file.getFileName() + " has " + current.groupCount +
                        " groups, the manifest says " + manifest.currentGroupCount(s));
                }
                final long sourceGeneration = manifest.sourceGeneration(s);
                final SegmentTable source = 0 == sourceGeneration ? null : SegmentFile.open(
                    directory.resolve(SegmentDescriptor.fileName(s, sourceGeneration)), params, s, sourceGeneration,
                    false);
                segments[s] = new Segment(s, current, source);
                manifest.settleSequence(s);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            for (final Segment segment : segments)
            {
                if (null != segment)
                {
                    closeTables(segment);
                }
            }
            manifest.close();
            throw ex;
        }
        manifest.markOpen();
        return new SegmentSet(directory, manifest, segments, migrationStep, allocate, background);
    }

    /** Whether no optimistic read of segment {@code s} is in flight; a full fence first (see the class note). */
    private boolean readersGone(final int s)
    {
        VarHandle.fullFence();
        return readers.get(s * READERS_STRIDE) == 0;
    }

    /** Tests: retired sources are marked unreadable (assertions) instead of unmapped, so a violation is reported. */
    void keepRetiredMappings()
    {
        allocator.keepMappings();
    }

    /** Retired sources unmapped so far, and those still waiting for their readers (tests, benchmark). */
    long unmappedSources()
    {
        return allocator.unmappedCount();
    }

    int deferredUnmaps()
    {
        return allocator.deferredUnmapCount();
    }

    int segmentOf(final long hash)
    {
        return SegmentDescriptor.segmentOf(hash, segmentBits);
    }

    long hash(final DirectBuffer key, final int offset, final int length)
    {
        return segments[0].current().hash(key, offset, length);
    }

    Segment segment(final int index)
    {
        return segments[index];
    }

    int segmentCount()
    {
        return segments.length;
    }

    /**
     * Optimistic read: find the key and copy its value without a lock, retrying while a writer changed the
     * segment meanwhile.
     *
     * @param dst must have room for Max Value Length bytes at {@code dstOffset}.
     * @return the value length, or -1 if absent.
     * @throws CorruptStoreException if a stable read finds a slot failing its checksum.
     */
    int get(final DirectBuffer key, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset, final SegmentLookup lookup)
    {
        final long hash = hash(key, offset, length);
        final int s = segmentOf(hash);
        final Segment segment = segments[s];
        final int counter = s * READERS_STRIDE;
        readers.getAndIncrement(counter);
        try
        {
            return read(s, segment, hash, key, offset, length, dst, dstOffset, lookup);
        }
        finally
        {
            readers.getAndDecrement(counter);
        }
    }

    private int read(final int s, final Segment segment, final long hash, final DirectBuffer key, final int offset,
        final int length, final MutableDirectBuffer dst, final int dstOffset, final SegmentLookup lookup)
    {
        while (true)
        {
            final long sequence = manifest.readSequence(s);
            if ((sequence & 1) != 0)
            {
                Thread.onSpinWait();
                continue;
            }
            int result = -1;
            boolean damaged = false;
            try
            {
                if (segment.find(hash, key, offset, length, lookup))
                {
                    final SegmentTable table = lookup.table;
                    final int valueLength = table.valueLength(lookup.slot);
                    if (table.checksumMatches(lookup.slot))
                    {
                        table.copyValue(lookup.slot, dst, dstOffset, valueLength);
                        result = valueLength;
                    }
                    else
                    {
                        damaged = true;
                    }
                }
            }
            catch (final CorruptStoreException | IndexOutOfBoundsException ex)
            {
                if (manifest.validate(s, sequence))
                {
                    throw ex;
                }
                continue;
            }
            if (manifest.validate(s, sequence))
            {
                if (damaged)
                {
                    throw new CorruptStoreException(lookup.table.file.getFileName() + ": slot " + lookup.slot +
                        " fails its checksum");
                }
                return result;
            }
        }
    }

    /**
     * Insert or update under the segment's lock, inside its sequence bracket.
     *
     * @return whether the key was new.
     */
    boolean put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength, final long expiresAt, final SegmentLookup lookup)
        throws IOException
    {
        final long hash = hash(key, keyOffset, keyLength);
        final int s = segmentOf(hash);
        final Segment segment = segments[s];
        final boolean isNew;
        final ReentrantLock lock = locks[s];
        final Steps steps = Steps.ENABLED ? Steps.begin() : null;
        lock.lock();
        try
        {
            if (Steps.ENABLED)
            {
                steps.mark(Steps.LOCK);
            }
            if (!segment.hasRoomForInsert() && !segment.find(hash, key, keyOffset, keyLength, lookup))
            {
                grow(s, segment);
            }
            manifest.beginWrite(s);
            try
            {
                isNew = segment.put(hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt,
                    System.currentTimeMillis(), lookup);
            }
            finally
            {
                manifest.endWrite(s);
            }
            if (Steps.ENABLED)
            {
                steps.mark(Steps.WRITE);
            }
            migrateStep(s, segment, migrationStep);
            if (Steps.ENABLED)
            {
                steps.mark(Steps.MIGRATE);
            }
        }
        finally
        {
            lock.unlock();
        }
        advanceGrowth();
        if (Steps.ENABLED)
        {
            steps.mark(Steps.ADVANCE);
            steps.end();
        }
        return isNew;
    }

    /**
     * @return whether the key was present.
     */
    boolean remove(final DirectBuffer key, final int offset, final int length, final SegmentLookup lookup)
        throws IOException
    {
        final long hash = hash(key, offset, length);
        final int s = segmentOf(hash);
        final Segment segment = segments[s];
        final boolean removed;
        final ReentrantLock lock = locks[s];
        lock.lock();
        try
        {
            manifest.beginWrite(s);
            try
            {
                removed = segment.remove(hash, key, offset, length, lookup);
            }
            finally
            {
                manifest.endWrite(s);
            }
            migrateStep(s, segment, migrationStep);
        }
        finally
        {
            lock.unlock();
        }
        advanceGrowth();
        return removed;
    }

    long entryCount()
    {
        long count = 0;
        for (final Segment segment : segments)
        {
            count += segment.entryCount();
        }
        return count;
    }

    /**
     * Growth at Max Load, under the segment's lock: finish any migration in flight, then start a rehash into a file
     * sized for Target Load (FORMAT-v2.md section 9 steps 2 to 4; the log record is a later step). The file is the
     * allocator's if it is preparing this segment's (waited for), else created here; either way outside the
     * sequence bracket, so readers do not wait for its allocation.
     */
    private void grow(final int s, final Segment segment) throws IOException
    {
        final Steps steps = Steps.ENABLED ? Steps.current() : null;
        if (Steps.ENABLED)
        {
            steps.mark(Steps.WRITE);
        }
        if (segment.rehashing())
        {
            migrateStep(s, segment, Integer.MAX_VALUE);
            if (Steps.ENABLED)
            {
                steps.mark(Steps.GROW_FINISH_MIGRATION);
            }
        }
        final SegmentTable current = segment.current();
        SegmentTable target = null;
        final SegmentAllocator.Request request = allocator.pending();
        if (null != request && request.segment == s)
        {
            target = allocator.take(request, true);
            if (null != target && !fits(target, current))
            {
                discard(target);
                target = null;
            }
            if (Steps.ENABLED)
            {
                steps.mark(Steps.GROW_WAIT_PREPARED);
            }
        }
        if (null == target)
        {
            target = SegmentFile.create(directory, params, s, current.generation + 1,
                groupsFor(current.entryCount() + 1, current), current.generation, current.groupCount, allocate);
            if (Steps.ENABLED)
            {
                steps.mark(Steps.GROW_CREATE);
            }
        }
        beginRehash(s, segment, target);
        forced.add(s);
        if (Steps.ENABLED)
        {
            steps.mark(Steps.GROW_BEGIN);
        }
    }

    /**
     * Group count for {@code entries} at Target Load, larger than the current file's; twice the current one while
     * that is below {@link #DOUBLING_GROUPS}, where the file is small and its bytes per entry do not matter
     * beside the headers, so that a store growing from empty takes a few rehashes per segment to get there
     * instead of dozens by the factor of 1.08 to 1.125 (each rehash creates, forces and deletes a file).
     */
    private long groupsFor(final long entries, final SegmentTable current)
    {
        final long atTarget = Math.max(current.groupCount + 1, (long)Math.ceil(
            entries * 1_000_000.0 / ((double)manifest.targetLoadPpm * SegmentDescriptor.GROUP_SLOTS)));
        return current.groupCount < DOUBLING_GROUPS ? Math.max(atTarget, 2 * current.groupCount) : atTarget;
    }

    /** Whether a prepared file is a rehash target of {@code current} with room for its entries and one more. */
    private static boolean fits(final SegmentTable target, final SegmentTable current)
    {
        return target.sourceGeneration() == current.generation && target.sourceGroupCount() == current.groupCount &&
            target.maxEntries > current.entryCount();
    }

    private static void discard(final SegmentTable table) throws IOException
    {
        table.close();
        Files.deleteIfExists(table.file);
    }

    /** Under the segment's lock: switch it to {@code target} and publish both files, inside the bracket. */
    private void beginRehash(final int s, final Segment segment, final SegmentTable target)
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
    }

    /**
     * After a write, outside any segment lock, if no other writer is doing it: drive the migration of the segment
     * being rehashed, and once it is half done have the next segment's file prepared; with no rehash in flight,
     * start the prepared one, or adopt a segment that grew at Max Load. Never waits for a segment's lock. A failure
     * to prepare a file is not the caller's: the segment then grows at Max Load, where the failure is reported.
     */
    private void advanceGrowth() throws IOException
    {
        if (!growthLock.tryLock())
        {
            return;
        }
        try
        {
            final int g = driven.get();
            if (NONE != g)
            {
                final ReentrantLock lock = locks[g];
                if (lock.tryLock())
                {
                    try
                    {
                        final Segment segment = segments[g];
                        migrateStep(g, segment, migrationStep);
                        if (!segment.rehashing())
                        {
                            driven.compareAndSet(g, NONE);
                        }
                        else if (segment.cursor() * 2 >= segment.source().groupCount && null == allocator.pending())
                        {
                            requestEarlyGrowth();
                        }
                    }
                    finally
                    {
                        lock.unlock();
                    }
                }
                return;
            }
            final Integer f = forced.poll();
            if (null != f)
            {
                driven.set(f);
                return;
            }
            final SegmentAllocator.Request request = allocator.pending();
            if (null == request)
            {
                requestEarlyGrowth();
            }
            else if (request.done())
            {
                beginEarlyRehash(request);
            }
        }
        finally
        {
            growthLock.unlock();
        }
    }

    /**
     * Ask for the file of the segment named by Next Segment if its load has reached Early Load (FORMAT-v2.md
     * section 9 step 1). A segment already rehashing (it grew at Max Load) has had its turn: the pointer moves on.
     */
    private void requestEarlyGrowth()
    {
        final int n = manifest.nextSegment();
        final ReentrantLock lock = locks[n];
        if (!lock.tryLock())
        {
            return;
        }
        try
        {
            final Segment segment = segments[n];
            if (segment.rehashing())
            {
                manifest.nextSegment(next(n));
                return;
            }
            final SegmentTable current = segment.current();
            final long entries = current.entryCount();
            if (entries * 1_000_000L >= (long)manifest.earlyLoadPpm * current.slotCount)
            {
                allocator.request(n, current.generation + 1, groupsFor(entries, current), current.generation,
                    current.groupCount);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Start the rehash of a prepared file, unless the segment has moved on (then the file is deleted). */
    private void beginEarlyRehash(final SegmentAllocator.Request request) throws IOException
    {
        final int s = request.segment;
        final ReentrantLock lock = locks[s];
        if (!lock.tryLock())
        {
            return;
        }
        try
        {
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
            final Segment segment = segments[s];
            if (segment.rehashing() || !fits(target, segment.current()))
            {
                discard(target);
                return;
            }
            beginRehash(s, segment, target);
            driven.set(s);
            manifest.nextSegment(next(s));
        }
        finally
        {
            lock.unlock();
        }
    }

    private int next(final int s)
    {
        return (s + 1) & (segments.length - 1);
    }

    /**
     * The file being prepared or prepared for a rehash not yet begun, or null (tests account for it in the
     * directory).
     */
    String pendingFileName()
    {
        final SegmentAllocator.Request request = allocator.pending();
        return null == request ? null : SegmentDescriptor.fileName(request.segment, request.generation);
    }

    /**
     * Wait until a file being prepared is ready and every rehash end handed to the allocator is done (tests).
     */
    void awaitAllocation()
    {
        final SegmentAllocator.Request request = allocator.pending();
        if (null != request)
        {
            SegmentAllocator.await(request);
        }
        allocator.awaitIdle();
    }

    /**
     * Migrate up to {@code groups} groups of a segment's source, and complete the rehash when done: the source is
     * unpublished inside the bracket; the allocator then forces the new file, clears its Source Generation,
     * forces the manifest and deletes the source (readers still holding it keep a valid mapping).
     */
    private void migrateStep(final int s, final Segment segment, final int groups) throws IOException
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
            driven.compareAndSet(s, NONE);
            allocator.retire(segment.current(), done, manifest);
        }
    }

    /**
     * Force every segment file and the manifest, and mark the store closed.
     */
    @Override
    public void close()
    {
        try
        {
            allocator.close();
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("deleting an unused segment file failed", ex);
        }
        for (int s = 0; s < segments.length; s++)
        {
            locks[s].lock();
            try
            {
                segments[s].current().force();
                if (null != segments[s].source())
                {
                    segments[s].source().force();
                }
            }
            finally
            {
                locks[s].unlock();
            }
        }
        manifest.markClosed();
        for (final Segment segment : segments)
        {
            closeTables(segment);
        }
        manifest.close();
    }

    private static void closeTables(final Segment segment)
    {
        segment.current().close();
        if (null != segment.source())
        {
            segment.source().close();
        }
    }

    /**
     * Diagnostics for the growth benchmark ({@code -Dcubby.growth.steps=true}): the time of each step of a put,
     * and for every put over {@link #SLOW_NS}, the step that took most of it (counted, summed). Off by default:
     * the JIT removes the disabled branches. Single writer only (plain counters).
     */
    static final class Steps
    {
        static final boolean ENABLED = Boolean.getBoolean("cubby.growth.steps");
        static final long SLOW_NS = 1_000_000;
        static final int LOCK = 0;
        static final int WRITE = 1;
        static final int GROW_FINISH_MIGRATION = 2;
        static final int GROW_WAIT_PREPARED = 3;
        static final int GROW_CREATE = 4;
        static final int GROW_BEGIN = 5;
        static final int MIGRATE = 6;
        static final int ADVANCE = 7;
        static final String[] NAMES = {"lock", "write", "grow: finish migration", "grow: wait for prepared file",
            "grow: create file", "grow: begin rehash", "migrate step (incl. rehash end hand-off)",
            "advance growth (drive, request, begin early rehash)"};
        private static final Steps INSTANCE = new Steps();

        final long[] slowCount = new long[NAMES.length];
        final long[] slowSumNs = new long[NAMES.length];
        final long[] maxNs = new long[NAMES.length];
        private final long[] spent = new long[NAMES.length];
        private long last;

        static Steps begin()
        {
            final Steps steps = INSTANCE;
            java.util.Arrays.fill(steps.spent, 0);
            steps.last = System.nanoTime();
            return steps;
        }

        static Steps current()
        {
            return INSTANCE;
        }

        static Steps totals()
        {
            return INSTANCE;
        }

        void mark(final int step)
        {
            final long now = System.nanoTime();
            spent[step] += now - last;
            last = now;
        }

        void end()
        {
            long total = 0;
            int top = 0;
            for (int i = 0; i < spent.length; i++)
            {
                total += spent[i];
                maxNs[i] = Math.max(maxNs[i], spent[i]);
                if (spent[i] > spent[top])
                {
                    top = i;
                }
            }
            if (total > SLOW_NS)
            {
                slowCount[top]++;
                slowSumNs[top] += spent[top];
            }
        }
    }
}
