package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/**
 * Creation of a new store (its first table, closed, and its first log) with the default sizes, and of a new
 * log for an existing one.
 */
final class StoreCreator
{
    static final double DEFAULT_MAX_LOAD = 0.75;
    static final int DEFAULT_MAX_KEY_SIZE = 64;
    static final int DEFAULT_MAX_VALUE_SIZE = 256;
    static final long DEFAULT_LOGGED_LOG_SIZE = WalDescriptor.DEFAULT_CAPACITY;
    static final long DEFAULT_STRUCTURAL_LOG_SIZE = 1L << 20;

    private StoreCreator()
    {
    }

    static Cubby create(final Cubby.Builder builder, final StoreLock lock) throws IOException
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
        final long capacity = Rehasher.capacityFor(Math.max(1, builder.expectedEntries), params.maxLoad() * 0.999);
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
        final Cubby cubby = TableCore.store(builder, params, lock, table, null, 0, wal);
        cubby.tableCore().finishOpen(new RecoveryReport(true, 0, 0, null, 0, 0, 0, 0, 0, false, 0, List.of(), 0), true, 0);
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
}
