package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The 2^k segments of a version-2 store and its manifest: routes a key's hash to its segment, takes the segment's
 * write lock for writes and brackets them with the segment's sequence word, and validates optimistic reads
 * against it (FORMAT-v2.md section 3.2).
 * <p>
 * Growth (FORMAT-v2.md section 9) is {@link SegmentGrowth}'s: this class calls it under a segment's lock before
 * and after each write, and after releasing the lock; the rehash targets are prepared and the rehash ends done by
 * the {@link SegmentAllocator}. Logging and recovery are later steps.
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
    final Path directory;
    final Manifest manifest;
    final SegmentParams params;
    final int segmentBits;
    private final Segment[] segments;
    private final ReentrantLock[] locks;
    private final SegmentAllocator allocator;
    private final SegmentGrowth growth;
    /** Optimistic reads in flight per segment (and writes that may touch a source being retired). */
    final SegmentReaders readers;
    private final SegmentForces forces;
    /**
     * Whether the manifest's Open State is 1 (forced) for this open; false after a clean reopen until the first
     * change ({@link #markOpenBeforeChange}).
     */
    private volatile boolean markedOpen = true;
    /** Set by {@link #closeAfterFailedRecovery}: the close does not mark the store closed cleanly. */
    private boolean failedRecovery;
    /** Set by {@link #closeUnclean}: the close forces nothing and does not mark the store closed cleanly. */
    private boolean unclean;
    /** The entry bound puts keep (the manifest's Max Entries), 0 for none. */
    private volatile long maxEntries;
    private SegmentRemovals removals;
    static final int PHASE_OPEN_FILES = 0;
    static final int PHASE_MARK_OPEN = 1;
    static final int PHASE_CLOSE_GROWTH = 2;
    static final int PHASE_CLOSE_FORCES = 3;
    static final int PHASE_CLOSE_MARK = 4;
    static final int PHASE_CLOSE_FILES = 5;
    /** Where open and close spent their time (diagnostics: the reopen benchmark prints them). */
    final PhaseTimes phases = new PhaseTimes("open files", "mark open", "close: growth", "close: forces",
        "close: mark closed", "close: files");

    private SegmentSet(final Path directory, final Manifest manifest, final Segment[] segments,
        final int migrationStep, final boolean allocate, final boolean background)
    {
        this.directory = directory;
        this.manifest = manifest;
        this.params = manifest.params;
        this.segmentBits = params.segmentBits;
        this.segments = segments;
        this.readers = new SegmentReaders(segments.length);
        this.forces = new SegmentForces(manifest, directory, segments.length);
        this.allocator = new SegmentAllocator(directory, params, segments.length, allocate, background,
            readers::gone);
        this.locks = new ReentrantLock[segments.length];
        for (int i = 0; i < locks.length; i++)
        {
            locks[i] = new ReentrantLock();
        }
        this.growth = new SegmentGrowth(directory, manifest, segments, locks, migrationStep, allocate, allocator);
        this.maxEntries = manifest.maxEntries();
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
        final Segment[] segments = new Segment[1 << params.segmentBits];
        final Manifest manifest;
        try
        {
            for (int s = 0; s < segments.length; s++)
            {
                // one directory force for all of them, below, before the manifest names them
                segments[s] = new Segment(s, SegmentFile.create(directory, params, s, 1, groupsPerSegment, 0, 0,
                    allocate, false), null);
            }
            Storage.syncDirectory(directory);
            // last (FORMAT-v2.md 2.1): until the manifest is in place the directory holds no store, only files
            // a creation left (CreationLeftovers), which the next creation deletes
            manifest = Manifest.create(directory, params, ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM,
                ManifestDescriptor.DEFAULT_EARLY_LOAD_PPM, groupsPerSegment);
        }
        catch (final IOException | RuntimeException ex)
        {
            closeTables(segments);
            throw ex;
        }
        final SegmentSet set = new SegmentSet(directory, manifest, segments, migrationStep, allocate, background);
        set.forces.allForced(); // each file's header was forced at its creation
        set.publishWriterIdentity();
        return set;
    }

    /**
     * Open the segment files the manifest names, each checked against its entry (generation, group counts, source)
     * before anything is written; then mark the store open (FORMAT-v2.md 8.5 step 6). A sequence word a dead writer
     * left odd stays odd until recovery has repaired its segment ({@link Manifest#releaseHeldSequences}).
     * Recovery ({@link SegmentRecovery#recover}) has made the entries agree with the files' headers first, or
     * proved them right by a clean close.
     *
     * @throws CorruptStoreException if a file disagrees with its entry; nothing has been written then.
     */
    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate)
        throws IOException
    {
        return open(directory, migrationStep, allocate, false);
    }

    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate,
        final boolean background) throws IOException
    {
        return open(directory, migrationStep, allocate, background, true);
    }

    /**
     * @param checkSources whether each current file's Source Generation and Source Group Count must equal its
     *                     entry's (false only for a recovery that has published a rehash end it finishes next,
     *                     FORMAT-v2.md 8.5 step 7: its header still names the source then).
     */
    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate,
        final boolean background, final boolean checkSources) throws IOException
    {
        return open(directory, migrationStep, allocate, background, checkSources, false);
    }

    /**
     * @param deferOpenMark whether a store found closed cleanly stays marked closed until its first change
     *                      ({@link #markOpenBeforeChange}): a reopen that changes nothing forces nothing, its close
     *                      neither. A store not closed cleanly is marked open here either way.
     */
    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate,
        final boolean background, final boolean checkSources, final boolean deferOpenMark) throws IOException
    {
        return open(directory, migrationStep, allocate, background, checkSources, deferOpenMark, false);
    }

    /**
     * @param lenient whether mutable header counters out of range are accepted (a salvaging recovery, which
     *                recomputes them).
     */
    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate,
        final boolean background, final boolean checkSources, final boolean deferOpenMark, final boolean lenient)
        throws IOException
    {
        final long start = System.nanoTime();
        final Manifest manifest = Manifest.open(directory, false);
        final Segment[] segments = new Segment[manifest.segmentCount];
        try
        {
            for (int s = 0; s < segments.length; s++)
            {
                segments[s] = SegmentFile.openSegment(directory, manifest, s, checkSources, lenient);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            closeTables(segments);
            manifest.close();
            throw ex;
        }
        // After a clean close every file was forced after its last change: nothing to force until the next one.
        final boolean forced = ManifestDescriptor.OPEN_STATE_CLOSED == manifest.openState();
        if (forced)
        {
            manifest.releaseHeldSequences(); // a clean close left nothing to repair
        }
        final long opened = System.nanoTime();
        final boolean mark = !(forced && deferOpenMark);
        if (mark)
        {
            manifest.markOpen();
        }
        final long marked = System.nanoTime();
        final SegmentSet set = new SegmentSet(directory, manifest, segments, migrationStep, allocate, background);
        set.markedOpen = mark;
        set.phases.record(PHASE_OPEN_FILES, opened - start);
        set.phases.record(PHASE_MARK_OPEN, marked - opened);
        if (forced)
        {
            set.forces.allForced();
        }
        return set;
    }

    /**
     * Before the first change of an open that found the store closed cleanly: Writer Epoch + 1 and Open State 1,
     * forced (FORMAT-v2.md 3.1), so that a crash from here on is recovered as one. Every path that changes a
     * segment calls it first (put, remove, recovery's repair and replay); a volatile read once marked.
     */
    void markOpenBeforeChange()
    {
        if (!markedOpen)
        {
            markOpenNow();
        }
    }

    private synchronized void markOpenNow()
    {
        if (!markedOpen)
        {
            manifest.markOpen();
            markedOpen = true;
            publishWriterIdentity(); // the store was closed cleanly: its files are consistent
        }
    }

    /**
     * Record this kernel's and this manifest's {@link WriterIdentity} once the files are consistent (a new store,
     * a clean reopen's first change, the end of a recovery), so that a recovery after this process is killed scans
     * only the segments it was changing (FORMAT-v2.md 8.5 step 2). Nothing if the identity cannot be read.
     */
    void publishWriterIdentity()
    {
        final byte[] identity = WriterIdentity.of(manifest.file);
        if (null != identity)
        {
            manifest.writeWriterIdentity(identity);
        }
    }

    /** Whether the manifest says open (tests). */
    boolean markedOpen()
    {
        return markedOpen;
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

    /**
     * Report to {@code removals} the expired entries every segment reclaims and the entries evictions remove from
     * now on (null: nobody).
     */
    void removals(final SegmentRemovals removals)
    {
        this.removals = removals;
        for (final Segment segment : segments)
        {
            segment.removals(removals);
        }
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
     * The lock every write and migration step of segment {@code s} holds: a caller holding it sees the segment
     * quiescent (scans, verification). The store's writes take it around the set's own acquisition (reentrant) to
     * make a read-decide-write or an apply-and-log atomic; a write made while holding it runs the growth step that
     * follows its release ({@link SegmentGrowth#advance}, which only tries other segments' locks) still holding it.
     */
    ReentrantLock lockOf(final int s)
    {
        return locks[s];
    }

    /**
     * Optimistic read: find the key and copy its value without a lock, retrying while a writer changed the
     * segment meanwhile.
     *
     * @param dst must have room for Max Value Length bytes at {@code dstOffset}.
     * @return the value length, or -1 if absent (or, in an expiry store, expired now).
     * @throws CorruptStoreException if a stable read finds a slot failing its checksum.
     */
    int get(final DirectBuffer key, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset, final SegmentLookup lookup)
    {
        return get(key, offset, length, dst, dstOffset, params.expiry ? ExpiryClock.now() : 0, lookup);
    }

    /**
     * {@link #get(DirectBuffer, int, int, MutableDirectBuffer, int, SegmentLookup)} at a given time: an entry
     * expired at {@code now} (0: none is) reads as absent; a found entry's Expires At is left in
     * {@code lookup.expiresAt}.
     */
    int get(final DirectBuffer key, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset, final long now, final SegmentLookup lookup)
    {
        final long hash = hash(key, offset, length);
        final int s = segmentOf(hash);
        final Segment segment = segments[s];
        readers.enter(s);
        try
        {
            return read(s, segment, hash, key, offset, length, dst, dstOffset, now, lookup);
        }
        finally
        {
            readers.exit(s);
        }
    }

    private int read(final int s, final Segment segment, final long hash, final DirectBuffer key, final int offset,
        final int length, final MutableDirectBuffer dst, final int dstOffset, final long now,
        final SegmentLookup lookup)
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
            try
            {
                if (segment.find(hash, key, offset, length, lookup))
                {
                    result = lookup.table.readFound(lookup, dst, dstOffset, now);
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
                if (SegmentTable.DAMAGED == result)
                {
                    throw new CorruptStoreException(lookup.table.file.getFileName() + ": slot " + lookup.slot +
                        " fails its checksum");
                }
                return result;
            }
        }
    }

    /**
     * Insert or update under the segment's lock, inside its sequence bracket ({@link Segment#put}). In an expiry
     * store the clock is read under the lock after the growth steps, so that no migration has dropped an entry
     * that this put then sees live (a migration step reads the clock under the same lock, earlier); that time
     * decides whether the present entry has expired and is the entry's Written At.
     *
     * @param expiresAt epoch ms, 0 for never, or {@link Arguments#KEEP_EXPIRY} (expiry stores; resolved by
     *                  {@link Segment#put}, the value written left in {@code lookup.expiresAt}).
     * @return whether the key was new (absent, or expired).
     */
    boolean put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength, final long expiresAt, final SegmentLookup lookup)
        throws IOException
    {
        if (expiresAt < 0 && Arguments.KEEP_EXPIRY != expiresAt || 0 != expiresAt && !params.expiry)
        {
            throw new IllegalArgumentException("expiry " + expiresAt + " in a store " +
                (params.expiry ? "with" : "without") + " expiry");
        }
        markOpenBeforeChange();
        final long hash = hash(key, keyOffset, keyLength);
        final int s = segmentOf(hash);
        final Segment segment = segments[s];
        final boolean isNew;
        final ReentrantLock lock = locks[s];
        final GrowthSteps steps = GrowthSteps.ENABLED ? GrowthSteps.begin() : null;
        lock.lock();
        try
        {
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.LOCK);
            }
            growth.beginPrepared(s, segment);
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.BEGIN_PREPARED);
            }
            if (growth.mustGrow(s, segment) && !segment.find(hash, key, keyOffset, keyLength, lookup))
            {
                growth.growAtMaxLoad(s, segment);
            }
            manifest.beginWrite(s);
            try
            {
                final long now = params.expiry ? ExpiryClock.now() : 0;
                lookup.victimKeyLength = -1;
                final long bound = maxEntries;
                if (bound > 0 && entryCount() >= bound && !segment.find(hash, key, keyOffset, keyLength, lookup))
                {
                    evict(s, segment, now, lookup);
                }
                isNew = segment.put(hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt,
                    now, now, lookup);
            }
            finally
            {
                manifest.endWrite(s);
            }
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.WRITE);
            }
            if (isNew)
            {
                growth.afterInsert(s);
            }
            growth.afterWrite(s, segment);
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.MIGRATE);
            }
        }
        finally
        {
            lock.unlock();
        }
        growth.advance();
        if (GrowthSteps.ENABLED)
        {
            steps.mark(GrowthSteps.ADVANCE);
            steps.end();
        }
        return isNew;
    }

    /**
     * @return whether the key was present (and, in an expiry store, live).
     */
    boolean remove(final DirectBuffer key, final int offset, final int length, final SegmentLookup lookup)
        throws IOException
    {
        markOpenBeforeChange();
        final long hash = hash(key, offset, length);
        final int s = segmentOf(hash);
        final Segment segment = segments[s];
        final boolean removed;
        final ReentrantLock lock = locks[s];
        lock.lock();
        try
        {
            manifest.beginWrite(s);
            // counted as a reader: the remove may clear a copy in a source whose rehash end is still being retired
            // (Segment.remove), whose mapping the retirer must not release meanwhile
            readers.enter(s);
            try
            {
                // read under the lock, as put's: an entry expired then counts as absent and stays
                removed = segment.remove(hash, key, offset, length, params.expiry ? ExpiryClock.now() : 0,
                    lookup);
            }
            finally
            {
                readers.exit(s);
                manifest.endWrite(s);
            }
            growth.afterRemove(s, segment);
        }
        finally
        {
            lock.unlock();
        }
        growth.advance();
        return removed;
    }

    /**
     * Remove one entry of segment {@code s} (its lock held, inside its bracket) to make room under the entry bound
     * ({@link SegmentEvictor}); its key is left in {@code lookup.victimKey} for the log.
     */
    void evict(final int s, final Segment segment, final long now, final SegmentLookup lookup)
    {
        // counted as a reader, as a remove: it may clear a copy in a source whose rehash end is being retired
        readers.enter(s);
        try
        {
            SegmentEvictor.evictOne(segment, now, removals, lookup);
        }
        finally
        {
            readers.exit(s);
        }
    }

    /** Whom expired entries and evictions are reported to, or null. */
    SegmentRemovals removals()
    {
        return removals;
    }

    /** The entry bound puts keep, 0 for none. */
    long maxEntries()
    {
        return maxEntries;
    }

    /**
     * Keep a new entry bound (0 for none): stored in the manifest and forced; the caller then evicts down to it
     * ({@link SegmentEvictor#evictDownTo}).
     */
    void maxEntries(final long bound) throws IOException
    {
        if (bound < 0 || bound > ManifestDescriptor.MAX_MAX_ENTRIES)
        {
            throw new IllegalArgumentException("max entries " + bound);
        }
        if (manifest.maxEntries() != bound)
        {
            markOpenBeforeChange();
            manifest.maxEntries(bound);
            manifest.force();
        }
        maxEntries = bound;
    }

    /**
     * Add to {@code changes} what other processes did to the manifest and the segment files (truncated, replaced,
     * deleted: {@link Storage#changedFile}); each segment is looked at under its lock, so that a source the retirer
     * deletes is not mistaken for one deleted by someone else.
     */
    void changedFiles(final List<String> changes)
    {
        add(changes, manifest.changedFile());
        for (int s = 0; s < segments.length; s++)
        {
            final ReentrantLock lock = locks[s];
            lock.lock();
            try
            {
                final Segment segment = segments[s];
                add(changes, segment.current().changedFile());
                final SegmentTable source = segment.source();
                if (null != source)
                {
                    add(changes, source.changedFile());
                }
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    private static void add(final List<String> changes, final String change)
    {
        if (null != change)
        {
            changes.add(change);
        }
    }

    /** Wait until every rehash end handed to the retirer is done (its source deleted). */
    void awaitRetired()
    {
        allocator.awaitRetired();
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

    /** The files pending (being prepared, or prepared for a rehash not yet begun); tests' directory checks. */
    List<String> pendingFileNames()
    {
        return growth.pendingFileNames();
    }

    /** Wait until the files asked for are ready and every rehash end handed to the allocator is done. */
    void awaitAllocation()
    {
        allocator.awaitIdle();
    }

    /** Tests: stop or resume preparing files in the background, so that segments reach Max Load without one. */
    void pauseAllocation(final boolean pause)
    {
        allocator.pause(pause);
    }

    SegmentGrowth growth()
    {
        return growth;
    }

    SegmentAllocator allocator()
    {
        return allocator;
    }

    /** {@link SegmentForces#forceChanged}: called by one thread at a time. @return the segment files forced. */
    int forceChanged() throws IOException
    {
        return forces.forceChanged(segments);
    }

    /** Segment files forced by {@link #forceChanged} since the set was opened (tests). */
    long filesForced()
    {
        return forces.filesForced();
    }

    /**
     * Close a set whose files another process changed ({@link #changedFiles}): nothing is forced and the store is
     * not marked closed cleanly, so that the next open recovers and checks every file.
     */
    void closeUnclean()
    {
        unclean = true;
        close();
    }

    /**
     * Close after a recovery failed part of the way: everything is forced, but the store is left marked open
     * with no Writer Identity (FORMAT-v2.md 3.1), never marked closed cleanly, so that the next open repeats the
     * recovery and scans every slot again.
     */
    void closeAfterFailedRecovery()
    {
        failedRecovery = true;
        if (!markedOpen)
        {
            manifest.markOpen(); // not markOpenNow: the files are not known to be consistent
        }
        close();
    }

    /**
     * Force what changed since the last force ({@link #forceChanged}), then mark the store closed (manifest Open
     * State 0, forced: written last, FORMAT-v2.md 8.5 step 2).
     */
    @Override
    public void close()
    {
        long t = System.nanoTime();
        try
        {
            growth.close();
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("deleting an unused segment file failed", ex);
        }
        t = phases.mark(PHASE_CLOSE_GROWTH, t);
        for (final ReentrantLock lock : locks)
        {
            lock.lock();
        }
        try
        {
            if (!unclean)
            {
                forceChanged();
            }
            t = phases.mark(PHASE_CLOSE_FORCES, t);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("forcing the segment files failed", ex);
        }
        finally
        {
            for (final ReentrantLock lock : locks)
            {
                lock.unlock();
            }
        }
        if (markedOpen && !failedRecovery && !unclean)
        {
            manifest.markClosed(); // last: every change before it is forced
        }
        t = phases.mark(PHASE_CLOSE_MARK, t);
        closeTables(segments);
        manifest.close();
        phases.mark(PHASE_CLOSE_FILES, t);
    }

    /** The phases' times, in milliseconds. */
    String phaseTimes()
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < phases.names.length; i++)
        {
            text.append(i == 0 ? "" : ", ").append(phases.names[i]).append(' ')
                .append(String.format("%.2f", phases.sumNs(i) / 1e6));
        }
        return text.append(" ms").toString();
    }

    /** Close the files of every segment opened so far (a failed open or creation leaves the rest null). */
    private static void closeTables(final Segment[] segments)
    {
        for (final Segment segment : segments)
        {
            if (null != segment)
            {
                segment.current().close();
                if (null != segment.source())
                {
                    segment.source().close();
                }
            }
        }
    }
}
