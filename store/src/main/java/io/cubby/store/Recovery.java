package io.cubby.store;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.cubby.store.WalRecordDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_1_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_2_OFFSET;
import static io.cubby.store.WalRecordDescriptor.STRUCTURAL_FIELD_3_OFFSET;
import static io.cubby.store.WalRecordDescriptor.TYPE_OFFSET;
import static io.cubby.store.WalRecordDescriptor.VALUE_LENGTH_OFFSET;

/**
 * Recovery of a store opened for writing (FORMAT.md §6, from step 4): phase 1 reads the log and plans every
 * change, phase 2 applies the plan ({@link TableRepair}), replays the logged operations through the
 * {@link LogApplier} and checkpoints. Salvage hands over to {@link Salvage}.
 */
final class Recovery
{
    private static final int MAX_LISTED_CORRUPT_SLOTS = 10;

    private Recovery()
    {
    }

    static Cubby recover(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final OpenPlan plan,
        final long start) throws IOException
    {
        final Path directory = builder.directory;
        final boolean salvage = builder.salvage;
        final Path walFile = directory.resolve(WalDescriptor.FILE_NAME);

        // Phase 1: validate everything and decide what to change. Nothing is written until every check passed.
        for (final Table table : OpenChecks.tables(current, source))
        {
            if (null != table.stateProblem && !salvage)
            {
                throw new CorruptStoreException(table.stateProblem + "; nothing was changed. Open with " +
                    "salvage(true) (`cubby recover --salvage`) to rebuild the store");
            }
        }
        final boolean markedClean = OpenChecks.isClean(current, source);
        if (markedClean && !salvage)
        {
            for (final Table table : OpenChecks.tables(current, source))
            {
                if (null != table.counterProblem)
                {
                    throw OpenChecks.cleanCounterProblem(table);
                }
            }
        }
        StoreDirectory.collectTemporaryFiles(directory, plan);

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
            final WalReader.ReadResult read = null == wal ? new WalReader.ReadResult() :
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

            final TableRepair.TablePlan currentPlan = new TableRepair.TablePlan(current);
            final TableRepair.TablePlan sourcePlan = null == source ? null : new TableRepair.TablePlan(source);
            final LongArrayList deduplicated = new LongArrayList();
            long cursor = null == source ? 0 : current.migrationCursor();
            if (!clean)
            {
                final UnsafeBuffer log = null == wal ? null : wal.buffer();
                // Step 5: torn in-place updates to roll back from the undo areas.
                TableRepair.planUndo(currentPlan, plan.notes);
                if (null != sourcePlan)
                {
                    TableRepair.planUndo(sourcePlan, plan.notes);
                }
                // Step 6: slots failing their checksum are dropped only where the log restores their key.
                final List<String> unrecoverable = new ArrayList<>();
                TableRepair.planDrops(currentPlan, log, operations, unrecoverable);
                if (null != sourcePlan)
                {
                    TableRepair.planDrops(sourcePlan, log, operations, unrecoverable);
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
                    TableRepair.planDeduplicate(currentPlan, sourcePlan, cursor, deduplicated);
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
                wal = StoreCreator.createLog(walFile, builder, params);
            }
            final List<String> deleted = StoreDirectory.deleteFiles(directory, plan.delete);
            int undone = 0;
            int restoredFromLog = 0;
            if (!clean)
            {
                undone += TableRepair.applyUndo(currentPlan);
                if (null != sourcePlan)
                {
                    undone += TableRepair.applyUndo(sourcePlan);
                }
                CrashPoints.Hook.reached("recover.undo-restored");
                restoredFromLog += TableRepair.applyDrops(currentPlan);
                if (null != sourcePlan)
                {
                    restoredFromLog += TableRepair.applyDrops(sourcePlan);
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
                final int replaced = TableRepair.replaceUnreachable(current, 0) +
                    (null == source ? 0 : TableRepair.replaceUnreachable(source, cursor));
                if (replaced > 0)
                {
                    plan.notes.add(replaced + " entries cut off from their home slot by an empty slot were " +
                        "placed back on their probe path");
                    if (null != source)
                    {
                        TableRepair.removeShadowed(current, source, cursor);
                    }
                }
                CrashPoints.Hook.reached("recover.unreachable-replaced");
                // Step 8: recount entries and tombstones.
                TableRepair.recount(current, 0);
                if (null != source)
                {
                    TableRepair.recount(source, cursor);
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
        final WalReader.ReadResult read,
        final boolean clean,
        final String logProblem,
        final int undone,
        final int restoredFromLog,
        final int duplicates,
        final List<String> deleted,
        final List<String> notes,
        final long start)
    {
        final Cubby cubby = TableCore.store(builder, params, lock, current, source, cursor, wal);
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
        final long wantedLogSize = StoreCreator.logSize(builder);
        final long newLogSize = wal.capacity != wantedLogSize &&
            (builder.logSize > 0 || wal.capacity < wantedLogSize) ? wantedLogSize : 0;
        final boolean didWork = !clean || operations.size() > 0 || null != read.tailProblem || null != logProblem;
        final RecoveryReport report = new RecoveryReport(clean, read.records, operations.size(),
            null != logProblem ? logProblem : read.tailProblem, read.discardedBytes, undone, restoredFromLog, 0,
            duplicates, !clean && null != source, cursor, deleted, OpenPlan.elapsedMillis(start), allNotes);
        cubby.tableCore().finishOpen(report, didWork, newLogSize);
        if (report.didWork())
        {
            Log.LOGGER.log(System.Logger.Level.INFO, "opened " + builder.directory + ": " + report);
        }
        return cubby;
    }
}
