package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;
import static io.cubby.store.WalRecordDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_1_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_2_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_3_OFFSET;
import static io.cubby.store.WalRecordDescriptor.TYPE_OFFSET;
import static io.cubby.store.WalRecordDescriptor.VALUE_LENGTH_OFFSET;

/**
 * Opens, creates and recovers stores. The recovery steps are numbered as in {@code store/FORMAT.md}, section
 * "Recovery".
 */
final class Opener
{
    static final double DEFAULT_MAX_LOAD = 0.75;
    static final int DEFAULT_MAX_KEY_SIZE = 64;
    static final int DEFAULT_MAX_VALUE_SIZE = 256;
    static final long DEFAULT_LOGGED_LOG_SIZE = WalDescriptor.DEFAULT_CAPACITY;
    static final long DEFAULT_STRUCTURAL_LOG_SIZE = 1L << 20;
    private static final int MAX_LISTED_CORRUPT_SLOTS = 10;
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
        final List<Long> generations = tableGenerations(directory);
        if (generations.isEmpty())
        {
            if (!builder.createIfMissing || builder.readOnly)
            {
                throw new NotAStoreException("no Cubby store at " + directory + " (no table file)");
            }
            if (hasForeignFiles(directory))
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
            return generations.isEmpty() ? create(builder, lock) : openExisting(builder, lock, generations, false);
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
                    !tableGenerations(directory).equals(generations);
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
                generations = tableGenerations(directory);
                if (generations.isEmpty())
                {
                    throw new NotAStoreException("no Cubby store at " + directory + " (no table file)");
                }
            }
        }
    }

    static List<Long> tableGenerations(final Path directory)
    {
        final List<Long> generations = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory))
        {
            files.forEach(file ->
            {
                final long generation = TableDescriptor.parseGeneration(file.getFileName().toString());
                if (generation > 0)
                {
                    generations.add(generation);
                }
            });
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot list " + directory + ": " + ex, ex);
        }
        generations.sort((a, b) -> Long.compareUnsigned(b, a));
        return generations;
    }

    private static boolean hasForeignFiles(final Path directory)
    {
        try (Stream<Path> files = Files.list(directory))
        {
            return files.map(f -> f.getFileName().toString())
                .anyMatch(name -> !name.equals(StoreLock.FILE_NAME) && !name.equals(WalDescriptor.FILE_NAME) &&
                    !name.startsWith(".") && !isTemporaryFile(name));
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot list " + directory + ": " + ex, ex);
        }
    }

    private static Cubby create(final Cubby.Builder builder, final StoreLock lock) throws IOException
    {
        final int maxKey = null == builder.maxKeySize ? DEFAULT_MAX_KEY_SIZE : builder.maxKeySize;
        final int maxValue = null == builder.maxValueSize ? DEFAULT_MAX_VALUE_SIZE : builder.maxValueSize;
        final double maxLoad = null == builder.maxLoad ? DEFAULT_MAX_LOAD : builder.maxLoad;
        final Probing probing = null == builder.probing ? Probing.LINEAR : builder.probing;
        if (maxKey < 1 || maxKey > SlotDescriptor.MAX_ENTRY_PART_LENGTH)
        {
            throw new IllegalArgumentException("maxKeySize must be in [1, " + SlotDescriptor.MAX_ENTRY_PART_LENGTH +
                "]: " + maxKey);
        }
        if (maxValue < 0 || maxValue > SlotDescriptor.MAX_ENTRY_PART_LENGTH)
        {
            throw new IllegalArgumentException("maxValueSize must be in [0, " +
                SlotDescriptor.MAX_ENTRY_PART_LENGTH + "]: " + maxValue);
        }
        final int maxLoadPpm = (int)Math.round(maxLoad * 1_000_000);
        if (maxLoadPpm < TableDescriptor.MAX_LOAD_PPM_MIN || maxLoadPpm > TableDescriptor.MAX_LOAD_PPM_MAX)
        {
            throw new IllegalArgumentException("maxLoad must be in [0.1, 0.95]: " + maxLoad);
        }
        long seed = 0;
        final SecureRandom random = new SecureRandom();
        while (0 == seed)
        {
            seed = random.nextLong();
        }
        final TableParams params = new TableParams(maxKey, maxValue, probing, maxLoadPpm, seed, 0 == maxValue,
            builder.expiry);
        final long capacity = Cubby.capacityFor(Math.max(1, builder.expectedEntries), params.maxLoad() * 0.999);
        final Path tableFile = builder.directory.resolve(TableDescriptor.fileName(1));
        // Created closed: until the log exists, a crash must leave a store that opens (an empty clean table
        // with no log gets a new log); finishOpen marks it open once the log is in place.
        final Table table = TableCreator.create(tableFile, params, capacity, 1, 0, 0, null, !builder.preallocate,
            TableDescriptor.OPEN_STATE_CLEAN);
        final Wal wal;
        try
        {
            wal = Wal.create(builder.directory.resolve(WalDescriptor.FILE_NAME), logSize(builder), seed, 1);
        }
        catch (final IOException | RuntimeException ex)
        {
            table.close();
            Files.deleteIfExists(tableFile);
            throw ex;
        }
        final Cubby cubby = Cubby.create(builder, params, lock, table, null, 0, wal);
        cubby.finishOpen(new RecoveryReport(true, 0, 0, null, 0, 0, 0, 0, 0, false, 0, List.of(), 0), true, 0);
        return cubby;
    }

    static long logSize(final Cubby.Builder builder)
    {
        if (builder.logSize > 0)
        {
            return builder.logSize;
        }
        return Durability.NONE == builder.durability ? DEFAULT_STRUCTURAL_LOG_SIZE : DEFAULT_LOGGED_LOG_SIZE;
    }

    /**
     * What an open will change, decided before anything is changed: recovery first validates everything and
     * only then applies this plan, so a failed open leaves every file as it was.
     */
    static final class Plan
    {
        /** Proven leftovers (older tables of finished rehashes) and temporary files. */
        final List<Path> delete = new ArrayList<>();
        /** Salvage only: files whose role cannot be proven, renamed aside (never deleted). */
        final List<Path> setAside = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
    }

    /** Per-table part of the plan. */
    private static final class TablePlan
    {
        final Table table;
        final LongHashSet drops = new LongHashSet();
        long undoRestore = -1;
        boolean undoClear;

        TablePlan(final Table table)
        {
            this.table = table;
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
        final Plan plan = new Plan();

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
                source = openSource(directory, current, readOnly, salvage, plan);
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
                final String problem = leftoverProblem(file, current);
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
            checkParameters(builder, current);
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
            return recover(builder, lock, params, current, source, plan, start);
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

    private static Table openSource(
        final Path directory, final Table current, final boolean readOnly, final boolean salvage, final Plan plan)
        throws IOException
    {
        final Path sourceFile = directory.resolve(TableDescriptor.fileName(current.sourceGeneration));
        final String problem;
        if (!Files.exists(sourceFile, LinkOption.NOFOLLOW_LINKS))
        {
            problem = current.file.getFileName() + " is being filled from " + sourceFile.getFileName() +
                ", which is missing; entries not yet migrated are lost";
        }
        else
        {
            Table source = null;
            String failure;
            try
            {
                source = Table.open(sourceFile, readOnly);
                failure = source.params.sameShape(current.params) && source.capacity == current.sourceCapacity ?
                    null : sourceFile.getFileName() + " does not match the parameters recorded in " +
                    current.file.getFileName();
            }
            catch (final NotAStoreException | CorruptStoreException ex)
            {
                failure = sourceFile.getFileName() + ", the source of the rehash into " +
                    current.file.getFileName() + ", is damaged: " + ex.getMessage();
            }
            if (null == failure)
            {
                return source;
            }
            if (null != source)
            {
                source.close();
            }
            problem = failure;
        }
        if (!salvage)
        {
            throw new CorruptStoreException(problem + "; nothing was changed" + (readOnly ? "" :
                ". Open with salvage(true) (`cubby recover --salvage`) to rebuild from the current table alone"));
        }
        if (Files.exists(sourceFile, LinkOption.NOFOLLOW_LINKS))
        {
            plan.setAside.add(sourceFile);
        }
        plan.notes.add(problem);
        return null;
    }

    /**
     * Why an older table file cannot be proven to be a leftover of a finished rehash, or null if it can: a regular
     * file with a valid header of the same store, older than the current table and than its source.
     */
    private static String leftoverProblem(final Path file, final Table current)
    {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
        {
            return "it is not a regular file";
        }
        final TableHeader header;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            header = TableHeader.read(file, channel);
        }
        catch (final IOException | CubbyException ex)
        {
            return "its header cannot be read (" + ex.getMessage() + ")";
        }
        if (header.params.seed != current.params.seed)
        {
            return "its hash seed differs (another store's table)";
        }
        if (current.sourceGeneration != TableDescriptor.NO_SOURCE && header.generation > current.sourceGeneration)
        {
            return "its generation lies between the rehash source " + current.sourceGeneration + " and the current " +
                "table";
        }
        return null;
    }

    private static Cubby openReadOnly(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final Plan plan,
        final long start,
        final boolean live)
    {
        final boolean clean = !live && isClean(current, source);
        long cursor = null == source ? 0 : current.migrationCursor();
        for (final Table table : tables(current, source))
        {
            if (null != table.counterProblem && !live)
            {
                if (clean)
                {
                    throw cleanCounterProblem(table);
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
            final long[] counts = countSlots(current, 0);
            current.useCounts(counts[0], counts[1]);
        }
        if (!live && null != source && null != source.counterProblem)
        {
            final long[] counts = countSlots(source, cursor);
            source.useCounts(counts[0], counts[1]);
        }
        final Cubby cubby = Cubby.create(builder, params, lock, current, source, cursor, null);
        cubby.readLive(new LiveReader(builder.directory, params, current, source));
        cubby.finishOpen(new RecoveryReport(clean, 0, 0, clean ? null : live ?
            "not recovered: opened read-only while a writer" + StoreLock.holder(builder.directory) + " has it open" :
            "not recovered: opened read-only after an unclean shutdown", 0, 0, 0, 0, 0, false, 0, List.of(),
            elapsedMillis(start), plan.notes), false, 0);
        return cubby;
    }

    private static CorruptStoreException cleanCounterProblem(final Table table)
    {
        return new CorruptStoreException(table.counterProblem + ", although the store was closed cleanly (its " +
            "counters are then exact): the header is damaged. Nothing was changed. Open with salvage(true) " +
            "(`cubby recover --salvage`) to recount");
    }

    private static List<Table> tables(final Table current, final Table source)
    {
        return null == source ? List.of(current) : List.of(current, source);
    }

    private static Cubby recover(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final Plan plan,
        final long start) throws IOException
    {
        final Path directory = builder.directory;
        final boolean salvage = builder.salvage;
        final Path walFile = directory.resolve(WalDescriptor.FILE_NAME);

        // Phase 1: validate everything and decide what to change. Nothing is written until every check passed.
        for (final Table table : tables(current, source))
        {
            if (null != table.stateProblem && !salvage)
            {
                throw new CorruptStoreException(table.stateProblem + "; nothing was changed. Open with " +
                    "salvage(true) (`cubby recover --salvage`) to rebuild the store");
            }
        }
        final boolean markedClean = isClean(current, source);
        if (markedClean && !salvage)
        {
            for (final Table table : tables(current, source))
            {
                if (null != table.counterProblem)
                {
                    throw cleanCounterProblem(table);
                }
            }
        }
        collectTemporaryFiles(directory, plan);

        // Step 4: read the log, stopping at its first invalid record.
        Wal wal = null;
        String logProblem = null;
        if (Files.exists(walFile, LinkOption.NOFOLLOW_LINKS))
        {
            try
            {
                wal = Wal.open(walFile, params.seed);
            }
            catch (final CorruptStoreException ex)
            {
                // A log is only needed to redo changes after an unclean shutdown.
                if (!markedClean && !salvage)
                {
                    throw new CorruptStoreException(ex.getMessage() + "; the store was not closed cleanly, so " +
                        "changes since its last checkpoint may be lost without it. Nothing was changed. Open with " +
                        "salvage(true) (`cubby recover --salvage`) to continue with a new log", ex);
                }
                logProblem = "log replaced: " + ex.getMessage();
            }
        }
        else if (!markedClean && !salvage)
        {
            throw new CorruptStoreException(walFile.getFileName() + " is missing after an unclean shutdown of " +
                directory + ": the changes logged since the last checkpoint cannot be recovered without it. " +
                "Nothing was changed. Open with salvage(true) (`cubby recover --salvage`) to continue with a new, " +
                "empty log");
        }
        else
        {
            logProblem = "log missing, created";
        }
        try
        {
            final LongArrayList operations = new LongArrayList();
            // Only the checkpoint at the log start is complete (its tables were forced); a later one may not be.
            final long[] loggedCursor = { 0 };
            final String[] cursorProblem = { null };
            final long sourceGeneration = null == source ? 0 : source.generation;
            final boolean[] first = { true };
            final Wal.ReadResult read = null == wal ? new Wal.ReadResult() :
                wal.read((type, sequence, buffer, offset, length) ->
                {
                    final boolean atStart = first[0];
                    first[0] = false;
                    if (WalRecordDescriptor.TYPE_PUT == type || WalRecordDescriptor.TYPE_REMOVE == type)
                    {
                        operations.addLong(offset);
                    }
                    else if (WalRecordDescriptor.TYPE_CHECKPOINT == type)
                    {
                        if (atStart && buffer.getLong(offset + STRUCTURAL_FIELD_1_OFFSET) == current.generation &&
                            buffer.getLong(offset + STRUCTURAL_FIELD_2_OFFSET) == sourceGeneration)
                        {
                            final long logged = buffer.getLong(offset + STRUCTURAL_FIELD_3_OFFSET);
                            if (null != source && (logged < 0 || logged > source.capacity))
                            {
                                cursorProblem[0] = "CHECKPOINT record " + sequence + " names migration cursor " +
                                    logged + " outside the source table's " + source.capacity + " slots";
                            }
                            else
                            {
                                loggedCursor[0] = logged;
                            }
                        }
                    }
                    else if (WalRecordDescriptor.TYPE_REHASH_BEGIN == type &&
                        buffer.getLong(offset + STRUCTURAL_FIELD_1_OFFSET) == current.generation)
                    {
                        loggedCursor[0] = 0;
                    }
                }, params.maxKeyLength, params.maxValueLength, salvage);
            if (null != cursorProblem[0] && !salvage)
            {
                throw new CorruptStoreException(walFile.getFileName() + ": " + cursorProblem[0] + "; nothing was " +
                    "changed. Open with salvage(true) (`cubby recover --salvage`) to rebuild the store");
            }
            // A store closed cleanly has no operation logged after its last checkpoint: if it has, its Open State
            // is wrong, and it is recovered (every check of steps 6 to 9) like an unclean one.
            final boolean clean = markedClean && operations.isEmpty();
            if (salvage)
            {
                final Wal log = wal;
                wal = null;
                return Salvage.rebuild(builder, lock, params, current, source, log, operations, read, plan,
                    logProblem, clean, start);
            }

            final TablePlan currentPlan = new TablePlan(current);
            final TablePlan sourcePlan = null == source ? null : new TablePlan(source);
            final LongArrayList deduplicated = new LongArrayList();
            long cursor = null == source ? 0 : current.migrationCursor();
            if (!clean)
            {
                final UnsafeBuffer log = null == wal ? null : wal.buffer();
                // Step 5: torn in-place updates to roll back from the undo areas.
                planUndo(currentPlan, plan.notes);
                if (null != sourcePlan)
                {
                    planUndo(sourcePlan, plan.notes);
                }
                // Step 6: slots failing their checksum are dropped only where the log restores their key.
                final List<String> unrecoverable = new ArrayList<>();
                planDrops(currentPlan, log, operations, unrecoverable);
                if (null != sourcePlan)
                {
                    planDrops(sourcePlan, log, operations, unrecoverable);
                }
                if (!unrecoverable.isEmpty())
                {
                    throw new CorruptStoreException(unrecoverable.size() + " slot(s) fail their checksum and the " +
                        "log cannot restore them: " + String.join(", ", unrecoverable.subList(0,
                        Math.min(MAX_LISTED_CORRUPT_SLOTS, unrecoverable.size()))) +
                        (unrecoverable.size() > MAX_LISTED_CORRUPT_SLOTS ? ", ..." : "") +
                        "; nothing was changed. Open with salvage(true) (cubby recover --salvage) to drop them");
                }
                // Step 7: resume a rehash from its last logged cursor; entries present in both tables are
                // tombstoned in the source.
                if (null != source)
                {
                    if (cursor < 0 || cursor > source.capacity)
                    {
                        cursor = 0;
                    }
                    cursor = Math.min(cursor, loggedCursor[0]);
                    planDeduplicate(currentPlan, sourcePlan, cursor, deduplicated);
                }
            }

            // Phase 2: every check has passed; apply the plan. Readers in other processes wait until the store is
            // marked open (§3.4): the steps and the replay below may take a key through older values again.
            current.holdWriting();
            if (null != source)
            {
                source.holdWriting();
            }
            if (null == wal)
            {
                wal = createLog(walFile, builder, params);
            }
            final List<String> deleted = deleteFiles(directory, plan.delete);
            int undone = 0;
            int restoredFromLog = 0;
            if (!clean)
            {
                undone += applyUndo(currentPlan);
                if (null != sourcePlan)
                {
                    undone += applyUndo(sourcePlan);
                }
                CrashPoints.Hook.reached("recover.undo-restored");
                restoredFromLog += applyDrops(currentPlan);
                if (null != sourcePlan)
                {
                    restoredFromLog += applyDrops(sourcePlan);
                }
                CrashPoints.Hook.reached("recover.slots-dropped");
                if (null != sourcePlan)
                {
                    for (int i = 0; i < deduplicated.size(); i++)
                    {
                        source.remove(deduplicated.getLong(i), false);
                    }
                    CrashPoints.Hook.reached("recover.deduplicated");
                }
                // Step 8a: entries cut off from their home slot are placed where lookups find them again; a
                // source entry whose key that makes reachable in the current table is then shadowed, and goes.
                final int replaced = replaceUnreachable(current, 0) +
                    (null == source ? 0 : replaceUnreachable(source, cursor));
                if (replaced > 0)
                {
                    plan.notes.add(replaced + " entries cut off from their home slot by an empty slot were " +
                        "placed back on their probe path");
                    if (null != source)
                    {
                        removeShadowed(current, source, cursor);
                    }
                }
                CrashPoints.Hook.reached("recover.unreachable-replaced");
                // Step 8: recount entries and tombstones.
                recount(current, 0);
                if (null != source)
                {
                    recount(source, cursor);
                }
                CrashPoints.Hook.reached("recover.recounted");
            }
            return replayAndFinish(builder, lock, params, current, source, cursor, wal, operations, read, clean,
                logProblem, undone, restoredFromLog, deduplicated.size(), deleted, plan.notes, start);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != wal)
            {
                wal.close();
            }
            throw ex;
        }
    }

    private static Cubby replayAndFinish(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final long cursor,
        final Wal wal,
        final LongArrayList operations,
        final Wal.ReadResult read,
        final boolean clean,
        final String logProblem,
        final int undone,
        final int restoredFromLog,
        final int duplicates,
        final List<String> deleted,
        final List<String> notes,
        final long start)
    {
        final Cubby cubby = Cubby.create(builder, params, lock, current, source, cursor, wal);
        // Step 9: apply the logged operations again, in order, into the tables as they are: growth is deferred
        // (a full disk must not stop recovery), so the load may exceed Max Load until a later write grows.
        final UnsafeBuffer log = wal.buffer();
        final LogApplier applier = cubby.logApplier();
        for (int i = 0; i < operations.size(); i++)
        {
            final int position = (int)operations.getLong(i);
            final int keyLength = log.getInt(position + KEY_LENGTH_OFFSET);
            final int valueLength = log.getInt(position + VALUE_LENGTH_OFFSET);
            applier.apply(log.getShort(position + TYPE_OFFSET) == WalRecordDescriptor.TYPE_REMOVE, log,
                position + KEY_OFFSET, keyLength, position + KEY_OFFSET + keyLength, valueLength,
                log.getLong(position + WalRecordDescriptor.EXPIRES_AT_OFFSET));
            CrashPoints.Hook.reached("recover.replayed-one");
        }
        final Table table = cubby.currentTable();
        final List<String> allNotes = new ArrayList<>(notes);
        if (operations.size() > 0 && null == cubby.sourceTable() &&
            table.entryCount() + table.tombstoneCount() + 1 > table.maxFill)
        {
            allNotes.add("growth deferred: the replayed log left " + table.file.getFileName() + " at or above its " +
                "load limit; the next write grows it, or, while that fails for lack of space, updates and removals " +
                "go on and inserts while the table has room");
        }
        // Step 10: checkpoint, which forces the tables and starts a new log generation.
        final long wantedLogSize = logSize(builder);
        final long newLogSize = wal.capacity != wantedLogSize &&
            (builder.logSize > 0 || wal.capacity < wantedLogSize) ? wantedLogSize : 0;
        final boolean didWork = !clean || operations.size() > 0 || null != read.tailProblem || null != logProblem;
        final RecoveryReport report = new RecoveryReport(clean, read.records, operations.size(),
            null != logProblem ? logProblem : read.tailProblem, read.discardedBytes, undone, restoredFromLog, 0,
            duplicates, !clean && null != source, cursor, deleted, elapsedMillis(start), allNotes);
        cubby.finishOpen(report, didWork, newLogSize);
        if (report.didWork())
        {
            Cubby.LOGGER.log(System.Logger.Level.INFO, "opened " + builder.directory + ": " + report);
        }
        return cubby;
    }

    /**
     * Temporary files of interrupted allocations and salvages: deleted with the plan.
     */
    private static void collectTemporaryFiles(final Path directory, final Plan plan)
    {
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (isTemporaryFile(file.getFileName().toString()) &&
                    Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
                {
                    plan.delete.add(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot list " + directory + ": " + ex, ex);
        }
    }

    static boolean isTemporaryFile(final String name)
    {
        if (name.startsWith("table-"))
        {
            return name.endsWith(TableDescriptor.PREPARED_SUFFIX) || name.endsWith(Salvage.BUILDING_SUFFIX);
        }
        return name.equals(WalDescriptor.FILE_NAME + ".tmp") ||
            name.equals(WalDescriptor.FILE_NAME + Salvage.BUILDING_SUFFIX) ||
            name.equals(WalDescriptor.FILE_NAME + Salvage.BUILDING_SUFFIX + ".tmp");
    }

    static List<String> deleteFiles(final Path directory, final List<Path> files) throws IOException
    {
        final List<String> deleted = new ArrayList<>();
        for (final Path file : files)
        {
            if (Files.deleteIfExists(file))
            {
                deleted.add(file.getFileName().toString());
            }
        }
        if (!deleted.isEmpty())
        {
            Storage.syncDirectory(directory);
        }
        return deleted;
    }

    /**
     * Create a new, empty log; on failure (a full disk) leave no temporary file behind.
     */
    static Wal createLog(final Path walFile, final Cubby.Builder builder, final TableParams params)
        throws IOException
    {
        try
        {
            return Wal.create(walFile, logSize(builder), params.seed, 1);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(walFile.resolveSibling(walFile.getFileName() + ".tmp"));
            throw ex;
        }
    }

    private static void planUndo(final TablePlan plan, final List<String> notes)
    {
        final Table table = plan.table;
        final long index = table.undoSlotIndex();
        if (TableDescriptor.NO_UNDO == index)
        {
            return;
        }
        plan.undoClear = true;
        final String problem = table.undoImageProblem(index);
        if (null != problem)
        {
            notes.add(table.file.getFileName() + ": undo image discarded (" + problem + ")");
        }
        else if (!table.slotIntact(index))
        {
            plan.undoRestore = index;
        }
    }

    private static int applyUndo(final TablePlan plan)
    {
        if (plan.undoRestore >= 0)
        {
            plan.table.restoreUndo(plan.undoRestore);
            return 1;
        }
        if (plan.undoClear)
        {
            plan.table.clearUndo();
        }
        return 0;
    }

    private static void planDrops(
        final TablePlan plan, final UnsafeBuffer log, final LongArrayList operations, final List<String> unrecoverable)
    {
        final Table table = plan.table;
        long empty = 0;
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (SlotDescriptor.STATE_EMPTY == state)
            {
                empty++;
            }
            else if (!SlotDescriptor.isValidState(state))
            {
                unrecoverable.add(table.file.getFileName() + " slot " + i + " (invalid state " + state + ")");
            }
            else if (STATE_FULL == state && i != plan.undoRestore && !table.slotIntact(i))
            {
                if (null != log && keyInLog(table, i, log, operations))
                {
                    plan.drops.add(i);
                }
                else
                {
                    unrecoverable.add(table.file.getFileName() + " slot " + i);
                }
            }
        }
        if (0 == empty)
        {
            unrecoverable.add(table.file.getFileName() + " (no empty slot: its slot states are corrupt)");
        }
    }

    private static int applyDrops(final TablePlan plan)
    {
        for (final LongHashSet.LongIterator it = plan.drops.iterator(); it.hasNext(); )
        {
            plan.table.remove(it.nextValue(), false);
        }
        return plan.drops.size();
    }

    private static boolean keyInLog(
        final Table table, final long index, final DirectBuffer log, final LongArrayList operations)
    {
        final int keyLength = table.window(index).getInt(table.slotOffset(index) + SlotDescriptor.KEY_LENGTH_OFFSET);
        if (keyLength < 0 || keyLength > table.maxKeyLength)
        {
            return false;
        }
        final UnsafeBuffer window = table.window(index);
        final int keyOffset = table.keyOffsetInWindow(index);
        for (int i = 0; i < operations.size(); i++)
        {
            final int position = (int)operations.getLong(i);
            if (log.getInt(position + KEY_LENGTH_OFFSET) != keyLength)
            {
                continue;
            }
            boolean equal = true;
            for (int b = 0; b < keyLength && equal; b++)
            {
                equal = log.getByte(position + KEY_OFFSET + b) == window.getByte(keyOffset + b);
            }
            if (equal)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Source slots at or after the cursor whose key is also in the current table, with the planned drops already
     * counted as tombstones.
     */
    private static void planDeduplicate(
        final TablePlan currentPlan, final TablePlan sourcePlan, final long cursor, final LongArrayList out)
    {
        final Table source = sourcePlan.table;
        for (long i = cursor; i < source.capacity; i++)
        {
            if (STATE_FULL == source.state(i) && !sourcePlan.drops.contains(i) &&
                find(currentPlan, source.slotHash(i), source.window(i), source.keyOffsetInWindow(i),
                source.keyLength(i)) >= 0)
            {
                out.addLong(i);
            }
        }
    }

    /**
     * {@link Table#find} reading the slots as the plan will leave them (planned drops as tombstones).
     */
    private static long find(
        final TablePlan plan, final long hash, final DirectBuffer key, final int offset, final int length)
    {
        final Table table = plan.table;
        long index = table.homeIndex(hash);
        for (long probe = 1; probe <= table.capacity; probe++)
        {
            final int state = table.state(index);
            if (SlotDescriptor.STATE_EMPTY == state)
            {
                return -1;
            }
            if (STATE_FULL == state && !plan.drops.contains(index) && table.slotHash(index) == hash &&
                table.window(index).getInt(table.slotOffset(index) + SlotDescriptor.KEY_LENGTH_OFFSET) == length)
            {
                final UnsafeBuffer window = table.window(index);
                final int keyOffset = table.keyOffsetInWindow(index);
                boolean equal = true;
                for (int b = 0; b < length && equal; b++)
                {
                    equal = key.getByte(offset + b) == window.getByte(keyOffset + b);
                }
                if (equal)
                {
                    return index;
                }
            }
            index = table.nextIndex(index, probe, hash);
        }
        return -1;
    }

    static long[] countSlots(final Table table, final long fullFrom)
    {
        long full = 0;
        long tombstones = 0;
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (STATE_FULL == state && i >= fullFrom)
            {
                full++;
            }
            else if (STATE_TOMBSTONE == state)
            {
                tombstones++;
            }
        }
        return new long[]{ full, tombstones };
    }

    /**
     * Step 8a. A power loss can keep a later insert and lose an earlier one on its probe path (their slots on
     * different pages or sectors): the later entry is then cut off from its home slot by an empty slot, and no
     * lookup finds it. Each such entry is copied to the first free slot of its probe sequence, then its old slot is
     * tombstoned; a copy of a key that is reachable elsewhere is a stale duplicate and is tombstoned. Each move is
     * idempotent: a crash between the copy and the tombstone leaves a reachable copy and a stale one, which the
     * next recovery tombstones.
     *
     * @return the number of slots re-placed or tombstoned.
     */
    static int replaceUnreachable(final Table table, final long fullFrom)
    {
        int replaced = 0;
        for (long i = fullFrom; i < table.capacity; i++)
        {
            if (SlotDescriptor.STATE_FULL != table.state(i))
            {
                continue;
            }
            final UnsafeBuffer window = table.window(i);
            final int keyOffset = table.keyOffsetInWindow(i);
            final int keyLength = table.keyLength(i);
            final long hash = table.slotHash(i);
            final long found = table.find(hash, window, keyOffset, keyLength);
            if (found == i)
            {
                continue;
            }
            if (found < 0)
            {
                final long slot = table.findForInsert(hash, window, keyOffset, keyLength);
                if (slot < 0)
                {
                    table.insertCopy(-2 - slot, table, i);
                }
            }
            table.remove(i, true);
            replaced++;
        }
        return replaced;
    }

    /**
     * Tombstone the source entries at or after the cursor whose key the current table holds.
     */
    private static void removeShadowed(final Table current, final Table source, final long cursor)
    {
        for (long i = cursor; i < source.capacity; i++)
        {
            if (SlotDescriptor.STATE_FULL == source.state(i) && current.find(source.slotHash(i), source.window(i),
                source.keyOffsetInWindow(i), source.keyLength(i)) >= 0)
            {
                source.remove(i, true);
            }
        }
    }

    private static void recount(final Table table, final long fullFrom)
    {
        final long[] counts = countSlots(table, fullFrom);
        table.setEntryCount(counts[0]);
        table.setTombstoneCount(counts[1]);
    }

    private static boolean isClean(final Table current, final Table source)
    {
        return current.openState() == TableDescriptor.OPEN_STATE_CLEAN &&
            (null == source || source.openState() == TableDescriptor.OPEN_STATE_CLEAN);
    }

    private static void checkParameters(final Cubby.Builder builder, final Table table)
    {
        final TableParams params = table.params;
        final List<String> mismatches = new ArrayList<>();
        if (null != builder.maxKeySize && builder.maxKeySize != params.maxKeyLength)
        {
            mismatches.add("maxKeySize " + params.maxKeyLength + " (asked " + builder.maxKeySize + ")");
        }
        if (null != builder.maxValueSize && builder.maxValueSize != params.maxValueLength)
        {
            mismatches.add("maxValueSize " + params.maxValueLength + " (asked " + builder.maxValueSize + ")");
        }
        if (null != builder.probing && builder.probing != params.probing)
        {
            mismatches.add("probing " + params.probing + " (asked " + builder.probing + ")");
        }
        if (builder.expiry && !params.expiry)
        {
            mismatches.add("no expiry (asked expiry(true) or expireAfterWrite)");
        }
        if (null != builder.maxLoad && Math.round(builder.maxLoad * 1_000_000) != params.maxLoadPpm)
        {
            mismatches.add("maxLoad " + params.maxLoad() + " (asked " + builder.maxLoad + ")");
        }
        if (!mismatches.isEmpty())
        {
            throw new IncompatibleStoreException("store " + builder.directory + " was created with " +
                String.join(", ", mismatches) + "; open it without these settings or with the stored values");
        }
    }

    static long elapsedMillis(final long startNanos)
    {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
