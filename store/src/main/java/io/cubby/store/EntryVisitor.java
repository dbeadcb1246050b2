package io.cubby.store;

import org.agrona.DirectBuffer;

/**
 * Receives entries during {@link Cubby#forEach(EntryVisitor)}. The buffers are views of the store's memory,
 * valid only during the call; copy what must be kept.
 */
@FunctionalInterface
public interface EntryVisitor
{
    /**
     * @param key         buffer holding the key.
     * @param keyOffset   offset of the key.
     * @param keyLength   key length in bytes.
     * @param value       buffer holding the value (the key itself in set mode).
     * @param valueOffset offset of the value.
     * @param valueLength value length in bytes.
     */
    void visit(DirectBuffer key, int keyOffset, int keyLength, DirectBuffer value, int valueOffset, int valueLength);
}
