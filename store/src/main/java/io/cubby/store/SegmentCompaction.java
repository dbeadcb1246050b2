package io.cubby.store;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * Compaction of a version-2 store (FORMAT-v2.md 9.1), segment by segment: remove its expired entries
 * ({@link #sweepExpiredStep}), finish its rehash in flight and shrink it into a file sized for its
 * entries at a load if it has more groups than that, migrating {@link #STEP} groups per hold of its lock (its
 * writers migrate too, and go on in between); then wait until the retirer has ended the rehashes, so that the
 * smaller files are forced and the larger ones deleted on return. Readers and writers of every segment go on
 * meanwhile.
 * <p>
 * Each step holds the segment's write lock and checks first that the store is open, so that a close (which takes
 * every write lock before it checkpoints) finds no step under way and none begins after it.
 */
final class SegmentCompaction
{
    /** Groups a compaction migrates per hold of a segment's lock. */
    static final int STEP = 64;
    /** Slots {@link #sweepExpiredStep} visits per hold of a segment's lock. */
    private static final int SWEEP_STEP = 16 * SegmentDescriptor.GROUP_SLOTS;

    /** The store's check that it is open, run under the segment's lock before each step. */
    @FunctionalInterface
    interface OpenCheck
    {
        void check();
    }

    private SegmentCompaction()
    {
    }

    /**
     * Compact every segment of {@code set}. Called by one thread at a time per store (the facade serialises).
     *
     * @param progress receives the source slots migrated so far by the shrinks, after each step; may be null.
     * @return the segments shrunk.
     */
    static int run(final SegmentSet set, final OpenCheck open, final SegmentLookup lookup, final int loadPpm,
        final boolean fit, final LongConsumer progress) throws IOException
    {
        long migrated = 0;
        int shrunk = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final ReentrantLock lock = set.lockOf(s);
            // expired entries first, so that they are reclaimed whether or not the segment is shrunk, and the
            // shrink is sized for the live entries
            for (int from = 0; from >= 0; )
            {
                lock.lock();
                try
                {
                    open.check();
                    from = sweepExpiredStep(set, s, from, lookup);
                }
                finally
                {
                    lock.unlock();
                }
            }
            final long sourceSlots;
            lock.lock();
            try
            {
                open.check();
                sourceSlots = beginShrink(set, s, loadPpm, fit);
            }
            finally
            {
                lock.unlock();
            }
            if (sourceSlots < 0)
            {
                continue;
            }
            shrunk++;
            long cursor;
            do
            {
                lock.lock();
                try
                {
                    open.check();
                    cursor = migrateStep(set, s, STEP);
                }
                finally
                {
                    lock.unlock();
                }
                if (null != progress)
                {
                    progress.accept(migrated + (cursor < 0 ? sourceSlots :
                        Math.min(sourceSlots, cursor * SegmentDescriptor.GROUP_SLOTS)));
                }
            }
            while (cursor >= 0);
            migrated += sourceSlots;
        }
        set.awaitRetired();
        return shrunk;
    }

    /**
     * One step of removing the expired entries of segment {@code s}'s current file, under its lock: slots
     * {@code [from, from + }{@link #SWEEP_STEP}{@code )}, inside the segment's bracket and unlogged, as
     * {@link SegmentEvictor#sweepExpired} says. Those of a source in migration are dropped by the migration.
     *
     * @return the slot the next step begins at, or -1 once the file is swept (at once if the store has no expiry).
     */
    static int sweepExpiredStep(final SegmentSet set, final int s, final int from, final SegmentLookup lookup)
    {
        if (!set.params.expiry)
        {
            return -1;
        }
        set.markOpenBeforeChange();
        final ReentrantLock lock = set.lockOf(s);
        lock.lock();
        try
        {
            final Segment segment = set.segment(s);
            if (from >= segment.current().slotCount)
            {
                return -1;
            }
            set.manifest.beginWrite(s);
            // counted as a reader, as a remove: it may clear a copy in a source whose rehash end is being retired
            set.readers.enter(s);
            try
            {
                SegmentEvictor.sweepExpired(segment, from, from + SWEEP_STEP, ExpiryClock.now(), set.removals(),
                    lookup);
            }
            finally
            {
                set.readers.exit(s);
                set.manifest.endWrite(s);
            }
            return from + SWEEP_STEP;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Compaction of segment {@code s} (FORMAT-v2.md 9.1), under its lock: finish its rehash in flight, then begin
     * shrinking it into a file sized for its entries at {@code loadPpm}, unless it has that size or fewer groups.
     *
     * @return the slots of the file being shrunk, or -1 if the segment was left as it is; its migration goes on
     *         with {@link #migrateStep} and the writers.
     */
    static long beginShrink(final SegmentSet set, final int s, final int loadPpm, final boolean fit)
        throws IOException
    {
        set.markOpenBeforeChange();
        final ReentrantLock lock = set.lockOf(s);
        lock.lock();
        try
        {
            final Segment segment = set.segment(s);
            return set.growth().beginShrink(s, segment, loadPpm, fit) ? segment.source().slotCount : -1;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Migrate up to {@code groups} groups of segment {@code s}'s rehash in flight, under its lock; the last group
     * ends the rehash (FORMAT-v2.md 9 step 6).
     *
     * @return the migration cursor afterwards, or -1 if the segment is not rehashing any more.
     */
    static long migrateStep(final SegmentSet set, final int s, final int groups)
    {
        final ReentrantLock lock = set.lockOf(s);
        lock.lock();
        try
        {
            final Segment segment = set.segment(s);
            set.growth().migrate(s, segment, groups);
            return segment.rehashing() ? segment.cursor() : -1;
        }
        finally
        {
            lock.unlock();
        }
    }
}
