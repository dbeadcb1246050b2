package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BinaryOperator;

import static io.cubby.store.Engine.MISSING;
import static io.cubby.store.Engine.NOT_APPLIED;

/**
 * The write path of a format-version-2 store behind {@link Cubby}: every write takes its key's segment write lock
 * ({@link SegmentStore#writeLock}), decides there what to do from the key's present value, and writes through
 * {@link SegmentStore#put} / {@link SegmentStore#remove} (the logged path in SYNC and ASYNC, which takes the same
 * reentrant lock again). A compound operation is therefore atomic per key against every other write; writes to
 * other segments run at the same time. Plain puts and removals without a previous value read nothing first and
 * allocate nothing.
 * <p>
 * Expiry stores (version 1's semantics): a write that decides from the present value reads it at one clock
 * reading, under the key's write lock, so an entry expired then counts as absent for the decision; a "keep the
 * current expiry" write ({@link Arguments#KEEP_EXPIRY}) then writes the deadline of the entry that read saw (0 if
 * none), resolved here. A plain put or removal decides in the segment, under its lock ({@link SegmentSet#put}).
 */
final class SegmentWrites
{
    private final SegmentStore store;
    private final SegmentSet set;
    private final Arguments arguments;
    private final boolean expiry;
    /** The present value of a conditional write that returns none. */
    private final ThreadLocal<UnsafeBuffer> present;
    /** Compute functions running now, in any thread: while none is, a write checks nothing more. */
    private final java.util.concurrent.atomic.AtomicInteger computing = new java.util.concurrent.atomic.AtomicInteger();
    /** Whether the calling thread is inside a compute function. */
    private final ThreadLocal<boolean[]> inCompute = ThreadLocal.withInitial(() -> new boolean[1]);

    SegmentWrites(final SegmentStore store, final Arguments arguments)
    {
        this.store = store;
        this.set = store.segments();
        this.arguments = arguments;
        this.expiry = set.params.expiry;
        final int length = Math.max(1, set.params.maxValueLength);
        this.present = ThreadLocal.withInitial(() -> new UnsafeBuffer(new byte[length]));
    }

    ReentrantLock lockFor(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        return store.writeLock(set.segmentOf(set.hash(key, keyOffset, keyLength)));
    }

