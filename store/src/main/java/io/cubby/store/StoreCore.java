package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Iterator;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.LongConsumer;

/**
 * What {@link Cubby} delegates to once it has checked its arguments: one implementation per format version,
 * {@link TableCore} over version 1's parts and {@link SegmentCore} over engine v2's {@link SegmentStore}. Keys and
 * values reaching these methods are within the store's limits and their buffers' bounds.
 */
interface StoreCore
{
    /** @return 1 or 2. */
    int formatVersion();

    /**
     * @param dst receives the value, or null to test presence only.
     * @return the value length, or {@link Cubby#MISSING}.
     */
    int read(DirectBuffer key, int keyOffset, int keyLength, MutableDirectBuffer dst, int dstOffset);

    /**
     * One write, atomic for its key, with the semantics of {@link Engine#write}.
     *
     * @param previous receives the previous value if given.
     * @param expiresAt the new entry's expiry, 0 for none, or {@link Arguments#KEEP_EXPIRY}.
     * @return the previous value length, {@link Cubby#MISSING} if the key was absent, or
     *         {@link Engine#NOT_APPLIED} if a conditional operation's expectation failed.
     */
    int write(Engine.Operation op, DirectBuffer key, int keyOffset, int keyLength, DirectBuffer value,
        int valueOffset, int valueLength, DirectBuffer expected, int expectedOffset, int expectedLength,
        MutableDirectBuffer previous, long expiresAt);

    /** @param ttlMillis time to live of the new value, 0 for the default expiry. */
    byte[] compute(byte[] key, UnsafeBuffer k, BinaryOperator<byte[]> remapping, long ttlMillis);

    long expiresAtMillis(DirectBuffer key, int keyLength);

    long size();

    long estimatedSize();

    boolean isEmpty();

    void forEach(EntryVisitor visitor, CorruptEntryHandler onCorrupt);

    Iterator<Map.Entry<byte[], byte[]>> entries();

    Iterator<byte[]> keys();

    void checkpoint();

    /** @param targetLoad as {@link Cubby#compact(double, LongConsumer)}'s, unchecked. */
    void compact(double targetLoad, LongConsumer progress);

    CubbyStats stats();

    VerifyReport verify();

    RecoveryReport recoveryReport();

    boolean isReadOnly();

    boolean hasLiveWriter();

    long maxEntries();

    void close();

    boolean isClosed();
}
