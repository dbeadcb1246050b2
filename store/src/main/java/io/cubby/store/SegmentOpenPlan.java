package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.DirectoryStream;

/**
 * The read-only first half of a version-2 recovery (FORMAT-v2.md 8.5 steps 1 to 4): every check that can refuse
 * the store runs here, on files opened read-only, so that a refused recovery changes no byte. It resolves each
 * segment's files from the files' own headers (the manifest's entries are a published copy, rewritten from them),
 * finds the leftovers of an interrupted rehash, scans the slots ({@link SegmentDamage}) and validates the log,
 * matching its records against the damage. The result is a plan that {@link SegmentRecovery#recover} applies.
 * <p>
 * Per segment, among its files {@code seg-<s>-<g>.cubby} (every one must pass header validation):
 * <ul>
 * <li>the newest generation is the current file;</li>
 * <li>if its header names a source, that file must exist with the named group count: the segment is rehashing
 * from it (a rehash target created but not yet published resolves so too: a rehash that has just begun, §9 step
 * 3), unless the migration is complete (Migration Cursor = Source Group Count) and the source holds no entry: then
 * the rehash end is finished (the current header's source cleared, the source deleted, §9 step 6);</li>
 * <li>every older file is the source of a rehash that ended (whose end forced the target before clearing the
 * target's Source Generation): what it still holds is stale; deleted;</li>
 * <li>{@code seg-*.cubby.prep}: a file being allocated; deleted.</li>
 * </ul>
 * A segment without files, a header that fails validation, or a named source that is missing: the store is
 * refused, nothing deleted (never delete what may be data).
 */
final class SegmentOpenPlan
{
    /** Files to delete, once the recovery's checks have passed and the rehash ends are finished. */
    final List<Path> deletions = new ArrayList<>();
    /** Segments whose current file's Source Generation is to be cleared (a rehash end to finish). */
    final List<Integer> sourcesToClear = new ArrayList<>();
    /**
     * Per segment, the manifest entry resolved from the headers, {current generation, current groups, source
     * generation, source groups}; null where the manifest already says so.
     */
    long[][] entries;
    SegmentDamage damage;
    /** Whether every slot was scanned: after an unclean shutdown, or when salvaging. */
    boolean scanned;
    /**
     * Per segment, whether its slots were scanned and are to be repaired as after a crash: every segment after an
     * unclean shutdown or with salvage, only those whose sequence word is odd after a writer of this kernel boot
     * was killed (its {@link WriterIdentity} still recorded), none after a clean close.
     */
    boolean[] scanMask;
    /**
     * Whether the plan was made from the manifest after a clean close (no segment header read; the set's open
     * checks each file it maps against the manifest's entry).
     */
    boolean clean;
    SegmentLogReader.Result log;
    /** Whether mutable header counters out of range are accepted (salvage recomputes them). */
    private boolean lenient;

    private SegmentOpenPlan()
    {
    }

    /**
     * @throws CorruptStoreException if a file's role cannot be proved, the log is damaged in the middle (unless
     *                               {@code salvage}) or a damaged slot is not accounted for by the log (unless
     *                               {@code salvage}).
     */
    static SegmentOpenPlan validate(final Path directory, final Path logFile, final boolean salvage)
        throws IOException
    {
        try (Manifest manifest = Manifest.open(directory, true))
        {
            final boolean wasOpen = ManifestDescriptor.OPEN_STATE_CLOSED != manifest.openState();
            boolean crashed = wasOpen;
            if (!crashed && !salvage)
            {
                final SegmentOpenPlan plan = new SegmentOpenPlan();
                final List<List<Long>> generations = plan.listFiles(directory, manifest.segmentCount);
                if (plan.fromManifest(manifest, generations))
                {
                    plan.readLog(logFile, manifest.params, false);
                    return plan;
                }
                crashed = true; // the directory contradicts the clean mark: recover as after a crash
            }
            // After a crash (or a clean mark the directory contradicts, or salvage): the headers are the truth.
            final SegmentOpenPlan plan = new SegmentOpenPlan();
            plan.scanMask = scanMask(manifest, salvage || crashed, wasOpen && !salvage);
            plan.fromHeaders(directory, manifest, plan.listFiles(directory, manifest.segmentCount), logFile,
                salvage);
            return plan;
        }
    }

