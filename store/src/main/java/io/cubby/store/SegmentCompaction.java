package io.cubby.store;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * Compaction of a version-2 store (FORMAT-v2.md 9.1), segment by segment: remove its expired entries
 * ({@link SegmentSet#sweepExpiredStep}), finish its rehash in flight and shrink it into a file sized for its
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
                    from = set.sweepExpiredStep(s, from, lookup);
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
                sourceSlots = set.beginCompaction(s, loadPpm, fit);
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
                    cursor = set.migrateStep(s, STEP);
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
}
