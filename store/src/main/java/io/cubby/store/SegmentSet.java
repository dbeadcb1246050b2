package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The 2^k segments of a version-2 store and its manifest: routes a key's hash to its segment, takes the segment's
 * write lock for writes and brackets them with the segment's sequence word, and validates optimistic reads
 * against it (FORMAT-v2.md section 3.2). Growth here is the simplest correct policy: a segment that is full
 * starts an incremental rehash into a file sized for Target Load, and each later write to it migrates
 * {@code migrationStep} groups. (The round-robin early growth of FORMAT-v2.md section 9 belongs to the rehasher,
 * a later step; so do logging and recovery.)
 * <p>
 * Thread-safe: writers of different segments proceed in parallel; readers take no lock.
 */
final class SegmentSet implements AutoCloseable
{
    final Path directory;
    final Manifest manifest;
    final SegmentParams params;
    final int segmentBits;
    private final Segment[] segments;
    private final Object[] locks;
    private final int migrationStep;
    private final boolean allocate;

    private SegmentSet(final Path directory, final Manifest manifest, final Segment[] segments,
        final int migrationStep, final boolean allocate)
    {
        this.directory = directory;
        this.manifest = manifest;
        this.params = manifest.params;
        this.segmentBits = params.segmentBits;
        this.segments = segments;
        this.migrationStep = migrationStep;
        this.allocate = allocate;
        this.locks = new Object[segments.length];
        for (int i = 0; i < locks.length; i++)
        {
            locks[i] = new Object();
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
        final Manifest manifest = Manifest.create(directory, params, ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM,
            ManifestDescriptor.DEFAULT_EARLY_LOAD_PPM, groupsPerSegment);
        final Segment[] segments = new Segment[1 << params.segmentBits];
        for (int s = 0; s < segments.length; s++)
        {
            segments[s] = new Segment(s, SegmentFile.create(directory, params, s, 1, groupsPerSegment, 0, 0,
                allocate), null);
        }
        return new SegmentSet(directory, manifest, segments, migrationStep, allocate);
    }

    /**
     * Open the segment files the manifest names. (Recovery from the files' own headers after a crash is a later
     * step: FORMAT-v2.md section 8.5.)
     */
    static SegmentSet open(final Path directory, final int migrationStep, final boolean allocate)
        throws IOException
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
        return new SegmentSet(directory, manifest, segments, migrationStep, allocate);
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
        synchronized (locks[s])
        {
            if (!segment.hasRoomForInsert() && !segment.find(hash, key, keyOffset, keyLength, lookup))
            {
                grow(s, segment);
            }
            manifest.beginWrite(s);
            final boolean isNew;
            try
            {
                isNew = segment.put(hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt,
                    System.currentTimeMillis(), lookup);
            }
            finally
            {
                manifest.endWrite(s);
            }
            migrateStep(s, segment, migrationStep);
            return isNew;
        }
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
        synchronized (locks[s])
        {
            manifest.beginWrite(s);
            final boolean removed;
            try
            {
                removed = segment.remove(hash, key, offset, length, lookup);
            }
            finally
            {
                manifest.endWrite(s);
            }
            migrateStep(s, segment, migrationStep);
            return removed;
        }
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
     * Finish any migration in flight, then start a rehash into a file sized for Target Load (FORMAT-v2.md
     * section 9 steps 2 to 4; the log record is a later step). The file is created outside the sequence bracket,
     * so readers do not wait for its allocation.
     */
    private void grow(final int s, final Segment segment) throws IOException
    {
        if (segment.rehashing())
        {
            migrateStep(s, segment, Integer.MAX_VALUE);
        }
        final SegmentTable current = segment.current();
        final long entries = current.entryCount() + 1;
        final long groups = Math.max(current.groupCount + 1, (long)Math.ceil(
            entries * 1_000_000.0 / ((double)manifest.targetLoadPpm * SegmentDescriptor.GROUP_SLOTS)));
        final SegmentTable target = SegmentFile.create(directory, params, s, current.generation + 1, groups,
            current.generation, current.groupCount, allocate);
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
     * Migrate up to {@code groups} groups of a segment's source, and complete the rehash when done: the source is
     * unpublished inside the bracket, then closed and deleted outside it (readers still holding it keep a valid
     * mapping).
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
                done = segment.completeRehash();
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
            manifest.force();
            done.close();
            Files.deleteIfExists(done.file);
            Storage.syncDirectory(directory);
        }
    }

    /**
     * Force every segment file and the manifest, and mark the store closed.
     */
    @Override
    public void close()
    {
        for (int s = 0; s < segments.length; s++)
        {
            synchronized (locks[s])
            {
                segments[s].current().force();
                if (null != segments[s].source())
                {
                    segments[s].source().force();
                }
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
