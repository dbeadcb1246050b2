package io.cubby.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static io.cubby.store.TableDescriptor.SEQUENCE_RETIRED;
import static io.cubby.store.TableDescriptor.SEQUENCE_SUPERSEDED;

/**
 * The set of tables a read-only store reads, followed through growth and compaction: an immutable
 * {@link LiveView} published through a volatile field and mapped again on demand. Tables that leave the set are
 * not unmapped (their mappings stay valid for readers still using them, also after the writer deleted the file).
 */
final class LiveTables
{
    /** Attempts to map a consistent table set before giving up. */
    static final int REFRESH_ATTEMPTS = 200;

    private final Path directory;
    private final TableParams params;
    private volatile LiveView view;
    private volatile boolean closed;

    LiveTables(final Path directory, final TableParams params, final Table current, final Table source)
    {
        this.directory = directory;
        this.params = params;
        this.view = new LiveView(current, source, 0);
    }

    /**
     * @return the tables as last mapped.
     */
    LiveView view()
    {
        return view;
    }

    /**
     * Map the current set of tables (FORMAT.md §3.4): the highest generation in the directory is current, and
     * its header's Source Generation, read from its mapping, names the source. Retried while the writer is
     * mid-change (a file deleted or a header being rewritten between listing and reading it).
     */
    void refresh(final LiveView seen)
    {
        synchronized (this)
        {
            if (view != seen)
            {
                return;
            }
            RuntimeException last = null;
            for (int attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++)
            {
                try
                {
                    final LiveView next = mapView(seen);
                    if (null != next)
                    {
                        view = next;
                        retire(seen, next);
                        return;
                    }
                }
                catch (final NotAStoreException | CorruptStoreException | StoreIOException ex)
                {
                    last = ex;
                }
                LockSupport.parkNanos(1_000_000L);
            }
            throw null != last ? last : new StoreIOException("cannot follow the tables of " + directory +
                ": they kept changing");
        }
    }

    /**
     * @return the new view, or null if the files changed while it was being mapped (try again).
     */
    private LiveView mapView(final LiveView seen)
    {
        final List<Long> generations = StoreDirectory.tableGenerations(directory);
        if (generations.isEmpty())
        {
            throw new NotAStoreException("no table file left in " + directory);
        }
        final long generation = generations.get(0);
        final Table current = generation == seen.current.generation ? seen.current : tableOf(seen, generation);
        final long sourceGeneration = current.headerSourceGeneration();
        Table source = null;
        if (TableDescriptor.NO_SOURCE != sourceGeneration)
        {
            if (sourceGeneration < 0 || sourceGeneration >= current.generation)
            {
                return null;
            }
            try
            {
                source = tableOf(seen, sourceGeneration);
            }
            catch (final NotAStoreException ex)
            {
                // the rehash ended and the source was deleted meanwhile: its header says so by now
                if (current.headerSourceGeneration() == TableDescriptor.NO_SOURCE)
                {
                    return null;
                }
                throw ex;
            }
            if (!source.params.sameShape(current.params))
            {
                throw new CorruptStoreException(source.file.getFileName() + " does not match the parameters of " +
                    current.file.getFileName());
            }
        }
        if (current.headerSourceGeneration() != sourceGeneration)
        {
            return null;
        }
        // flags read now, then no newer table listed: they predate this listing, so they are stale
        final int flags = current.writeSequence() & (SEQUENCE_SUPERSEDED | SEQUENCE_RETIRED);
        if (0 != flags)
        {
            final List<Long> again = StoreDirectory.tableGenerations(directory);
            if (again.isEmpty() || again.get(0) != generation)
            {
                return null;
            }
        }
        return new LiveView(current, source, flags);
    }

    private Table tableOf(final LiveView seen, final long generation)
    {
        if (generation == seen.current.generation)
        {
            return seen.current;
        }
        if (null != seen.source && generation == seen.source.generation)
        {
            return seen.source;
        }
        final Table table;
        try
        {
            table = Table.open(directory.resolve(TableDescriptor.fileName(generation)), true);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot open " + TableDescriptor.fileName(generation) + ": " + ex, ex);
        }
        if (!table.params.sameShape(params))
        {
            table.close();
            throw new CorruptStoreException(table.file.getFileName() + " does not match the store's parameters");
        }
        return table;
    }

    /**
     * Close the channels of tables that left the set; their mappings stay valid for lookups still using them.
     */
    private static void retire(final LiveView seen, final LiveView next)
    {
        for (final Table table : new Table[]{ seen.current, seen.source })
        {
            if (null != table && table != next.current && table != next.source)
            {
                table.close();
            }
        }
    }

    void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("store " + directory + " is closed");
        }
    }

    void close()
    {
        closed = true;
        final LiveView v = view;
        v.current.close();
        if (null != v.source)
        {
            v.source.close();
        }
    }
}