    /**
     * The plan of a clean reopen (FORMAT-v2.md 8.5 step 1, after a clean close): the manifest's entries, forced by
     * that close after every change and before its Open State 0, name each segment's files; the directory listing
     * must hold them. A named file missing is refused; unnamed older generations (sources of ended rehashes) and
     * {@code *.prep} files are deletions, as in the header-based plan.
     *
     * @return false if a segment has a file of a generation newer than its named current one: the clean mark is
     * not proof enough then, and the header-based plan decides.
     */
    private boolean fromManifest(final Manifest manifest, final List<List<Long>> generations)
    {
        final int count = manifest.segmentCount;
        entries = new long[count][];
        for (int s = 0; s < count; s++)
        {
            final List<Long> files = generations.get(s);
            final long current = manifest.currentGeneration(s);
            final long source = manifest.sourceGeneration(s);
            if (!files.contains(current) || (0 != source && !files.contains(source)))
            {
                throw new CorruptStoreException("segment " + s + ": the manifest names generation " +
                    (files.contains(current) ? source : current) + ", whose file is missing; refusing to open " +
                    "without its entries");
            }
            if (files.get(files.size() - 1) > current)
            {
                return false;
            }
        }
        for (int s = 0; s < count; s++)
        {
            final long current = manifest.currentGeneration(s);
            final long source = manifest.sourceGeneration(s);
            for (final long generation : generations.get(s))
            {
                if (generation != current && generation != source)
                {
                    deletions.add(manifest.file.resolveSibling(SegmentDescriptor.fileName(s, generation)));
                }
            }
        }
        clean = true;
        scanned = false;
        scanMask = new boolean[count];
        damage = SegmentDamage.none(manifest.params);
        return true;
    }

    /**
     * FORMAT-v2.md 8.5 step 2: which segments' slots to scan. After a writer was killed under the running kernel
     * ({@code killed}: the store was open, and the manifest still holds the identity of this boot and this file,
     * which every recovery clears before its first change and records again once done), the page cache holds
     * every change it made, whole up to its last bracket: only a segment whose sequence word is odd was being
     * changed. Otherwise (a power loss or OS crash: another boot; a copy of the files: another inode; no identity)
     * every segment, if {@code scan}.
     */
    private static boolean[] scanMask(final Manifest manifest, final boolean scan, final boolean killed)
    {
        final boolean[] mask = new boolean[manifest.segmentCount];
        if (!scan)
        {
            return mask;
        }
        final boolean sameKernel = killed &&
            WriterIdentity.same(manifest.writerIdentity(), WriterIdentity.of(manifest.file));
        for (int s = 0; s < mask.length; s++)
        {
            mask[s] = !sameKernel || (manifest.readSequence(s) & 1) != 0;
        }
        return mask;
    }

    private void readLog(final Path logFile, final SegmentParams params, final boolean salvage) throws IOException
    {
        log = SegmentLogReader.read(logFile, params, damage);
        if (SegmentLogReader.Stop.DAMAGED_MIDDLE == log.stop && !salvage)
        {
            throw new CorruptStoreException(logFile.getFileName() + ": " + log.reason +
                ", before later valid records; refusing to drop logged operations (salvage keeps those " +
                "before it)");
        }
        refuseUnlogged(damage, salvage);
    }

    /**
     * FORMAT-v2.md 8.5 steps 1 to 3 from the segment headers; {@code scan}: read every slot for damage. The log
     * is read while the files are mapped (its records are matched against the damaged slots).
     */
    private void fromHeaders(final Path directory, final Manifest manifest, final List<List<Long>> generations,
        final Path logFile, final boolean salvage) throws IOException
    {
        final SegmentOpenPlan plan = this;
        plan.lenient = salvage;
        final List<SegmentTable> opened = new ArrayList<>();
        try
        {
            final SegmentParams params = manifest.params;
            final int count = manifest.segmentCount;
            final SegmentTable[][] tables = new SegmentTable[count][];
            plan.entries = new long[count][];
            for (int s = 0; s < count; s++)
            {
                tables[s] = plan.resolve(directory, params, s, generations.get(s), opened);
                final SegmentTable current = tables[s][0];
                final SegmentTable source = tables[s][1];
                final long[] entry = {current.generation, current.groupCount,
                    null == source ? 0 : source.generation, null == source ? 0 : source.groupCount};
                if (entry[0] != manifest.currentGeneration(s) || entry[1] != manifest.currentGroupCount(s) ||
                    entry[2] != manifest.sourceGeneration(s) || entry[3] != manifest.sourceGroupCount(s))
                {
                    plan.entries[s] = entry;
                }
            }
            // A clean close forced every segment file before it wrote Open State 0 (forced): no slot can be torn,
            // and reopening does not read every slot; nor can one be after a kill, outside the segments a writer
            // was changing (scanMask).
            final SegmentTable[][] scanned = new SegmentTable[count][];
            boolean all = true;
            for (int s = 0; s < count; s++)
            {
                scanned[s] = plan.scanMask[s] ? tables[s] : new SegmentTable[0];
                all &= plan.scanMask[s];
            }
            plan.scanned = all;
            plan.damage = SegmentDamage.scan(params, scanned);
            plan.readLog(logFile, params, salvage);
        }
        finally
        {
            for (final SegmentTable table : opened)
            {
                table.unmap();
            }
        }
    }

    /**
     * Refuse damaged slots the log does not account for, unless salvaging (FORMAT-v2.md 8.4).
     */
    static void refuseUnlogged(final SegmentDamage damage, final boolean salvage)
    {
        final List<SegmentDamage.Slot> unlogged = damage.unlogged();
        if (!unlogged.isEmpty() && !salvage)
        {
            throw new CorruptStoreException(unlogged.size() + " damaged slots that the log cannot restore, first " +
                unlogged.subList(0, Math.min(5, unlogged.size())) + "; refusing to drop them (salvage drops them " +
                "and counts them)");
        }
    }

