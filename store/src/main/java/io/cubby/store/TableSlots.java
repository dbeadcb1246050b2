package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import static io.cubby.store.SlotDescriptor.CHECKSUM_OFFSET;
import static io.cubby.store.SlotDescriptor.HASH_OFFSET;
import static io.cubby.store.SlotDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_OFFSET;
import static io.cubby.store.SlotDescriptor.VALUE_LENGTH_OFFSET;

/**
 * The slot array of one table file, mapped in windows of at most 1 GiB (each an Agrona {@link UnsafeBuffer}), and
 * the reading of one slot through {@link SlotDescriptor}: its fields validated against the table's limits, its
 * checksum, and copies of its key and value into caller buffers. Writes are {@link SlotWriter}'s.
 */
final class TableSlots
{
    private static final int MAX_WINDOW_BYTES = 1 << 30;

    final int slotLength;
    final int maxKeyLength;
    final int maxValueLength;
    final int keyOffset;
    final int valueOffset;
    final boolean expiry;
    final UnsafeBuffer[] windows;
    final int windowShift;
    final long windowMask;

    private final Path file;
    private final MappedByteBuffer[] mappings;

    TableSlots(final Path file, final FileChannel channel, final FileChannel.MapMode mode, final TableHeader h)
        throws IOException
    {
        this.file = file;
        final long capacity = h.capacity;
        final int headerLength = h.headerLength;
        this.slotLength = h.slotLength;
        this.maxKeyLength = h.params.maxKeyLength;
        this.maxValueLength = h.params.maxValueLength;
        this.expiry = h.params.expiry;
        this.keyOffset = SlotDescriptor.keyOffset(expiry);
        this.valueOffset = SlotDescriptor.valueOffset(maxKeyLength, expiry);

        long slotsPerWindow = Long.highestOneBit(Math.max(1, MAX_WINDOW_BYTES / slotLength));
        slotsPerWindow = Math.min(slotsPerWindow, capacity);
        windowShift = Long.numberOfTrailingZeros(slotsPerWindow);
        windowMask = slotsPerWindow - 1;
        final int windowCount = (int)((capacity + slotsPerWindow - 1) / slotsPerWindow);
        mappings = new MappedByteBuffer[windowCount];
        windows = new UnsafeBuffer[windowCount];
        for (int i = 0; i < windowCount; i++)
        {
            final long firstSlot = (long)i << windowShift;
            final long slots = Math.min(slotsPerWindow, capacity - firstSlot);
            mappings[i] = channel.map(mode, headerLength + firstSlot * slotLength, slots * slotLength);
            windows[i] = new UnsafeBuffer(mappings[i]);
        }
    }

    static boolean equalBytes(
        final UnsafeBuffer window, final int slotKeyOffset, final DirectBuffer key, final int offset, final int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            if (window.getLong(slotKeyOffset + i) != key.getLong(offset + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (window.getByte(slotKeyOffset + i) != key.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- slot access

    UnsafeBuffer window(final long index)
    {
        return windows[(int)(index >>> windowShift)];
    }

    int slotOffset(final long index)
    {
        return (int)((index & windowMask) * slotLength);
    }

    int state(final long index)
    {
        return window(index).getIntAcquire(slotOffset(index) + STATE_OFFSET);
    }

    long slotHash(final long index)
    {
        return window(index).getLong(slotOffset(index) + HASH_OFFSET);
    }

    /**
     * Key length of a full slot, validated against the maximum.
     */
    int keyLength(final long index)
    {
        final int length = window(index).getInt(slotOffset(index) + KEY_LENGTH_OFFSET);
        if (length < 0 || length > maxKeyLength)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() +
                " has key length " + length + " outside [0, " + maxKeyLength + "]");
        }
        return length;
    }

    /**
     * Value length of a full slot, validated against the maximum.
     */
    int valueLength(final long index)
    {
        final int length = window(index).getInt(slotOffset(index) + VALUE_LENGTH_OFFSET);
        if (length < 0 || length > maxValueLength)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() +
                " has value length " + length + " outside [0, " + maxValueLength + "]");
        }
        return length;
    }

