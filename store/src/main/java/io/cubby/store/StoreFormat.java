package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Tells the format version of the store in a directory from its file names (FORMAT-v2.md §2): version 2 has a
 * {@code manifest.cubby} or {@code seg-*.cubby} files, version 1 {@code table-*.cubby} files. Segment files
 * without a manifest that a creation cut short left ({@link CreationLeftovers}) are no store. Reads the listing
 * (and, without a manifest, the leftovers' headers) and changes nothing.
 */
final class StoreFormat
{
    /** The format version of a store created without {@code formatVersion}: engine v2. */
    static final int DEFAULT_VERSION = 2;

    private StoreFormat()
    {
    }

    /** Open or create the store a builder describes, in the format version of its directory or the builder's. */
    static Cubby open(final Cubby.Builder builder)
    {
        final int found = detect(builder.directory);
        if (0 != found && null != builder.formatVersion && found != builder.formatVersion)
        {
            throw new IncompatibleStoreException("store " + builder.directory + " has format version " + found +
                ", not the format version " + builder.formatVersion + " asked for; nothing was changed");
        }
        final int version = 0 != found ? found :
            null == builder.formatVersion ? DEFAULT_VERSION : builder.formatVersion;
        if (1 == version && null != builder.segments)
        {
            throw new IllegalArgumentException("segments(" + builder.segments + ") needs format version 2; " +
                builder.directory + (0 == found ? " would be created" : " holds a store") + " in format version 1");
        }
        return 2 == version ? SegmentOpener.open(builder) : Opener.open(builder);
    }

    /**
     * @return 1 or 2, or 0 if the path holds no store (missing, not a directory, or no store file).
     * @throws CorruptStoreException      if the directory holds files of both versions.
     * @throws IncompatibleStoreException if an upgrade from version 1 to 2 was interrupted (FORMAT-v2 §10.1).
     */
    static int detect(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            return 0;
        }
        StoreUpgrade.checkNotInterrupted(directory);
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
        if (v2 && null != CreationLeftovers.find(directory)) // null whenever there is a manifest
        {
            v2 = false; // segment files of a creation cut short before its manifest: no store (FORMAT-v2.md 2.1)
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
