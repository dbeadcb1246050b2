package io.cubby.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads store headers for {@link Cubby#inspect(Path)} without the store's lock and without writing.
 */
final class Inspector
{
    /** Reads of the log of a store in use, about 0.4 s apart at most, before a damaged tail is reported. */
    private static final int LIVE_LOG_READS = 12;

    private Inspector()
    {
    }

    static StoreInfo inspect(final Path directory)
    {
        if (!Files.exists(directory))
        {
            throw new NotAStoreException("no Cubby store at " + directory + " (path does not exist)");
        }
        if (!Files.isDirectory(directory))
        {
            throw new NotAStoreException(directory + " is a file, not a Cubby store directory");
        }
        final List<Long> generations = StoreDirectory.tableGenerations(directory);
        if (generations.isEmpty())
        {
            throw new NotAStoreException("no Cubby store at " + directory + " (no table file)");
        }
        final List<StoreInfo.TableInfo> tables = new ArrayList<>();
        for (final long generation : generations)
        {
            final Path file = directory.resolve(TableDescriptor.fileName(generation));
            Storage.requireRegularFile(file);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
            {
                tables.add(new StoreInfo.TableInfo(file.getFileName().toString(), TableHeader.read(file, channel)));
            }
            catch (final NoSuchFileException ex)
            {
                // deleted while listing: a rehash finished meanwhile
            }
            catch (final IOException ex)
            {
                throw new StoreIOException("cannot read " + file + ": " + ex, ex);
            }
            catch (final NotAStoreException ex)
            {
                if (tables.isEmpty() && generation != generations.get(generations.size() - 1))
                {
                    continue; // a newer file that is not a table: shown by its absence; recovery refuses it (FORMAT.md §6)
                }
                throw ex;
            }
        }
        if (tables.isEmpty())
        {
            throw new NotAStoreException("no valid Cubby table file in " + directory);
        }
        final StoreInfo.TableInfo newest = tables.get(0);
        final boolean live = StoreLock.isLockedElsewhere(directory);
        StoreInfo.LogInfo log = null;
        String logProblem = null;
        final Path walFile = directory.resolve(WalDescriptor.FILE_NAME);
        if (Files.exists(walFile))
        {
            try
            {
                log = readLog(walFile, newest);
                // A store in use is appended to while it is read: a record caught half-written (its writer may be
                // descheduled mid-append for a while), or overwritten by the next lap of the ring, reads as a
                // damaged tail. Damage stays; read again, waiting longer each time, until the tail reads clean.
                // Only a problem still the same after the last wait is reported.
                String previous = null;
                for (int attempt = 1; live && null != log.tailProblem && attempt < LIVE_LOG_READS; attempt++)
                {
                    previous = log.tailProblem;
                    sleep(1L << Math.min(attempt, 6));
                    log = readLog(walFile, newest);
                }
                if (live && null != log.tailProblem && !log.tailProblem.equals(previous))
                {
                    log = log.withoutTailProblem(); // never the same twice: appends in flight
                }
            }
            catch (final IOException ex)
            {
                logProblem = "cannot read " + walFile.getFileName() + ": " + ex.getMessage();
            }
            catch (final CubbyException ex)
            {
                logProblem = ex.getMessage();
            }
        }
        else
        {
            logProblem = WalDescriptor.FILE_NAME + " is missing";
        }
        return new StoreInfo(directory.toString(), live, tables, log, logProblem);
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static StoreInfo.LogInfo readLog(final Path walFile, final StoreInfo.TableInfo newest) throws IOException
    {
        final Wal wal = Wal.open(walFile, newest.hashSeed, true);
        try
        {
            final Map<String, Integer> byType = new TreeMap<>();
            final WalReader.ReadResult read = wal.read((type, sequence, buffer, offset, length) ->
                byType.merge(WalRecordDescriptor.typeName(type), 1, Integer::sum),
                newest.maxKeySize, newest.maxValueSize, true);
            return new StoreInfo.LogInfo(walFile.getFileName().toString(), Files.size(walFile), wal.capacity,
                read.nextSequence - read.records, read.records, wal.usedBytes(), read.tailProblem, byType);
        }
        finally
        {
            wal.close();
        }
    }
}
