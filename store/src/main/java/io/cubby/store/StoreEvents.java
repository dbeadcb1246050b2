package io.cubby.store;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JDK Flight Recorder events of the store, all in the category "Cubby". Record them with, for example,
 * {@code java -XX:StartFlightRecording:filename=rec.jfr ...} and read them with {@code jfr print --categories Cubby
 * rec.jfr}. A disabled event costs a check and no allocation once the JIT has compiled the caller.
 * <p>
 * The store creates its events only here, and only once the recorder is initialized ({@link #recorderInitialized}):
 * loading the first event class of a JVM initializes the recorder's metadata, tens of milliseconds of class loading
 * that a store's first open would otherwise pay with no recording to write to. A recording started later (at JVM
 * start or with {@code jcmd <pid> JFR.start}) initializes the recorder, and the events flow from then on. The
 * arguments are what the caller already holds; strings are made only for an event that is committed.
 */
final class StoreEvents
{
    private StoreEvents()
    {
    }

    /** Whether the Flight Recorder is initialized in this JVM: before that no event can be recorded. */
    static boolean recorderInitialized()
    {
        return FlightRecorder.isInitialized();
    }

    /** Commit a {@link RehashBegin} event if it is enabled; {@code segment} -1 for format version 1's table. */
    static void rehashBegin(final java.nio.file.Path directory, final int segment, final long generation,
        final long sourceCapacity, final long capacity, final long entries)
    {
        if (!recorderInitialized())
        {
            return;
        }
        final RehashBegin event = new RehashBegin();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.segment = segment;
            event.generation = generation;
            event.sourceCapacity = sourceCapacity;
            event.capacity = capacity;
            event.entries = entries;
            event.commit();
        }
    }

    /** Commit a {@link RehashEnd} event if it is enabled; {@code segment} -1 for format version 1's table. */
    static void rehashEnd(final java.nio.file.Path directory, final int segment, final long generation,
        final long capacity, final long entries)
    {
        if (!recorderInitialized())
        {
            return;
        }
        final RehashEnd event = new RehashEnd();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.segment = segment;
            event.generation = generation;
            event.capacity = capacity;
            event.entries = entries;
            event.commit();
        }
    }

    /**
     * Commit an {@link Eviction} event if it is enabled.
     *
     * @param file the store's directory, or a file in it (its parent is then the directory named).
     */
    static void eviction(final java.nio.file.Path file, final boolean isDirectory, final RemovalCause cause)
    {
        if (!recorderInitialized())
        {
            return;
        }
        final Eviction event = new Eviction();
        if (event.shouldCommit())
        {
            event.directory = String.valueOf(isDirectory ? file : file.getParent());
            event.cause = cause.name();
            event.commit();
        }
    }

    /** A {@link Checkpoint} event begun now, or null with no recorder: {@link #checkpointEnd} commits it. */
    static Checkpoint checkpointBegin()
    {
        if (!recorderInitialized())
        {
            return null;
        }
        final Checkpoint event = new Checkpoint();
        event.begin();
        return event;
    }

    /** Commit a {@link #checkpointBegin} event (null: none) if it is enabled. */
    static void checkpointEnd(final Checkpoint event, final java.nio.file.Path directory, final long logBytes)
    {
        if (null != event && event.shouldCommit())
        {
            event.directory = directory.toString();
            event.logBytes = logBytes;
            event.commit();
        }
    }

    /** Commit a {@link Recovery} event for an open of {@code directory}, if the event is enabled. */
    static void recovery(final java.nio.file.Path directory, final RecoveryReport report)
    {
        if (!recorderInitialized())
        {
            return;
        }
        final Recovery event = new Recovery();
        if (event.shouldCommit())
        {
            event.directory = directory.toString();
            event.clean = report.cleanShutdown;
            event.recordsReplayed = report.operationsReplayed;
            event.summary = report.toString();
            event.commit();
        }
    }

    @Name("io.cubby.RehashBegin")
    @Label("Rehash Begin")
    @Category("Cubby")
    @Description("A table (a segment's, in format version 2) started migrating into a new file (growth or compaction)")
    @StackTrace(false)
    static final class RehashBegin extends Event
    {
        @Label("Directory")
        String directory;

        @Label("Segment")
        @Description("The segment of a format-version-2 store; -1 in format version 1")
        int segment;

        @Label("Generation")
        long generation;

        @Label("Source Capacity")
        long sourceCapacity;

        @Label("Capacity")
        long capacity;

        @Label("Entries")
        long entries;
    }

    @Name("io.cubby.RehashEnd")
    @Label("Rehash End")
    @Category("Cubby")
    @Description("A rehash finished: every slot of the source table migrated")
    @StackTrace(false)
    static final class RehashEnd extends Event
    {
        @Label("Directory")
        String directory;

        @Label("Segment")
        @Description("The segment of a format-version-2 store; -1 in format version 1")
        int segment;

        @Label("Generation")
        long generation;

        @Label("Capacity")
        long capacity;

        @Label("Entries")
        long entries;
    }

    @Name("io.cubby.Checkpoint")
    @Label("Checkpoint")
    @Category("Cubby")
    @Description("Tables (segment files) forced to disk and the log start moved")
    @StackTrace(false)
    static final class Checkpoint extends Event
    {
        @Label("Directory")
        String directory;

        @Label("Log Bytes In Use")
        @DataAmount
        long logBytes;
    }

    @Name("io.cubby.Recovery")
    @Label("Recovery")
    @Category("Cubby")
    @Description("A store was opened; what recovery had to do")
    @StackTrace(false)
    static final class Recovery extends Event
    {
        @Label("Directory")
        String directory;

        @Label("Clean Shutdown")
        boolean clean;

        @Label("Records Replayed")
        long recordsReplayed;

        @Label("Summary")
        String summary;
    }

    @Name("io.cubby.Eviction")
    @Label("Eviction")
    @Category("Cubby")
    @Description("An entry removed to stay within maxEntries, or an expired entry reclaimed")
    @StackTrace(false)
    static final class Eviction extends Event
    {
        @Label("Directory")
        String directory;

        @Label("Cause")
        String cause;
    }
}
