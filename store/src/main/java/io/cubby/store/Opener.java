package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Opens stores: the directory checks, then a new store ({@link StoreCreator}), or an existing one with its
 * tables found by role ({@link StoreDirectory}), checked ({@link OpenChecks}) and recovered ({@link Recovery})
 * or opened read-only. The recovery steps are numbered as in {@code store/FORMAT.md}, section
 * "Recovery".
 */
final class Opener
{
    /** Attempts of a read-only open while a writer changes the table set. */
    private static final int LIVE_OPEN_ATTEMPTS = 100;

    private Opener()
    {
    }

    static Cubby open(final Cubby.Builder builder)
    {
        final Path directory = builder.directory;
        if (Files.exists(directory) && !Files.isDirectory(directory))
        {
            throw new NotAStoreException(directory + " is a file, not a Cubby store directory");
        }
        if (!Files.exists(directory))
        {
            if (!builder.createIfMissing || builder.readOnly)
            {
                throw new NotAStoreException("no Cubby store at " + directory + " (directory does not exist)");
            }
            try
            {
                Files.createDirectories(directory);
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("cannot create store directory " + directory + ": " + ex, ex);
            }
        }
        final List<Long> generations = StoreDirectory.tableGenerations(directory);
        if (generations.isEmpty())
        {
            if (!builder.createIfMissing || builder.readOnly)
            {
                throw new NotAStoreException("no Cubby store at " + directory + " (no table file)");
            }
            if (StoreDirectory.hasForeignFiles(directory))
            {
                throw new NotAStoreException(directory + " is not empty and holds no Cubby table file; " +
                    "refusing to create a store among other files");
            }
        }
        if (builder.readOnly)
        {
            return openReader(builder, generations);
        }
        final StoreLock lock = StoreLock.acquireWriter(directory);
        try
        {
            return generations.isEmpty() ? StoreCreator.create(builder, lock) : openExisting(builder, lock, generations, false);
        }
        catch (final IOException ex)
        {
            lock.close();
            throw new StoreIOException("I/O error opening " + directory + ": " + ex, ex);
        }
        catch (final RuntimeException | Error ex)
        {
            lock.close();
            throw ex;
        }
    }

    /**
     * A read-only open (FORMAT.md §6, last paragraphs): it takes no lock and never writes. With no writer, the
     * store is opened as it stands (steps 1, 2 and 4). With a live writer, the current table and its source are
     * mapped read-only as they are: no recovery, and the open is tried again if the writer changed the table set
     * while it was being read (a rehash ending, a file deleted), or if a writer started meanwhile.
     */
    private static Cubby openReader(final Cubby.Builder builder, final List<Long> firstListing)
    {
        final Path directory = builder.directory;
        try
        {
            Storage.requireRegularFile(directory.resolve(StoreLock.FILE_NAME));
        }
        catch (final CorruptStoreException ex)
        {
            throw new StoreIOException("cannot open lock file: " + ex.getMessage(), ex);
        }
        List<Long> generations = firstListing;
        for (int attempt = 1; ; attempt++)
        {
            final int writer = StoreLock.probeWriter(directory);
            if (StoreLock.WRITER_LEGACY == writer)
            {
                throw new StoreLockedException("store " + directory + " is open for writing by an older Cubby" +
                    StoreLock.holder(directory) + " that does not support readers in other processes");
            }
            final boolean live = StoreLock.WRITER_LIVE == writer;
            try
            {
                return openExisting(builder, StoreLock.none(), generations, live);
            }
            catch (final IOException | NotAStoreException | CorruptStoreException ex)
            {
                // A writer may also have started meanwhile (a restart recovering, deleting a leftover table):
                // look again whenever one is live now or the table files changed, not only when one was before.
                final boolean changed = live || StoreLock.WRITER_NONE != StoreLock.probeWriter(directory) ||
                    !StoreDirectory.tableGenerations(directory).equals(generations);
                if (!changed || attempt >= LIVE_OPEN_ATTEMPTS)
                {
                    if (ex instanceof IOException)
                    {
                        throw new StoreIOException("I/O error opening " + directory + ": " + ex, ex);
                    }
                    throw (RuntimeException)ex;
                }
                // the writer may have renamed, rewritten or deleted a table meanwhile: look again
                LockSupport.parkNanos(1_000_000L);
                generations = StoreDirectory.tableGenerations(directory);
                if (generations.isEmpty())
                {
                    throw new NotAStoreException("no Cubby store at " + directory + " (no table file)");
                }
            }
        }
    }

