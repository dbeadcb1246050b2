package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import static io.cubby.store.Log.LOGGER;

/**
 * Allocates the file of the next table in the background once the current table is half full, so that a large
 * rehash starts without writing gigabytes of zeros while holding the lock. Called with the write lock held,
 * except for the allocation itself.
 */
final class TableAllocator
{
    /** Tables up to this size are allocated when a rehash starts; larger ones ahead of time in the background. */
    private static final long SYNC_ALLOCATION_BYTES = 1L << 20;

    private final Path directory;
    private final TableParams params;
    private final Guard guard;
    private final Background background;
    private Future<?> prepareTask;
    private volatile Path preparedFile;
    /** The last allocation ahead of growth failed (full disk): grow synchronously until one succeeds. */
    private volatile boolean allocationFailed;
    private volatile long preparedGeneration;
    private volatile long preparedCapacity;

    TableAllocator(final Options options, final Guard guard, final Background background)
    {
        this.directory = options.directory;
        this.params = options.params;
        this.guard = guard;
        this.background = background;
    }

    /**
     * @return true if an allocation was started and its file not yet taken.
     */
    boolean started()
    {
        return null != prepareTask;
    }

    /**
     * @return true while an allocation started is still running.
     */
    boolean running()
    {
        return null != prepareTask && !prepareTask.isDone();
    }

    /**
     * A rehash began: a later allocation may be tried again even if the last one failed.
     */
    void rehashBegun()
    {
        allocationFailed = false;
    }

    /**
     * Start allocating the file of the table of this generation and capacity, unless it is small enough to be
     * allocated when the rehash starts, or the last allocation failed.
     */
    void prepare(final long generation, final long capacity)
    {
        if (capacity > TableDescriptor.MAX_CAPACITY || TableCreator.fileLength(params, capacity) <= SYNC_ALLOCATION_BYTES ||
            allocationFailed)
        {
            return;
        }
        final Path file = TableCreator.preparedPath(directory.resolve(TableDescriptor.fileName(generation)));
        prepareTask = background.allocator().submit(() ->
        {
            try
            {
                Storage.preallocate(file, TableCreator.fileLength(params, capacity));
                preparedGeneration = generation;
                preparedCapacity = capacity;
                preparedFile = file;
            }
            catch (final IOException ex)
            {
                if (guard.isClosed())
                {
                    // close() interrupted the allocation: an orderly stop, not a failure
                    try
                    {
                        Files.deleteIfExists(file);
                    }
                    catch (final IOException ignore)
                    {
                        // a leftover .prep file is deleted by the next writable open
                    }
                    return;
                }
                allocationFailed = true;
                LOGGER.log(System.Logger.Level.WARNING, "cannot allocate " + file + " ahead of growth: " + ex);
            }
        });
    }

    /**
     * The file allocated ahead for this rehash, waiting for its allocation to end if needed; null if none fits.
     */
    Path take(final long generation, final long capacity) throws IOException
    {
        final Future<?> task = prepareTask;
        if (null == task)
        {
            return null;
        }
        prepareTask = null;
        try
        {
            task.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final ExecutionException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "allocation ahead of growth failed", ex.getCause());
        }
        final Path file = preparedFile;
        preparedFile = null;
        if (null == file)
        {
            return null;
        }
        if (preparedGeneration == generation && preparedCapacity == capacity)
        {
            return file;
        }
        Files.deleteIfExists(file);
        return null;
    }

    /**
     * At close, after the allocation thread stopped: delete a file allocated and not taken.
     */
    void deleteUntaken()
    {
        final Path prepared = preparedFile;
        if (null != prepared)
        {
            try
            {
                Files.deleteIfExists(prepared);
            }
            catch (final IOException ignore)
            {
                // deleted on next open
            }
        }
    }
}
