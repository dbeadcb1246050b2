package io.cubby.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The slots of a segment's files that recovery cannot trust, found before anything is written (FORMAT-v2.md 8.4
 * and 8.5 step 3), and whether the log accounts for each. Read only: it scans, and matches the log's PUT and
 * REMOVE records against what it found; {@link SegmentRecovery} applies the outcome.
 * <p>
 * A full slot is <em>damaged</em> when it fails its checksum and the undo area does not restore it (a torn slot,
 * or a tag page persisted without its slot page), when its checksum holds but its key's hash gives another tag
 * or segment (the tag of an insert persisted over the bytes of an earlier, removed entry), or when its key is
 * also held by the slot a lookup finds first (a second copy). Its key is <em>known</em> when its stored key bytes
 * hash to its segment and tag and a lookup of them reaches its group; otherwise the key is unknown, and any
 * logged key of that segment with that tag whose lookup reaches the slot's group can be the one.
 * <p>
 * A damaged slot is <em>logged</em> when a PUT or REMOVE of its key (known) or of a key it can be (unknown) is in
 * the log's live records: the replay of those records then writes the key's latest state, so the slot is
 * emptied first. A damaged slot the log does not account for is reported: recovery refuses it unless salvaging,
 * and salvage empties it and counts it as dropped.
 * <p>
 * A full, intact slot that a lookup of its own key does not reach (an overflow bit lost with a torn tag page) is
 * not damage: its probe path is repaired ({@link SegmentTable#repairProbePath}).
 */
final class SegmentDamage implements SegmentLogReader.Visitor
{
    /** One damaged slot. */
    static final class Slot
    {
        final int segment;
        final long generation;
        final int slot;
        final int tag;
        /** The key's bytes when known, else null. */
        final byte[] key;
        final String problem;
        final SegmentTable table;
        boolean logged;

        Slot(final SegmentTable table, final int slot, final byte[] key, final String problem)
        {
            this.table = table;
            this.segment = table.segment;
            this.generation = table.generation;
            this.slot = slot;
            this.tag = table.tags.tagAt(slot);
            this.key = key;
            this.problem = problem;
        }

        @Override
        public String toString()
        {
            return table.file.getFileName() + ": slot " + slot + " " + problem +
                (null == key ? " (key unknown)" : " (key length " + key.length + ")") +
                (logged ? ", restored from the log" : ", its key is not in the log");
        }
    }

    /** An intact slot that its own key's lookup does not reach. */
    static final class Unreachable
    {
        final int segment;
        final long generation;
        final int slot;
        final long hash;

        Unreachable(final SegmentTable table, final int slot, final long hash)
        {
            this.segment = table.segment;
            this.generation = table.generation;
            this.slot = slot;
            this.hash = hash;
        }
    }

    final List<Slot> damaged = new ArrayList<>();
    final List<Unreachable> unreachable = new ArrayList<>();
    /** Damaged slots per segment, for the log match; null where there are none. */
    private final java.util.Map<Integer, List<Slot>> perSegment = new java.util.HashMap<>();
    private final SegmentParams params;
    private final Xxh3 hashFunction;

    private SegmentDamage(final SegmentParams params)
    {
        this.params = params;
        this.hashFunction = Xxh3.withSeed(params.seed);
    }

    /** No damage: the files were closed cleanly. */
    static SegmentDamage none(final SegmentParams params)
    {
        return new SegmentDamage(params);
    }

    /**
     * Scan every file of every segment.
     *
     * @param tables per segment its current file and, when rehashing, its source file.
     */
    static SegmentDamage scan(final SegmentParams params, final SegmentTable[][] tables)
    {
        final SegmentDamage damage = new SegmentDamage(params);
        for (final SegmentTable[] segment : tables)
        {
            for (final SegmentTable table : segment)
            {
                if (null != table)
                {
                    damage.scan(table);
                }
            }
        }
        for (final Slot slot : damage.damaged)
        {
            damage.perSegment.computeIfAbsent(slot.segment, s -> new ArrayList<>()).add(slot);
        }
        return damage;
    }

    private void scan(final SegmentTable table)
    {
        final int restored = table.tornUpdateSlot();
        final UnsafeBuffer key = new UnsafeBuffer(new byte[params.maxKeyLength]);
        for (int slot = table.tags.nextFull(0); slot != SegmentTable.NOT_FOUND; slot = table.tags.nextFull(slot + 1))
        {
            if (slot == restored)
            {
                continue;
            }
            final int keyLength = table.keyLength(slot);
            final boolean lengthOk = keyLength >= 0 && keyLength <= params.maxKeyLength;
            final long hash = lengthOk ? table.slotHash(slot, keyLength) : 0;
            final boolean keyFits = lengthOk && SegmentDescriptor.tag(hash) == table.tags.tagAt(slot) &&
                SegmentDescriptor.segmentOf(hash, params.segmentBits) == table.segment;
            if (!table.checksumMatches(slot))
            {
                damaged.add(new Slot(table, slot, keyFits && table.tags.onProbePath(hash, slot) ?
                    keyBytes(table, slot, keyLength) : null, "fails its checksum"));
                continue;
            }
            if (!keyFits)
            {
                damaged.add(new Slot(table, slot, null, "holds a key (length " + keyLength + ") whose hash gives " +
                    (lengthOk ? "tag " + SegmentDescriptor.tag(hash) + " of segment " +
                    SegmentDescriptor.segmentOf(hash, params.segmentBits) : "nothing") + ", not this tag or segment"));
                continue;
            }
            table.copyKey(slot, key, 0, keyLength);
            final int found = table.find(hash, key, 0, keyLength);
            if (found == SegmentTable.NOT_FOUND)
            {
                unreachable.add(new Unreachable(table, slot, hash));
            }
            else if (found != slot)
            {
                damaged.add(new Slot(table, slot, keyBytes(table, slot, keyLength),
                    "holds a second copy of the key in slot " + found));
            }
        }
    }

    private static byte[] keyBytes(final SegmentTable table, final int slot, final int keyLength)
    {
        final byte[] bytes = new byte[keyLength];
        table.copyKey(slot, new UnsafeBuffer(bytes), 0, keyLength);
        return bytes;
    }

    boolean isEmpty()
    {
        return damaged.isEmpty() && unreachable.isEmpty();
    }

    /** Damaged slots the log does not account for. */
    List<Slot> unlogged()
    {
        final List<Slot> unlogged = new ArrayList<>();
        for (final Slot slot : damaged)
        {
            if (!slot.logged)
            {
                unlogged.add(slot);
            }
        }
        return unlogged;
    }

    @Override
    public void put(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength,
        final int valueOffset, final int valueLength, final long expiresAt)
    {
        match(buffer, keyOffset, keyLength);
    }

    @Override
    public void remove(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        match(buffer, keyOffset, keyLength);
    }

    private void match(final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        if (damaged.isEmpty())
        {
            return;
        }
        final long hash = Hashing.hash(hashFunction, buffer, keyOffset, keyLength);
        final List<Slot> candidates = perSegment.get(SegmentDescriptor.segmentOf(hash, params.segmentBits));
        if (null == candidates)
        {
            return;
        }
        final int tag = SegmentDescriptor.tag(hash);
        for (final Slot slot : candidates)
        {
            if (slot.logged)
            {
                continue;
            }
            if (null != slot.key)
            {
                slot.logged = slot.key.length == keyLength && sameBytes(slot.key, buffer, keyOffset);
            }
            else
            {
                slot.logged = slot.tag == tag && slot.table.tags.onProbePath(hash, slot.slot);
            }
        }
    }

    private static boolean sameBytes(final byte[] key, final DirectBuffer buffer, final int offset)
    {
        for (int i = 0; i < key.length; i++)
        {
            if (key[i] != buffer.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString()
    {
        return damaged.size() + " damaged slots " + Arrays.toString(damaged.toArray()) + ", " + unreachable.size() +
            " unreachable";
    }
}
