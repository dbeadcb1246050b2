package io.cubby.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;

/**
 * Replays a version-2 log into a {@link SegmentSet}'s segments (FORMAT-v2.md section 8.5, last step): its own
 * path, not the write path. Each PUT and REMOVE is applied to its key's segment with the table primitives inside
 * the segment's sequence bracket; nothing is logged and nothing migrates, except where a PUT of a new key meets a
 * segment at Max Load: that segment then grows (FORMAT-v2.md section 9) and its rehash runs to completion before
 * the PUT is applied ({@link #grow}). Replaying a record twice gives the same state, so the live records are
 * replayed whole from Start Offset.
 * <p>
 * The log is read twice: first to validate it, so that a log damaged in the middle is refused
 * ({@link CorruptStoreException}, "refusing to drop logged operations") before any segment changes, unless
 * {@code salvage}; then to apply the records before the stop. Structural records are counted, not applied: the
 * segment files' headers, resolved by the open, are the truth about generations and rehashes.
 * <p>
 * Runs single-threaded before the set is shared with writers or readers (so a retired source is unmapped at once).
 */
final class SegmentRecovery implements SegmentLogReader.Visitor
{
    /** What a replay did. */
    static final class Report
    {
        SegmentLogReader.Result log;
        long puts;
        long removes;
        /** REMOVE records whose key was absent. */
        long absentRemoves;
        long structural;
        /** Rehashes run to make room for a replayed PUT. */
        long grown;

        @Override
        public String toString()
        {
            return puts + " puts, " + removes + " removes (" + absentRemoves + " of absent keys), " + structural +
                " structural records, " + grown + " segments grown; log: " + log;
        }
    }

    private final SegmentSet set;
    private final long now;
    private final boolean allocate;
    private final SegmentLookup lookup = new SegmentLookup();
    private final Report report = new Report();

    private SegmentRecovery(final SegmentSet set, final long now, final boolean allocate)
    {
        this.set = set;
        this.now = now;
        this.allocate = allocate;
    }

    /**
     * @param now      the Written At given to the entries written (expiry stores), epoch ms.
     * @param allocate whether a segment file created by growth gets all its blocks (false: sparse, for tests).
     */
    static Report replay(final Path logFile, final SegmentSet set, final long now, final boolean salvage,
        final boolean allocate) throws IOException
    {
        final SegmentLogReader.Result check = SegmentLogReader.read(logFile, set.params, new SegmentLogReader.Visitor()
        {
        });
        if (SegmentLogReader.Stop.DAMAGED_MIDDLE == check.stop && !salvage)
        {
            throw new CorruptStoreException(logFile.getFileName() + ": " + check.reason +
                ", before later valid records; refusing to drop logged operations (salvage keeps those before it)");
        }
        final SegmentRecovery recovery = new SegmentRecovery(set, now, allocate);
        try
        {
            recovery.report.log = SegmentLogReader.read(logFile, set.params, recovery);
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause();
        }
        return recovery.report;
    }

    @Override
    public void put(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength,
        final int valueOffset, final int valueLength, final long expiresAt)
    {
        final long hash = set.hash(buffer, keyOffset, keyLength);
        final int s = set.segmentOf(hash);
        final Segment segment = set.segment(s);
        boolean found = segment.find(hash, buffer, keyOffset, keyLength, lookup);
        if (!found && !segment.hasRoomForInsert())
        {
            try
            {
                grow(s, segment);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("growing segment " + s + " for log sequence " + sequence, ex);
            }
            found = segment.find(hash, buffer, keyOffset, keyLength, lookup);
        }
        final SegmentTable current = segment.current();
        set.manifest.beginWrite(s);
        try
        {
            if (found && lookup.table == current)
            {
                current.update(lookup.slot, buffer, valueOffset, valueLength, expiresAt, now);
            }
            else
            {
                // written to the current file first, then the source copy cleared (as Segment.put orders it)
                current.insert(hash, buffer, keyOffset, keyLength, buffer, valueOffset, valueLength, expiresAt, now);
                if (found)
                {
                    lookup.table.remove(lookup.slot);
                }
            }
        }
        finally
        {
            set.manifest.endWrite(s);
        }
        report.puts++;
    }