    private static Cubby openExisting(
        final Cubby.Builder builder, final StoreLock lock, final List<Long> generations, final boolean live)
        throws IOException
    {
        final long start = System.nanoTime();
        final Path directory = builder.directory;
        final boolean readOnly = builder.readOnly;
        final boolean salvage = builder.salvage && !readOnly;
        final OpenPlan plan = new OpenPlan();

        // Step 1: the newest table file is current. A newer file that is not a valid table cannot be proven to be
        // a leftover (it may be the current table of a rehash): it is never deleted, and only salvage sets it
        // aside to open the older one.
        Table current = null;
        int currentPosition = 0;
        while (null == current)
        {
            final Path file = directory.resolve(TableDescriptor.fileName(generations.get(currentPosition)));
            final boolean hasOlder = currentPosition + 1 < generations.size();
            try
            {
                current = Table.open(file, readOnly);
            }
            catch (final NotAStoreException | CorruptStoreException ex)
            {
                if (!hasOlder)
                {
                    throw ex;
                }
                if (!salvage)
                {
                    throw new CorruptStoreException(file.getFileName() + " is the newest table file but cannot be " +
                        "used (" + ex.getMessage() + "); it may be the current table of a rehash, so it is neither " +
                        "ignored nor deleted and nothing was changed. Open with salvage(true) " +
                        "(`cubby recover --salvage`) to set it aside and rebuild from the older tables", ex);
                }
                plan.setAside.add(file);
                plan.notes.add(file.getFileName() + " set aside: " + ex.getMessage());
                currentPosition++;
            }
        }
        Table source = null;
        try
        {
            // Step 2: an unfinished rehash needs its source table.
            if (current.sourceGeneration != TableDescriptor.NO_SOURCE)
            {
                source = StoreDirectory.openSource(directory, current, readOnly, salvage, plan);
                if (null != source && !readOnly)
                {
                    source.becomeSource(false);
                }
            }
            // Step 3: older tables are leftovers of finished rehashes, deleted once that is proven.
            for (int i = currentPosition + 1; i < generations.size(); i++)
            {
                final long generation = generations.get(i);
                if (generation == current.sourceGeneration)
                {
                    continue;
                }
                final Path file = directory.resolve(TableDescriptor.fileName(generation));
                final String problem = StoreDirectory.leftoverProblem(file, current);
                if (null == problem)
                {
                    plan.delete.add(file);
                }
                else if (salvage)
                {
                    plan.setAside.add(file);
                    plan.notes.add(file.getFileName() + " set aside: " + problem);
                }
                else if (!readOnly)
                {
                    throw new CorruptStoreException(file.getFileName() + " is older than the current table " +
                        current.file.getFileName() + " but " + problem + ", so it cannot be proven to be a " +
                        "leftover of a finished rehash; nothing was changed. Open with salvage(true) " +
                        "(`cubby recover --salvage`) to set it aside");
                }
            }
            OpenChecks.checkParameters(builder, current);
            if (!readOnly && current.writeVersion > TableDescriptor.WRITE_VERSION)
            {
                throw new IncompatibleStoreException(current.file.getFileName() + " was written by a newer format " +
                    "version; open it read-only");
            }
            final TableParams params = current.params;
            if (readOnly)
            {
                return openReadOnly(builder, lock, params, current, source, plan, start, live);
            }
            return Recovery.recover(builder, lock, params, current, source, plan, start);
        }
        catch (final IOException | RuntimeException ex)
        {
            current.close();
            if (null != source)
            {
                source.close();
            }
            throw ex;
        }
    }

    private static Cubby openReadOnly(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final OpenPlan plan,
        final long start,
        final boolean live)
    {
        final boolean clean = !live && OpenChecks.isClean(current, source);
        long cursor = null == source ? 0 : current.migrationCursor();
        for (final Table table : OpenChecks.tables(current, source))
        {
            if (null != table.counterProblem && !live)
            {
                if (clean)
                {
                    throw OpenChecks.cleanCounterProblem(table);
                }
                plan.notes.add(table.counterProblem + ": counted in memory");
            }
            if (null != table.stateProblem)
            {
                plan.notes.add(table.stateProblem);
            }
        }
        if (null != source && (cursor < 0 || cursor > source.capacity))
        {
            cursor = 0;
        }
        if (!live && null != current.counterProblem)
        {
            final long[] counts = TableRepair.countSlots(current, 0);
            current.useCounts(counts[0], counts[1]);
        }
        if (!live && null != source && null != source.counterProblem)
        {
            final long[] counts = TableRepair.countSlots(source, cursor);
            source.useCounts(counts[0], counts[1]);
        }
        final Cubby cubby = TableCore.store(builder, params, lock, current, source, cursor, null);
        cubby.tableCore().readLive(new LiveReader(builder.directory, params, current, source));
        cubby.tableCore().finishOpen(new RecoveryReport(clean, 0, 0, clean ? null : live ?
            "not recovered: opened read-only while a writer" + StoreLock.holder(builder.directory) + " has it open" :
            "not recovered: opened read-only after an unclean shutdown", 0, 0, 0, 0, 0, false, 0, List.of(),
            OpenPlan.elapsedMillis(start), plan.notes), false, 0);
        return cubby;
    }
}
