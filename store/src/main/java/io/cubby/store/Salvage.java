package io.cubby.store;

import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.WalRecordDescriptor.EXPIRES_AT_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_OFFSET;
import static io.cubby.store.WalRecordDescriptor.TYPE_OFFSET;
import static io.cubby.store.WalRecordDescriptor.VALUE_LENGTH_OFFSET;

/**
 * Recovery with {@code salvage(true)} ({@code store/FORMAT.md} §6, "Salvage"): the store is rebuilt into a new
 * table from everything that can be proven valid, so the result always verifies clean whatever the damage (counters,
 * probe sequences, duplicates, slot states, a damaged rehash). The old files are only read; the new table and log
 * are built under temporary names, and only once both are complete and forced are they renamed into place and the
 * old tables renamed aside (never deleted). A failed salvage (a full disk) therefore changes nothing.
 * <p>
 * What is kept: the final state of every key the readable log names (its last PUT or REMOVE); every other full
 * slot of the current table that passes its checksum and whose stored hash matches its key (a torn in-place update
 * rolled back from an undo image that holds the slot's key); and, during a rehash, every such slot of the source
 * table whose key is neither in the new table nor in one of its damaged slots (so an older value never replaces a
 * newer one that was lost).
 */
final class Salvage
{
    /** Suffix of the new table and log while salvage builds them; deleted by the next open if left behind. */
    static final String BUILDING_SUFFIX = ".salvage";
    /** Suffix given to old table files set aside by salvage. */
    static final String SET_ASIDE_SUFFIX = ".salvaged";

    private final Table fresh;
    private final Set<ByteBuffer> logKeys;
    private final Set<ByteBuffer> lostKeys = new HashSet<>();
    private final List<String> notes = new ArrayList<>();
    private int dropped;
    private int duplicates;
    private int undone;

    private Salvage(final Table fresh, final Set<ByteBuffer> logKeys)
    {
        this.fresh = fresh;
        this.logKeys = logKeys;
    }

    static Cubby rebuild(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final Wal oldLog,
        final LongArrayList operations,
        final WalReader.ReadResult read,
        final OpenPlan plan,
        final String logProblem,
        final boolean clean,
        final long start) throws IOException
    {
        final Path directory = builder.directory;
        final UnsafeBuffer log = null == oldLog ? null : oldLog.buffer();
        // The final state of each logged key: its last record.
        final Map<ByteBuffer, Integer> lastRecord = new HashMap<>();
        for (int i = 0; i < operations.size(); i++)
        {
            final int position = (int)operations.getLong(i);
            lastRecord.put(logKey(log, position), position);
        }
        long candidates = lastRecord.size();
        for (final Table table : null == source ? List.of(current) : List.of(current, source))
        {
            for (long i = 0; i < table.capacity; i++)
            {
                candidates += STATE_FULL == table.state(i) ? 1 : 0;
            }
        }
        final long capacity = Math.max(current.capacity,
            Rehasher.capacityFor(candidates + 1, params.maxLoad() / 2));
        final long generation = StoreDirectory.tableGenerations(directory).get(0) + 1;
        if (generation > TableDescriptor.MAX_GENERATION)
        {
            throw new CorruptStoreException("cannot salvage " + directory + ": table generation " + generation +
                " is out of range");
        }
        final Path tableFile = directory.resolve(TableDescriptor.fileName(generation));
        final Path buildingTable = directory.resolve(tableFile.getFileName() + BUILDING_SUFFIX);
        final Path walFile = directory.resolve(WalDescriptor.FILE_NAME);
        final Path buildingLog = directory.resolve(WalDescriptor.FILE_NAME + BUILDING_SUFFIX);
        Table fresh = null;
        Wal newLog = null;
        final Salvage salvage;
        try
        {
            fresh = TableCreator.create(buildingTable, params, capacity, generation, 0, 0, null, false);
            salvage = new Salvage(fresh, lastRecord.keySet());
            final long now = System.currentTimeMillis();
            for (final int position : lastRecord.values())
            {
                if (log.getShort(position + TYPE_OFFSET) == WalRecordDescriptor.TYPE_PUT)
                {
                    salvage.insertLogged(log, position, now);
                }
            }
            salvage.copy(current, current.migrationCursor(), true);
            if (null != source)
            {
                final long cursor = current.migrationCursor();
                salvage.copy(source, cursor >= 0 && cursor <= source.capacity ? cursor : 0, false);
            }
            fresh.setOpenState(TableDescriptor.OPEN_STATE_CLEAN);
            fresh.force();
            fresh.close();
            newLog = Wal.create(buildingLog, StoreCreator.logSize(builder), params.seed,
                null == oldLog ? 1 : Math.max(1, read.nextSequence));
            newLog.close();
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != fresh)
            {
                fresh.close();
            }
            if (null != newLog)
            {
                newLog.close();
            }
            Files.deleteIfExists(buildingTable);
            Files.deleteIfExists(TableCreator.preparedPath(buildingTable));
            Files.deleteIfExists(buildingLog);
            Files.deleteIfExists(buildingLog.resolveSibling(buildingLog.getFileName() + ".tmp"));
            if (null != oldLog)
            {
                oldLog.close();
            }
            if (ex instanceof IOException)
            {
                throw new StoreIOException("salvage of " + directory + " could not build its new table and log (" +
                    ex.getMessage() + "); nothing was changed", ex);
            }
            throw ex;
        }