    /** Generations of each segment's files, ascending; {@code *.prep} files go to the deletions. */
    private List<List<Long>> listFiles(final Path directory, final int count) throws IOException
    {
        final List<List<Long>> generations = new ArrayList<>();
        for (int s = 0; s < count; s++)
        {
            generations.add(new ArrayList<>());
        }
        // a directory stream rather than Files.list: no stream pipeline on the open path (its first use in a fresh
        // JVM costs more than the listing); the generations are sorted below, per segment
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory))
        {
            for (final Path file : files)
            {
                classify(file, count, generations);
            }
        }
        for (final List<Long> list : generations)
        {
            list.sort(null);
        }
        return generations;
    }

    /** Sort one directory entry: a {@code *.prep} file to delete, a segment file's generation, or neither. */
    private void classify(final Path file, final int count, final List<List<Long>> generations)
    {
        final String name = file.getFileName().toString();
        if (name.startsWith(SegmentDescriptor.FILE_PREFIX) &&
            name.endsWith(SegmentDescriptor.FILE_SUFFIX + SegmentDescriptor.PREPARED_SUFFIX))
        {
            deletions.add(file);
            return;
        }
        final long parsed = parse(name, count);
        if (parsed >= 0)
        {
            if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            {
                throw new CorruptStoreException(name + " is not a regular file; refusing to guess its role");
            }
            generations.get((int)(parsed >>> 48)).add(parsed & ((1L << 48) - 1));
        }
    }

    /** @return {current, source or null} of segment {@code s}, its other files added to the deletions. */
    private SegmentTable[] resolve(final Path directory, final SegmentParams params, final int s,
        final List<Long> generations, final List<SegmentTable> opened) throws IOException
    {
        if (generations.isEmpty())
        {
            throw new CorruptStoreException("segment " + s + " has no file");
        }
        final SegmentTable current = open(directory, params, s, generations.get(generations.size() - 1), opened);
        SegmentTable source = null;
        final long sourceGeneration = current.sourceGeneration();
        if (0 != sourceGeneration)
        {
            if (!generations.contains(sourceGeneration))
            {
                throw new CorruptStoreException(current.file.getFileName() + " names source generation " +
                    sourceGeneration + ", which is missing; refusing to open without its entries");
            }
            source = open(directory, params, s, sourceGeneration, opened);
            new Segment(s, current, source);
            if (current.migrationCursor() == source.groupCount && empty(source))
            {
                sourcesToClear.add(s);
                deletions.add(source.file);
                source = null;
            }
        }
        for (final long generation : generations)
        {
            if (generation == current.generation || generation == sourceGeneration)
            {
                continue;
            }
            final SegmentTable other = open(directory, params, s, generation, opened);
            if (generation > current.generation)
            {
                throw new IllegalStateException("generations not sorted: " + generations);
            }
            // An older generation that nothing names is the source of a rehash that ended: its end forced the
            // target before clearing the target's Source Generation, so whatever the old file still holds (source
            // slots cleared in the mapping but never forced) is a stale copy.
            deletions.add(other.file);
        }
        return new SegmentTable[] {current, source};
    }

    private static boolean empty(final SegmentTable table)
    {
        return table.tags.nextFull(0) == SegmentTable.NOT_FOUND;
    }

    /**
     * @return {@code segment << 48 | generation} for a segment file name of this store, else -1.
     */
    static long parse(final String name, final int segmentCount)
    {
        final int segmentDigits = 4;
        final int generationDigits = 16;
        final String prefix = SegmentDescriptor.FILE_PREFIX;
        final String suffix = SegmentDescriptor.FILE_SUFFIX;
        if (name.length() != prefix.length() + segmentDigits + 1 + generationDigits + suffix.length() ||
            !name.startsWith(prefix) || !name.endsWith(suffix) || name.charAt(prefix.length() + segmentDigits) != '-')
        {
            return -1;
        }
        try
        {
            final int s = Integer.parseInt(name, prefix.length(), prefix.length() + segmentDigits, 16);
            final int g = prefix.length() + segmentDigits + 1;
            final long generation = Long.parseLong(name, g, g + generationDigits, 16);
            if (s < 0 || s >= segmentCount || generation < 1 || generation >= 1L << 48 ||
                !SegmentDescriptor.fileName(s, generation).equals(name))
            {
                return -1;
            }
            return (long)s << 48 | generation;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    private SegmentTable open(final Path directory, final SegmentParams params, final int s,
        final long generation, final List<SegmentTable> opened) throws IOException
    {
        final SegmentTable table = SegmentFile.open(directory.resolve(SegmentDescriptor.fileName(s, generation)),
            params, s, generation, true, lenient);
        opened.add(table);
        return table;
    }
}