    int keyOffsetInWindow(final long index)
    {
        return slotOffset(index) + keyOffset;
    }

    int valueOffsetInWindow(final long index)
    {
        return slotOffset(index) + valueOffset;
    }

    /**
     * Whether the checksum of a full slot matches its contents. Lengths are validated first.
     */
    boolean checksumMatches(final long index)
    {
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int stored = window.getInt(slot + CHECKSUM_OFFSET);
        return stored == computeChecksum(window, slot, keyLength(index), valueLength(index));
    }

    int computeChecksum(
        final UnsafeBuffer window, final int slot, final int keyLength, final int valueLength)
    {
        final int length = keyOffset - HASH_OFFSET + keyLength;
        window.boundsCheck(slot + HASH_OFFSET, length);
        window.boundsCheck(slot + valueOffset, valueLength);
        final long address = window.addressOffset() + slot;
        return Hashing.slotChecksum(address + HASH_OFFSET, length, address + valueOffset, valueLength);
    }

    void verifyChecksum(final long index)
    {
        if (!checksumMatches(index))
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() +
                " fails its checksum; run `cubby verify` for a full report");
        }
    }

    /**
     * Whether a full slot has valid lengths and checksum, without throwing.
     */
    boolean slotIntact(final long index)
    {
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int keyLength = window.getInt(slot + KEY_LENGTH_OFFSET);
        final int valueLength = window.getInt(slot + VALUE_LENGTH_OFFSET);
        if (keyLength < 0 || keyLength > maxKeyLength || valueLength < 0 || valueLength > maxValueLength)
        {
            return false;
        }
        return window.getInt(slot + CHECKSUM_OFFSET) == computeChecksum(window, slot, keyLength, valueLength);
    }

    // ---------------------------------------------------------------- reads into caller buffers

    /**
     * Expiry time of a full slot in epoch milliseconds, 0 for never; always 0 in a store without expiry.
     */
    long expiresAt(final long index)
    {
        return expiry ? window(index).getLong(slotOffset(index) + SlotDescriptor.EXPIRES_AT_OFFSET) : 0;
    }

    /**
     * Last write time of a full slot in epoch milliseconds; 0 in a store without expiry.
     */
    long writtenAt(final long index)
    {
        return expiry ? window(index).getLong(slotOffset(index) + SlotDescriptor.WRITTEN_AT_OFFSET) : 0;
    }

    /**
     * Whether a full slot has expired at the given time.
     */
    boolean isExpired(final long index, final long nowMillis)
    {
        if (!expiry)
        {
            return false;
        }
        final long expiresAt = window(index).getLong(slotOffset(index) + SlotDescriptor.EXPIRES_AT_OFFSET);
        return expiresAt != 0 && expiresAt <= nowMillis;
    }

    void copyKey(final long index, final MutableDirectBuffer dst, final int dstOffset, final int keyLength)
    {
        dst.putBytes(dstOffset, window(index), keyOffsetInWindow(index), keyLength);
    }

    /**
     * Copy a slot's value (its key in set mode), {@code length} bytes, into {@code dst}, which must have room for
     * it unless it is expandable.
     */
    void copyOut(
        final long index, final boolean setMode, final int length, final MutableDirectBuffer dst, final int dstOffset)
    {
        Arguments.checkFits(dst, dstOffset, length);
        if (setMode)
        {
            copyKey(index, dst, dstOffset, length);
        }
        else
        {
            copyValue(index, dst, dstOffset, length);
        }
    }

    void copyValue(final long index, final MutableDirectBuffer dst, final int dstOffset, final int valueLength)
    {
        if (valueLength > 0)
        {
            dst.putBytes(dstOffset, window(index), valueOffsetInWindow(index), valueLength);
        }
    }

    boolean valueEquals(final long index, final DirectBuffer expected, final int offset, final int length)
    {
        return valueLength(index) == length && equalBytes(window(index), valueOffsetInWindow(index),
            expected, offset, length);
    }

    /**
     * Force every mapped window of slots to disk.
     */
    void forceWindows()
    {
        for (final MappedByteBuffer mapping : mappings)
        {
            mapping.force();
        }
    }
}
