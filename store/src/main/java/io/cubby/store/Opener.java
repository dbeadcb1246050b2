package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
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
        final StoreLock lock = StoreLock.acquire(directory, builder.readOnly);
        try
        {
            return generations.isEmpty() ? create(builder, lock) : openExisting(builder, lock, generations);
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
                    !name.equals(WalDescriptor.FILE_NAME + ".tmp") && !name.startsWith(".") &&
                    !name.endsWith(TableDescriptor.PREPARED_SUFFIX));
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
        final Table table = Table.create(tableFile, params, capacity, 1, 0, 0, null, !builder.preallocate);
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

    private static long logSize(final Cubby.Builder builder)
    {
        if (builder.logSize > 0)
        {
            return builder.logSize;
        }
        return Durability.NONE == builder.durability ? DEFAULT_STRUCTURAL_LOG_SIZE : DEFAULT_LOGGED_LOG_SIZE;
    }

    private static Cubby openExisting(final Cubby.Builder builder, final StoreLock lock, final List<Long> generations)
        throws IOException
    {
        final long start = System.nanoTime();
        final Path directory = builder.directory;
        final List<String> deleted = new ArrayList<>();

        // Step 1: the newest table with a valid header is current; a newer file without its magic is an
        // interrupted rehash start and is deleted.
        Table current = null;
        int currentPosition = 0;
        for (; currentPosition < generations.size(); currentPosition++)
        {
            final Path file = directory.resolve(TableDescriptor.fileName(generations.get(currentPosition)));
            final boolean hasOlder = currentPosition + 1 < generations.size();
            if (hasOlder && !builder.readOnly && readMagic(file) == 0)
            {
                Files.deleteIfExists(file);
                deleted.add(file.getFileName().toString());
                continue;
            }
            current = Table.open(file, builder.readOnly);
            break;
        }
        if (null == current)
        {
            throw new NotAStoreException("no valid Cubby table file in " + directory);
        }
        Table source = null;
        try
        {
            // Step 2: an unfinished rehash needs its source table.
            if (current.sourceGeneration != TableDescriptor.NO_SOURCE)
            {
                final Path sourceFile = directory.resolve(TableDescriptor.fileName(current.sourceGeneration));
                if (!Files.exists(sourceFile))
                {
                    throw new CorruptStoreException(current.file.getFileName() + " is being filled from " +
                        sourceFile.getFileName() + ", which is missing; entries not yet migrated are lost");
                }
                source = Table.open(sourceFile, builder.readOnly);
                if (!source.params.sameShape(current.params) || source.capacity != current.sourceCapacity)
                {
                    throw new CorruptStoreException(sourceFile.getFileName() + " does not match the parameters " +
                        "recorded in " + current.file.getFileName());
                }
            }
            // Step 3: older tables are leftovers of finished rehashes.
            for (int i = currentPosition + 1; i < generations.size(); i++)
            {
                final long generation = generations.get(i);
                if (generation != current.sourceGeneration && !builder.readOnly)
                {
                    final Path file = directory.resolve(TableDescriptor.fileName(generation));
                    Files.deleteIfExists(file);
                    deleted.add(file.getFileName().toString());
                }
            }
            checkParameters(builder, current);
            if (!builder.readOnly && current.writeVersion > TableDescriptor.WRITE_VERSION)
            {
                throw new IncompatibleStoreException(current.file.getFileName() + " was written by a newer format " +
                    "version; open it read-only");
            }
            final TableParams params = current.params;
            if (builder.readOnly)
            {
                final boolean clean = isClean(current, source);
                final Cubby cubby = Cubby.create(builder, params, lock, current, source,
                    null == source ? 0 : current.migrationCursor(), null);
                cubby.finishOpen(new RecoveryReport(clean, 0, 0, clean ? null :
                    "not recovered: opened read-only after an unclean shutdown", 0, 0, 0, 0, 0, false, 0, deleted,
                    elapsedMillis(start)), false, 0);
                return cubby;
            }
            return recover(builder, lock, params, current, source, deleted, start);
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

    private static Cubby recover(
        final Cubby.Builder builder,
        final StoreLock lock,
        final TableParams params,
        final Table current,
        final Table source,
        final List<String> deleted,
        final long start) throws IOException
    {
        final Path directory = builder.directory;
        final Path walFile = directory.resolve(WalDescriptor.FILE_NAME);
        final Path walTmp = directory.resolve(WalDescriptor.FILE_NAME + ".tmp");
        if (Files.deleteIfExists(walTmp))
        {
            deleted.add(walTmp.getFileName().toString());
        }
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.startsWith("table-") && name.endsWith(TableDescriptor.PREPARED_SUFFIX))
                {
                    Files.deleteIfExists(file);
                    deleted.add(name);
                }
            }
        }
        final boolean clean = isClean(current, source);

        // Step 4: read the log, stopping at its first invalid record.
        Wal wal = null;
        String logProblem = null;
        if (Files.exists(walFile))
        {
            try
            {
                wal = Wal.open(walFile, params.seed);
            }
            catch (final CorruptStoreException ex)
            {
                // A log is only needed to redo changes after an unclean shutdown.
                if (!clean && !builder.salvage)
                {
                    throw new CorruptStoreException(ex.getMessage() + "; the store was not closed cleanly, so " +
                        "changes since its last checkpoint may be lost without it. Open with salvage(true) " +
                        "(`cubby recover --salvage`) to continue with a new log", ex);
                }
                logProblem = "log replaced: " + ex.getMessage();
            }
        }
        else
        {
            logProblem = "log missing, created";
        }
        if (null == wal)
        {
            wal = Wal.create(walFile, logSize(builder), params.seed, 1);
        }
        final LongArrayList operations = new LongArrayList();
        // Only the checkpoint at the log start is complete (its tables were forced); a later one may not be.
        final long[] loggedCursor = { 0 };
        final long sourceGeneration = null == source ? 0 : source.generation;
        final boolean[] first = { true };
        final Wal.ReadResult read = wal.read((type, sequence, buffer, offset, length) ->
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
                    loggedCursor[0] = buffer.getLong(offset + STRUCTURAL_FIELD_3_OFFSET);
                }
            }
            else if (WalRecordDescriptor.TYPE_REHASH_BEGIN == type &&
                buffer.getLong(offset + STRUCTURAL_FIELD_1_OFFSET) == current.generation)
            {
                loggedCursor[0] = 0;
            }
        }, params.maxKeyLength, params.maxValueLength, builder.salvage);

        int undone = 0;
        int restoredFromLog = 0;
        int dropped = 0;
        int duplicates = 0;
        long cursor = null == source ? 0 : current.migrationCursor();
        if (!clean || builder.salvage)
        {
            // Step 5: roll back torn in-place updates from the undo areas.
            undone += current.restoreUndo() >= 0 ? 1 : 0;
            if (null != source)
            {
                undone += source.restoreUndo() >= 0 ? 1 : 0;
            }
            // Step 6: slots failing their checksum are dropped only where the log restores their key.
            final List<String> unrecoverable = new ArrayList<>();
            final int[] counts = new int[2];
            dropCorruptSlots(current, wal.buffer(), operations, builder.salvage, unrecoverable, counts);
            if (null != source)
            {
                dropCorruptSlots(source, wal.buffer(), operations, builder.salvage, unrecoverable, counts);
            }
            if (!unrecoverable.isEmpty())
            {
                wal.close();
                throw new CorruptStoreException(unrecoverable.size() + " slot(s) fail their checksum and the log " +
                    "cannot restore them: " + String.join(", ", unrecoverable.subList(0,
                    Math.min(MAX_LISTED_CORRUPT_SLOTS, unrecoverable.size()))) +
                    (unrecoverable.size() > MAX_LISTED_CORRUPT_SLOTS ? ", ..." : "") +
                    "; nothing was changed. Open with salvage(true) (cubby recover --salvage) to drop them");
            }
            restoredFromLog = counts[0];
            dropped = counts[1];
            // Step 7: resume a rehash from its last logged cursor and de-duplicate entries present in both tables.
            if (null != source)
            {
                cursor = Math.min(cursor, loggedCursor[0]);
                duplicates = deduplicate(current, source, cursor);
            }
            // Step 8: recount entries and tombstones.
            recount(current, 0);
            if (null != source)
            {
                recount(source, cursor);
            }
        }

        final Cubby cubby = Cubby.create(builder, params, lock, current, source, cursor, wal);
        try
        {
            // Step 9: apply the logged operations again, in order.
            final UnsafeBuffer log = wal.buffer();
            for (int i = 0; i < operations.size(); i++)
            {
                final int position = (int)operations.getLong(i);
                final int keyLength = log.getInt(position + KEY_LENGTH_OFFSET);
                final int valueLength = log.getInt(position + VALUE_LENGTH_OFFSET);
                cubby.replay(log.getShort(position + TYPE_OFFSET) == WalRecordDescriptor.TYPE_REMOVE, log,
                    position + KEY_OFFSET, keyLength, position + KEY_OFFSET + keyLength, valueLength,
                    log.getLong(position + WalRecordDescriptor.EXPIRES_AT_OFFSET));
            }
            // Step 10: checkpoint, which forces the tables and starts a new log generation.
            final long wantedLogSize = logSize(builder);
            final long newLogSize = wal.capacity != wantedLogSize &&
                (builder.logSize > 0 || wal.capacity < wantedLogSize) ? wantedLogSize : 0;
            final boolean didWork = !clean || operations.size() > 0 || null != read.tailProblem ||
                null != logProblem;
            final RecoveryReport report = new RecoveryReport(clean, read.records, operations.size(),
                null != logProblem ? logProblem : read.tailProblem, read.discardedBytes, undone, restoredFromLog, dropped, duplicates,
                !clean && null != source, cursor, deleted, elapsedMillis(start));
            cubby.finishOpen(report, didWork, newLogSize);
            if (report.didWork())
            {
                Cubby.LOGGER.log(System.Logger.Level.INFO, "opened " + directory + ": " + report);
            }
            return cubby;
        }
        catch (final RuntimeException ex)
        {
            wal.close();
            throw ex;
        }
    }

    private static void dropCorruptSlots(
        final Table table,
        final UnsafeBuffer log,
        final LongArrayList operations,
        final boolean salvage,
        final List<String> unrecoverable,
        final int[] counts)
    {
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (!SlotDescriptor.isValidState(state))
            {
                if (salvage)
                {
                    table.remove(i, false);
                    counts[1]++;
                }
                else
                {
                    unrecoverable.add(table.file.getFileName() + " slot " + i + " (invalid state " + state + ")");
                }
                continue;
            }
            if (STATE_FULL != state || table.slotIntact(i))
            {
                continue;
            }
            if (keyInLog(table, i, log, operations))
            {
                table.remove(i, false);
                counts[0]++;
            }
            else if (salvage)
            {
                table.remove(i, false);
                counts[1]++;
            }
            else
            {
                unrecoverable.add(table.file.getFileName() + " slot " + i);
            }
        }
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

    private static int deduplicate(final Table current, final Table source, final long cursor)
    {
        int duplicates = 0;
        for (long i = cursor; i < source.capacity; i++)
        {
            if (STATE_FULL == source.state(i) &&
                current.find(source.slotHash(i), source.window(i), source.keyOffsetInWindow(i),
                source.keyLength(i)) >= 0)
            {
                source.remove(i, false);
                duplicates++;
            }
        }
        return duplicates;
    }

    private static void recount(final Table table, final long fullFrom)
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
        table.setEntryCount(full);
        table.setTombstoneCount(tombstones);
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

    static long readMagic(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            if (channel.size() < 8)
            {
                return 0;
            }
            final ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            TableHeader.readFully(channel, bytes, 0);
            return bytes.getLong(0);
        }
    }

    private static long elapsedMillis(final long startNanos)
    {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
