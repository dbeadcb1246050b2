package io.cubby.store;

import org.agrona.DirectBuffer;

/**
 * Told about an entry that fails its checksum during {@link Cubby#forEach(EntryVisitor, CorruptEntryHandler)},
 * which then skips it instead of throwing.
 */
@FunctionalInterface
public interface CorruptEntryHandler
{
    /**
     * @param key       buffer holding the stored key bytes (possibly damaged themselves), valid during the call.
     * @param keyOffset offset of the key.
     * @param keyLength stored key length, clamped to the store's maximum.
     * @param problem   what is wrong, naming the slot and file.
     */
    void onCorrupt(DirectBuffer key, int keyOffset, int keyLength, CorruptStoreException problem);
}
