package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

/**
 * Prepares the files segments will be rehashed into, off the writers' path (FORMAT-v2.md section 9 step 3), and
 * hands rehash ends to its {@link SegmentRetirer} (step 6).
 * <p>
 * Any number of segments may have a request queued, at most one each (the caller keeps their bytes within the
 * directory budget, see {@link #extraBytes}). The thread takes the queued requests in batches, those of segments
 * already past Grow Load first: creates the files ({@link SegmentFile#create}: {@code fallocate}, zeros written
 * where that is unavailable, header magic last, rename; the files of a batch in parallel), forces the directory
 * <em>once</em> for the batch, then touches every page of each mapping so that the writers filling it take no
 * first-touch page faults, and only then marks each request done. A request not yet started can be cancelled by
 * a writer that cannot wait for it ({@link #take}). A request of a segment whose previous rehash end is not done
 * yet waits in the queue: its new file names the current one as its source, whose header that end still has to
 * clear, so a segment's files change in the order of section 9 whichever thread is ahead.
 * <p>
 * Either on daemon threads ({@code background}) or in the requesting thread (deterministic, for tests).
 * Thread-safe: every method may be called from any thread.
 */
final class SegmentAllocator implements AutoCloseable
{
    /** Page size assumed for pre-faulting; touching every 4 KiB also covers larger pages. */
    static final int PAGE = 4096;
    /** Most files created per directory force. */
    static final int BATCH = 64;
    /** Threads that create files and force them in parallel within a batch (their syncs share journal commits). */
    static final int IO_THREADS = 4;

    private static final int QUEUED = 0;
    private static final int PREPARING = 1;
    private static final int DONE = 2;
    private static final int CANCELLED = 3;

    private final Path directory;
    private final SegmentParams params;
    private final boolean allocate;
    private final Thread thread;
    private final ParallelIo io;
    private final SegmentRetirer retirer;
    private final AtomicReferenceArray<Request> pending;
    private final ConcurrentLinkedQueue<Request> prepareQueue = new ConcurrentLinkedQueue<>();
    /** Requests of segments already past Grow Load: taken before the others. */
    private final ConcurrentLinkedQueue<Request> urgentQueue = new ConcurrentLinkedQueue<>();
    private final AtomicLong extraBytes = new AtomicLong();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong prepared = new AtomicLong();
    private final AtomicLong directoryForces = new AtomicLong();
    final PhaseTimes phases = new PhaseTimes("prepare: create files", "prepare: force directory",
        "prepare: pre-fault");
    private volatile boolean paused;
    private volatile boolean closing;

    /** A file being prepared for one segment's next rehash, or prepared and not yet taken. */
    static final class Request
    {
        final int segment;
        final long generation;
        final long groupCount;
        final long sourceGeneration;
        final long sourceGroupCount;
        final long length;
        private final AtomicInteger state = new AtomicInteger(QUEUED);
        private SegmentTable table;
        private Path prepared;
        /** Whether a writer waits for this request: it is handed over before the batch's pre-faulting. */
        private volatile boolean awaited;
        private Throwable failure;

        Request(final int segment, final long generation, final long groupCount, final long sourceGeneration,
            final long sourceGroupCount, final long length)
        {
            this.segment = segment;
            this.generation = generation;
            this.groupCount = groupCount;
            this.sourceGeneration = sourceGeneration;
            this.sourceGroupCount = sourceGroupCount;
            this.length = length;
        }

        boolean done()
        {
            return DONE == state.get();
        }

        String fileName()
        {
            return SegmentDescriptor.fileName(segment, generation);
        }
    }

    /**
     * @param readersGone whether no lock-free reader of a segment is in flight (called after the source has been
     *                    unpublished; the test must order its read after that, a full fence).
     */
    SegmentAllocator(final Path directory, final SegmentParams params, final int segments, final boolean allocate,
        final boolean background, final IntPredicate readersGone)
    {
        this.directory = directory;
        this.params = params;
        this.allocate = allocate;
        this.pending = new AtomicReferenceArray<>(segments);
        this.io = new ParallelIo(background ? IO_THREADS : 0, "cubby-segment-io");
        this.retirer = new SegmentRetirer(directory, segments, background, io, extraBytes, readersGone);
        if (background)
        {
            thread = new Thread(this::prepareLoop, "cubby-segment-allocator");
            thread.setDaemon(true);
            thread.start();
        }
        else
        {
            thread = null;
        }
    }

    /** The request of segment {@code s} in progress or prepared, or null. */
    Request pending(final int s)
    {
        return pending.get(s);
    }

    /** Whether an end of segment {@code s}'s rehash has been handed over and is not done yet. */
    boolean retiring(final int s)
    {
        return retirer.retiring(s);
    }

    /**
     * Bytes in the directory beyond the segments' current files: files requested and not taken, and sources from
     * the beginning of their rehash until their deletion (the caller reports those, {@link #sourceInFlight}).
     */
    long extraBytes()
    {
        return extraBytes.get();
    }

