package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.ThreadLocalRandom;

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
     * ({@code victimKeyLength} -1 if the segment holds none), telling {@code notifier} if there is one.
     */
    static void evictOne(final Segment segment, final long now, final Notifier notifier, final SegmentLookup lookup)
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
                if (!table.isFull(slot) || (0 != t && !liveInSource(segment, table, slot)))
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
        final int keyLength = victimTable.keyLength(victim);
        if (keyLength < 1 || keyLength > victimTable.params.maxKeyLength)
        {
            throw new CorruptStoreException(victimTable.file.getFileName() + ": slot " + victim + " has key length " +
                keyLength);
        }
        if (null == lookup.victimKey)
        {
            lookup.victimKey = new UnsafeBuffer(new byte[victimTable.params.maxKeyLength]);
        }
        victimTable.copyKey(victim, lookup.victimKey, 0, keyLength);
        if (null != notifier)
        {
            notifier.removed(victimTable, victim, Long.MIN_VALUE == oldest ? RemovalCause.EXPIRED : RemovalCause.SIZE);
        }
        final long hash = victimTable.slotHash(victim, keyLength);
        // now 0: the victim goes whether or not it has expired
        if (segment.remove(hash, lookup.victimKey, 0, keyLength, 0, lookup))
        {
            lookup.victimKeyLength = keyLength;
        }
    }

    /** A source slot counts if the current file does not hold its key (else it is a dead copy, 9 step 5). */
    private static boolean liveInSource(final Segment segment, final SegmentTable source, final int slot)
    {
        final int keyLength = source.keyLength(slot);
        return keyLength >= 1 && keyLength <= source.params.maxKeyLength &&
            !segment.current().containsKeyOf(source.slotHash(slot, keyLength), source, slot, keyLength);
    }
}
