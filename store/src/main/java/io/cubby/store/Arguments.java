package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The arguments of the public operations: checks against the store's limits (each throws before anything is
 * changed), the expiry times they ask for, and the per-thread scratch buffer the {@code byte[]} operations copy
 * results through.
 */
final class Arguments
{
    /** {@code expiresAt} of a write that keeps the expiry of the entry it replaces. */
    static final long KEEP_EXPIRY = -1;

    private final Path directory;
    private final int maxKeyLength;
    private final int maxValueLength;
    private final boolean setMode;
    private final boolean expiry;
    private final long expireAfterWriteMillis;
    private final ThreadLocal<UnsafeBuffer> scratch;

    Arguments(final Options options)
    {
        this(options.directory, options.params.maxKeyLength, options.params.maxValueLength, options.params.setMode,
            options.params.expiry, options.expireAfterWriteMillis);
    }

    /** A store's limits in either format version; {@code expireAfterWriteMillis} 0 for none. */
    Arguments(final Path directory, final int maxKeyLength, final int maxValueLength, final boolean setMode,
        final boolean expiry, final long expireAfterWriteMillis)
    {
        this.directory = directory;
        this.maxKeyLength = maxKeyLength;
        this.maxValueLength = maxValueLength;
        this.setMode = setMode;
        this.expiry = expiry;
        this.expireAfterWriteMillis = expireAfterWriteMillis;
        final int scratchLength = Math.max(maxKeyLength, maxValueLength);
        this.scratch = ThreadLocal.withInitial(() -> new UnsafeBuffer(new byte[scratchLength]));
    }

    Path directory()
    {
        return directory;
    }

    int maxKeyLength()
    {
        return maxKeyLength;
    }

    int maxValueLength()
    {
        return maxValueLength;
    }

    boolean setMode()
    {
        return setMode;
    }

    boolean expiry()
    {
        return expiry;
    }

    /**
     * @return this thread's buffer of the largest key or value size, for results of the byte[] operations.
     */
    UnsafeBuffer scratch()
    {
        return scratch.get();
    }

    UnsafeBuffer wrapKey(final byte[] key)
    {
        Objects.requireNonNull(key, "key");
        checkKeyLength(key.length);
        return new UnsafeBuffer(key);
    }

    UnsafeBuffer wrapValue(final byte[] value)
    {
        Objects.requireNonNull(value, "value");
        checkValueLength(value.length);
        return new UnsafeBuffer(value);
    }

    void checkKey(final DirectBuffer key, final int offset, final int length)
    {
        Objects.requireNonNull(key, "key");
        checkKeyLength(length);
        checkRange(key, offset, length, "key");
    }

    void checkValue(final DirectBuffer value, final int offset, final int length)
    {
        Objects.requireNonNull(value, "value");
        checkValueLength(length);
        checkRange(value, offset, length, "value");
    }

    private void checkKeyLength(final int length)
    {
        if (length > maxKeyLength)
        {
            throw new EntryTooLargeException("key of " + length + " bytes exceeds the maximum key size " +
                maxKeyLength + " of store " + directory);
        }
        if (length < 0)
        {
            throw new IllegalArgumentException("negative key length " + length);
        }
    }

    private void checkValueLength(final int length)
    {
        if (length > maxValueLength)
        {
            throw new EntryTooLargeException(setMode ?
                "store " + directory + " is a set: values must be empty, got " + length + " bytes" :
                "value of " + length + " bytes exceeds the maximum value size " + maxValueLength +
                " of store " + directory);
        }
        if (length < 0)
        {
            throw new IllegalArgumentException("negative value length " + length);
        }
    }

    /**
     * A read's destination buffer and offset: the offset within the buffer, unless the buffer is expandable (the
     * value's length is checked when known, {@link #checkFits}).
     */
    static void checkDestination(final MutableDirectBuffer dst, final int offset)
    {
        Objects.requireNonNull(dst, "dst");
        if (offset < 0 || !dst.isExpandable() && offset > dst.capacity())
        {
            throw new IndexOutOfBoundsException("dst offset " + offset + " outside buffer of capacity " +
                dst.capacity());
        }
    }

    /**
     * Before a value is copied into a caller's buffer: it must fit unless the buffer is expandable, whatever
     * Agrona's bounds checks (which a JVM may disable) would do.
     */
    static void checkFits(final MutableDirectBuffer dst, final int offset, final int length)
    {
        if (!dst.isExpandable() && (offset < 0 || (long)offset + length > dst.capacity()))
        {
            throw new IndexOutOfBoundsException("destination has " + (dst.capacity() - offset) +
                " bytes from offset " + offset + " but the value has " + length);
        }
    }

    private static void checkRange(final DirectBuffer buffer, final int offset, final int length, final String what)
    {
        if (offset < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IndexOutOfBoundsException(what + " range [" + offset + ", " + ((long)offset + length) +
                ") outside buffer of capacity " + buffer.capacity());
        }
    }

    /**
     * Expiry of a write that gives no time to live: the builder's {@link Cubby.Builder#expireAfterWrite} if set,
     * else the entry keeps the expiry it has (a new entry never expires).
     */
    long defaultExpiry()
    {
        if (!expiry)
        {
            return 0;
        }
        return expireAfterWriteMillis > 0 ? expiresAt(expireAfterWriteMillis) : KEEP_EXPIRY;
    }

    /**
     * @return when an entry written now with this time to live expires.
     */
    long expiresAt(final long ttlMillis)
    {
        if (!expiry)
        {
            throw new UnsupportedOperationException("store " + directory + " was created without expiry; " +
                "create it with Cubby.builder(dir).expiry(true) to use time-to-live");
        }
        if (ttlMillis < 1)
        {
            throw new IllegalArgumentException("time to live must be at least 1 ms: " + ttlMillis);
        }
        final long now = ExpiryClock.now();
        return ttlMillis > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ttlMillis;
    }
}