    /** A rehash began with {@code source} as its source: its bytes stay in the directory until it is retired. */
    void sourceInFlight(final SegmentTable source)
    {
        extraBytes.addAndGet(source.fileLength());
    }

    /**
     * Queue the preparation of segment {@code segment}'s next file, unless one is pending for it already.
     *
     * @return whether the request was accepted.
     */
    boolean request(final int segment, final long generation, final long groupCount, final long sourceGeneration,
        final long sourceGroupCount)
    {
        return request(segment, generation, groupCount, sourceGeneration, sourceGroupCount, false);
    }

    /**
     * @param urgent whether the segment is past Grow Load already: its file is prepared before those of segments
     *               that asked ahead of need.
     */
    boolean request(final int segment, final long generation, final long groupCount, final long sourceGeneration,
        final long sourceGroupCount, final boolean urgent)
    {
        final Request request = new Request(segment, generation, groupCount, sourceGeneration, sourceGroupCount,
            SegmentDescriptor.fileLength(params.headerLength, params.slotLength, groupCount));
        if (!pending.compareAndSet(segment, null, request))
        {
            return false;
        }
        extraBytes.addAndGet(request.length);
        submitted.incrementAndGet();
        if (null == thread)
        {
            request.state.set(PREPARING);
            prepareBatch(List.of(request));
            finished.incrementAndGet();
        }
        else
        {
            (urgent ? urgentQueue : prepareQueue).add(request);
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** Move a queued request ahead of those asked for ahead of need (its segment reached Grow Load). */
    void hurry(final Request request)
    {
        if (null != thread && QUEUED == request.state.get())
        {
            submitted.incrementAndGet();
            urgentQueue.add(request);
            LockSupport.unpark(thread);
        }
    }

    /**
     * Take the prepared file of a request; the request is then no longer pending. Not ready: with {@code wait}, a
     * request being prepared is waited for, and one still queued is cancelled (the caller creates the file itself
     * rather than wait for the batches ahead of it); without, null.
     *
     * @return the file, or null if it is not ready (and was cancelled if {@code wait}).
     * @throws IOException if preparing it failed (nothing is left in the directory then).
     */
    SegmentTable take(final Request request, final boolean wait) throws IOException
    {
        if (!request.done())
        {
            if (!wait)
            {
                return null;
            }
            if (request.state.compareAndSet(QUEUED, CANCELLED))
            {
                if (pending.compareAndSet(request.segment, request, null))
                {
                    extraBytes.addAndGet(-request.length);
                }
                return null;
            }
            request.awaited = true;
            await(request);
        }
        if (!pending.compareAndSet(request.segment, request, null))
        {
            return null;
        }
        extraBytes.addAndGet(-request.length);
        if (null != request.failure)
        {
            if (request.failure instanceof IOException)
            {
                throw (IOException)request.failure;
            }
            throw new StoreIOException("preparing " + request.fileName() + " failed", request.failure);
        }
        return request.table;
    }

    /** Wait until a request being prepared is done (or cancelled). */
    static void await(final Request request)
    {
        boolean interrupted = false;
        synchronized (request)
        {
            while (request.state.get() < DONE)
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

    /** Hand the end of a rehash whose source the writer has unpublished to the retirer. */
    void retire(final SegmentTable current, final SegmentTable source, final Manifest manifest)
    {
        retirer.retire(current, source, manifest);
    }

    /** The queued files, in batches (see the class note for the order). */
    private void prepareLoop()
    {
        final List<Request> requests = new ArrayList<>(BATCH);
        final List<Request> waiting = new ArrayList<>();
        while (true)
        {
            if (!paused)
            {
                for (Request r = nextRequest(); null != r; r = requests.size() < BATCH ? nextRequest() : null)
                {
                    if (retiring(r.segment) && QUEUED == r.state.get())
                    {
                        waiting.add(r);
                    }
                    else if (r.state.compareAndSet(QUEUED, PREPARING))
                    {
                        requests.add(r);
                    }
                    else
                    {
                        finished.incrementAndGet();
                    }
                }
                urgentQueue.addAll(waiting);
            }
            if (!requests.isEmpty())
            {
                prepareBatch(requests);
                finished.addAndGet(requests.size());
                requests.clear();
                waiting.clear();
                continue;
            }
            if (closing && (paused || prepareQueue.isEmpty() && urgentQueue.isEmpty()))
            {
                return;
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(waiting.isEmpty() ? 10 : 1));
            waiting.clear();
        }
    }

    private Request nextRequest()
    {
        final Request urgent = urgentQueue.poll();
        return null != urgent ? urgent : prepareQueue.poll();
    }

    /**
     * Create the files of a batch, force the directory once, pre-fault them, and mark each one done. Every file's
     * header is written before any file is forced, so that the forces, in parallel, share one journal commit or a
     * few (FORMAT-v2.md section 9 step 3); the renames follow their own file's force.
     */
    private void prepareBatch(final List<Request> requests)
    {
        long t = System.nanoTime();
        io.forEach(requests, request ->
        {
            try
            {
                request.prepared = SegmentFile.prepare(directory, params, request.segment, request.generation,
                    request.groupCount, request.sourceGeneration, request.sourceGroupCount, allocate);
            }
            catch (final IOException | RuntimeException ex)
            {
                request.failure = ex;
            }
        });
        io.forEach(requests, request ->
        {
            if (null == request.prepared)
            {
                return;
            }
            try
            {
                request.table = SegmentFile.open(SegmentFile.publish(request.prepared), params, request.segment,
                    request.generation, false);
            }
            catch (final IOException | RuntimeException ex)
            {
                request.failure = ex;
                deleteQuietly(request.prepared, ex);
                deleteQuietly(directory.resolve(SegmentDescriptor.fileName(request.segment, request.generation)), ex);
            }
            request.prepared = null;
        });
        t = phases.mark(0, t);
        Storage.syncDirectory(directory);
        directoryForces.incrementAndGet();
        t = phases.mark(1, t);
        // a writer waiting for its file (at Max Load) gets it at once and takes the first-touch faults itself
        for (final Request request : requests)
        {
            if (request.awaited)
            {
                finish(request, false);
            }
        }
        for (final Request request : requests)
        {
            if (request.state.get() != DONE)
            {
                finish(request, !request.awaited);
            }
        }
        phases.mark(2, t);
    }

    /** Pre-fault a request's file if asked (every page touched), then mark the request done. */
    private void finish(final Request request, final boolean prefault)
    {
        if (null != request.table && prefault)
        {
            try
            {
                request.table.prefault(PAGE);
            }
            catch (final RuntimeException ex)
            {
                request.failure = ex;
                request.table.close();
                deleteQuietly(request.table.file, ex);
                request.table = null;
            }
        }
        if (null != request.table)
        {
            prepared.incrementAndGet();
        }
        synchronized (request)
        {
            request.state.set(DONE);
            request.notifyAll();
        }
    }

    private static void deleteQuietly(final Path file, final Throwable cause)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException suppressed)
        {
            cause.addSuppressed(suppressed);
        }
    }

    /**
     * Wait until everything handed over so far is done: queued files prepared, rehash ends completed (tests and
     * benchmark; with the thread paused, queued files are not waited for).
     */
    void awaitIdle()
    {
        while (null != thread && finished.get() + (paused ? prepareQueue.size() + urgentQueue.size() : 0) < submitted.get())
        {
            LockSupport.unpark(thread);
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
        retirer.awaitIdle();
    }

    /** Wait until every rehash end handed over so far is done (sources deleted), not for files being prepared. */
    void awaitRetired()
    {
        retirer.awaitIdle();
    }

    /**
     * Tests: stop or resume preparing files on the background thread (rehash ends go on), so that writers reach
     * Max Load without a prepared file.
     */
    void pause(final boolean pause)
    {
        paused = pause;
        if (null != thread)
        {
            LockSupport.unpark(thread);
        }
    }

    /** Tests: mark retired sources unreadable (assertions) but keep their mappings, so a violation is reported. */
    void keepMappings()
    {
        retirer.keepMappings();
    }

    /** Retired sources unmapped (or marked, see {@link #keepMappings}) so far. */
    long unmappedCount()
    {
        return retirer.unmappedCount();
    }

    /** Retired sources waiting for their readers. */
    int deferredUnmapCount()
    {
        return retirer.deferredUnmapCount();
    }

    /** Files prepared so far. */
    long preparedCount()
    {
        return prepared.get();
    }

    /** Directory forces so far (one per batch of files prepared or of rehashes ended). */
    long directoryForceCount()
    {
        return directoryForces.get() + retirer.directoryForceCount();
    }

    /** The retirer's batch phases (benchmark). */
    PhaseTimes retirePhases()
    {
        return retirer.phases;
    }

    /**
     * Delete every pending file, finish the rehash ends handed over, and stop the threads.
     *
     * @throws IOException if finishing a rehash end failed.
     */
    @Override
    public void close() throws IOException
    {
        IOException failure = null;
        for (int s = 0; s < pending.length(); s++)
        {
            final Request request = pending.get(s);
            if (null == request)
            {
                continue;
            }
            final SegmentTable table;
            try
            {
                table = take(request, true);
            }
            catch (final IOException | RuntimeException ex)
            {
                // its preparation failed (a full disk, say) and removed what it made: nothing to delete
                continue;
            }
            if (null != table)
            {
                try
                {
                    table.close();
                    Files.deleteIfExists(table.file);
                }
                catch (final IOException ex)
                {
                    failure = null == failure ? ex : failure;
                }
            }
        }
        closing = true;
        if (null != thread)
        {
            LockSupport.unpark(thread);
            try
            {
                thread.join(TimeUnit.MINUTES.toMillis(1));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            retirer.close();
        }
        finally
        {
            io.shutdown();
        }
        if (null != failure)
        {
            throw failure;
        }
    }
}
