package io.cubby.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of a store directory and their roles: the table generations present, temporary files of interrupted
 * allocations and salvages, and the proofs an open needs before it uses or deletes a table file (the source of an
 * unfinished rehash, leftovers of finished ones). Reads only, except {@link #deleteFiles}.
 */
final class StoreDirectory
{
    private StoreDirectory()
    {
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

    static boolean hasForeignFiles(final Path directory)
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

    /**
     * Temporary files of interrupted allocations and salvages: deleted with the plan.
     */
    static void collectTemporaryFiles(final Path directory, final OpenPlan plan)
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

    static Table openSource(
        final Path directory, final Table current, final boolean readOnly, final boolean salvage, final OpenPlan plan)
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
    static String leftoverProblem(final Path file, final Table current)
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
}
