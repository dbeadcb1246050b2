package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;

import static io.cubby.store.SlotDescriptor.HASH_OFFSET;
import static io.cubby.store.SlotDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_EMPTY;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;

/**
 * Hashing and probing in one table: a key's home slot, the probe sequence of the table's strategy, and the
 * lookups that walk it ({@link #find} for reads, {@link #findForInsert} for writes), validating every slot they
 * cross. Reads only; the slot array is {@link TableSlots}', whose windows it keeps in its own final fields so the
 * probe loop reads them without another indirection.
 */
final class TableProbe
{
    static final long NOT_FOUND = -1;

    private final Path file;
    private final TableSlots slots;
    private final long capacity;
    private final long mask;
    private final int probingCode;
    private final Xxh3 hashFunction;
    private final UnsafeBuffer[] windows;
    private final int windowShift;
    private final long windowMask;
    private final int slotLength;
    private final int maxKeyLength;
    private final int keyOffset;

    TableProbe(final Path file, final TableSlots slots, final TableParams params, final long capacity)
    {
        this.file = file;
        this.slots = slots;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.probingCode = params.probing.code();
        this.hashFunction = Xxh3.withSeed(params.seed);
        this.windows = slots.windows;
        this.windowShift = slots.windowShift;
        this.windowMask = slots.windowMask;
        this.slotLength = slots.slotLength;
        this.maxKeyLength = slots.maxKeyLength;
        this.keyOffset = slots.keyOffset;
    }

    long hash(final DirectBuffer key, final int offset, final int length)
    {
        return Hashing.hash(hashFunction, key, offset, length);
    }

    long homeIndex(final long hash)
    {
        return hash & mask;
    }

    long nextIndex(final long index, final long probe, final long hash)
    {
        switch (probingCode)
        {
            case 2:
                return (index + probe) & mask;
            case 3:
                return (index + ((hash >>> 32) | 1)) & mask;
            default:
                return (index + 1) & mask;
        }
    }

    /**
     * Find the slot holding a key.
     *
     * @return the slot index, or {@link #NOT_FOUND}.
     */
    long find(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        long index = hash & mask;
        for (long probe = 1; probe <= capacity; probe++)
        {
            final UnsafeBuffer window = windows[(int)(index >>> windowShift)];
            final int slot = (int)((index & windowMask) * slotLength);
            final int state = window.getIntAcquire(slot + STATE_OFFSET);
            if (STATE_EMPTY == state)
            {
                return NOT_FOUND;
            }
            if (STATE_FULL == state)
            {
                if (matches(window, slot, index, hash, key, offset, length))
                {
                    return index;
                }
            }
            else
            {
                checkState(state, index);
            }
            index = nextIndex(index, probe, hash);
        }
        throw noEmptySlot();
    }

    /**
     * Find the slot holding a key, or where it would be inserted.
     *
     * @return the slot index if found, else {@code -2 - insertIndex}.
     */
    long findForInsert(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        long index = hash & mask;
        long firstTombstone = -1;
        for (long probe = 1; probe <= capacity; probe++)
        {
            final UnsafeBuffer window = windows[(int)(index >>> windowShift)];
            final int slot = (int)((index & windowMask) * slotLength);
            final int state = window.getInt(slot + STATE_OFFSET);
            if (STATE_EMPTY == state)
            {
                return -2 - (firstTombstone >= 0 ? firstTombstone : index);
            }
            if (STATE_FULL == state)
            {
                if (matches(window, slot, index, hash, key, offset, length))
                {
                    return index;
                }
            }
            else if (STATE_TOMBSTONE == state)
            {
                if (firstTombstone < 0)
                {
                    firstTombstone = index;
                }
            }
            else
            {
                checkState(state, index);
            }
            index = nextIndex(index, probe, hash);
        }
        if (firstTombstone >= 0)
        {
            return -2 - firstTombstone;
        }
        throw noEmptySlot();
    }

    /**
     * Whether a full slot crossed by a probe holds the key, validating what the probe reads so that damage is
     * reported rather than read as "another key" (which would answer "absent"): a key length out of range, the
     * key stored under another hash, or the key's hash with other key bytes or length in a slot failing its
     * checksum. All of it is in the slot's first bytes, which the probe reads anyway; the checksum is computed
     * only on an equal hash, i.e. almost only for the key looked up.
     *
     * @throws CorruptStoreException if the slot fails validation.
     */
    private boolean matches(
        final UnsafeBuffer window,
        final int slot,
        final long index,
        final long hash,
        final DirectBuffer key,
        final int offset,
        final int length)
    {
        final int slotKeyLength = window.getInt(slot + KEY_LENGTH_OFFSET);
        if (Integer.compareUnsigned(slotKeyLength, maxKeyLength) > 0)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() + " has key length " +
                slotKeyLength + " outside [0, " + maxKeyLength + "]; run `cubby verify` for a full report");
        }
        final boolean sameKey = slotKeyLength == length && TableSlots.equalBytes(window, slot + keyOffset, key, offset, length);
        if (window.getLong(slot + HASH_OFFSET) == hash)
        {
            if (sameKey)
            {
                return true;
            }
            if (!slots.slotIntact(index))
            {
                throw new CorruptStoreException("slot " + index + " of " + file.getFileName() + " holds the key's " +
                    "hash but fails its checksum (damaged key or key length); run `cubby verify` for a full report");
            }
            return false;
        }
        if (sameKey)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() + " holds the key under " +
                "another hash (damaged hash); run `cubby verify` for a full report");
        }
        return false;
    }

    /**
     * Number of probes from a key's home slot to the slot it sits in, 1 for the home slot itself.
     */
    long probeLength(final long hash, final long targetIndex)
    {
        long index = hash & mask;
        for (long probe = 1; probe <= capacity; probe++)
        {
            if (index == targetIndex)
            {
                return probe;
            }
            if (STATE_EMPTY == slots.state(index))
            {
                return -1;
            }
            index = nextIndex(index, probe, hash);
        }
        return -1;
    }

    private CorruptStoreException noEmptySlot()
    {
        return new CorruptStoreException("no empty slot reachable in " + file.getFileName() +
            ": the table is overfull or its slot states are corrupt; run `cubby verify`");
    }

    private void checkState(final int state, final long index)
    {
        if (!SlotDescriptor.isValidState(state))
        {
            throw new CorruptStoreException(
                "slot " + index + " of " + file.getFileName() + " has invalid state " + state);
        }
    }
}
