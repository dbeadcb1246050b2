package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The read-only first half of a version-2 recovery (FORMAT-v2.md 8.5 steps 1 to 4): every check that can refuse
 * the store runs here, on files opened read-only, so that a refused recovery changes no byte. It resolves each
 * segment's files from the manifest and the files' own headers, finds the leftovers of an interrupted rehash,
 * scans the slots ({@link SegmentDamage}) and validates the log, matching its records against the damage. The
 * result is a plan that {@link SegmentRecovery#recover} applies.
 * <p>
 * Leftovers, per segment, given the manifest's current generation {@code g} (and its source, if any):
 * <ul>
 * <li>a file of a generation above {@code g} whose header names {@code g} (with its group count) as its source
 * and which holds no entry: a rehash target created but never published (§9 step 3); deleted.</li>
 * <li>the current file's header naming a source the manifest no longer names: a rehash whose end was published
 * but not finished (§9 step 6); the header's source is cleared, then that source file, which must hold no entry,
 * is deleted.</li>
 * <li>an older generation named by nobody, holding no entry: the source of an ended rehash not yet deleted;
 * deleted.</li>
 * <li>{@code seg-*.cubby.prep}: a file being allocated; deleted.</li>
 * </ul>
 * Any other file of the segment (a header that fails validation, a newer file naming another source, a leftover
 * that holds entries) has a role recovery cannot prove, and the store is refused: never delete what may be data.
 */
final class SegmentOpenPlan
{
    /** Files to delete, in order, once the recovery's checks have passed. */
    final List<Path> deletions = new ArrayList<>();
    /** Segments whose current file's Source Generation is to be cleared (a rehash end to finish). */
    final List<Integer> sourcesToClear = new ArrayList<>();
    SegmentDamage damage;
    SegmentLogReader.Result log;

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
        final SegmentOpenPlan plan = new SegmentOpenPlan();
        final List<SegmentTable> opened = new ArrayList<>();
        try (Manifest manifest = Manifest.open(directory, true))
        {
            final SegmentParams params = manifest.params;
            final int count = manifest.segmentCount;
            final SegmentTable[][] tables = new SegmentTable[count][];
            for (int s = 0; s < count; s++)
            {
                final long generation = manifest.currentGeneration(s);
                final SegmentTable current = open(directory, params, s, generation, opened);
                if (current.groupCount != manifest.currentGroupCount(s))
                {
                    throw new CorruptStoreException(current.file.getFileName() + " has " + current.groupCount +
                        " groups, the manifest says " + manifest.currentGroupCount(s));
                }
                final long sourceGeneration = manifest.sourceGeneration(s);
                final SegmentTable source = 0 == sourceGeneration ? null :
                    open(directory, params, s, sourceGeneration, opened);
                new Segment(s, current, source);
                tables[s] = new SegmentTable[] {current, source};
                if (null == source && 0 != current.sourceGeneration())
                {
                    plan.sourcesToClear.add(s);
                }
            }
            plan.findLeftovers(directory, params, manifest, tables, opened);
            plan.damage = SegmentDamage.scan(params, tables);
            plan.log = SegmentLogReader.read(logFile, params, plan.damage);
            if (SegmentLogReader.Stop.DAMAGED_MIDDLE == plan.log.stop && !salvage)
            {
                throw new CorruptStoreException(logFile.getFileName() + ": " + plan.log.reason +
                    ", before later valid records; refusing to drop logged operations (salvage keeps those " +
                    "before it)");
            }
            refuseUnlogged(plan.damage, salvage);
        }
        finally
        {
            for (final SegmentTable table : opened)
            {
                table.unmap();
            }
        }
        return plan;
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

    private void findLeftovers(final Path directory, final SegmentParams params, final Manifest manifest,
        final SegmentTable[][] tables, final List<SegmentTable> opened) throws IOException
    {
        final List<Path> files;
        try (Stream<Path> list = Files.list(directory))
        {
            files = list.sorted().toList();
        }
        for (final Path file : files)
        {
            final String name = file.getFileName().toString();
            if (name.startsWith(SegmentDescriptor.FILE_PREFIX) &&
                name.endsWith(SegmentDescriptor.FILE_SUFFIX + SegmentDescriptor.PREPARED_SUFFIX))
            {
                deletions.add(file);
                continue;
            }
            final long parsed = parse(name, manifest.segmentCount);
            if (parsed < 0)
            {
                continue;
            }
            final int s = (int)(parsed >>> 48);
            final long generation = parsed & ((1L << 48) - 1);
            final SegmentTable current = tables[s][0];
            final SegmentTable source = tables[s][1];
            if (generation == current.generation || (null != source && generation == source.generation))
            {
                continue;
            }
            if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            {
                throw new CorruptStoreException(name + " is not a regular file; refusing to guess its role");
            }
            final SegmentTable leftover;
            try
            {
                leftover = open(directory, params, s, generation, opened);
            }
            catch (final CubbyException ex)
            {
                throw new CorruptStoreException(name + " is not a valid segment file (" + ex.getMessage() +
                    "); refusing to guess its role", ex);
            }
            final boolean empty = leftover.nextFull(0) == SegmentTable.NOT_FOUND;
            final boolean unpublishedTarget = generation > current.generation &&
                leftover.sourceGeneration() == current.generation &&
                leftover.sourceGroupCount() == current.groupCount;
            final boolean formerSource = generation < current.generation &&
                (null == source || generation < source.generation);
            if (!empty || !(unpublishedTarget || formerSource))
            {
                throw new CorruptStoreException(name + (empty ? "" : " holds entries and") + " is neither segment " +
                    s + "'s current file (generation " + current.generation + ") nor its source" +
                    (unpublishedTarget || formerSource ? "" : " nor a leftover of its rehash") +
                    "; refusing to guess its role");
            }
            deletions.add(file);
        }
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

    private static SegmentTable open(final Path directory, final SegmentParams params, final int s,
        final long generation, final List<SegmentTable> opened) throws IOException
    {
        final SegmentTable table = SegmentFile.open(directory.resolve(SegmentDescriptor.fileName(s, generation)),
            params, s, generation, true);
        opened.add(table);
        return table;
    }
}