        // Point of no return: the new table is complete, forced and marked closed cleanly.
        if (null != oldLog)
        {
            oldLog.close();
        }
        Files.move(buildingTable, tableFile, StandardCopyOption.ATOMIC_MOVE);
        Storage.syncDirectory(directory);
        Files.move(buildingLog, walFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        final List<String> notes = new ArrayList<>(plan.notes);
        notes.addAll(salvage.notes);
        final List<Path> aside = new ArrayList<>(plan.setAside);
        aside.add(current.file);
        if (null != source)
        {
            aside.add(source.file);
        }
        current.close();
        if (null != source)
        {
            source.close();
        }
        for (final Path file : aside)
        {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS))
            {
                final Path target = setAsideName(file);
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                notes.add(file.getFileName() + " renamed to " + target.getFileName());
            }
        }
        final List<String> deleted = StoreDirectory.deleteFiles(directory, plan.delete);
        Storage.syncDirectory(directory);
        notes.add("rebuilt into " + tableFile.getFileName() + " (" + capacity + " slots, " +
            salvage.fresh.entryCount() + " entries)");

        final Table table = Table.open(tableFile, false);
        final Wal wal;
        try
        {
            wal = Wal.open(walFile, params.seed);
            wal.read((type, sequence, buffer, offset, length) ->
            {
            }, params.maxKeyLength, params.maxValueLength, true);
        }
        catch (final IOException | RuntimeException ex)
        {
            table.close();
            throw ex;
        }
        final Cubby cubby = TableCore.store(builder, params, lock, table, null, 0, wal);
        final RecoveryReport report = new RecoveryReport(clean, read.records, operations.size(),
            null != logProblem ? logProblem : read.tailProblem, read.discardedBytes, salvage.undone, 0,
            salvage.dropped, salvage.duplicates, false, 0, deleted, OpenPlan.elapsedMillis(start),
            notes);
        cubby.tableCore().finishOpen(report, true, 0);
        Log.LOGGER.log(System.Logger.Level.INFO, "salvaged " + directory + ": " + report);
        return cubby;
    }

    private static Path setAsideName(final Path file)
    {
        Path target = file.resolveSibling(file.getFileName() + SET_ASIDE_SUFFIX);
        for (int n = 2; Files.exists(target, LinkOption.NOFOLLOW_LINKS); n++)
        {
            target = file.resolveSibling(file.getFileName() + SET_ASIDE_SUFFIX + "." + n);
        }
        return target;
    }

    private static ByteBuffer logKey(final UnsafeBuffer log, final int position)
    {
        final byte[] key = new byte[log.getInt(position + KEY_LENGTH_OFFSET)];
        log.getBytes(position + KEY_OFFSET, key);
        return ByteBuffer.wrap(key);
    }

    private void insertLogged(final UnsafeBuffer log, final int position, final long now)
    {
        final int keyLength = log.getInt(position + KEY_LENGTH_OFFSET);
        final int valueLength = log.getInt(position + VALUE_LENGTH_OFFSET);
        final int keyOffset = position + KEY_OFFSET;
        final long hash = fresh.hash(log, keyOffset, keyLength);
        final long slot = fresh.findForInsert(hash, log, keyOffset, keyLength);
        if (slot < 0)
        {
            fresh.insert(-2 - slot, hash, log, keyOffset, keyLength, log, keyOffset + keyLength, valueLength,
                log.getLong(position + EXPIRES_AT_OFFSET), now);
        }
    }

    /**
     * Copy the valid full slots of an old table not overridden by the log.
     *
     * @param countFrom duplicates found at or after this slot are reported (a source table's slots below the
     *                  migration cursor are expected to be in the new table already).
     * @param newest    whether this is the newest table, whose damaged slots hide older copies of their key.
     */
    private void copy(final Table table, final long countFrom, final boolean newest)
    {
        final long undoIndex = table.undoSlotIndex();
        final String imageProblem = TableDescriptor.NO_UNDO == undoIndex ? null : table.undoImageProblem(undoIndex);
        if (null != imageProblem)
        {
            notes.add(table.file.getFileName() + ": undo image discarded (" + imageProblem + ")");
        }
        final boolean useImage = TableDescriptor.NO_UNDO != undoIndex && null == imageProblem &&
            !table.slotIntact(undoIndex);
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (STATE_FULL != state)
            {
                dropped += SlotDescriptor.isValidState(state) ? 0 : 1;
                continue;
            }
            final boolean fromImage = useImage && i == undoIndex;
            if ((!fromImage && !table.slotIntact(i)) || !hashMatches(table, i))
            {
                dropped++;
                final ByteBuffer key = rawKey(table, i);
                if (newest && null != key)
                {
                    lostKeys.add(key);
                }
                continue;
            }
            final ByteBuffer key = rawKey(table, i);
            if (logKeys.contains(key) || (!newest && lostKeys.contains(key)))
            {
                continue;
            }
            final UnsafeBuffer window = table.window(i);
            final int keyOffset = table.keyOffsetInWindow(i);
            final int keyLength = key.capacity();
            final long hash = table.slotHash(i);
            final long slot = fresh.findForInsert(hash, window, keyOffset, keyLength);
            if (slot >= 0)
            {
                duplicates += newest || i >= countFrom ? 1 : 0;
                continue;
            }
            if (fromImage)
            {
                fresh.insertUndoImage(-2 - slot, table);
                undone++;
            }
            else
            {
                fresh.insertCopy(-2 - slot, table, i);
            }
        }
    }

    private boolean hashMatches(final Table table, final long index)
    {
        return fresh.hash(table.window(index), table.keyOffsetInWindow(index), table.keyLength(index)) ==
            table.slotHash(index);
    }

    /**
     * The key bytes of a full slot, or null if its key length is out of range.
     */
    private static ByteBuffer rawKey(final Table table, final long index)
    {
        final UnsafeBuffer window = table.window(index);
        final int keyLength = window.getInt(table.slotOffset(index) + SlotDescriptor.KEY_LENGTH_OFFSET);
        if (keyLength < 0 || keyLength > table.maxKeyLength)
        {
            return null;
        }
        final byte[] key = new byte[keyLength];
        window.getBytes(table.keyOffsetInWindow(index), key);
        return ByteBuffer.wrap(key);
    }
}
