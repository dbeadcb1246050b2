package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;
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
    /** Longs between two segments' reader counts: 128 bytes, so counts of different segments share no line. */
    private static final int READERS_STRIDE = 16;

    final Path directory;
    final Manifest manifest;
    final SegmentParams params;
    final int segmentBits;
    private final Segment[] segments;
    private final ReentrantLock[] locks;
    private final SegmentAllocator allocator;
    private final SegmentGrowth growth;
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
        this.readers = new AtomicLongArray(segments.length * READERS_STRIDE);
        this.allocator = new SegmentAllocator(directory, params, segments.length, allocate, background,
            this::readersGone);
        this.locks = new ReentrantLock[segments.length];
        for (int i = 0; i < locks.length; i++)
        {
            locks[i] = new ReentrantLock();
        }
        this.growth = new SegmentGrowth(directory, manifest, segments, locks, migrationStep, allocate, allocator);
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
                isNew = segment.put(hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt,
                    System.currentTimeMillis(), lookup);
            }
            finally
            {
                manifest.endWrite(s);
            }
            if (GrowthSteps.ENABLED)
            {
                steps.mark(GrowthSteps.WRITE);
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
            // counted as a reader: the remove may clear a copy in a source whose rehash end is still being retired
            // (Segment.remove), whose mapping the retirer must not release meanwhile
            final int counter = s * READERS_STRIDE;
            readers.getAndIncrement(counter);
            try
            {
                removed = segment.remove(hash, key, offset, length, lookup);
            }
            finally
            {
                readers.getAndDecrement(counter);
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

    /**
     * Force every segment file and the manifest, and mark the store closed.
     */
    @Override
    public void close()
    {
        try
        {
            growth.close();
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
}
