package io.cubby.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Detects what other processes did to the mapped files (truncated, replaced, deleted), and translates faults
 * on mapped pages into {@link StoreIOException}s, the one place where this is done.
 */
final class FileWatch
{
    private final Path directory;
    private final TableSet tables;
    private final LogWriter log;

    FileWatch(final Path directory, final TableSet tables, final LogWriter log)
    {
        this.directory = directory;
        this.tables = tables;
        this.log = log;
    }

    /**
     * What other processes did to the mapped files: empty while every file is as mapped.
     */
    String changedFiles()
    {
        final Wal wal = log.wal();
        final Table source = tables.source;
        final List<String> changes = new ArrayList<>(3);
        for (final String change : new String[]{ tables.current.changedFile(),
            null == source ? null : source.changedFile(), null == wal ? null : wal.changedFile() })
        {
            if (null != change)
            {
                changes.add(change);
            }
        }
        return String.join("; ", changes);
    }

    /**
     * Refuse to checkpoint into files that another process truncated, replaced or deleted: writes since the open
     * went to the mapped originals, and moving the log start would lose them.
     */
    void checkFilesUnchanged()
    {
        checkUnchanged(directory, changedFiles());
    }

    /** @throws StoreIOException naming {@code changes} (what {@link #changedFiles} says) unless it is empty. */
    static void checkUnchanged(final Path directory, final String changes)
    {
        if (!changes.isEmpty())
        {
            throw new StoreIOException("store " + directory + ": " + changes + "; nothing was checkpointed. Close " +
                "the store and find out what changed its files before opening it again");
        }
    }

    /**
     * Translate a fault on a mapped page. Touching a page that another process truncated away (or that the disk
     * cannot read) raises SIGBUS, which the JVM turns into an {@link InternalError} for the {@code Unsafe} access.
     * In compiled code the JVM may raise it a little later than the access, so an error caught here can come from
     * the operation before; other errors are rethrown.
     */
    StoreIOException mappedFault(final InternalError error)
    {
        requireMappedFault(error);
        return mappedFault(directory, error, changedFiles());
    }

    /** Rethrow {@code error} unless it is the JVM's report of a fault on a mapped page. */
    static void requireMappedFault(final InternalError error)
    {
        final String message = error.getMessage();
        if (null == message || !message.contains("unsafe memory access"))
        {
            throw error;
        }
    }

    /**
     * {@link #mappedFault(InternalError)} for a store whose changed files are {@code changes}; the caller has
     * called {@link #requireMappedFault}.
     */
    static StoreIOException mappedFault(final Path directory, final InternalError error, final String changes)
    {
        return new StoreIOException("store " + directory + ": a mapped page could not be accessed (" +
            (changes.isEmpty() ? "no file changed size: the disk may have failed" : changes) +
            "); close the store", error);
    }
}
