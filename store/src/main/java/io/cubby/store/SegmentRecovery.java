package io.cubby.store;

import java.io.IOException;
import java.nio.file.Path;

import org.agrona.DirectBuffer;

/**
 * Replays a version-2 log into a {@link SegmentSet}'s segments (FORMAT-v2.md section 8.5, last step): its own
 * path, not the write path. Each PUT and REMOVE is applied to its key's segment with the table primitives inside
 * the segment's sequence bracket; nothing is logged, nothing grows, nothing migrates. Replaying a record twice
 * gives the same state, so the live records are replayed whole from Start Offset.
 * <p>
 * The log is read twice: first to validate it, so that a log damaged in the middle is refused
 * ({@link CorruptStoreException}, "refusing to drop logged operations") before any segment changes, unless
 * {@code salvage}; then to apply the records before the stop. Structural records are counted, not applied: the
 * segment files' headers, resolved by the open, are the truth about generations and rehashes.
 * <p>
 * Runs single-threaded before the set is shared with writers. A PUT of a new key into a segment that has no room
 * left (Max Load) throws {@link IllegalStateException}: growth during recovery is not implemented yet.
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

        @Override
        public String toString()
        {
            return puts + " puts, " + removes + " removes (" + absentRemoves + " of absent keys), " + structural +
                " structural records; log: " + log;
        }
    }

    private final SegmentSet set;
    private final long now;
    private final SegmentLookup lookup = new SegmentLookup();
    private final Report report = new Report();

    private SegmentRecovery(final SegmentSet set, final long now)
    {
        this.set = set;
        this.now = now;
    }

    /**
     * @param now the Written At given to the entries written (expiry stores), epoch ms.
     */
    static Report replay(final Path logFile, final SegmentSet set, final long now, final boolean salvage)
        throws IOException
    {
        final SegmentLogReader.Result check = SegmentLogReader.read(logFile, set.params, new SegmentLogReader.Visitor()
        {
        });
        if (SegmentLogReader.Stop.DAMAGED_MIDDLE == check.stop && !salvage)
        {
            throw new CorruptStoreException(logFile.getFileName() + ": " + check.reason +
                ", before later valid records; refusing to drop logged operations (salvage keeps those before it)");
        }
        final SegmentRecovery recovery = new SegmentRecovery(set, now);
        recovery.report.log = SegmentLogReader.read(logFile, set.params, recovery);
        return recovery.report;
    }

    @Override
    public void put(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength,
        final int valueOffset, final int valueLength, final long expiresAt)
    {
        final long hash = set.hash(buffer, keyOffset, keyLength);
        final int s = set.segmentOf(hash);
        final Segment segment = set.segment(s);
        final boolean found = segment.find(hash, buffer, keyOffset, keyLength, lookup);
        final SegmentTable current = segment.current();
        if (!found && !segment.hasRoomForInsert())
        {
            throw new IllegalStateException("segment " + s + " is full at log sequence " + sequence +
                "; recovery cannot grow a segment yet");
        }
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
