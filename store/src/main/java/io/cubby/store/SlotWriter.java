package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.cubby.store.SlotDescriptor.CHECKSUM_OFFSET;
import static io.cubby.store.SlotDescriptor.HASH_OFFSET;
import static io.cubby.store.SlotDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;
import static io.cubby.store.SlotDescriptor.VALUE_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_IMAGE_OFFSET;

/**
 * Mutation of one table's slots (the writer holds the lock): each change is bracketed by the
 * {@link WriteSequence}, ordered so that a crash part way leaves the slot as it was or rolls back through the
 * {@link UndoArea}, and kept in the {@link TableCounters}.
 */
final class SlotWriter
{
    private final TableSlots slots;
    private final WriteSequence sequence;
    private final UndoArea undo;
    private final TableCounters counters;
    private final boolean expiry;
    private final int keyOffset;
    private final int valueOffset;

    SlotWriter(final TableSlots slots, final WriteSequence sequence, final UndoArea undo, final TableCounters counters)
    {
        this.slots = slots;
        this.sequence = sequence;
        this.undo = undo;
        this.counters = counters;
        this.expiry = slots.expiry;
        this.keyOffset = slots.keyOffset;
        this.valueOffset = slots.valueOffset;
    }

    /**
     * Write a new entry into an empty or tombstone slot. The body is written first and the state last, so a
     * crash part way leaves the slot as it was.
     */
    void insert(
        final long index,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffsetInBuffer,
        final int valueLength,
        final long expiresAt,
        final long writtenAt)
    {
        final UnsafeBuffer window = slots.window(index);
        final int slot = slots.slotOffset(index);
        final int previous = window.getInt(slot + STATE_OFFSET);
        sequence.beginWrite();
        try
        {
            writeBody(window, slot, hash, key, keyOffset, keyLength, value, valueOffsetInBuffer, valueLength,
                expiresAt, writtenAt);
            CrashPoints.Hook.reached("insert.body-written");
            window.putIntRelease(slot + STATE_OFFSET, STATE_FULL);
        }
        finally
        {
            sequence.endWrite();
        }
        CrashPoints.Hook.reached("insert.slot-full");
        if (STATE_TOMBSTONE == previous)
        {
            counters.setTombstoneCount(counters.tombstoneCount() - 1);
        }
        counters.setEntryCount(counters.entryCount() + 1);
    }

    /**
     * Copy a full slot of another table (same key and value limits) into an empty or tombstone slot.
     */
    void insertCopy(final long index, final TableSlots source, final long sourceIndex)
    {
        final int keyLength = source.keyLength(sourceIndex);
        final int valueLength = source.valueLength(sourceIndex);
        final UnsafeBuffer from = source.window(sourceIndex);
        final int fromSlot = source.slotOffset(sourceIndex);
        final UnsafeBuffer window = slots.window(index);
        final int slot = slots.slotOffset(index);
        final int previous = window.getInt(slot + STATE_OFFSET);
        sequence.beginWrite();
        try
        {
            window.putBytes(slot + CHECKSUM_OFFSET, from, fromSlot + CHECKSUM_OFFSET,
                keyOffset - CHECKSUM_OFFSET + keyLength);
            if (valueLength > 0)
            {
                window.putBytes(slot + valueOffset, from, fromSlot + source.valueOffset, valueLength);
            }
            CrashPoints.Hook.reached("migrate.body-copied");
            window.putIntRelease(slot + STATE_OFFSET, STATE_FULL);
        }
        finally
        {
            sequence.endWrite();
        }
        CrashPoints.Hook.reached("migrate.slot-copied");
        if (STATE_TOMBSTONE == previous)
        {
            counters.setTombstoneCount(counters.tombstoneCount() - 1);
        }
        counters.setEntryCount(counters.entryCount() + 1);
    }

