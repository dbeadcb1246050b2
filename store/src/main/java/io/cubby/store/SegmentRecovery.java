package io.cubby.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.DirectBuffer;

/**
 * Recovery of a version-2 store (FORMAT-v2.md section 8.5): its own path, not the write path.
 * <p>
 * {@link #recover} first validates everything read-only ({@link SegmentOpenPlan}: the files' roles, the slots,
 * the log), so that a refused recovery changes no byte; then it removes the leftovers of an interrupted rehash,
 * opens the set, repairs the segments ({@link #repair}: torn in-place updates rolled back, damaged slots the log
 * accounts for emptied, lost overflow bits set again, second copies of a migrating key dropped from the source,
 * counts recounted) and replays the log into them.
 * <p>
 * The replay applies each PUT and REMOVE to its key's segment with the table primitives inside the segment's
 * sequence bracket; nothing is logged and nothing migrates, except where a PUT of a new key meets a segment at Max
 * Load: that segment then grows (FORMAT-v2.md section 9) and its rehash runs to completion before the PUT is
 * applied ({@link #grow}). Replaying a record twice gives the same state, so the live records are replayed whole
 * from Start Offset, and a recovery interrupted anywhere is repeated by the next open. Structural records are
 * counted, not applied: the segment files' headers, resolved by the open, are the truth about generations and
 * rehashes.
 * <p>
 * Runs single-threaded before the set is shared with writers or readers (so a retired source is unmapped at once).
 */
final class SegmentRecovery implements SegmentLogReader.Visitor
{
    /** What a recovery did. */
    static final class Report
    {
        SegmentLogReader.Result log;
        long puts;
        long removes;
        /** REMOVE records whose key was absent. */
        long absentRemoves;
        long structural;
        /** Rehashes run to make room for a replayed PUT. */
        long grown;
        /** Torn in-place updates rolled back from the undo image. */
        long rolledBack;
        /** Damaged slots emptied because the log holds their key's records (the replay rewrote the key). */
        long restoredFromLog;
        /** Damaged slots the log could not restore, dropped by salvage (each listed in {@link #problems}). */
        long dropped;
        /** Intact slots whose lost overflow bits were set again. */
        long probePathsRepaired;
        /** Source copies of keys already in the current file (a crash inside a migration step or a put). */
        long sourceCopiesDropped;
        /** Leftover files deleted and rehash ends finished. */
        long filesDeleted;
        long rehashEndsFinished;
        /** Rehashes whose migration cursor was moved back over source entries a power loss kept. */
        long migrationsResumed;
        /** Segment files whose mutable header counters were out of range and were recomputed (salvage). */
        long countersRepaired;
        final java.util.List<String> problems = new java.util.ArrayList<>();
        /** Whether the open planned from the manifest after a clean close (no segment header read twice). */
        boolean clean;
        /** Whether every slot was scanned for damage (after a crash, a refuted clean mark, or salvage). */
        boolean scanned;
        /**
         * Segments whose slots were scanned and repaired as after a crash: all of them when {@link #scanned}, only
         * those a killed writer was changing when the page cache was known to hold its changes, none after a
         * clean close.
         */
        int segmentsScanned;
        /** Where the open's time went (diagnostics: the reopen benchmark prints it). */
        final PhaseTimes phases;

        Report(final PhaseTimes phases)
        {
            this.phases = phases;
        }

        @Override
        public String toString()
        {
            return (clean ? "clean, " : "") + (scanned ? "slots scanned, " : segmentsScanned + " segments scanned, ") + puts + " puts, " + removes + " removes (" + absentRemoves + " of absent keys), " + structural +
                " structural records, " + grown + " segments grown, " + rolledBack + " updates rolled back, " +
                restoredFromLog + " damaged slots restored from the log, " + dropped + " dropped, " +
                probePathsRepaired + " probe paths repaired, " + sourceCopiesDropped + " source copies dropped, " +
                filesDeleted + " leftover files deleted, " + rehashEndsFinished + " rehash ends finished, " +
                migrationsResumed + " migrations resumed earlier, " + countersRepaired +
                " headers' counters recomputed" +
                (problems.isEmpty() ? "" : " " + problems) + "; log: " + log;
        }
    }

    static final int PHASE_PLAN = 0;
    static final int PHASE_PUBLISH = 1;
    static final int PHASE_SET_OPEN = 2;
    static final int PHASE_LEFTOVERS = 3;
    static final int PHASE_REPAIR = 4;
    static final int PHASE_REPLAY = 5;
    static final int PHASE_LOG_RESUME = 6;
    static final int PHASE_START = 7;
    static final int PHASE_CHECKPOINT = 8;
    private static final String[] PHASE_NAMES = {"plan", "publish", "set open", "leftovers", "repair", "replay",
        "log resume", "start", "checkpoint"};

