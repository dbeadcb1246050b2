package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * The scans of a read-only open ({@link SegmentReadOnlyCore}): copies of one segment's live entries at a time,
 * read through the {@link SegmentReader}'s brackets and views.
 */
final class SegmentReadScan
{
    /** Whole-segment snapshot attempts of a scan before it reads the segment one slot at a time. */
    private static final int SNAPSHOT_ATTEMPTS = 4;

    private final SegmentReader reader;

    SegmentReadScan(final SegmentReader reader)
    {
        this.reader = reader;
    }

    /** A copied entry of a scan, or a slot failing its checks ({@code problem} set; key as far as readable). */
    static final class Copied
    {
        final byte[] key;
        final byte[] value;
        final CorruptStoreException problem;

        Copied(final byte[] key, final byte[] value, final CorruptStoreException problem)
        {
            this.key = key;
            this.value = value;
            this.problem = problem;
        }
    }

    /**
     * Copies of segment {@code s}'s live entries (expired ones left out): all of them as of one instant when a snapshot validates within
     * {@link #SNAPSHOT_ATTEMPTS} tries, else each slot as of its own instant (a writer busy on the segment; an
     * entry it changes or moves meanwhile may appear with either value or be missed, never twice).
     */
    List<Copied> snapshot(final int s)
    {
        reader.checkOpen();
        final List<Copied> copies = new ArrayList<>();
        final long now = reader.params.expiry ? ExpiryClock.now() : 0;
        for (int attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++)
        {
            copies.clear();
            final long sequence = reader.begin(s);
            final Segment view = reader.viewIn(s, sequence, attempt);
            if (null == view)
            {
                continue;
            }
            try
            {
                copy(view.current(), null, copies, -1, now, sequence);
                if (null != view.source())
                {
                    copy(view.source(), view.current(), copies, -1, now, sequence);
                }
            }
            catch (final IndexOutOfBoundsException ex)
            {
                if (reader.validate(s, sequence))
                {
                    throw new CorruptStoreException(view.current().file.getFileName() + ": a scan read out of " +
                        "bounds (" + ex.getMessage() + ")", ex);
                }
                continue;
            }
            if (reader.validate(s, sequence))
            {
                return copies;
            }
        }
        copies.clear();
        final Segment view = reader.currentView(s);
        copyEachSlot(s, view.current(), null, copies, now);
        if (null != view.source())
        {
            copyEachSlot(s, view.source(), view.current(), copies, now);
        }
        return copies;
    }

    private void copyEachSlot(final int s, final SegmentTable table, final SegmentTable shadow,
        final List<Copied> copies, final long now)
    {
        final long slots = table.groupCount * SegmentDescriptor.GROUP_SLOTS;
        for (int slot = 0; slot < slots; slot++)
        {
            while (true)
            {
                final int size = copies.size();
                final long sequence = reader.begin(s);
                try
                {
                    if (table.tags.isFull(slot))
                    {
                        copy(table, shadow, copies, slot, now, sequence);
                    }
                }
                catch (final IndexOutOfBoundsException ex)
                {
                    if (reader.validate(s, sequence))
                    {
                        throw new CorruptStoreException(table.file.getFileName() + ": slot " + slot + " read out " +
                            "of bounds (" + ex.getMessage() + ")", ex);
                    }
                    continue;
                }
                if (reader.validate(s, sequence))
                {
                    break;
                }
                while (copies.size() > size)
                {
                    copies.remove(copies.size() - 1);
                }
            }
        }
    }

    /**
     * Copy the full slots of {@code table} (only {@code onlySlot} if not negative), leaving out a source slot whose
     * key {@code shadow} (the current file) holds: a dead copy (FORMAT-v2.md 9 step 5). A damaged slot is reported
     * as needing recovery when {@code sequence}, the segment's word the copy is validated against, is a dead
     * writer's odd one.
     */
    private static void copy(final SegmentTable table, final SegmentTable shadow, final List<Copied> copies,
        final int onlySlot, final long now, final long sequence)
    {
        final int maxKey = table.params.maxKeyLength;
        final int maxValue = table.params.maxValueLength;
        for (int slot = onlySlot < 0 ? table.tags.nextFull(0) : onlySlot; slot != SegmentTable.NOT_FOUND;
            slot = onlySlot < 0 ? table.tags.nextFull(slot + 1) : SegmentTable.NOT_FOUND)
        {
            final int keyLength = table.keyLength(slot);
            final int valueLength = table.valueLength(slot);
            final boolean lengthsOk = keyLength >= 0 && keyLength <= maxKey && valueLength >= 0 &&
                valueLength <= maxValue;
            final byte[] key = new byte[lengthsOk ? keyLength : 0];
            final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
            if (lengthsOk)
            {
                table.copyKey(slot, keyBuffer, 0, keyLength);
            }
            if (!lengthsOk || !table.checksumMatches(slot))
            {
                copies.add(new Copied(key, null, new CorruptStoreException(table.file.getFileName() + ": slot " +
                    slot + (lengthsOk ? " fails its checksum" : " has key length " + keyLength +
                    " and value length " + valueLength) + SegmentReader.damageNote(sequence))));
                continue;
            }
            if (null != shadow &&
                shadow.find(table.slotHash(slot, keyLength), keyBuffer, 0, keyLength) != SegmentTable.NOT_FOUND)
            {
                continue;
            }
            if (table.isExpired(slot, now))
            {
                continue;
            }
            final byte[] value = new byte[valueLength];
            if (valueLength > 0)
            {
                table.copyValue(slot, new UnsafeBuffer(value), 0, valueLength);
            }
            copies.add(new Copied(key, value, null));
        }
    }
}