    /**
     * See {@link StoreCore#write}.
     *
     * @param expiresAt the written entry's expiry: epoch ms, 0 for never, or {@link Arguments#KEEP_EXPIRY}; 0 in a
     *                  store without expiry.
     */
    int write(final Engine.Operation op, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final DirectBuffer expected,
        final int expectedOffset, final int expectedLength, final MutableDirectBuffer previous, final long expiresAt)
    {
        refuseInsideCompute("a write");
        final ReentrantLock lock = lockFor(key, keyOffset, keyLength);
        lock.lock();
        try
        {
            if (null == previous && Engine.Operation.PUT == op)
            {
                return put(key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt) ? MISSING : 0;
            }
            if (null == previous && Engine.Operation.REMOVE == op)
            {
                return remove(key, keyOffset, keyLength) ? 0 : MISSING;
            }
            final MutableDirectBuffer before = null == previous ? present.get() : previous;
            final int length = store.get(key, keyOffset, keyLength, before, 0, expiry ? ExpiryClock.now() : 0);
            final long deadline = resolve(expiresAt, length);
            switch (op)
            {
                case PUT:
                    put(key, keyOffset, keyLength, value, valueOffset, valueLength, deadline);
                    return length;
                case PUT_IF_ABSENT:
                    if (length < 0)
                    {
                        put(key, keyOffset, keyLength, value, valueOffset, valueLength, deadline);
                    }
                    return length;
                case REPLACE:
                    if (length >= 0)
                    {
                        put(key, keyOffset, keyLength, value, valueOffset, valueLength, deadline);
                    }
                    return length;
                case REPLACE_IF_EQUALS:
                    if (length < 0)
                    {
                        return MISSING;
                    }
                    if (!equal(before, length, expected, expectedOffset, expectedLength))
                    {
                        return NOT_APPLIED;
                    }
                    put(key, keyOffset, keyLength, value, valueOffset, valueLength, deadline);
                    return length;
                case REMOVE:
                    if (length >= 0)
                    {
                        remove(key, keyOffset, keyLength);
                    }
                    return length;
                case REMOVE_IF_EQUALS:
                    if (length < 0)
                    {
                        return MISSING;
                    }
                    if (!equal(before, length, expected, expectedOffset, expectedLength))
                    {
                        return NOT_APPLIED;
                    }
                    remove(key, keyOffset, keyLength);
                    return length;
                default:
                    throw new IllegalStateException("unknown operation " + op);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Run a compute function under the key's segment write lock: other writers of that segment wait, readers do
     * not. An entry expired when the lock is taken is given to the function as absent.
     *
     * @param ttlMillis time to live of the new value, or 0 for the default expiry ({@link Arguments#defaultExpiry}).
     */
    byte[] compute(final byte[] key, final UnsafeBuffer k, final BinaryOperator<byte[]> remapping,
        final long ttlMillis)
    {
        refuseInsideCompute("compute");
        final ReentrantLock lock = lockFor(k, 0, key.length);
        lock.lock();
        final boolean[] inside = inCompute.get();
        inside[0] = true;
        computing.incrementAndGet();
        try
        {
            final UnsafeBuffer buffer = present.get();
            final int length = store.get(k, 0, key.length, buffer, 0, expiry ? ExpiryClock.now() : 0);
            final long kept = resolve(Arguments.KEEP_EXPIRY, length); // before the function reads anything
            final byte[] before = length < 0 ? null : Arrays.copyOf(buffer.byteArray(), length);
            final byte[] result = remapping.apply(key, before);
            if (null == result)
            {
                if (null != before)
                {
                    remove(k, 0, key.length);
                }
            }
            else
            {
                final long expiresAt = ttlMillis > 0 ? arguments.expiresAt(ttlMillis) : arguments.defaultExpiry();
                put(k, 0, key.length, arguments.wrapValue(result), 0, result.length,
                    Arguments.KEEP_EXPIRY == expiresAt ? kept : expiresAt);
            }
            return result;
        }
        finally
        {
            computing.decrementAndGet();
            inside[0] = false;
            lock.unlock();
        }
    }

    /**
     * Refuse a change to the store made by a compute function: it runs holding its key's segment lock, and a write
     * to another segment would wait for that segment's lock while another thread's function, holding that one,
     * might wait for this one (a deadlock); every write, compute, checkpoint, compaction and close is refused there.
     *
     * @throws IllegalStateException if the calling thread is inside a compute function of this store.
     */
    void refuseInsideCompute(final String what)
    {
        if (computing.get() != 0 && inCompute.get()[0])
        {
            throw new IllegalStateException(what + " called from inside a compute function of " + set.directory +
                ": the function must not change the store");
        }
    }

    /**
     * The deadline a write decided from a read of length {@code length} gives: {@code expiresAt}, or for
     * {@link Arguments#KEEP_EXPIRY} the Expires At that read found (0 if it found no live entry). Called right
     * after the read, which left it in this thread's lookup.
     */
    private long resolve(final long expiresAt, final int length)
    {
        if (Arguments.KEEP_EXPIRY != expiresAt)
        {
            return expiresAt;
        }
        return length >= 0 ? store.lastReadExpiresAt() : 0;
    }

    private boolean put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength, final long expiresAt)
    {
        try
        {
            return store.put(key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("write to " + set.directory + " failed: " + ex, ex);
        }
    }

    private boolean remove(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        try
        {
            return store.remove(key, keyOffset, keyLength);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("removal from " + set.directory + " failed: " + ex, ex);
        }
    }

    private static boolean equal(final DirectBuffer present, final int length, final DirectBuffer expected,
        final int expectedOffset, final int expectedLength)
    {
        if (length != expectedLength)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (present.getByte(i) != expected.getByte(expectedOffset + i))
            {
                return false;
            }
        }
        return true;
    }
}
