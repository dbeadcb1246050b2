package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Size-bound eviction in a version-2 store ({@link Cubby.Builder#maxEntries(long)}), as version 1's: before a put
 * inserts a new key into a store holding its bound, it removes one entry of the put's own segment, under the
 * segment's lock and inside its bracket: an expired entry, or the least recently written of a random sample of
 * {@link #SAMPLE} (a random entry in a store without expiry, whose slots keep no write time).
 * <p>
 * Only the put's own segment is sampled, so a segment a writer holds is never waited for. A segment holding no
 * entry lets the insert pass the bound; the next puts into other segments evict until the store is back within it.
 * A new store with a bound gets few enough segments ({@link SegmentOpener}) that each holds many entries.
 */
final class SegmentEvictor
{
    static final int SAMPLE = 16;

    private SegmentEvictor()
    {
    }

    /**
     * Choose and remove one entry of {@code segment}, its key left in {@code lookup.victimKey}
     * ({@code victimKeyLength} -1 if the segment holds none), reporting it to {@code removals} if there are any.
     */
    static void evictOne(final Segment segment, final long now, final SegmentRemovals removals,
        final SegmentLookup lookup)
    {
        lookup.victimKeyLength = -1;
        SegmentTable victimTable = null;
        int victim = SegmentTable.NOT_FOUND;
        long oldest = Long.MAX_VALUE;
        int sampled = 0;
        for (int t = 0; t < 2 && sampled < SAMPLE; t++)
        {
            final SegmentTable table = 0 == t ? segment.current() : segment.source();
            if (null == table)
            {
                break;
            }
            final int slots = table.slotCount;
            final int start = ThreadLocalRandom.current().nextInt(slots);
            for (int n = 0, slot = start; n < slots && sampled < SAMPLE; n++, slot = slot + 1 == slots ? 0 : slot + 1)
            {
                if (!table.tags.isFull(slot) || (0 != t && !liveInSource(segment, table, slot)))
                {
                    continue;
                }
                sampled++;
                final long writtenAt = table.isExpired(slot, now) ? Long.MIN_VALUE : table.writtenAt(slot);
                if (writtenAt < oldest)
                {
                    oldest = writtenAt;
                    victim = slot;
                    victimTable = table;
                }
            }
        }
        if (null == victimTable)
        {
            return;
        }
        final int keyLength = copyKey(victimTable, victim, lookup);
        final RemovalCause cause = Long.MIN_VALUE == oldest ? RemovalCause.EXPIRED : RemovalCause.SIZE;
        if (null != removals)
        {
            removals.removed(victimTable, victim, cause);
        }
        StoreEvents.eviction(victimTable.file, false, cause);
        final long hash = victimTable.slotHash(victim, keyLength);
        // now 0: the victim goes whether or not it has expired
        if (segment.remove(hash, lookup.victimKey, 0, keyLength, 0, lookup))
        {
            lookup.victimKeyLength = keyLength;
        }
    }

    /**
     * While {@code set} holds more than {@code bound} entries (0: none), evict one entry of each segment in turn,
     * under its lock and inside its bracket (unlogged: the caller checkpoints after), until it holds no more or a
     * round finds nothing to evict.
     *
     * @return the entries evicted.
     */
    static long evictDownTo(final SegmentSet set, final long bound, final SegmentLookup lookup)
    {
        long evicted = 0;
        boolean progress = true;
        while (bound > 0 && set.entryCount() > bound && progress)
        {
            progress = false;
            for (int s = 0; s < set.segmentCount() && set.entryCount() > bound; s++)
            {
                final ReentrantLock lock = set.lockOf(s);
                lock.lock();
                try
                {
                    set.manifest.beginWrite(s);
                    try
                    {
                        set.evict(s, set.segment(s), set.params.expiry ? ExpiryClock.now() : 0, lookup);
                    }
                    finally
                    {
                        set.manifest.endWrite(s);
                    }
                }
                finally
                {
                    lock.unlock();
                }
                if (lookup.victimKeyLength >= 0)
                {
                    evicted++;
                    progress = true;
                }
            }
        }
        return evicted;
    }

    /**
     * Remove the expired entries in slots {@code [from, to)} of {@code segment}'s current file (under its lock and
     * inside its bracket), each reported to {@code removals} first; the removals are not logged (an expired entry
     * a crash brings back still reads as absent).
     */
    static void sweepExpired(final Segment segment, final int from, final int to, final long now,
        final SegmentRemovals removals, final SegmentLookup lookup)
    {
        final SegmentTable table = segment.current();
        for (int slot = from, end = Math.min(to, table.slotCount); slot < end; slot++)
        {
            if (!table.tags.isFull(slot) || !table.isExpired(slot, now))
            {
                continue;
            }
            final int keyLength = copyKey(table, slot, lookup);
            if (null != removals)
            {
                removals.removed(table, slot, RemovalCause.EXPIRED);
            }
            // now 0: the entry goes although it reads as absent; a copy in a source goes with it (Segment.remove)
            segment.remove(table.slotHash(slot, keyLength), lookup.victimKey, 0, keyLength, 0, lookup);
        }
    }

    /** Copy the key of full slot {@code slot} into {@code lookup.victimKey}. @return its length. */
    private static int copyKey(final SegmentTable table, final int slot, final SegmentLookup lookup)
    {
        final int keyLength = table.keyLength(slot);
        if (keyLength < 0 || keyLength > table.params.maxKeyLength)
        {
            throw new CorruptStoreException(table.file.getFileName() + ": slot " + slot + " has key length " +
                keyLength);
        }
        if (null == lookup.victimKey)
        {
            lookup.victimKey = new UnsafeBuffer(new byte[table.params.maxKeyLength]);
        }
        table.copyKey(slot, lookup.victimKey, 0, keyLength);
        return keyLength;
    }

    /** A source slot counts if the current file does not hold its key (else it is a dead copy, 9 step 5). */
    private static boolean liveInSource(final Segment segment, final SegmentTable source, final int slot)
    {
        final int keyLength = source.keyLength(slot);
        return keyLength >= 0 && keyLength <= source.params.maxKeyLength &&
            !segment.current().containsKeyOf(source.slotHash(slot, keyLength), source, slot, keyLength);
    }
}
