package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

/**
 * Prepares the files segments will be rehashed into, and ends rehashes, off the writers' path (FORMAT-v2.md
 * section 9 steps 3 and 6).
 * <p>
 * Preparing: any number of segments may have a request queued, at most one each (the caller keeps their bytes
 * within the directory budget, see {@link #extraBytes}). The thread takes the queued requests in batches: creates
 * each file ({@link SegmentFile#create}: {@code fallocate}, zeros written where that is unavailable, header magic
 * last, rename), forces the directory <em>once</em> for the batch, then touches every page of each mapping so
 * that the writers filling it take no first-touch page faults, and only then marks each request done. A request
 * not yet started can be cancelled by a writer that cannot wait for it ({@link #take}).
 * <p>
 * Ending a rehash, in batches too: force every new file, clear each one's Source Generation (forced), force the
 * manifest once, delete the sources, force the directory once; then release each source's mapping
 * ({@link SegmentTable#unmap}) once the set's {@code readersGone} test says no lock-free reader of that segment is
 * between its start and its end. A source whose readers do not drain within a short wait is kept and retried at
 * the next rehash end and at close (the garbage collector would release it otherwise). Rehash ends queued before a
 * batch of files is prepared are done first, and the growth policy asks for no file for a segment whose previous
 * rehash has not ended ({@link #retiring}), so a segment's files change in the order of section 9.
 * <p>
 * Either on one daemon thread ({@code background}) or in the requesting thread (deterministic, for tests).
 * Thread-safe: every method may be called from any thread.
 */
final class SegmentAllocator implements AutoCloseable
{
    /** Page size assumed for pre-faulting; touching every 4 KiB also covers larger pages. */
    static final int PAGE = 4096;
    /** Most files created, or rehash ends done, per directory force. */
    static final int BATCH = 64;
    /** Threads that create files and force them in parallel within a batch (their syncs share journal commits). */
    static final int IO_THREADS = 4;
    /** Yields while waiting for a segment's readers before deferring a source's unmap. */
    static final int READER_WAIT_YIELDS = 1_000;

    private static final int QUEUED = 0;
    private static final int PREPARING = 1;
    private static final int DONE = 2;
    private static final int CANCELLED = 3;

    private final Path directory;
    private final SegmentParams params;
    private final boolean allocate;
    private final IntPredicate readersGone;
    private final Thread thread;
    private final Thread retirer;
    private final ExecutorService io;
    private final AtomicReferenceArray<Request> pending;
    private final AtomicIntegerArray retiring;
    private final ConcurrentLinkedQueue<Request> prepareQueue = new ConcurrentLinkedQueue<>();
    /** Requests of segments already past Grow Load: taken before the others. */
    private final ConcurrentLinkedQueue<Request> urgentQueue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Retire> retireQueue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<SegmentTable> deferredUnmaps = new ConcurrentLinkedQueue<>();
    private final AtomicLong extraBytes = new AtomicLong();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong unmapped = new AtomicLong();
    private final AtomicLong prepared = new AtomicLong();
    private final AtomicLong directoryForces = new AtomicLong();
    /** Longest time of each phase of a batch, ns: see {@link #PHASES}. */
    private final long[] phaseMaxNs = new long[PHASES.length];
    private final long[] phaseSumNs = new long[PHASES.length];
    static final String[] PHASES = {"prepare: create files", "prepare: force directory", "prepare: pre-fault",
        "retire: force new files, clear their sources", "retire: force manifest",
        "retire: delete sources", "retire: force directory", "retire: release mappings"};
    private volatile boolean unmapMappings = true;
    private volatile boolean paused;
    private volatile boolean closing;
    private volatile Throwable retireFailure;

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

