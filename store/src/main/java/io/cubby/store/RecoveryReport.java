package io.cubby.store;

import java.util.List;

/**
 * What opening a store did to bring it to a consistent state. Available from {@link Cubby#recoveryReport()}.
 */
public final class RecoveryReport
{
    /** True when the store was closed cleanly and nothing had to be recovered. */
    public final boolean cleanShutdown;
    /** Log records found valid and read. */
    public final int logRecordsRead;
    /** PUT and REMOVE records applied again to the tables. */
    public final int operationsReplayed;
    /** Why reading the log stopped before its end, or null if it ended cleanly. */
    public final String logTailProblem;
    /** Bytes of damaged or torn log tail discarded. */
    public final long logBytesDiscarded;
    /** Torn in-place updates rolled back from a table's undo area. */
    public final int tornUpdatesRolledBack;
    /** Slots failing their checksum that were dropped because the log restored their key. */
    public final int corruptSlotsRestoredFromLog;
    /** Slots failing their checksum that were dropped without a log record (only in salvage mode). */
    public final int corruptSlotsDropped;
    /** Entries found in both the old and the new table of a rehash and de-duplicated. */
    public final int duplicatesResolved;
    /** True when an unfinished rehash was found and resumed. */
    public final boolean rehashResumed;
    /** Migration cursor the resumed rehash continues from. */
    public final long rehashResumedAt;
    /** Leftover files deleted: unfinished new tables, finished old tables, temporary files. */
    public final List<String> filesDeleted;
    /** Wall time of recovery in milliseconds. */
    public final long durationMillis;
    /**
     * What recovery decided beyond the counts above, one sentence each: undo images discarded (and why), files
     * set aside by salvage, a salvage rebuild into a new table, growth deferred for lack of room.
     */
    public final List<String> notes;

    RecoveryReport(
        final boolean cleanShutdown,
        final int logRecordsRead,
        final int operationsReplayed,
        final String logTailProblem,
        final long logBytesDiscarded,
        final int tornUpdatesRolledBack,
        final int corruptSlotsRestoredFromLog,
        final int corruptSlotsDropped,
        final int duplicatesResolved,
        final boolean rehashResumed,
        final long rehashResumedAt,
        final List<String> filesDeleted,
        final long durationMillis)
    {
        this(cleanShutdown, logRecordsRead, operationsReplayed, logTailProblem, logBytesDiscarded,
            tornUpdatesRolledBack, corruptSlotsRestoredFromLog, corruptSlotsDropped, duplicatesResolved, rehashResumed,
            rehashResumedAt, filesDeleted, durationMillis, List.of());
    }

    RecoveryReport(
        final boolean cleanShutdown,
        final int logRecordsRead,
        final int operationsReplayed,
        final String logTailProblem,
        final long logBytesDiscarded,
        final int tornUpdatesRolledBack,
        final int corruptSlotsRestoredFromLog,
        final int corruptSlotsDropped,
        final int duplicatesResolved,
        final boolean rehashResumed,
        final long rehashResumedAt,
        final List<String> filesDeleted,
        final long durationMillis,
        final List<String> notes)
    {
        this.cleanShutdown = cleanShutdown;
        this.logRecordsRead = logRecordsRead;
        this.operationsReplayed = operationsReplayed;
        this.logTailProblem = logTailProblem;
        this.logBytesDiscarded = logBytesDiscarded;
        this.tornUpdatesRolledBack = tornUpdatesRolledBack;
        this.corruptSlotsRestoredFromLog = corruptSlotsRestoredFromLog;
        this.corruptSlotsDropped = corruptSlotsDropped;
        this.duplicatesResolved = duplicatesResolved;
        this.rehashResumed = rehashResumed;
        this.rehashResumedAt = rehashResumedAt;
        this.filesDeleted = List.copyOf(filesDeleted);
        this.durationMillis = durationMillis;
        this.notes = List.copyOf(notes);
    }

    /**
     * @return true if recovery changed anything.
     */
    public boolean didWork()
    {
        return !cleanShutdown || null != logTailProblem || operationsReplayed > 0 || tornUpdatesRolledBack > 0 ||
            corruptSlotsDropped > 0 ||
            corruptSlotsRestoredFromLog > 0 || duplicatesResolved > 0 || rehashResumed || !filesDeleted.isEmpty() ||
            !notes.isEmpty();
    }

    @Override
    public String toString()
    {
        return (cleanShutdown ? "clean shutdown" : "recovered after unclean shutdown") +
            ": log records read=" + logRecordsRead +
            ", operations replayed=" + operationsReplayed +
            ", log tail=" + (null == logTailProblem ? "clean" : logTailProblem + " (" + logBytesDiscarded +
            " bytes discarded)") +
            ", torn updates rolled back=" + tornUpdatesRolledBack +
            ", corrupt slots restored from log=" + corruptSlotsRestoredFromLog +
            ", corrupt slots dropped=" + corruptSlotsDropped +
            ", duplicates resolved=" + duplicatesResolved +
            ", rehash resumed=" + (rehashResumed ? "at slot " + rehashResumedAt : "no") +
            ", files deleted=" + filesDeleted +
            (notes.isEmpty() ? "" : ", notes=" + notes) +
            ", took " + durationMillis + " ms";
    }
}
