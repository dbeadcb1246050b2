package io.cubby.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Creates and opens segment files: allocation under a temporary name, header written magic last, atomic rename,
 * and validation of an existing file's header before it is mapped (FORMAT-v2.md section 4).
 */
final class SegmentFile
{
    private SegmentFile()
    {
    }

    /**
     * Create a segment file: allocate it under a temporary name, write its header magic last, rename it into place
     * and map it.
     *
     * @param allocate whether to allocate every block ({@code fallocate}, else zeros written); false makes a
     *                 sparse file, for tests and for callers that pre-fault the pages themselves.
     */
    static SegmentTable create(
        final Path directory,
        final SegmentParams params,
        final int segment,
        final long generation,
        final long groupCount,
        final long sourceGeneration,
        final long sourceGroupCount,
        final boolean allocate) throws IOException
    {
        return create(directory, params, segment, generation, groupCount, sourceGeneration, sourceGroupCount, allocate,
            true);
    }

    /**
     * {@link #create(Path, SegmentParams, int, long, long, long, long, boolean)}, leaving the directory force to
     * the caller if {@code syncDirectory} is false: a caller creating several files forces the directory once for
     * all of them, and uses none of them before that force.
     */
    static SegmentTable create(
        final Path directory,
        final SegmentParams params,
        final int segment,
        final long generation,
        final long groupCount,
        final long sourceGeneration,
        final long sourceGroupCount,
        final boolean allocate,
        final boolean syncDirectory) throws IOException
    {
        final Path prepared = prepare(directory, params, segment, generation, groupCount, sourceGeneration,
            sourceGroupCount, allocate);
        final Path file = publish(prepared);
        if (syncDirectory)
        {
            Storage.syncDirectory(directory);
        }
        return open(file, params, segment, generation, false);
    }