    /**
     * Copy the undo image of another table (same key and value limits, checked by {@link UndoArea#undoImageProblem})
     * into an empty or tombstone slot.
     */
    void insertUndoImage(final long index, final UndoArea from)
    {
        final UnsafeBuffer image = from.header;
        final int keyLength = image.getInt(UNDO_IMAGE_OFFSET + KEY_LENGTH_OFFSET);
        final int valueLength = image.getInt(UNDO_IMAGE_OFFSET + VALUE_LENGTH_OFFSET);
        final UnsafeBuffer window = slots.window(index);
        final int slot = slots.slotOffset(index);
        final int previous = window.getInt(slot + STATE_OFFSET);
        sequence.beginWrite();
        try
        {
            window.putBytes(slot + CHECKSUM_OFFSET, image, UNDO_IMAGE_OFFSET + CHECKSUM_OFFSET,
                keyOffset - CHECKSUM_OFFSET + keyLength);
            if (valueLength > 0)
            {
                window.putBytes(slot + valueOffset, image, UNDO_IMAGE_OFFSET + from.valueOffset, valueLength);
            }
            window.putIntRelease(slot + STATE_OFFSET, STATE_FULL);
        }
        finally
        {
            sequence.endWrite();
        }
        if (STATE_TOMBSTONE == previous)
        {
            counters.setTombstoneCount(counters.tombstoneCount() - 1);
        }
        counters.setEntryCount(counters.entryCount() + 1);
    }

    /**
     * Replace the value of a full slot in place. The slot image is saved to the header's undo area first, so a
     * crash part way can be rolled back by recovery.
     */
    void update(
        final long index,
        final DirectBuffer value,
        final int offset,
        final int length,
        final long expiresAt,
        final long writtenAt)
    {
        final UnsafeBuffer window = slots.window(index);
        final int slot = slots.slotOffset(index);
        undo.saveUndo(index, window, slot);
        CrashPoints.Hook.reached("update.undo-saved");
        final int keyLength = slots.keyLength(index);
        sequence.beginWrite();
        try
        {
            if (expiry)
            {
                window.putLong(slot + SlotDescriptor.EXPIRES_AT_OFFSET, expiresAt);
                window.putLong(slot + SlotDescriptor.WRITTEN_AT_OFFSET, writtenAt);
            }
            if (length > 0)
            {
                window.putBytes(slot + valueOffset, value, offset, length);
            }
            window.putInt(slot + VALUE_LENGTH_OFFSET, length);
            CrashPoints.Hook.reached("update.value-written");
            window.putInt(slot + CHECKSUM_OFFSET, slots.computeChecksum(window, slot, keyLength, length));
        }
        finally
        {
            sequence.endWrite();
        }
        CrashPoints.Hook.reached("update.checksum-written");
        undo.clearUndo();
        CrashPoints.Hook.reached("update.undo-cleared");
    }

    private void writeBody(
        final UnsafeBuffer window,
        final int slot,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffsetInBuffer,
        final int valueLength,
        final long expiresAt,
        final long writtenAt)
    {
        window.putLong(slot + HASH_OFFSET, hash);
        window.putInt(slot + KEY_LENGTH_OFFSET, keyLength);
        window.putInt(slot + VALUE_LENGTH_OFFSET, valueLength);
        if (expiry)
        {
            window.putLong(slot + SlotDescriptor.EXPIRES_AT_OFFSET, expiresAt);
            window.putLong(slot + SlotDescriptor.WRITTEN_AT_OFFSET, writtenAt);
        }
        window.putBytes(slot + this.keyOffset, key, keyOffset, keyLength);
        if (valueLength > 0)
        {
            window.putBytes(slot + valueOffset, value, valueOffsetInBuffer, valueLength);
        }
        window.putInt(slot + CHECKSUM_OFFSET, slots.computeChecksum(window, slot, keyLength, valueLength));
    }

    /**
     * Turn a full slot into a tombstone with one aligned 4-byte store.
     */
    void remove(final long index, final boolean countedAsEntry)
    {
        sequence.beginWrite();
        slots.window(index).putIntRelease(slots.slotOffset(index) + STATE_OFFSET, STATE_TOMBSTONE);
        sequence.endWrite();
        counters.setTombstoneCount(counters.tombstoneCount() + 1);
        if (countedAsEntry)
        {
            counters.setEntryCount(counters.entryCount() - 1);
        }
    }
}