    /** The phases' times of a report, in milliseconds. */
    static String phases(final Report report)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < PHASE_NAMES.length; i++)
        {
            text.append(i == 0 ? "" : ", ").append(PHASE_NAMES[i]).append(' ')
                .append(String.format("%.2f", report.phases.sumNs(i) / 1e6));
        }
        return text.append(" ms").toString();
    }

    /** A recovered set, open and ready for writers, and what recovery did. */
    static final class Recovered
    {
        final SegmentSet set;
        final Report report;

        Recovered(final SegmentSet set, final Report report)
        {
            this.set = set;
            this.report = report;
        }
    }

    private final SegmentSet set;
    private final long now;
    private final boolean allocate;
    private final SegmentLookup lookup = new SegmentLookup();
    private final Report report;

    private SegmentRecovery(final SegmentSet set, final long now, final boolean allocate)
    {
        this(set, now, allocate, new PhaseTimes(PHASE_NAMES));
    }

    private SegmentRecovery(final SegmentSet set, final long now, final boolean allocate, final PhaseTimes phases)
    {
        this.set = set;
        this.now = now;
        this.allocate = allocate;
        this.report = new Report(phases);
    }

    /**
     * Recover and open a version-2 store after any shutdown, clean or not.
     *
     * @param now      the Written At given to the entries written (expiry stores), epoch ms.
     * @param salvage  whether to keep going past a log damaged in the middle (keeping the records before it) and
     *                 past damaged slots the log cannot restore (dropping them, counted and listed).
     * @param allocate whether segment files created by growth get all their blocks (false: sparse, for tests).
     * @throws CorruptStoreException if a check fails; nothing has been changed then.
     */
    static Recovered recover(final Path directory, final Path logFile, final int migrationStep, final long now,
        final boolean salvage, final boolean allocate) throws IOException
    {
        return recover(directory, logFile, migrationStep, now, salvage, allocate, false);
    }

    /**
     * @param background whether the set, once recovered, prepares rehash targets on background threads (a
     *                   store's own open); recovery itself grows on the calling thread either way, and no write
     *                   asks for a file before it returns.
     */
    static Recovered recover(final Path directory, final Path logFile, final int migrationStep, final long now,
        final boolean salvage, final boolean allocate, final boolean background) throws IOException
    {
        final PhaseTimes phases = new PhaseTimes(PHASE_NAMES);
        long t = System.nanoTime();
        final SegmentOpenPlan plan = SegmentOpenPlan.validate(directory, logFile, salvage);
        t = phases.mark(PHASE_PLAN, t);
        publish(directory, plan);
        t = phases.mark(PHASE_PUBLISH, t);
        final SegmentSet set = SegmentSet.open(directory, migrationStep, allocate, background,
            plan.sourcesToClear.isEmpty(), plan.clean, salvage);
        t = phases.mark(PHASE_SET_OPEN, t);
        CrashPoints.Hook.reached("v2.recover.set-opened");
        try
        {
            final SegmentRecovery recovery = new SegmentRecovery(set, now, allocate, phases);
            recovery.report.clean = plan.clean;
            recovery.report.scanned = plan.scanned;
            for (final boolean scanned : plan.scanMask)
            {
                recovery.report.segmentsScanned += scanned ? 1 : 0;
            }
            for (final int s : plan.sourcesToClear)
            {
                set.segment(s).current().clearSource();
                recovery.report.rehashEndsFinished++;
                CrashPoints.Hook.reached("v2.recover.rehash-end-finished");
            }
            for (final Path file : plan.deletions)
            {
                Files.deleteIfExists(file);
                recovery.report.filesDeleted++;
            }
            if (!plan.deletions.isEmpty())
            {
                Storage.syncDirectory(directory);
                CrashPoints.Hook.reached("v2.recover.leftovers-deleted");
            }
            t = phases.mark(PHASE_LEFTOVERS, t);
            recovery.repair(plan.damage, salvage, plan.scanMask);
            t = phases.mark(PHASE_REPAIR, t);
            recovery.apply(logFile);
            // every segment a dead writer left inside its bracket is repaired: readers may validate against it again
            set.manifest.releaseHeldSequences();
            phases.mark(PHASE_REPLAY, t);
            if (set.markedOpen())
            {
                set.publishWriterIdentity(); // consistent now: a kill from here on needs no scan of the others
            }
            return new Recovered(set, recovery.report);
        }
        catch (final IOException | RuntimeException ex)
        {
            try
            {
                // marked open, never closed cleanly, so that the next open repeats this recovery and scans the
                // slots again; held sequence words stay odd
                set.closeAfterFailedRecovery();
            }
            catch (final RuntimeException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    /**
     * FORMAT-v2.md 8.5 step 2: rewrite the manifest entries that disagree with the files' headers, inside each
     * segment's bracket, forced before the set opens on them.
     */
    private static void publish(final Path directory, final SegmentOpenPlan plan) throws IOException
    {
        boolean any = false;
        for (final long[] entry : plan.entries)
        {
            any |= null != entry;
        }
        if (!any)
        {
            return;
        }
        try (Manifest manifest = Manifest.open(directory, false))
        {
            for (int s = 0; s < plan.entries.length; s++)
            {
                final long[] entry = plan.entries[s];
                if (null != entry)
                {
                    manifest.beginWrite(s);
                    manifest.publish(s, entry[0], entry[1], entry[2], entry[3]);
                    manifest.endWrite(s);
                }
            }
            manifest.force();
        }
        CrashPoints.Hook.reached("v2.recover.manifest-rewritten");
    }

    /**
     * Repair and replay into a set already open (its files resolved): validated first (slots and log), so that a
     * refusal changes nothing, then applied.
     *
     * @param now      the Written At given to the entries written (expiry stores), epoch ms.
     * @param allocate whether a segment file created by growth gets all its blocks (false: sparse, for tests).
     */
    static Report replay(final Path logFile, final SegmentSet set, final long now, final boolean salvage,
        final boolean allocate) throws IOException
    {
        final SegmentTable[][] tables = new SegmentTable[set.segmentCount()][];
        for (int s = 0; s < tables.length; s++)
        {
            tables[s] = new SegmentTable[] {set.segment(s).current(), set.segment(s).source()};
        }
        final SegmentDamage damage = SegmentDamage.scan(set.params, tables);
        final SegmentLogReader.Result check = SegmentLogReader.read(logFile, set.params, damage);
        if (SegmentLogReader.Stop.DAMAGED_MIDDLE == check.stop && !salvage)
        {
            throw new CorruptStoreException(logFile.getFileName() + ": " + check.reason +
                ", before later valid records; refusing to drop logged operations (salvage keeps those before it)");
        }
        SegmentOpenPlan.refuseUnlogged(damage, salvage);
        final SegmentRecovery recovery = new SegmentRecovery(set, now, allocate);
        final boolean[] all = new boolean[set.segmentCount()];
        java.util.Arrays.fill(all, true);
        recovery.repair(damage, salvage, all);
        recovery.apply(logFile);
        return recovery.report;
    }

    private void apply(final Path logFile) throws IOException
    {
        try
        {
            report.log = SegmentLogReader.read(logFile, set.params, this);
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause();
        }
        CrashPoints.Hook.reached("v2.recover.replayed");
    }

    /**
     * FORMAT-v2.md 8.5 step 3, per segment and before the replay: roll back torn in-place updates, empty the
     * damaged slots (those the log accounts for; with salvage the others too, counted as dropped), set lost
     * overflow bits again, drop the source copy of a key the current file also holds (a crash between the two
     * halves of a migration step or of a put into a migrating segment: the current copy is the newer), move the
     * migration cursor back to the first source entry left below it (a power loss that kept a source entry whose
     * migration or removal did not persist: migrated again rather than deleted with the source), and recount
     * Entry Count.
     *
     * @param crashed per segment, whether it may have been left inside an operation (the store was not closed
     *                cleanly, or is salvaged; after a kill under the running kernel, only the segments whose
     *                sequence word was odd): only then can a copy be left in both files or a count be off, and
     *                only then are its files read whole for it; a clean close completed every operation and forced
     *                every file, so a clean reopen does not scan the slots.
     */
    private void repair(final SegmentDamage damage, final boolean salvage, final boolean[] crashed)
    {
        boolean anyCrashed = false;
        for (final boolean c : crashed)
        {
            anyCrashed |= c;
        }
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final Segment segment = set.segment(s);
            if (!segment.current().undoPending() && (null == segment.source() || !segment.source().undoPending()))
            {
                continue; // nothing to roll back: the segment is not written, its sequence does not move
            }
            set.markOpenBeforeChange();
            set.manifest.beginWrite(s);
            try
            {
                report.rolledBack += segment.current().rollBackTornUpdate() ? 1 : 0;
                if (null != segment.source())
                {
                    report.rolledBack += segment.source().rollBackTornUpdate() ? 1 : 0;
                }
            }
            finally
            {
                set.manifest.endWrite(s);
            }
        }
        if (!damage.damaged.isEmpty() || !damage.unreachable.isEmpty() || anyCrashed)
        {
            set.markOpenBeforeChange();
        }
        for (final SegmentDamage.Slot slot : damage.damaged)
        {
            if (!slot.logged && !salvage)
            {
                throw new IllegalStateException("unlogged damage reached the repair: " + slot);
            }
            final SegmentTable table = table(slot.segment, slot.generation);
            set.manifest.beginWrite(slot.segment);
            try
            {
                table.clearDamaged(slot.slot);
            }
            finally
            {
                set.manifest.endWrite(slot.segment);
            }
            if (slot.logged)
            {
                report.restoredFromLog++;
            }
            else
            {
                report.dropped++;
                report.problems.add(slot.toString() + ": dropped");
            }
        }
        for (final SegmentDamage.Unreachable unreachable : damage.unreachable)
        {
            set.manifest.beginWrite(unreachable.segment);
            try
            {
                table(unreachable.segment, unreachable.generation).tags.repairProbePath(unreachable.hash,
                    unreachable.slot);
            }
            finally
            {
                set.manifest.endWrite(unreachable.segment);
            }
            report.probePathsRepaired++;
        }
        if (!anyCrashed)
        {
            CrashPoints.Hook.reached("v2.recover.repaired");
            return;
        }
        final org.agrona.concurrent.UnsafeBuffer key =
            new org.agrona.concurrent.UnsafeBuffer(new byte[set.params.maxKeyLength]);
        for (int s = 0; s < set.segmentCount(); s++)
        {
            if (!crashed[s])
            {
                continue;
            }
            final Segment segment = set.segment(s);
            set.manifest.beginWrite(s);
            try
            {
                final SegmentTable source = segment.source();
                // a salvaging open accepted counters out of range: rewritten before the recount below
                report.countersRepaired += segment.current().repairCounters() ? 1 : 0;
                if (null != source)
                {
                    report.countersRepaired += source.repairCounters() ? 1 : 0;
                    report.sourceCopiesDropped += dropSourceCopies(segment.current(), source, key);
                    source.recount();
                    final int first = source.tags.nextFull(0);
                    if (first != SegmentTable.NOT_FOUND && first / SegmentDescriptor.GROUP_SLOTS < segment.cursor())
                    {
                        // a power loss kept source entries whose migration (or removal) did not reach the disk
                        segment.resumeMigrationFrom(first / SegmentDescriptor.GROUP_SLOTS);
                        report.migrationsResumed++;
                    }
                }
                segment.current().recount();
            }
            finally
            {
                set.manifest.endWrite(s);
            }
        }
        CrashPoints.Hook.reached("v2.recover.repaired");
    }

    private static long dropSourceCopies(final SegmentTable current, final SegmentTable source,
        final org.agrona.concurrent.UnsafeBuffer key)
    {
        long dropped = 0;
        for (int slot = source.tags.nextFull(0); slot != SegmentTable.NOT_FOUND; slot = source.tags.nextFull(slot + 1))
        {
            final int keyLength = source.keyLength(slot);
            if (keyLength < 0 || keyLength > source.params.maxKeyLength)
            {
                continue;
            }
            source.copyKey(slot, key, 0, keyLength);
            if (current.find(source.slotHash(slot, keyLength), key, 0, keyLength) != SegmentTable.NOT_FOUND)
            {
                source.clearDamaged(slot);
                dropped++;
            }
        }
        return dropped;
    }

    private SegmentTable table(final int s, final long generation)
    {
        final Segment segment = set.segment(s);
        if (segment.current().generation == generation)
        {
            return segment.current();
        }
        if (null != segment.source() && segment.source().generation == generation)
        {
            return segment.source();
        }
        throw new IllegalStateException("segment " + s + " has no file of generation " + generation);
    }

    @Override
    public void put(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength,
        final int valueOffset, final int valueLength, final long expiresAt)
    {
        set.markOpenBeforeChange();
        final long hash = set.hash(buffer, keyOffset, keyLength);
        final int s = set.segmentOf(hash);
        final Segment segment = set.segment(s);
        boolean found = segment.find(hash, buffer, keyOffset, keyLength, lookup);
        if (!found && !segment.hasRoomForInsert())
        {
            try
            {
                grow(s, segment);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("growing segment " + s + " for log sequence " + sequence, ex);
            }
            found = segment.find(hash, buffer, keyOffset, keyLength, lookup);
        }
        final SegmentTable current = segment.current();
        set.manifest.beginWrite(s);
        try
        {
            if (found && lookup.table == current)
            {
                current.update(lookup.slot, buffer, valueOffset, valueLength, expiresAt, now);
            }
            else
            {
                // written to the current file first, then the source copy cleared (as Segment.put orders it)
                current.insert(hash, buffer, keyOffset, keyLength, buffer, valueOffset, valueLength, expiresAt, now);
                if (found)
                {
                    lookup.table.remove(lookup.slot);
                }
            }
        }
        finally
        {
            set.manifest.endWrite(s);
        }
        report.puts++;
    }

    /**
     * Make room in a segment at Max Load (FORMAT-v2.md section 9 steps 2 to 6, run to completion): finish the
     * rehash in flight if there is one, create the next generation sized for Target Load naming the current file
     * as its source, publish both, migrate every source group, then end the rehash as the allocator does (force,
     * clear Source Generation, force the manifest, delete the source, force the directory). Each step leaves a
     * state that a later recovery resolves (a rehash in flight, or one whose end is completed from the headers),
     * after which the replay, idempotent, runs again.
     */
    private void grow(final int s, final Segment segment) throws IOException
    {
        if (segment.rehashing())
        {
            finishRehash(s, segment);
        }
        final SegmentTable current = segment.current();
        final SegmentTable target = SegmentFile.create(set.directory, set.params, s, current.generation + 1,
            SegmentGrowth.groupsFor(current.entryCount() + 1, current, set.manifest.targetLoadPpm), current.generation,
            current.groupCount, allocate);
        set.manifest.beginWrite(s);
        try
        {
            segment.beginRehash(target);
            set.manifest.publish(s, target.generation, target.groupCount, current.generation, current.groupCount);
        }
        finally
        {
            set.manifest.endWrite(s);
        }
        finishRehash(s, segment);
        report.grown++;
    }

    /** Migrate what is left of a segment's source and end its rehash (FORMAT-v2.md section 9 steps 5 and 6). */
    private void finishRehash(final int s, final Segment segment) throws IOException
    {
        final SegmentTable done;
        set.manifest.beginWrite(s);
        try
        {
            segment.migrate(Integer.MAX_VALUE);
            done = segment.detachSource();
            final SegmentTable current = segment.current();
            set.manifest.publish(s, current.generation, current.groupCount, 0, 0);
        }
        finally
        {
            set.manifest.endWrite(s);
        }
        endRehash(set.directory, segment.current(), done, set.manifest);
    }

    /**
     * The disk steps of a rehash end, in the order of FORMAT-v2.md section 9 step 6 (as
     * {@code SegmentAllocator.complete}; no reader can hold the source here, so it is unmapped at once).
     */
    static void endRehash(final Path directory, final SegmentTable current, final SegmentTable source,
        final Manifest manifest) throws IOException
    {
        current.force();
        current.clearSource();
        source.markRehashEnded();
        manifest.force();
        source.close();
        Files.deleteIfExists(source.file);
        Storage.syncDirectory(directory);
        source.unmap();
    }

    @Override
    public void remove(final long sequence, final DirectBuffer buffer, final int keyOffset, final int keyLength)
    {
        set.markOpenBeforeChange();
        final long hash = set.hash(buffer, keyOffset, keyLength);
        final int s = set.segmentOf(hash);
        report.removes++;
        if (!set.segment(s).find(hash, buffer, keyOffset, keyLength, lookup))
        {
            report.absentRemoves++;
            return;
        }
        set.manifest.beginWrite(s);
        try
        {
            // Segment.remove also clears a copy the source may keep of a key the current file holds (9 step 5)
            set.segment(s).remove(hash, buffer, keyOffset, keyLength, 0, lookup); // 0: nothing counts as expired
        }
        finally
        {
            set.manifest.endWrite(s);
        }
    }

    @Override
    public void rehashBegin(final long sequence, final int segment, final long targetGeneration,
        final long targetGroupCount, final long sourceGeneration)
    {
        report.structural++;
    }

    @Override
    public void rehashEnd(final long sequence, final int segment, final long targetGeneration,
        final long sourceGeneration)
    {
        report.structural++;
    }

    @Override
    public void checkpoint(final long sequence, final DirectBuffer buffer, final int entriesOffset,
        final int segmentCount)
    {
        report.structural++;
    }

    @Override
    public void upgradeBegin(final long sequence, final long version1Generation, final long version1Capacity)
    {
        report.structural++;
    }

    @Override
    public void upgradeEnd(final long sequence, final long version1Generation)
    {
        report.structural++;
    }
}