    /**
     * Make room in a segment at Max Load (FORMAT-v2.md section 9 steps 2 to 6, run to completion): finish the
     * rehash in flight if there is one, create the next generation sized for Target Load naming the current file
     * as its source, publish both, migrate every source group, then end the rehash as the allocator does (force,
     * clear Source Generation, force the manifest, delete the source, force the directory). Each step leaves a
     * state that a later recovery resolves (a rehash in flight, or one whose end is completed from the headers),
     * after which the replay, idempotent, runs again.
     */
    private void grow(final int s, final Segment segment) throws IOException
    {
        if (segment.rehashing())
        {
            finishRehash(s, segment);
        }
        final SegmentTable current = segment.current();
        final SegmentTable target = SegmentFile.create(set.directory, set.params, s, current.generation + 1,
            groupsFor(current.entryCount() + 1, current, set.manifest.targetLoadPpm), current.generation,
            current.groupCount, allocate);
        set.manifest.beginWrite(s);
        try
        {
            segment.beginRehash(target);
            set.manifest.publish(s, target.generation, target.groupCount, current.generation, current.groupCount);
        }
        finally
        {
            set.manifest.endWrite(s);
        }
        finishRehash(s, segment);
        report.grown++;
    }

    /** Migrate what is left of a segment's source and end its rehash (FORMAT-v2.md section 9 steps 5 and 6). */
    private void finishRehash(final int s, final Segment segment) throws IOException
    {
        final SegmentTable done;
        set.manifest.beginWrite(s);
        try
        {
            segment.migrate(Integer.MAX_VALUE);
            done = segment.detachSource();
            final SegmentTable current = segment.current();
            set.manifest.publish(s, current.generation, current.groupCount, 0, 0);
        }
        finally
        {
            set.manifest.endWrite(s);
        }
        endRehash(set.directory, segment.current(), done, set.manifest);
    }

    /**
     * The disk steps of a rehash end, in the order of FORMAT-v2.md section 9 step 6 (as
     * {@code SegmentAllocator.complete}; no reader can hold the source here, so it is unmapped at once).
     */
    static void endRehash(final Path directory, final SegmentTable current, final SegmentTable source,
        final Manifest manifest) throws IOException
    {
        current.force();
        current.clearSource();
        manifest.force();
        source.close();
        Files.deleteIfExists(source.file);
        Storage.syncDirectory(directory);
        source.unmap();
    }

    /**
     * Group count for {@code entries} at Target Load (FORMAT-v2.md section 9 step 2): larger than the current
     * file's, and twice it below {@link SegmentSet#DOUBLING_GROUPS} groups. The growth policy's rule, restated
     * here so that recovery does not reach into the set's growth machinery.
     */
    static long groupsFor(final long entries, final SegmentTable current, final int targetLoadPpm)
    {
        final long atTarget = Math.max(current.groupCount + 1, (long)Math.ceil(
            entries * 1_000_000.0 / ((double)targetLoadPpm * SegmentDescriptor.GROUP_SLOTS)));
        return current.groupCount < SegmentSet.DOUBLING_GROUPS ? Math.max(atTarget, 2 * current.groupCount) :
            atTarget;
    }

    @Override
    public void remove(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        final long hash = set.hash(buffer, keyOffset, keyLength);
        final int s = set.segmentOf(hash);
        report.removes++;
        if (!set.segment(s).find(hash, buffer, keyOffset, keyLength, lookup))
        {
            report.absentRemoves++;
            return;
        }
        set.manifest.beginWrite(s);
        try
        {
            lookup.table.remove(lookup.slot);
        }
        finally
        {
            set.manifest.endWrite(s);
        }
    }

    @Override
    public void rehashBegin(final long sequence, final int segment, final long targetGeneration,
        final long targetGroupCount, final long sourceGeneration)
    {
        report.structural++;
    }

    @Override
    public void rehashEnd(final long sequence, final int segment, final long targetGeneration,
        final long sourceGeneration)
    {
        report.structural++;
    }

    @Override
    public void checkpoint(final long sequence, final DirectBuffer buffer, final int entriesOffset,
        final int segmentCount)
    {
        report.structural++;
    }

    @Override
    public void upgradeBegin(final long sequence, final long version1Generation, final long version1Capacity)
    {
        report.structural++;
    }

    @Override
    public void upgradeEnd(final long sequence, final long version1Generation)
    {
        report.structural++;
    }
}
