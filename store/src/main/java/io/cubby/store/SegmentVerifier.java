package io.cubby.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Structural check of one segment file: every full slot has lengths in range and a matching checksum, its tag is
 * the one its key's hash gives, a lookup of its key from the home group reaches exactly this slot (so the
 * overflow bits on the way are set and the key is held once), Entry Count equals the number of full slots, and
 * no update is left half-done. Reads only.
 */
final class SegmentVerifier
{
    /** Problems reported before the check stops listing them. */
    static final int MAX_PROBLEMS = 20;

    private SegmentVerifier()
    {
    }

    /**
     * Check a segment's current file and, during a rehash, its source: each file on its own, the migration cursor
     * within the source, and the source's live entries: a source slot whose key the current file holds is a dead
     * copy (migrated, or shadowed by a put: FORMAT-v2.md 9 step 5), any other lies at or above the cursor and is
     * counted in the source's Entry Count.
     *
     * @param segment quiescent (no writer active).
     * @return the problems found, empty when the segment is sound.
     */
    static List<String> verify(final Segment segment)
    {
        return verify(segment, false);
    }

    /**
     * @param endingAllowed whether a current file may name a source the manifest no longer names without an
     *                      ending source in memory: a rehash that ended while its end was not yet durable, as a
     *                      read-only open finds it (the writer's retirer, or the next recovery, completes it).
     */
    static List<String> verify(final Segment segment, final boolean endingAllowed)
    {
        final List<String> problems = new ArrayList<>(verify(segment.current()));
        final SegmentTable source = segment.source();
        if (null == source)
        {
            final SegmentTable ending = segment.endingSource();
            // a rehash that ended in memory: the retirer clears the current file's Source Generation, then forces
            if (0 != segment.current().sourceGeneration() && !endingAllowed &&
                (null == ending || ending.generation != segment.current().sourceGeneration()))
            {
                problems.add(segment.current().file.getFileName() + " names source generation " +
                    segment.current().sourceGeneration() + " but the segment is not rehashing");
            }
            return problems;
        }
        final long sourceFull = verifySlots(source, problems);
        if (segment.cursor() < 0 || segment.cursor() > source.groupCount)
        {
            problems.add("segment " + segment.index + ": migration cursor " + segment.cursor() + " outside the " +
                source.groupCount + " source groups");
        }
        // Only a removal clears a source tag (FORMAT-v2.md 9 step 5): a source slot whose key the current file
        // holds is a dead copy; every other one is live, must lie at or above the cursor, and is counted.
        final org.agrona.concurrent.UnsafeBuffer key =
            new org.agrona.concurrent.UnsafeBuffer(new byte[source.params.maxKeyLength]);
        long copies = 0;
        for (int slot = source.tags.nextFull(0); slot != SegmentTable.NOT_FOUND && problems.size() < MAX_PROBLEMS;
            slot = source.tags.nextFull(slot + 1))
        {
            final int keyLength = source.keyLength(slot);
            if (keyLength < 0 || keyLength > source.params.maxKeyLength)
            {
                continue;
            }
            source.copyKey(slot, key, 0, keyLength);
            if (segment.current().find(source.slotHash(slot, keyLength), key, 0, keyLength) != SegmentTable.NOT_FOUND)
            {
                copies++;
            }
            else if (slot / SegmentDescriptor.GROUP_SLOTS < segment.cursor())
            {
                problems.add(source.file.getFileName() + ": the key in slot " + slot + ", below the migration " +
                    "cursor, is not in " + segment.current().file.getFileName());
            }
        }
        if (sourceFull - copies != source.entryCount())
        {
            problems.add(source.file.getFileName() + ": Entry Count is " + source.entryCount() + " but " +
                (sourceFull - copies) + " full slots are not copies of the current file's keys");
        }
        return problems;
    }

    /**
     * @param table the segment to check, quiescent (no writer active).
     * @return the problems found, empty when the segment is sound.
     */
    static List<String> verify(final SegmentTable table)
    {
        final List<String> problems = new ArrayList<>();
        final long full = verifySlots(table, problems);
        if (full != table.entryCount())
        {
            problems.add(table.file.getFileName() + ": Entry Count is " + table.entryCount() + " but " + full +
                " slots are full");
        }
        return problems;
    }

    /**
     * Check every full slot and the undo area of one file; Entry Count is the caller's.
     *
     * @return the number of full slots.
     */
    private static long verifySlots(final SegmentTable table, final List<String> problems)
    {
        final String name = String.valueOf(table.file.getFileName());
        long full = 0;
        for (int slot = table.tags.nextFull(0); slot != SegmentTable.NOT_FOUND; slot = table.tags.nextFull(slot + 1))
        {
            full++;
            if (problems.size() >= MAX_PROBLEMS)
            {
                continue;
            }
            if (!table.checksumMatches(slot))
            {
                problems.add(name + ": slot " + slot + " fails its checksum (key length " + table.keyLength(slot) +
                    ", value length " + table.valueLength(slot) + ")");
                continue;
            }
            final int keyLength = table.keyLength(slot);
            final long hash = table.slotHash(slot, keyLength);
            if (table.tags.tagAt(slot) != SegmentDescriptor.tag(hash))
            {
                problems.add(name + ": slot " + slot + " has tag " + table.tags.tagAt(slot) + ", its key's tag is " +
                    SegmentDescriptor.tag(hash));
                continue;
            }
            if (SegmentDescriptor.segmentOf(hash, table.params.segmentBits) != table.segment)
            {
                problems.add(name + ": slot " + slot + " holds a key of segment " +
                    SegmentDescriptor.segmentOf(hash, table.params.segmentBits));
                continue;
            }
            final org.agrona.concurrent.UnsafeBuffer key = new org.agrona.concurrent.UnsafeBuffer(new byte[keyLength]);
            table.copyKey(slot, key, 0, keyLength);
            final int found = table.find(hash, key, 0, keyLength);
            if (found != slot)
            {
                problems.add(name + ": the key in slot " + slot + (found == SegmentTable.NOT_FOUND ?
                    " is not reachable from its home group (an overflow bit is missing)" :
                    " is also held by slot " + found));
            }
        }
        if (table.undoSlotIndex() != SegmentDescriptor.NO_UNDO)
        {
            problems.add(name + ": an in-place update of slot " + table.undoSlotIndex() + " is unfinished");
        }
        return full;
    }
}
