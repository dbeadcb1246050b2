package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.LongConsumer;

/**
 * The format-version-2 store behind {@link Cubby}: engine v2's {@link SegmentStore}, with its writes through
 * {@link SegmentWrites}, its scans through {@link SegmentScan} and its reports through {@link SegmentReports}.
 * Reads go straight to the store's optimistic, lock-free read; a read-only open is {@link SegmentReadOnlyCore}
 * instead. Per-entry expiry follows version 1: expired entries read as absent everywhere, are left out of
 * {@link #size()} and the scans, and are counted by {@link #estimatedSize()} until a put or a rehash reclaims
 * them. What version 2 does not have is refused by {@link SegmentOpener} before any file is touched.
 */
final class SegmentCore implements StoreCore
{
    private final SegmentStore store;
    private final Path directory;
    private final SegmentWrites writes;
    private final SegmentScan scan;
    private final RecoveryReport recoveryReport;
    /** Scratch of a presence test: the store's read copies the value. */
    private final ThreadLocal<UnsafeBuffer> discard;
    private final Thread shutdownHook;
    /** Delivers removal notifications ({@link Cubby.Builder#removalListener}), or null. */
    private final Notifier notifier;
    /** One compaction at a time. */
    private final Object compactLock = new Object();
    /** Hits and misses of reads, with {@link Cubby.Builder#recordStats(boolean)}; else null. */
    private final Counters counters;

