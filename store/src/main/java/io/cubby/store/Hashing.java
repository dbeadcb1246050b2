package io.cubby.store;

import org.agrona.DirectBuffer;

/**
 * Hash functions used by the format: XXH3-64 with the per-store seed for keys, XXH3-64 with seed 0 for slot
 * checksums. Both read bytes in place, from arrays or from native memory, without allocating ({@link Xxh3}).
 */
final class Hashing
{
    static final Xxh3 CHECKSUM = Xxh3.withSeed(0);

    private Hashing()
    {
    }

    /**
     * Hash of {@code length} bytes of a buffer. The caller must have bounds-checked the range.
     *
     * @param function hash function.
     * @param buffer   bytes to hash, array-backed or native.
     * @param offset   offset within the buffer.
     * @param length   number of bytes.
     * @return the 64-bit hash.
     */
    static long hash(final Xxh3 function, final DirectBuffer buffer, final int offset, final int length)
    {
        return function.hash(buffer, offset, length);
    }

    /** Multiplier mixing the value hash into the slot checksum (the 64-bit golden ratio). */
    static final long VALUE_HASH_MULTIPLIER = 0x9E3779B97F4A7C15L;

    /**
     * Slot checksum: the low 32 bits of {@code XXH3(head) ^ (XXH3(value) * VALUE_HASH_MULTIPLIER)}, where head is
     * the key hash, both lengths and the key bytes, and value the value bytes; both with seed 0.
     *
     * @param headAddress   address of the key hash field.
     * @param headLength    bytes from the key hash field to the end of the key.
     * @param valueAddress  address of the first value byte.
     * @param valueLength   value length.
     * @return the checksum.
     */
    static int slotChecksum(
        final long headAddress, final int headLength, final long valueAddress, final int valueLength)
    {
        final long head = CHECKSUM.hashMemory(headAddress, headLength);
        final long value = CHECKSUM.hashMemory(valueAddress, valueLength);
        return (int)(head ^ (value * VALUE_HASH_MULTIPLIER));
    }

    /**
     * Low 32 bits of the checksum hash over native memory.
     *
     * @param address first byte.
     * @param length  number of bytes.
     * @return the checksum.
     */
    static int checksum(final long address, final int length)
    {
        return (int)CHECKSUM.hashMemory(address, length);
    }
}
