package io.cubby.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

/**
 * Ends rehashes off the writers' path (FORMAT-v2.md section 9 step 6), in batches: force every new file and clear
 * its Source Generation (forced; the files of a batch in parallel), force the manifest once, delete the sources,
 * force the directory once. It releases each deleted source's mapping ({@link SegmentTable#unmap}) later, once
 * {@link SegmentReaders#gone} says no lock-free reader of that segment is between its start and its end:
 * the sources wait in a list unmapped after each batch, once the batch's segments may have their next files
 * prepared ({@link #UNMAP_BACKLOG}), whenever no rehash end is queued, and at close; a source whose readers are
 * still in flight stays in the list.
 * <p>
 * Either on its own daemon thread or in the thread that hands the end over (deterministic, for tests).
 * Thread-safe.
 */
final class SegmentRetirer implements AutoCloseable
{
    /** Most rehash ends per manifest and directory force. */
    static final int BATCH = 64;
    /** Yields while waiting for a segment's readers before leaving a source's unmap for later. */
    static final int READER_WAIT_YIELDS = 1_000;
    /**
     * Retired sources left mapped before the thread unmaps them although rehash ends are queued (it unmaps them
     * whenever none is). 1: after every batch, but after the batch's segments are released for their next files,
     * so that munmap (slow on a loaded VM) is not on the path from a rehash end to the segment's next file; a larger
     * backlog measured 10-15 % more peak RSS at 1 M entries for no clear latency gain.
     */
    static final int UNMAP_BACKLOG = 1;

    private final Path directory;
    private final IntPredicate readersGone;
    private final ParallelIo io;
    private final AtomicLong extraBytes;
    private final Thread thread;
    private final AtomicIntegerArray retiring;
    private final ConcurrentLinkedQueue<Retire> queue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<SegmentTable> deferredUnmaps = new ConcurrentLinkedQueue<>();
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong unmapped = new AtomicLong();
    private final AtomicLong directoryForces = new AtomicLong();
    final PhaseTimes phases = new PhaseTimes("retire: force new files, clear their sources",
        "retire: force manifest", "retire: delete sources", "retire: force directory", "retire: release mappings");
    private volatile boolean unmapMappings = true;
    private volatile boolean closing;
    private volatile Throwable failure;

    /** A rehash end handed over by the writer that unpublished its source. */
    private record Retire(SegmentTable current, SegmentTable source, Manifest manifest)
    {
    }

    /**
     * @param extraBytes  the directory bytes beyond the current files; a source's bytes leave it when deleted.
     * @param readersGone whether no lock-free reader of a segment is in flight (called after the source has been
     *                    unpublished; the test must order its read after that, a full fence).
     */
    SegmentRetirer(final Path directory, final int segments, final boolean background, final ParallelIo io,
        final AtomicLong extraBytes, final IntPredicate readersGone)
    {
        this.directory = directory;
        this.readersGone = readersGone;
        this.io = io;
        this.extraBytes = extraBytes;
        this.retiring = new AtomicIntegerArray(segments);
        if (background)
        {
            thread = new Thread(this::loop, "cubby-segment-retirer");
            thread.setDaemon(true);
            thread.start();
        }
        else
        {
            thread = null;
        }
    }

    /** Whether an end of segment {@code s}'s rehash has been handed over and is not done yet. */
    boolean retiring(final int s)
    {
        return retiring.get(s) != 0;
    }

    /**
     * The end of a rehash whose source the writer has unpublished, in order: force the new file, clear its Source
     * Generation (forced), force the manifest, delete the source, force the directory. On the background thread
     * these forces are not the writers' wait; a crash before the source is deleted leaves a rehash that recovery
     * completes.
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
            releaseDeferred();
        }
        else
        {
            queue.add(retire);
            LockSupport.unpark(thread);
        }
    }

    private void loop()
    {
        final List<Retire> retires = new ArrayList<>(BATCH);
        while (true)
        {
            for (Retire r = queue.poll(); null != r; r = retires.size() < BATCH ? queue.poll() : null)
            {
                retires.add(r);
            }
            if (!retires.isEmpty())
            {
                completeBatch(retires);
                finished.addAndGet(retires.size());
                retires.clear();
                if (deferredUnmaps.size() >= UNMAP_BACKLOG)
                {
                    releaseDeferred();
                }
                continue;
            }
            if (closing && queue.isEmpty())
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

    /** Section 9 step 6 for a batch of rehash ends: each step done for all of them before the next one. */
    private void completeBatch(final List<Retire> retires)
    {
        try
        {
            long t = System.nanoTime();
            io.forEach(retires, r ->
            {
                r.current.force();
                r.current.clearSource();
                // before the readers-gone test that allows the unmap: a remove still clearing copies in the source
                // counts itself as a reader (SegmentSet.remove)
                r.source.markRehashEnded();
            });
            t = phases.mark(0, t);
            Manifest forced = null;
            for (final Retire r : retires)
            {
                if (r.manifest != forced)
                {
                    r.manifest.force();
                    forced = r.manifest;
                }
            }
            t = phases.mark(1, t);
            for (final Retire r : retires)
            {
                r.source.close();
                Files.deleteIfExists(r.source.file);
            }
            t = phases.mark(2, t);
            Storage.syncDirectory(directory);
            directoryForces.incrementAndGet();
            phases.mark(3, t);
            for (final Retire r : retires)
            {
                // unmapped later, when no rehash end is queued (or the backlog is full), so that neither the next
                // batch nor the segment's next file waits for munmap
                deferredUnmaps.add(r.source);
            }
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            if (null == failure)
            {
                failure = ex;
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
        final long t = System.nanoTime();
        releaseWaitingUntimed();
        phases.mark(4, t);
    }

    private void releaseWaitingUntimed()
    {
        for (int n = deferredUnmaps.size(); n > 0 && queue.isEmpty(); n--)
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

    private void releaseDeferred()
    {
        final long t = System.nanoTime();
        releaseDeferredUntimed();
        phases.mark(4, t);
    }

    private void releaseDeferredUntimed()
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

    /** Wait until every rehash end handed over so far is done (tests and benchmark). */
    void awaitIdle()
    {
        while (null != thread && finished.get() < submitted.get())
        {
            LockSupport.unpark(thread);
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
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

    /** Directory forces so far (one per batch). */
    long directoryForceCount()
    {
        return directoryForces.get();
    }

    /**
     * Finish the rehash ends handed over and stop the thread.
     *
     * @throws StoreIOException if a rehash end failed.
     */
    @Override
    public void close()
    {
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
        releaseDeferred();
        if (null != failure)
        {
            throw new StoreIOException("ending a rehash failed", failure);
        }
    }
}
