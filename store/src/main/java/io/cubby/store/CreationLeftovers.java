package io.cubby.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the creation of a version-2 store leaves when it is cut short (FORMAT-v2.md §2.1). A creation writes the
 * log, then every segment file of generation 1, empty, and the manifest last (under a prepared name, renamed into
 * place): a directory without {@code manifest.cubby} therefore holds no store, and never held an entry, since
 * nothing writes to a store before its manifest exists.
 * <p>
 * The next creation deletes those files first, under the writer's lock, but only once each one's role is proven:
 * its name is one a creation writes, it is a regular file, and a segment file is empty (Entry Count 0, its magic
 * in place) and a log holds no record (First Sequence 1, Start Offset at the end of the header, no record there).
 * A directory holding anything else (a segment file of a later generation or with entries, a log with a record,
 * an unknown name) is not an interrupted creation: nothing is deleted and the caller refuses it. Reads headers
 * only; changes nothing.
 */
final class CreationLeftovers
{
    private static final String MANIFEST_PREPARED = ManifestDescriptor.FILE_NAME + SegmentDescriptor.PREPARED_SUFFIX;
    private static final String LOG_TEMPORARY = SegmentStore.LOG_FILE + ".tmp";

    private CreationLeftovers()
    {
    }

    /**
     * @return the files an interrupted creation left in {@code directory} (empty if none: an empty directory, or
     *         one holding only the lock file or hidden entries); null if it holds a manifest or anything a creation
     *         cannot have left.
     */
    static List<Path> find(final Path directory)
    {
        if (Files.exists(directory.resolve(ManifestDescriptor.FILE_NAME), LinkOption.NOFOLLOW_LINKS))
        {
            return null;
        }
        final List<Path> leftovers = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.equals(StoreLock.FILE_NAME) || name.startsWith("."))
                {
                    continue;
                }
                if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !isLeftover(file, name))
                {
                    return null;
                }
                leftovers.add(file);
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot list " + directory + ": " + ex, ex);
        }
        return leftovers;
    }

    /**
     * {@link #find}, refusing a directory that holds anything else.
     *
     * @throws NotAStoreException if the directory holds a manifest or anything a creation cannot have left.
     */
    static List<Path> require(final Path directory)
    {
        final List<Path> leftovers = find(directory);
        if (null == leftovers)
        {
            throw new NotAStoreException(directory + " is not empty and holds no Cubby store; refusing to create a " +
                "store among other files");
        }
        return leftovers;
    }

    /** Delete {@code leftovers} ({@link #find}, asked again under the writer's lock), then force the directory. */
    static void delete(final Path directory, final List<Path> leftovers) throws IOException
    {
        if (leftovers.isEmpty())
        {
            return;
        }
        for (final Path file : leftovers)
        {
            Files.deleteIfExists(file);
        }
        Storage.syncDirectory(directory);
    }

    private static boolean isLeftover(final Path file, final String name) throws IOException
    {
        if (name.equals(MANIFEST_PREPARED) || name.equals(LOG_TEMPORARY))
        {
            return true; // never renamed into place: no store read them
        }
        if (name.equals(SegmentStore.LOG_FILE))
        {
            return isEmptyLog(file);
        }
        if (name.endsWith(SegmentDescriptor.PREPARED_SUFFIX))
        {
            return isFirstSegmentName(name.substring(0, name.length() - SegmentDescriptor.PREPARED_SUFFIX.length()));
        }
        return isFirstSegmentName(name) && isEmptySegment(file);
    }

    /** Whether {@code name} is {@code seg-<s>-0000000000000001.cubby} for some segment s. */
    private static boolean isFirstSegmentName(final String name)
    {
        final int digits = SegmentDescriptor.FILE_PREFIX.length();
        if (!name.startsWith(SegmentDescriptor.FILE_PREFIX) || name.length() < digits + 4)
        {
            return false;
        }
        final int segment;
        try
        {
            segment = Integer.parseInt(name.substring(digits, digits + 4), 16);
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
        return name.equals(SegmentDescriptor.fileName(segment, 1));
    }

    private static boolean isEmptySegment(final Path file) throws IOException
    {
        final ByteBuffer header = read(file, SegmentDescriptor.ENTRY_COUNT_OFFSET + Long.BYTES);
        return null != header && header.getLong(SegmentDescriptor.MAGIC_OFFSET) == SegmentDescriptor.MAGIC &&
            header.getLong(SegmentDescriptor.ENTRY_COUNT_OFFSET) == 0;
    }

    private static boolean isEmptyLog(final Path file) throws IOException
    {
        final int length = SegmentLogDescriptor.HEADER_LENGTH + Integer.BYTES;
        final ByteBuffer bytes = read(file, length);
        return null != bytes && bytes.getLong(SegmentLogDescriptor.MAGIC_OFFSET) == SegmentLogDescriptor.MAGIC &&
            bytes.getInt(SegmentLogDescriptor.VERSION_OFFSET) == SegmentLogDescriptor.VERSION &&
            bytes.getLong(SegmentLogDescriptor.START_OFFSET_OFFSET) == SegmentLogDescriptor.HEADER_LENGTH &&
            bytes.getLong(SegmentLogDescriptor.FIRST_SEQUENCE_OFFSET) == 1 &&
            bytes.getInt(SegmentLogDescriptor.HEADER_LENGTH + SegmentLogDescriptor.RECORD_LENGTH_OFFSET) == 0;
    }

    /** The first {@code length} bytes of a regular file, or null if it is shorter. */
    private static ByteBuffer read(final Path file, final int length) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))
        {
            if (channel.size() < length)
            {
                return null;
            }
            final ByteBuffer bytes = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
            TableHeader.readFully(channel, bytes, 0);
            return bytes.clear();
        }
    }
}
