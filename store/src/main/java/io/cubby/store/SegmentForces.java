package io.cubby.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Which segments' files changed since they were last forced, and forcing those (FORMAT-v2.md 8.5, checkpoint
 * step 3): every change to a segment moves its sequence word (3.2), so a segment whose sequence still equals the
 * one read before its last force has nothing to force. Used by one thread at a time (checkpoint, close).
 */
final class SegmentForces
{
    private static final long NEVER_FORCED = -1;

    private final Manifest manifest;
    private final Path directory;
    /** Per segment, its sequence word when its files were last forced (read before the force), or NEVER_FORCED. */
    private final long[] forcedSequence;
    private long filesForced;

    SegmentForces(final Manifest manifest, final Path directory, final int segments)
    {
        this.manifest = manifest;
        this.directory = directory;
        this.forcedSequence = new long[segments];
        Arrays.fill(forcedSequence, NEVER_FORCED);
    }

    /** Record that every segment's files are forced as they are now (a new store, a clean reopen). */
    void allForced()
    {
        for (int s = 0; s < forcedSequence.length; s++)
        {
            forcedSequence[s] = manifest.readSequence(s);
        }
    }

    /**
     * Force the files of every segment changed since its files were last forced, then, if any was, the manifest
     * and the directory; a segment not changed costs one sequence read. A file deleted meanwhile is skipped: a
     * rehash end forced its target before deleting it. Writers may go on meanwhile (their changes move the
     * sequence again, so the next call forces them).
     *
     * @return the segment files forced.
     */
    int forceChanged(final Segment[] segments) throws IOException
    {
        int forcedNow = 0;
        for (int s = 0; s < segments.length; s++)
        {
            final long sequence = manifest.readSequence(s);
            if (sequence == forcedSequence[s])
            {
                continue;
            }
            // read after the sequence: the files of every change completed before it
            final SegmentTable current = segments[s].current();
            final SegmentTable source = segments[s].source();
            forcedNow += force(current.file);
            if (null != source)
            {
                forcedNow += force(source.file);
            }
            forcedSequence[s] = sequence;
        }
        if (forcedNow > 0)
        {
            manifest.force();
            Storage.syncDirectory(directory);
        }
        filesForced += forcedNow;
        return forcedNow;
    }

    private static int force(final Path file) throws IOException
    {
        Storage.requireRegularFile(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            channel.force(false);
            return 1;
        }
        catch (final NoSuchFileException ex)
        {
            return 0; // a retired rehash source, deleted since it was read
        }
    }

    /** Segment files forced since the set was opened (tests). */
    long filesForced()
    {
        return filesForced;
    }
}
