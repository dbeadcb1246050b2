package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Tells the format version of the store in a directory from its file names (FORMAT-v2.md §2): version 2 has a
 * {@code manifest.cubby} or {@code seg-*.cubby} files, version 1 {@code table-*.cubby} files. Reads nothing but
 * the listing and changes nothing.
 */
final class StoreFormat
{
    private StoreFormat()
    {
    }

    /**
     * @return 1 or 2, or 0 if the path holds no store (missing, not a directory, or no store file).
     * @throws CorruptStoreException if the directory holds files of both versions.
     */
    static int detect(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            return 0;
        }
        boolean v1 = false;
        boolean v2 = false;
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.equals(ManifestDescriptor.FILE_NAME) || name.startsWith(SegmentDescriptor.FILE_PREFIX) &&
                    name.endsWith(SegmentDescriptor.FILE_SUFFIX))
                {
                    v2 = true;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot list " + directory + ": " + ex, ex);
        }
        v1 = !StoreDirectory.tableGenerations(directory).isEmpty();
        if (v1 && v2)
        {
            throw new CorruptStoreException(directory + " holds both format-version-1 table files and " +
                "format-version-2 manifest or segment files; refusing to open it");
        }
        return v2 ? 2 : v1 ? 1 : 0;
    }
}
