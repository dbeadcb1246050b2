package io.cubby.store;

import org.agrona.DirectBuffer;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The write side of the log: appends the records of entry operations as the durability asks, waits for them to
 * be durable, and holds the log (replaced when an open resizes it; null in a read-only store). Structural records
 * are appended by the parts whose protocol they belong to, through {@link #wal()}.
 */
final class LogWriter
{
    private final Path directory;
    private final Durability durability;
    private Wal wal;

    LogWriter(final Path directory, final Durability durability, final Wal wal)
    {
        this.directory = directory;
        this.durability = durability;
        this.wal = wal;
    }

    Wal wal()
    {
        return wal;
    }

    /**
     * Replace the log with a new one (an open that resizes it); closes the old one.
     */
    void replace(final Wal replacement)
    {
        wal.close();
        wal = replacement;
    }

    /**
     * Log a PUT or REMOVE record, unless the durability logs nothing.
     *
     * @return the record's sequence, or 0 if nothing was logged.
     */
    long logEntry(
        final short type,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long expiresAt)
    {
        if (Durability.NONE == durability)
        {
            return 0;
        }
        final boolean removal = type == WalRecordDescriptor.TYPE_REMOVE;
        return wal.appendEntry(type, key, keyOffset, keyLength, removal ? null : value, valueOffset,
            removal ? 0 : valueLength, removal ? 0 : expiresAt);
    }

    /**
     * After a write that logged {@code sequence}: wait until it is durable if the durability asks for it.
     */
    void afterWrite(final long sequence)
    {
        if (Durability.SYNC == durability && sequence > 0)
        {
            awaitDurable(sequence);
        }
    }

    private void awaitDurable(final long sequence)
    {
        try
        {
            wal.awaitDurable(sequence);
        }
        catch (final UncheckedIOException ex)
        {
            throw new StoreIOException("forcing the log of " + directory + " failed: " + ex.getMessage(), ex);
        }
    }

    void close()
    {
        if (null != wal)
        {
            wal.close();
        }
    }
}
