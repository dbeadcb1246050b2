package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import static io.cubby.store.SlotDescriptor.CHECKSUM_OFFSET;
import static io.cubby.store.SlotDescriptor.HASH_OFFSET;
import static io.cubby.store.SlotDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_OFFSET;
import static io.cubby.store.SlotDescriptor.VALUE_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.NO_UNDO;
import static io.cubby.store.TableDescriptor.UNDO_CHECKSUM_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_IMAGE_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_SLOT_INDEX_OFFSET;

/**
 * The undo area of one table header: the image of the slot an in-place update is changing, saved before the
 * change, so that recovery can roll a torn update back. The image is laid out as a slot ({@link SlotDescriptor})
 * at {@link TableDescriptor#UNDO_IMAGE_OFFSET}.
 */
final class UndoArea
{
    /** The table header holding the undo image. */
    final UnsafeBuffer header;
    /** Offset of the value within a slot, and so within the image. */
    final int valueOffset;

    private final TableSlots slots;
    private final WriteSequence sequence;
    private final long capacity;
    private final int slotLength;
    private final int maxKeyLength;
    private final int maxValueLength;
    private final int keyOffset;

    UndoArea(final UnsafeBuffer header, final TableSlots slots, final WriteSequence sequence, final long capacity)
    {
        this.header = header;
        this.slots = slots;
        this.sequence = sequence;
        this.capacity = capacity;
        this.slotLength = slots.slotLength;
        this.maxKeyLength = slots.maxKeyLength;
        this.maxValueLength = slots.maxValueLength;
        this.keyOffset = slots.keyOffset;
        this.valueOffset = slots.valueOffset;
    }

    long undoSlotIndex()
    {
        return header.getLong(UNDO_SLOT_INDEX_OFFSET);
    }

    /**
     * Whether the undo area holds an image that can roll back slot {@code index}: the Undo Checksum matches, the
     * image is a full slot with valid lengths and checksum, and the slot holds the same key (an in-place update
     * never writes the hash, the key length or the key). Reads only.
     *
     * @return null if it can, else why the image is not applicable.
     */
    String undoImageProblem(final long index)
    {
        if (index < 0 || index >= capacity)
        {
            return "undo slot index " + index + " outside the table";
        }
        if (header.getInt(UNDO_CHECKSUM_OFFSET) !=
            Hashing.checksum(header.addressOffset() + UNDO_IMAGE_OFFSET, slotLength))
        {
            return "undo image checksum mismatch";
        }
        final int image = UNDO_IMAGE_OFFSET;
        final int keyLength = header.getInt(image + KEY_LENGTH_OFFSET);
        final int valueLength = header.getInt(image + VALUE_LENGTH_OFFSET);
        if (header.getInt(image + STATE_OFFSET) != STATE_FULL || keyLength < 0 || keyLength > maxKeyLength ||
            valueLength < 0 || valueLength > maxValueLength ||
            header.getInt(image + CHECKSUM_OFFSET) != slots.computeChecksum(header, image, keyLength, valueLength))
        {
            return "undo image is not an intact full slot";
        }
        final UnsafeBuffer window = slots.window(index);
        final int slot = slots.slotOffset(index);
        if (window.getInt(slot + STATE_OFFSET) != STATE_FULL ||
            window.getLong(slot + HASH_OFFSET) != header.getLong(image + HASH_OFFSET) ||
            window.getInt(slot + KEY_LENGTH_OFFSET) != keyLength ||
            !TableSlots.equalBytes(window, slot + this.keyOffset, header, image + this.keyOffset, keyLength))
        {
            return "slot " + index + " does not hold the key of the undo image";
        }
        return null;
    }

    /**
     * Whether the undo image, read as a slot, has valid lengths and checksum.
     */
    boolean undoImageIntact()
    {
        final int keyLength = header.getInt(UNDO_IMAGE_OFFSET + KEY_LENGTH_OFFSET);
        final int valueLength = header.getInt(UNDO_IMAGE_OFFSET + VALUE_LENGTH_OFFSET);
        return keyLength >= 0 && keyLength <= maxKeyLength && valueLength >= 0 && valueLength <= maxValueLength &&
            header.getInt(UNDO_IMAGE_OFFSET + CHECKSUM_OFFSET) ==
            slots.computeChecksum(header, UNDO_IMAGE_OFFSET, keyLength, valueLength);
    }

    /**
     * Copy the undo image back into slot {@code index} (checked by {@link #undoImageProblem(long)}) and clear
     * the undo area.
     */
    void restoreUndo(final long index)
    {
        sequence.beginWrite();
        slots.window(index).putBytes(slots.slotOffset(index), header, UNDO_IMAGE_OFFSET, slotLength);
        sequence.endWrite();
        clearUndo();
    }

    void clearUndo()
    {
        header.putLongRelease(UNDO_SLOT_INDEX_OFFSET, NO_UNDO);
    }

    /**
     * Save the image of slot {@code index} into the undo area before it is changed in place.
     */
    void saveUndo(final long index, final UnsafeBuffer window, final int slot)
    {
        header.putBytes(UNDO_IMAGE_OFFSET, window, slot, slotLength);
        header.putInt(UNDO_CHECKSUM_OFFSET, Hashing.checksum(header.addressOffset() + UNDO_IMAGE_OFFSET, slotLength));
        header.putLongRelease(UNDO_SLOT_INDEX_OFFSET, index);
    }
}