    SegmentCore(final SegmentStore store, final Arguments arguments, final RecoveryReport recoveryReport,
        final boolean closeOnJvmShutdown, final Notifier notifier, final Counters counters)
    {
        this.store = store;
        this.notifier = notifier;
        this.counters = counters;
        this.directory = store.segments().directory;
        this.writes = new SegmentWrites(store, arguments);
        this.scan = new SegmentScan(store);
        this.recoveryReport = recoveryReport;
        final int length = Math.max(1, store.segments().params.maxValueLength);
        this.discard = ThreadLocal.withInitial(() -> new UnsafeBuffer(new byte[length]));
        this.shutdownHook = closeOnJvmShutdown ? new Thread(this::closeOnShutdown, "cubby-shutdown") : null;
        if (null != shutdownHook)
        {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    SegmentStore store()
    {
        return store;
    }

    @Override
    public int formatVersion()
    {
        return 2;
    }

    /** A read, counted as a hit or a miss when stats are recorded (striped counters: no allocation). */
    @Override
    public int read(final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        final int result = lookUp(key, keyOffset, keyLength, dst, dstOffset);
        if (null != counters)
        {
            counters.recordRead(result >= 0);
        }
        return result;
    }

    /** A read not counted in the stats. */
    private int lookUp(final DirectBuffer key, final int keyOffset, final int keyLength,
        final MutableDirectBuffer dst, final int dstOffset)
    {
        try
        {
            return null == dst ? store.get(key, keyOffset, keyLength, discard.get(), 0) :
                store.get(key, keyOffset, keyLength, dst, dstOffset);
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
    }

    @Override
    public int write(final Engine.Operation op, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final DirectBuffer expected,
        final int expectedOffset, final int expectedLength, final MutableDirectBuffer previous, final long expiresAt)
    {
        try
        {
            return writes.write(op, key, keyOffset, keyLength, value, valueOffset, valueLength, expected,
                expectedOffset, expectedLength, previous, expiresAt);
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
    }

    @Override
    public byte[] compute(final byte[] key, final UnsafeBuffer k, final BinaryOperator<byte[]> remapping,
        final long ttlMillis)
    {
        try
        {
            return writes.compute(key, k, remapping, ttlMillis);
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
    }

    @Override
    public long expiresAtMillis(final DirectBuffer key, final int keyLength)
    {
        return lookUp(key, 0, keyLength, null, 0) < 0 ? Cubby.MISSING : store.lastReadExpiresAt();
    }

    @Override
    public long size()
    {
        return guarded(null, scan::size);
    }

    @Override
    public long estimatedSize()
    {
        return guarded(null, scan::estimatedSize);
    }

    @Override
    public boolean isEmpty()
    {
        return guarded(null, scan::isEmpty);
    }

    @Override
    public void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        guarded(null, () ->
        {
            scan.forEach(visitor, onCorrupt);
            return null;
        });
    }

    @Override
    public Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        return scan.entries(this::removeKey);
    }

    @Override
    public Iterator<byte[]> keys()
    {
        return new TableCore.KeyIterator(entries());
    }

    private void removeKey(final byte[] key)
    {
        writes.write(Engine.Operation.REMOVE, new UnsafeBuffer(key), 0, key.length, null, 0, 0, null, 0, 0, null,
            0);
    }

    @Override
    public void checkpoint()
    {
        writes.refuseInsideCompute("checkpoint");
        if (store.isClosed())
        {
            throw new StoreClosedException(directory + " is closed");
        }
        guarded("checkpoint of", () ->
        {
            store.checkpoint();
            return null;
        });
    }

    /**
     * Shrinks each segment whose file is larger than its entries need ({@link SegmentStore#compact}): by default
     * at the store's Target Load, the load growth sizes new files for, with room for one more entry; else at
     * {@code targetLoad}.
     */
    @Override
    public void compact(final double targetLoad, final LongConsumer progress)
    {
        writes.refuseInsideCompute("compact");
        final SegmentSet set = store.segments();
        final double maxLoad = set.params.maxLoadPpm / 1_000_000.0;
        final boolean fit = targetLoad < 0;
        if (!fit && (!(targetLoad >= Cubby.MIN_COMPACTION_LOAD) || targetLoad > maxLoad))
        {
            throw new IllegalArgumentException("target load must be in [" + Cubby.MIN_COMPACTION_LOAD + ", " +
                maxLoad + "]: " + targetLoad);
        }
        final int loadPpm = fit ? Math.min(set.manifest.targetLoadPpm, set.params.maxLoadPpm) :
            (int)Math.min(set.params.maxLoadPpm, Math.round(targetLoad * 1_000_000.0));
        if (store.isClosed())
        {
            throw new StoreClosedException(directory + " is closed");
        }
        synchronized (compactLock)
        {
            guarded("compaction of", () ->
            {
                store.compact(loadPpm, fit, progress);
                return null;
            });
        }
    }

    @Override
    public CubbyStats stats()
    {
        return guarded(null, () -> SegmentReports.stats(store, counters));
    }

    @Override
    public VerifyReport verify()
    {
        return guarded(null, () -> SegmentReports.verify(store));
    }

    @Override
    public RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    @Override
    public boolean isReadOnly()
    {
        return false;
    }

    @Override
    public boolean hasLiveWriter()
    {
        return false;
    }

    @Override
    public long maxEntries()
    {
        return store.segments().maxEntries();
    }

    @Override
    public synchronized void close()
    {
        writes.refuseInsideCompute("close");
        if (null != shutdownHook && Thread.currentThread() != shutdownHook)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException ex)
            {
                // the JVM is shutting down: the hook closes the store
            }
        }
        try
        {
            guarded("closing", () ->
            {
                store.close();
                return null;
            });
        }
        finally
        {
            if (null != notifier)
            {
                notifier.close();
            }
        }
    }

    private void closeOnShutdown()
    {
        try
        {
            close();
        }
        catch (final RuntimeException ex)
        {
            Log.LOGGER.log(System.Logger.Level.WARNING, "closing " + directory + " at JVM shutdown failed: " + ex);
        }
    }

    @Override
    public boolean isClosed()
    {
        return store.isClosed();
    }

    /**
     * A fault on a mapped page (another process truncated a file, or the disk failed: SIGBUS, which the JVM reports
     * as an {@link InternalError}) as a {@link StoreIOException} naming the changed files; other errors rethrown.
     */
    private StoreIOException mappedFault(final InternalError error)
    {
        FileWatch.requireMappedFault(error);
        return FileWatch.mappedFault(directory, error, store.changedFiles());
    }

    /**
     * Runs a store operation off the read and write paths, with the one translation of its failures: an
     * {@link IOException} becomes a {@link StoreIOException} saying "{@code failure} <directory> failed", a fault
     * on a mapped page what {@link #mappedFault} makes of it. The read and write paths catch the fault themselves,
     * so that they allocate no action.
     */
    private <T> T guarded(final String failure, final StoreAction<T> action)
    {
        try
        {
            return action.run();
        }
        catch (final IOException ex)
        {
            throw new StoreIOException(failure + " " + directory + " failed: " + ex, ex);
        }
        catch (final InternalError ex)
        {
            throw mappedFault(ex);
        }
    }

    /** An operation of {@link #guarded}. */
    @FunctionalInterface
    private interface StoreAction<T>
    {
        T run() throws IOException;
    }
}
