package io.cubby.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one step for every file of a batch on a few threads and waits for all of them: file creations and forces
 * wait on the disk and the file system's journal, not the CPU, and concurrent syncs share journal commits. With no
 * threads the steps run in the caller, in order (deterministic, for tests). Thread-safe.
 */
final class ParallelIo
{
    /** A per-file step of a batch. */
    @FunctionalInterface
    interface Step<T>
    {
        void apply(T item) throws IOException;
    }

    private final ExecutorService executor;

    /** @param threads 0 to run every step in the caller. */
    ParallelIo(final int threads, final String name)
    {
        executor = 0 == threads ? null : Executors.newFixedThreadPool(threads, runnable ->
        {
            final Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Apply {@code step} to every item and wait for all of them.
     *
     * @throws StoreIOException carrying the first failure (the other items' steps have run all the same).
     */
    <T> void forEach(final List<T> items, final Step<T> step)
    {
        if (null == executor || items.size() == 1)
        {
            for (final T item : items)
            {
                run(step, item);
            }
            return;
        }
        final List<Callable<Void>> tasks = new ArrayList<>(items.size());
        for (final T item : items)
        {
            tasks.add(() ->
            {
                run(step, item);
                return null;
            });
        }
        final List<Future<Void>> futures;
        try
        {
            futures = executor.invokeAll(tasks);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new StoreIOException("interrupted during a batch of segment file operations", ex);
        }
        RuntimeException failure = null;
        for (final Future<Void> future : futures)
        {
            try
            {
                future.get();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new StoreIOException("interrupted during a batch of segment file operations", ex);
            }
            catch (final ExecutionException ex)
            {
                if (null == failure)
                {
                    failure = ex.getCause() instanceof RuntimeException ? (RuntimeException)ex.getCause() :
                        new StoreIOException("a segment file operation failed", ex.getCause());
                }
            }
        }
        if (null != failure)
        {
            throw failure;
        }
    }

    private static <T> void run(final Step<T> step, final T item)
    {
        try
        {
            step.apply(item);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("a segment file operation failed", ex);
        }
    }

    void shutdown()
    {
        if (null != executor)
        {
            executor.shutdown();
        }
    }
}
