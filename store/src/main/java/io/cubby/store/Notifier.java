package io.cubby.store;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Delivers removal notifications to a {@link RemovalListener} on a thread of its own, in removal order. Entries
 * are copied while the caller holds the store's write lock; the listener runs later, without it.
 */
final class Notifier
{
    private final RemovalListener listener;
    private final Path directory;
    private final ExecutorService executor;

    Notifier(final RemovalListener listener, final Path directory)
    {
        this.listener = listener;
        this.directory = directory;
        final ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            runnable ->
            {
                final Thread thread = new Thread(runnable, "cubby-removal-listener");
                thread.setDaemon(true);
                return thread;
            });
        pool.allowCoreThreadTimeOut(true);
        this.executor = pool;
    }

    /**
     * Copy a full slot's entry and queue its notification.
     */
    void removed(final Table table, final long index, final boolean setMode, final RemovalCause cause)
    {
        final byte[] key = new byte[table.keyLength(index)];
        table.window(index).getBytes(table.keyOffsetInWindow(index), key);
        final byte[] value;
        if (setMode)
        {
            value = key;
        }
        else
        {
            value = new byte[table.valueLength(index)];
            table.window(index).getBytes(table.valueOffsetInWindow(index), value);
        }
        queue(key, value, cause);
    }

    /**
     * Copy a full slot's entry of a version-2 segment file (under the segment's lock) and queue its notification;
     * a set-mode store (no value bytes) reports the key as the value, as version 1 does.
     */
    void removed(final SegmentTable table, final int slot, final RemovalCause cause)
    {
        final int keyLength = table.keyLength(slot);
        final int valueLength = table.valueLength(slot);
        if (keyLength < 0 || keyLength > table.params.maxKeyLength || valueLength < 0 ||
            valueLength > table.params.maxValueLength)
        {
            return; // a damaged slot: its entry is not known, so nothing is told
        }
        final byte[] key = new byte[keyLength];
        table.copyKey(slot, new org.agrona.concurrent.UnsafeBuffer(key), 0, keyLength);
        final byte[] value;
        if (0 == table.params.maxValueLength)
        {
            value = key;
        }
        else
        {
            value = new byte[valueLength];
            if (valueLength > 0)
            {
                table.copyValue(slot, new org.agrona.concurrent.UnsafeBuffer(value), 0, valueLength);
            }
        }
        queue(key, value, cause);
    }

    /** Hand a copied entry to the listener's thread, or deliver it here once that thread has stopped. */
    private void queue(final byte[] key, final byte[] value, final RemovalCause cause)
    {
        try
        {
            executor.execute(() -> deliver(key, value, cause));
        }
        catch (final RejectedExecutionException ex)
        {
            deliver(key, value, cause);
        }
    }

    private void deliver(final byte[] key, final byte[] value, final RemovalCause cause)
    {
        try
        {
            listener.onRemoval(key, value, cause);
        }
        catch (final RuntimeException ex)
        {
            Log.LOGGER.log(System.Logger.Level.WARNING, "removal listener of " + directory + " failed", ex);
        }
    }

    /**
     * Deliver what is queued (for up to 10 seconds) and stop.
     */
    void close()
    {
        executor.shutdown();
        try
        {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS))
            {
                Log.LOGGER.log(System.Logger.Level.WARNING, "removal listener of " + directory +
                    " still busy after 10 s; pending notifications dropped");
                executor.shutdownNow();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