    /**
     * First half of {@link #create}: allocate {@code seg-<s>-<g>.cubby.prep} and write its header (magic last),
     * forcing nothing. Recovery deletes every {@code .prep} file, so a crash leaves nothing to resolve; a caller
     * preparing several files writes them all before it forces any, so that one journal commit can carry them.
     *
     * @return the prepared file, to be passed to {@link #publish}.
     */
    static Path prepare(
        final Path directory,
        final SegmentParams params,
        final int segment,
        final long generation,
        final long groupCount,
        final long sourceGeneration,
        final long sourceGroupCount,
        final boolean allocate) throws IOException
    {
        if (groupCount < 1 || groupCount > SegmentDescriptor.maxGroupCount(params.slotLength))
        {
            throw new IllegalArgumentException("group count out of range: " + groupCount);
        }
        if (segment < 0 || segment >= 1 << params.segmentBits || generation < 1)
        {
            throw new IllegalArgumentException("segment " + segment + " generation " + generation);
        }
        final Path file = directory.resolve(SegmentDescriptor.fileName(segment, generation));
        final Path prepared = file.resolveSibling(file.getFileName() + SegmentDescriptor.PREPARED_SUFFIX);
        final long length = SegmentDescriptor.fileLength(params.headerLength, params.slotLength, groupCount);
        Files.deleteIfExists(prepared);
        try
        {
            allocate(prepared, length, allocate);
        }
        catch (final IOException | RuntimeException ex)
        {
            // a full disk, say: the blocks allocated so far are given back at once
            try
            {
                Files.deleteIfExists(prepared);
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
        try (FileChannel channel = FileChannel.open(prepared, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            if (channel.size() != length)
            {
                throw new IOException(prepared + " has " + channel.size() + " bytes, expected " + length);
            }
            SegmentHeader.write(channel, params, segment, generation, groupCount, sourceGeneration, sourceGroupCount);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(prepared);
            throw ex;
        }
        return prepared;
    }

    /** Create {@code prepared} with {@code length} bytes: allocated ({@code fallocate}, else zeros) or sparse. */
    private static void allocate(final Path prepared, final long length, final boolean allocate) throws IOException
    {
        if (allocate && Fallocate.allocate(prepared, length))
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(
            prepared, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            if (allocate)
            {
                final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
                long position = 0;
                while (position < length)
                {
                    zeros.clear().limit((int)Math.min(zeros.capacity(), length - position));
                    position += channel.write(zeros, position);
                }
            }
            else
            {
                channel.write(ByteBuffer.allocate(1), length - 1);
            }
        }
    }

    /**
     * Second half of {@link #create}: force the prepared file (its blocks and its whole header, so that no name
     * ever reaches disk before the bytes it names), then rename it into place. The caller forces the directory
     * before the file is used.
     *
     * @return the segment file's name.
     */
    static Path publish(final Path prepared) throws IOException
    {
        final String name = prepared.getFileName().toString();
        if (!name.endsWith(SegmentDescriptor.PREPARED_SUFFIX))
        {
            throw new IllegalArgumentException("not a prepared segment file: " + prepared);
        }
        try (FileChannel channel = FileChannel.open(prepared, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            channel.force(true);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(prepared);
            throw ex;
        }
        final Path file = prepared.resolveSibling(
            name.substring(0, name.length() - SegmentDescriptor.PREPARED_SUFFIX.length()));
        Files.move(prepared, file, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /**
     * Open and validate an existing segment file, then map it.
     */
    static SegmentTable open(
        final Path file,
        final SegmentParams params,
        final int segment,
        final long generation,
        final boolean readOnly) throws IOException
    {
        return open(file, params, segment, generation, readOnly, false);
    }

    /**
     * @param lenient whether mutable header counters out of range are accepted (a salvaging open, which recomputes
     *                them: {@link SegmentTable#repairCounters}).
     */
    static SegmentTable open(
        final Path file,
        final SegmentParams params,
        final int segment,
        final long generation,
        final boolean readOnly,
        final boolean lenient) throws IOException
    {
        final Object fileKey = Storage.requireRegularFile(file);
        final FileChannel channel;
        try
        {
            channel = readOnly ? FileChannel.open(file, StandardOpenOption.READ) :
                FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final NoSuchFileException ex)
        {
            throw new NotAStoreException("segment file not found: " + file, ex);
        }
        try
        {
            final SegmentHeader header = SegmentHeader.read(file, channel, params, segment, generation, lenient);
            return new SegmentTable(file, fileKey, channel, readOnly, params, segment, header);
        }
        catch (final IOException | RuntimeException ex)
        {
            try
            {
                channel.close();
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /**
     * Open segment {@code s}'s current file and, if the manifest names one, its rehash source, each checked against
     * the manifest's entry (generation, group counts and, if {@code checkSources}, the current file's source)
     * before anything is written.
     *
     * @throws CorruptStoreException if a file disagrees with the entry; both files are closed then.
     */
    static Segment openSegment(final Path directory, final Manifest manifest, final int s, final boolean checkSources)
        throws IOException
    {
        return openSegment(directory, manifest, s, checkSources, false);
    }

    /** @param lenient whether mutable header counters out of range are accepted (salvage). */
    static Segment openSegment(final Path directory, final Manifest manifest, final int s, final boolean checkSources,
        final boolean lenient) throws IOException
    {
        final SegmentParams params = manifest.params;
        final long generation = manifest.currentGeneration(s);
        final SegmentTable current = open(directory.resolve(SegmentDescriptor.fileName(s, generation)), params, s,
            generation, false, lenient);
        final long sourceGeneration = manifest.sourceGeneration(s);
        SegmentTable source = null;
        try
        {
            if (current.groupCount != manifest.currentGroupCount(s) || checkSources &&
                (current.sourceGeneration() != sourceGeneration ||
                current.sourceGroupCount() != manifest.sourceGroupCount(s)))
            {
                throw new CorruptStoreException(current.file.getFileName() + " has " + current.groupCount +
                    " groups and source generation " + current.sourceGeneration() + " of " +
                    current.sourceGroupCount() + " groups; the manifest says " + manifest.currentGroupCount(s) +
                    " groups and source " + sourceGeneration + " of " + manifest.sourceGroupCount(s));
            }
            source = 0 == sourceGeneration ? null : open(
                directory.resolve(SegmentDescriptor.fileName(s, sourceGeneration)), params, s, sourceGeneration, false,
                lenient);
            if (null != source && source.groupCount != manifest.sourceGroupCount(s))
            {
                throw new CorruptStoreException(source.file.getFileName() + " has " + source.groupCount +
                    " groups, the manifest says " + manifest.sourceGroupCount(s));
            }
            return new Segment(s, current, source);
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
}
