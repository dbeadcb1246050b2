package io.cubby.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reports of a format-version-2 store in version 1's public shapes: {@link CubbyStats} (the fields with a
 * version-2 meaning), {@link VerifyReport} from {@link SegmentVerifier}, {@link RecoveryReport} from
 * {@link SegmentRecovery.Report}, and {@link StoreInfo} from the manifest and the segment file headers for
 * {@link Cubby#inspect}.
 */
final class SegmentReports
{
    private SegmentReports()
    {
    }

    /**
     * Each segment read under its lock, so its files and counts belong together.
     *
     * @param counters the reads' hits and misses, or null if not recorded (then reported as -1).
     */
    static CubbyStats stats(final SegmentStore store, final Counters counters)
    {
        final SegmentSet set = store.segments();
        if (store.isClosed())
        {
            throw new StoreClosedException(set.directory + " is closed");
        }
        final Totals totals = new Totals();
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final ReentrantLock lock = set.lockOf(s);
            lock.lock();
            try
            {
                final Segment segment = set.segment(s);
                totals.add(segment, segment.current().entryCount(),
                    null == segment.source() ? 0 : segment.source().entryCount(), segment.cursor());
            }
            finally
            {
                lock.unlock();
            }
        }
        final long[] log = store.logUsage();
        return totals.stats(set.params, log[0], log[1], store.durability(), counters);
    }

    /** What {@link CubbyStats} sums over the segments, each added as of one instant. */
    static final class Totals
    {
        private long entries;
        private long currentEntries;
        private long capacity;
        private long generation;
        private boolean rehashing;
        private long migrated;
        private long sourceCapacity;
        private long fileBytes;

        /**
         * @param currentCount the current file's Entry Count; {@code sourceCount} the source's (0 without one).
         * @param cursor       the Migration Cursor, in source groups.
         */
        void add(final Segment segment, final long currentCount, final long sourceCount, final long cursor)
        {
            final SegmentTable current = segment.current();
            currentEntries += currentCount;
            entries += currentCount + sourceCount;
            capacity += current.groupCount * SegmentDescriptor.GROUP_SLOTS;
            generation = Math.max(generation, current.generation);
            fileBytes += current.fileLength();
            final SegmentTable source = segment.source();
            if (null != source)
            {
                rehashing = true;
                migrated += Math.max(0, Math.min(source.groupCount, cursor)) * SegmentDescriptor.GROUP_SLOTS;
                sourceCapacity += source.groupCount * SegmentDescriptor.GROUP_SLOTS;
                fileBytes += source.fileLength();
            }
        }

        /** @param counters the reads' hits and misses, or null if not recorded (then reported as -1). */
        CubbyStats stats(final SegmentParams params, final long logUsed, final long logCapacity,
            final Durability durability, final Counters counters)
        {
            return new CubbyStats(entries, capacity, 0, params.maxLoadPpm / 1_000_000.0, params.slotLength,
                generation, rehashing, migrated, sourceCapacity, fileBytes, logUsed, logCapacity, 0, null,
                durability, currentEntries, null == counters ? -1 : counters.hits.sum(),
                null == counters ? -1 : counters.misses.sum(), null == counters ? -1 : counters.evictions.sum(),
                null == counters ? -1 : counters.expired.sum());
        }
    }

    /** Verify every segment under its lock (writers of that segment wait). */
    static VerifyReport verify(final SegmentStore store)
    {
        final SegmentSet set = store.segments();
        final List<String> problems = new ArrayList<>();
        long entries = 0;
        long slots = 0;
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final ReentrantLock lock = set.lockOf(s);
            lock.lock();
            try
            {
                if (store.isClosed())
                {
                    throw new StoreClosedException(set.directory + " is closed");
                }
                final Segment segment = set.segment(s);
                problems.addAll(SegmentVerifier.verify(segment));
                entries += countFull(segment.current());
                slots += segment.current().groupCount * SegmentDescriptor.GROUP_SLOTS;
                if (null != segment.source())
                {
                    // its live entries: a slot whose key the current file holds is a dead copy (FORMAT-v2 9 step 5),
                    // and the verifier has checked that Entry Count counts the others
                    entries += segment.source().entryCount();
                    slots += segment.source().groupCount * SegmentDescriptor.GROUP_SLOTS;
                }
            }
            finally
            {
                lock.unlock();
            }
        }
        final long problemCount = problems.size();
        final List<String> listed = problems.size() > VerifyReport.MAX_LISTED_PROBLEMS ?
            problems.subList(0, VerifyReport.MAX_LISTED_PROBLEMS) : problems;
        return new VerifyReport(listed, problemCount, entries, 0, slots, new long[0], new double[0], 0, 0);
    }

    static long countFull(final SegmentTable table)
    {
        long count = 0;
        for (int slot = table.tags.nextFull(0); slot != SegmentTable.NOT_FOUND; slot = table.tags.nextFull(slot + 1))
        {
            count++;
        }
        return count;
    }

    /**
     * @param report what the open's replay did, or null for a created store.
     * @param cleanShutdown whether the manifest was marked closed before the open.
     */
    static RecoveryReport recoveryReport(final SegmentRecovery.Report report, final boolean cleanShutdown,
        final long durationMillis)
    {
        if (null == report)
        {
            return new RecoveryReport(true, 0, 0, null, 0, 0, 0, 0, 0, false, 0, List.of(), durationMillis);
        }
        final List<String> notes = new ArrayList<>();
        note(notes, report.structural, "structural log records replayed");
        note(notes, report.grown, "segments grown to make room for replayed puts");
        note(notes, report.probePathsRepaired, "probe paths repaired");
        note(notes, report.filesDeleted, "leftover files deleted");
        note(notes, report.rehashEndsFinished, "rehash ends finished");
        note(notes, report.countersRepaired, "segment files whose header counters were out of range, recomputed");
        note(notes, report.absentRemoves, "removals of absent keys replayed");
        notes.addAll(report.problems);
        final SegmentLogReader.Result log = report.log;
        final boolean damaged = null != log && log.stop != SegmentLogReader.Stop.END;
        return new RecoveryReport(cleanShutdown, null == log ? 0 : narrow(log.records),
            narrow(report.puts + report.removes), damaged ? log.stop + ": " + log.reason : null, 0,
            narrow(report.rolledBack), narrow(report.restoredFromLog), narrow(report.dropped),
            narrow(report.sourceCopiesDropped), report.migrationsResumed > 0, 0, List.of(), durationMillis, notes);
    }

    private static void note(final List<String> notes, final long count, final String what)
    {
        if (count > 0)
        {
            notes.add(count + " " + what);
        }
    }

    private static int narrow(final long count)
    {
        return (int)Math.min(Integer.MAX_VALUE, count);
    }

    /**
     * Describe a version-2 store from its manifest and segment file headers, read-only and without its lock.
     * Every field is validated by {@link Manifest#open} and {@link SegmentHeader#read}; entry counts read from the
     * headers are checked against the files' slots.
     */
    static StoreInfo inspect(final Path directory)
    {
        if (!Files.isDirectory(directory))
        {
            throw new NotAStoreException("no Cubby store at " + directory + " (not a directory)");
        }
        final boolean live = StoreLock.isLockedElsewhere(directory);
        try (Manifest manifest = Manifest.open(directory, true))
        {
            final SegmentParams params = manifest.params;
            long entries = 0;
            long capacity = 0;
            int rehashing = 0;
            int files = 0;
            long fileBytes = 0;
            for (int s = 0; s < manifest.segmentCount; s++)
            {
                final long currentGroups = manifest.currentGroupCount(s);
                capacity += currentGroups * SegmentDescriptor.GROUP_SLOTS;
                entries += segmentEntries(directory, params, s, manifest.currentGeneration(s), currentGroups);
                files++;
                fileBytes += Files.size(directory.resolve(SegmentDescriptor.fileName(s,
                    manifest.currentGeneration(s))));
                final long source = manifest.sourceGeneration(s);
                if (0 != source)
                {
                    rehashing++;
                    files++;
                    entries += segmentEntries(directory, params, s, source, manifest.sourceGroupCount(s));
                    fileBytes += Files.size(directory.resolve(SegmentDescriptor.fileName(s, source)));
                }
            }
            final Path logFile = directory.resolve(SegmentStore.LOG_FILE);
            final String logProblem = Files.isRegularFile(logFile) ? null : SegmentStore.LOG_FILE + " is missing";
            return new StoreInfo(directory.toString(), live, new StoreInfo.SegmentsInfo(manifest.segmentCount,
                params.maxKeyLength, params.maxValueLength, params.seed, params.maxLoadPpm / 1_000_000.0,
                params.expiry, manifest.writeVersion, manifest.openState() == ManifestDescriptor.OPEN_STATE_CLOSED, entries,
                capacity, rehashing, files, fileBytes), logProblem);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot read " + directory + ": " + ex, ex);
        }
    }

    private static long segmentEntries(final Path directory, final SegmentParams params, final int segment,
        final long generation, final long groups) throws IOException
    {
        final Path file = directory.resolve(SegmentDescriptor.fileName(segment, generation));
        Storage.requireRegularFile(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final SegmentHeader header = SegmentHeader.read(file, channel, params, segment, generation);
            if (header.groupCount != groups)
            {
                throw new CorruptStoreException(file.getFileName() + " has " + header.groupCount +
                    " groups, the manifest says " + groups);
            }
            final ByteBuffer count = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (count.hasRemaining())
            {
                if (channel.read(count, SegmentDescriptor.ENTRY_COUNT_OFFSET + count.position()) < 0)
                {
                    throw new CorruptStoreException(file.getFileName() + ": unexpected end of file");
                }
            }
            final long entries = count.getLong(0);
            final long slots = groups * SegmentDescriptor.GROUP_SLOTS;
            if (entries < 0 || entries > slots)
            {
                throw new CorruptStoreException(file.getFileName() + ": entry count " + entries + " outside 0.." +
                    slots);
            }
            return entries;
        }
    }
}
