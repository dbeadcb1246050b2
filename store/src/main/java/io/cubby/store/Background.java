package io.cubby.store;

import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The store's background threads, started on first use: maintenance (checkpoints, retiring old tables, log
 * forces), whose tasks take the store lock, and allocation of table files ahead of growth. They are separate so
 * that a writer holding the lock may wait for an allocation, never for a task that needs the lock.
 */
final class Background
{
    private final Path directory;
    private ScheduledExecutorService maintenance;
    private ScheduledExecutorService allocator;

    Background(final Path directory)
    {
        this.directory = directory;
    }

    ScheduledExecutorService maintenance()
    {
        if (null == maintenance)
        {
            maintenance = newExecutor("cubby-maintenance-");
        }
        return maintenance;
    }

    ScheduledExecutorService allocator()
    {
        if (null == allocator)
        {
            allocator = newExecutor("cubby-allocate-");
        }
        return allocator;
    }

    private ScheduledExecutorService newExecutor(final String name)
    {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable ->
        {
            final Thread thread = new Thread(runnable, name + directory.getFileName());
            thread.setDaemon(true);
            return thread;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }

    /**
     * Stop both threads, interrupting their tasks, and wait up to 10 s for each.
     */
    void shutdown()
    {
        for (final ScheduledExecutorService executor : new ScheduledExecutorService[]{ maintenance, allocator })
        {
            if (null != executor)
            {
                executor.shutdownNow();
                try
                {
                    executor.awaitTermination(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
