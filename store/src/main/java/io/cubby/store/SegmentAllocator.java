package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;

/**
 * Prepares the file a segment will be rehashed into, and ends rehashes, off the writers' path (FORMAT-v2.md
 * section 9 steps 3 and 6). Preparing:
 * creates it ({@link SegmentFile#create}: {@code fallocate}, zeros written where that is unavailable, header magic
 * last, rename), then touches every page of its mapping so that the writers filling it take no first-touch page
 * faults. One file at a time: the store's directory holds at most one file that is not yet in use.
 * <p>
 * Ending a rehash also releases the source's mapping ({@link SegmentTable#unmap}) once the set's
 * {@code readersGone} test says no lock-free reader of that segment is between its start and its end; a source
 * whose readers do not drain within a short wait is kept and retried at the next rehash end and at close (the
 * garbage collector would release it otherwise).
 * <p>
 * Either on one daemon thread ({@code background}) or in the requesting thread (deterministic, for tests).
 * Thread-safe: {@link #request} and {@link #take} may be called from any thread.
 */
final class SegmentAllocator implements AutoCloseable
{
    /** Page size assumed for pre-faulting; touching every 4 KiB also covers larger pages. */
    static final int PAGE = 4096;

    private final Path directory;
    private final SegmentParams params;
    private final boolean allocate;
    private final ExecutorService executor;
    private final AtomicReference<Request> pending = new AtomicReference<>();
    /** Yields while waiting for a segment's readers before deferring a source's unmap. */
    static final int READER_WAIT_YIELDS = 1_000;

    private volatile Throwable retireFailure;
    private final IntPredicate readersGone;
    private final ConcurrentLinkedQueue<SegmentTable> deferredUnmaps = new ConcurrentLinkedQueue<>();
    private final AtomicLong unmapped = new AtomicLong();
    private volatile boolean unmapMappings = true;

    /** One file being prepared, or prepared and not yet taken. */
    static final class Request
    {
        final int segment;
        final long generation;
        final long groupCount;
        final long sourceGeneration;
        final long sourceGroupCount;
        private volatile boolean done;
        private SegmentTable table;
        private Throwable failure;

        Request(final int segment, final long generation, final long groupCount, final long sourceGeneration,
            final long sourceGroupCount)
        {
            this.segment = segment;
            this.generation = generation;
            this.groupCount = groupCount;
            this.sourceGeneration = sourceGeneration;
            this.sourceGroupCount = sourceGroupCount;
        }

        boolean done()
        {
            return done;
        }
    }

    /**
     * @param readersGone whether no lock-free reader of a segment is in flight (called after the source has been
     *                    unpublished; the test must order its read after that, a full fence).
     */
    SegmentAllocator(final Path directory, final SegmentParams params, final boolean allocate,
        final boolean background, final IntPredicate readersGone)
    {
        this.directory = directory;
        this.readersGone = readersGone;
        this.params = params;
        this.allocate = allocate;
        this.executor = background ? Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "cubby-segment-allocator");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    /**
     * The request in progress or prepared, or null.
     */
    Request pending()
    {
        return pending.get();
    }

    /**
     * Start preparing a rehash target, unless another file is pending.
     *
     * @return whether the request was accepted.
     */
    boolean request(final int segment, final long generation, final long groupCount, final long sourceGeneration,
        final long sourceGroupCount)
    {
        final Request request = new Request(segment, generation, groupCount, sourceGeneration, sourceGroupCount);
        if (!pending.compareAndSet(null, request))
        {
            return false;
        }
        if (null == executor)
        {
            prepare(request);
        }
        else
        {
            executor.execute(() -> prepare(request));
        }
        return true;
    }

    /**
     * Take the prepared file of a request, waiting for it if {@code wait}; the request is no longer pending.
     *
     * @return the file, or null if it is not ready and {@code wait} is false.
     * @throws IOException if preparing it failed (nothing is left in the directory then).
     */
    SegmentTable take(final Request request, final boolean wait) throws IOException
    {
        if (!request.done)
        {
            if (!wait)
            {
                return null;
            }
            await(request);
        }
        if (!pending.compareAndSet(request, null))
        {
            return null;
        }
        if (null != request.failure)
        {
            if (request.failure instanceof IOException)
            {
                throw (IOException)request.failure;
            }
            throw new StoreIOException("preparing " + SegmentDescriptor.fileName(request.segment,
                request.generation) + " failed", request.failure);
        }
        return request.table;
    }