    /** A rehash end handed over by the writer that unpublished its source. */
    private record Retire(SegmentTable current, SegmentTable source, Manifest manifest)
    {
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
        this.readersGone = readersGone;
        this.pending = new AtomicReferenceArray<>(segments);
        this.retiring = new AtomicIntegerArray(segments);
        if (background)
        {
            thread = new Thread(this::prepareLoop, "cubby-segment-allocator");
            thread.setDaemon(true);
            retirer = new Thread(this::retireLoop, "cubby-segment-retirer");
            retirer.setDaemon(true);
            io = Executors.newFixedThreadPool(IO_THREADS, runnable ->
            {
                final Thread t = new Thread(runnable, "cubby-segment-io");
                t.setDaemon(true);
                return t;
            });
            thread.start();
            retirer.start();
        }
        else
        {
            thread = null;
            retirer = null;
            io = null;
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
        return retiring.get(s) != 0;
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

    /**
     * The end of a rehash whose source the writer has unpublished (FORMAT-v2.md section 9 step 6), in order: force
     * the new file, clear its Source Generation (forced), force the manifest, delete the source, force the
     * directory. On the background thread these forces are not the writers' wait; a crash before the source is
     * deleted leaves a rehash that recovery completes.
     */
    void retire(final SegmentTable current, final SegmentTable source, final Manifest manifest)
    {
        retiring.incrementAndGet(source.segment);
        submitted.incrementAndGet();
        final Retire retire = new Retire(current, source, manifest);
        if (null == thread)
        {
            completeBatch(List.of(retire));
            finished.incrementAndGet();
        }
        else
        {
            retireQueue.add(retire);
            LockSupport.unpark(retirer);
        }
    }

    /** The rehash ends, in batches, in the order handed over. */
    private void retireLoop()
    {
        final List<Retire> retires = new ArrayList<>(BATCH);
        while (true)
        {
            for (Retire r = retireQueue.poll(); null != r; r = retires.size() < BATCH ? retireQueue.poll() : null)
            {
                retires.add(r);
            }
            if (!retires.isEmpty())
            {
                completeBatch(retires);
                finished.addAndGet(retires.size());
                retires.clear();
                continue;
            }
            if (closing && retireQueue.isEmpty())
            {
                return;
            }
            if (!deferredUnmaps.isEmpty())
            {
                releaseWaiting();
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /**
     * The queued files, in batches. A request of a segment whose previous rehash end is not done yet waits in the
     * queue (its new file names the current one as source, which that end still has to clear), so a segment's
     * files change in the order of section 9 whichever thread is ahead.
     */
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

    /** Create the files of a batch, force the directory once, pre-fault them, and mark each one done. */
    private void prepareBatch(final List<Request> requests)
    {
        long t = System.nanoTime();
        inParallel(requests, request ->
        {
            try
            {
                request.table = SegmentFile.create(directory, params, request.segment, request.generation,
                    request.groupCount, request.sourceGeneration, request.sourceGroupCount, allocate, false);
            }
            catch (final IOException | RuntimeException ex)
            {
                request.failure = ex;
            }
            return null;
        });
        t = phase(0, t);
        Storage.syncDirectory(directory);
        directoryForces.incrementAndGet();
        t = phase(1, t);
        for (final Request request : requests)
        {
            if (null != request.table)
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
        phase(2, t);
    }

    /** Account the time since {@code start} to a phase (diagnostics; one thread per phase). */
    private long phase(final int phase, final long start)
    {
        final long now = System.nanoTime();
        phaseMaxNs[phase] = Math.max(phaseMaxNs[phase], now - start);
        phaseSumNs[phase] += now - start;
        return now;
    }

    /** Longest and total ns of each of {@link #PHASES} so far (benchmark). */
    long[] phaseMaxNs()
    {
        return phaseMaxNs.clone();
    }

    long[] phaseSumNs()
    {
        return phaseSumNs.clone();
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

    /** Section 9 step 6 for a batch of rehash ends: every step done for all of them before the next one. */
    private void completeBatch(final List<Retire> retires)
    {
        try
        {
            long t = System.nanoTime();
            inParallel(retires, r ->
            {
                r.current.force();
                r.current.clearSource();
                return null;
            });
            t = phase(3, t);
            Manifest forced = null;
            for (final Retire r : retires)
            {
                if (r.manifest != forced)
                {
                    r.manifest.force();
                    forced = r.manifest;
                }
            }
            t = phase(4, t);
            for (final Retire r : retires)
            {
                r.source.close();
                Files.deleteIfExists(r.source.file);
            }
            t = phase(5, t);
            Storage.syncDirectory(directory);
            directoryForces.incrementAndGet();
            t = phase(6, t);
            for (final Retire r : retires)
            {
                if (readersGone.test(r.source.segment))
                {
                    unmap(r.source);
                }
                else
                {
                    deferredUnmaps.add(r.source);
                }
            }
            phase(7, t);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null == retireFailure)
            {
                retireFailure = ex;
            }
        }
        finally
        {
            for (final Retire r : retires)
            {
                extraBytes.addAndGet(-r.source.fileLength());
                retiring.decrementAndGet(r.source.segment);
            }
        }
    }

    /**
     * With no rehash end queued: unmap the retired sources whose readers were still in flight, waiting for each a
     * little (yields) before leaving it for the next time.
     */
    private void releaseWaiting()
    {
        for (int n = deferredUnmaps.size(); n > 0 && retireQueue.isEmpty(); n--)
        {
            final SegmentTable table = deferredUnmaps.poll();
            if (null == table)
            {
                return;
            }
            boolean gone = false;
            for (int i = 0; i < READER_WAIT_YIELDS && !(gone = readersGone.test(table.segment)); i++)
            {
                Thread.yield();
            }
            if (gone)
            {
                unmap(table);
            }
            else
            {
                deferredUnmaps.add(table);
            }
        }
    }

    /** Run {@code action} for every element, on the I/O threads if there are any, and wait for all of them. */
    private <T> void inParallel(final List<T> items, final IoAction<T> action)
    {
        if (null == io || items.size() == 1)
        {
            for (final T item : items)
            {
                run(action, item);
            }
            return;
        }
        final List<Callable<Void>> tasks = new ArrayList<>(items.size());
        for (final T item : items)
        {
            tasks.add(() ->
            {
                run(action, item);
                return null;
            });
        }
        final List<Future<Void>> futures;
        try
        {
            futures = io.invokeAll(tasks);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new StoreIOException("interrupted while preparing or retiring segment files", ex);
        }
        for (final Future<Void> future : futures)
        {
            try
            {
                future.get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new StoreIOException("interrupted while preparing or retiring segment files", ex);
            }
            catch (final ExecutionException ex)
            {
                throw ex.getCause() instanceof RuntimeException ? (RuntimeException)ex.getCause() :
                    new StoreIOException("preparing or retiring a segment file failed", ex.getCause());
            }
        }
    }

    private static <T> void run(final IoAction<T> action, final T item)
    {
        try
        {
            action.apply(item);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("preparing or retiring a segment file failed", ex);
        }
    }

    /** A per-file step of a batch. */
    @FunctionalInterface
    private interface IoAction<T>
    {
        Void apply(T item) throws IOException;
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

    /**
     * Wait until everything handed over so far is done: queued files prepared, rehash ends completed (tests and
     * benchmark; with the thread paused, queued files are not waited for).
     */
    void awaitIdle()
    {
        if (null == thread)
        {
            return;
        }
        while (finished.get() + (paused ? prepareQueue.size() + urgentQueue.size() : 0) < submitted.get())
        {
            LockSupport.unpark(thread);
            LockSupport.unpark(retirer);
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
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

    /** Files prepared so far. */
    long preparedCount()
    {
        return prepared.get();
    }

    /** Directory forces so far (one per batch of files prepared or of rehashes ended). */
    long directoryForceCount()
    {
        return directoryForces.get();
    }

    /**
     * Delete every pending file, finish the rehash ends handed over, and stop the thread.
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
            try
            {
                final SegmentTable table = take(request, true);
                if (null != table)
                {
                    table.close();
                    Files.deleteIfExists(table.file);
                }
            }
            catch (final IOException ex)
            {
                failure = null == failure ? ex : failure;
            }
        }
        closing = true;
        if (null != thread)
        {
            LockSupport.unpark(thread);
            LockSupport.unpark(retirer);
            try
            {
                thread.join(TimeUnit.MINUTES.toMillis(1));
                retirer.join(TimeUnit.MINUTES.toMillis(1));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (null != io)
        {
            io.shutdown();
        }
        releaseDeferred();
        if (null != retireFailure)
        {
            throw new StoreIOException("ending a rehash failed", retireFailure);
        }
        if (null != failure)
        {
            throw failure;
        }
    }
}