    /**
     * Drop a pending file that will not be used: close and delete it.
     */
    void discard(final Request request) throws IOException
    {
        final SegmentTable table = take(request, true);
        if (null != table)
        {
            table.close();
            Files.deleteIfExists(table.file);
        }
    }

    static void await(final Request request)
    {
        boolean interrupted = false;
        synchronized (request)
        {
            while (!request.done)
            {
                try
                {
                    request.wait();
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void prepare(final Request request)
    {
        SegmentTable table = null;
        Throwable failure = null;
        try
        {
            table = SegmentFile.create(directory, params, request.segment, request.generation, request.groupCount,
                request.sourceGeneration, request.sourceGroupCount, allocate);
            table.prefault(PAGE);
        }
        catch (final IOException | RuntimeException ex)
        {
            failure = ex;
        }
        synchronized (request)
        {
            request.table = table;
            request.failure = failure;
            request.done = true;
            request.notifyAll();
        }
    }

    /**
     * The end of a rehash whose source the writer has unpublished (FORMAT-v2.md section 9 step 6), in order: force
     * the new file, clear its Source Generation (forced), force the manifest, delete the source, force the
     * directory. On the background thread these forces are not the writers' wait; a crash before the source is
     * deleted leaves a rehash that recovery completes.
     */
    void retire(final SegmentTable current, final SegmentTable source, final Manifest manifest) throws IOException
    {
        if (null == executor)
        {
            complete(current, source, manifest);
        }
        else
        {
            executor.execute(() ->
            {
                try
                {
                    complete(current, source, manifest);
                }
                catch (final IOException | RuntimeException ex)
                {
                    if (null == retireFailure)
                    {
                        retireFailure = ex;
                    }
                }
            });
        }
    }

    /**
     * Wait until the background thread has done everything handed to it so far (tests).
     */
    void awaitIdle()
    {
        if (null == executor)
        {
            return;
        }
        try
        {
            executor.submit(() -> { }).get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            throw new IllegalStateException(ex.getCause());
        }
    }

    private void complete(final SegmentTable current, final SegmentTable source, final Manifest manifest)
        throws IOException
    {
        current.force();
        current.clearSource();
        manifest.force();
        source.close();
        Files.deleteIfExists(source.file);
        Storage.syncDirectory(directory);
        release(source);
        releaseDeferred();
    }

    /** Unmap a retired source once its segment has no reader in flight, else defer it. */
    private void release(final SegmentTable source)
    {
        for (int i = 0; i < READER_WAIT_YIELDS; i++)
        {
            if (readersGone.test(source.segment))
            {
                unmap(source);
                return;
            }
            Thread.yield();
        }
        deferredUnmaps.add(source);
    }

    private void releaseDeferred()
    {
        for (int n = deferredUnmaps.size(); n > 0; n--)
        {
            final SegmentTable table = deferredUnmaps.poll();
            if (null == table)
            {
                return;
            }
            if (readersGone.test(table.segment))
            {
                unmap(table);
            }
            else
            {
                deferredUnmaps.add(table);
            }
        }
    }

    private void unmap(final SegmentTable table)
    {
        if (unmapMappings)
        {
            table.unmap();
        }
        else
        {
            table.retire();
        }
        unmapped.incrementAndGet();
    }

    /** Tests: mark retired sources unreadable (assertions) but keep their mappings, so a violation is reported. */
    void keepMappings()
    {
        unmapMappings = false;
    }

    /** Retired sources unmapped (or marked, see {@link #keepMappings}) so far. */
    long unmappedCount()
    {
        return unmapped.get();
    }

    /** Retired sources waiting for their readers. */
    int deferredUnmapCount()
    {
        return deferredUnmaps.size();
    }

    /**
     * Delete a pending file, finish the rehash ends handed over, and stop the thread.
     *
     * @throws IOException if finishing a rehash end failed.
     */
    @Override
    public void close() throws IOException
    {
        final Request request = pending.get();
        if (null != request)
        {
            discard(request);
        }
        if (null != executor)
        {
            executor.shutdown();
            try
            {
                executor.awaitTermination(1, TimeUnit.MINUTES);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        releaseDeferred();
        if (null != retireFailure)
        {
            throw new StoreIOException("ending a rehash failed", retireFailure);
        }
    }
}
