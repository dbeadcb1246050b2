package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * Opens or creates a format-version-2 store for {@link Cubby.Builder#open()}: refuses the options version 2 does
 * not support and explicit parameters that differ from the store's, both before any file is touched (the
 * existing store's parameters are read from its manifest, read-only), then creates the store
 * ({@link SegmentStore#create}) or opens and recovers it ({@link SegmentStore#open}).
 */
final class SegmentOpener
{
    static final int DEFAULT_MAX_KEY_SIZE = 64;
    static final int DEFAULT_MAX_VALUE_SIZE = 256;
    /** Default log capacity when entry writes are not logged ({@link Durability#NONE}). */
    static final long NONE_LOG_CAPACITY = 1L << 20;
    private static final double DEFAULT_TOMBSTONE_RATIO = 0.25;
    private static final int DEFAULT_MIGRATION_STEP = 8;

    private SegmentOpener()
    {
    }

    static Cubby open(final Cubby.Builder builder)
    {
        final Path directory = builder.directory;
        if (Files.exists(directory) && !Files.isDirectory(directory))
        {
            throw new NotAStoreException(directory + " is a file, not a Cubby store directory");
        }
        final long started = System.nanoTime();
        final boolean exists = 2 == StoreFormat.detect(directory);
        refuseUnsupported(builder, exists);
        if (builder.readOnly)
        {
            return openReadOnly(builder, exists, started);
        }
        try
        {
            final SegmentStore store;
            final boolean clean;
            if (exists)
            {
                final Existing existing = checkExisting(builder);
                clean = existing.clean;
                store = SegmentStore.open(directory, builder.durability, builder.syncInterval, builder.salvage,
                    logSize(builder, existing.segmentBits));
            }
            else
            {
                clean = true;
                store = create(builder);
            }
            final SegmentParams params = store.segments().params;
            final RecoveryReport report = SegmentReports.recoveryReport(store.recoveryReport(), clean,
                (System.nanoTime() - started) / 1_000_000);
            reportRecovery(directory, report);
            Notifier notifier = null;
            try
            {
                // expiry is the store's (its flag, FORMAT-v2.md 3.1); expireAfterWrite applies to this open
                final Arguments arguments = new Arguments(directory, params.maxKeyLength, params.maxValueLength,
                    0 == params.maxValueLength, params.expiry,
                    null == builder.expireAfterWrite ? 0 : builder.expireAfterWrite.toMillis());
                notifier = null == builder.removalListener ? null : new Notifier(builder.removalListener, directory);
                final Counters counters = builder.recordStats ? new Counters() : null;
                store.segments().removals(SegmentRemovals.of(notifier, counters));
                store.applyEntryBound(builder.maxEntries);
                return new Cubby(arguments, new SegmentCore(store, arguments, report, builder.closeOnJvmShutdown,
                    notifier, counters));
            }
            catch (final IOException | RuntimeException | Error ex)
            {
                store.close();
                if (null != notifier)
                {
                    notifier.close();
                }
                throw ex;
            }
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("I/O error opening " + directory + ": " + ex, ex);
        }
    }

    /** A writable open's Recovery event, and an INFO log line if recovery did anything (as version 1's). */
    private static void reportRecovery(final Path directory, final RecoveryReport report)
    {
        StoreEvents.recovery(directory, report);
        if (report.didWork())
        {
            Log.LOGGER.log(System.Logger.Level.INFO, "opened " + directory + ": " + report);
        }
    }

    /** The options version 2 cannot honour yet, each refused by name before any file is touched. */
    private static void refuseUnsupported(final Cubby.Builder b, final boolean exists)
    {
        final boolean hint = !exists && null == b.formatVersion;
        refuse(hint, null != b.probing, "probing");
        refuse(hint, !b.verifyChecksumsOnRead, "verifyChecksumsOnRead(false) (version 2 always checks)");
        refuse(hint, !b.preallocate, "preallocate(false)");
        refuse(hint, b.migrationStep != DEFAULT_MIGRATION_STEP, "migrationStep");
        refuse(hint, b.tombstoneCompactionRatio != DEFAULT_TOMBSTONE_RATIO, "tombstoneCompactionRatio");
        if (null != b.maxLoad)
        {
            final double min = ManifestDescriptor.DEFAULT_EARLY_LOAD_PPM / 1_000_000.0;
            final double max = SegmentParams.MAX_LOAD_PPM_MAX / 1_000_000.0;
            if (!(b.maxLoad >= min) || b.maxLoad > max)
            {
                throw new IllegalArgumentException("maxLoad must be in [" + min + ", " + max + "] for format " +
                    "version 2: " + b.maxLoad);
            }
        }
        if (b.logSize > 0 && (b.logSize > SegmentLogDescriptor.MAX_CAPACITY ||
            b.logSize % SegmentLogDescriptor.ALIGNMENT != 0))
        {
            throw new IllegalArgumentException("logSize must be a multiple of " + SegmentLogDescriptor.ALIGNMENT +
                " bytes up to " + SegmentLogDescriptor.MAX_CAPACITY + " for format version 2: " + b.logSize);
        }
    }

    private static void refuse(final boolean hint, final boolean set, final String option)
    {
        if (set)
        {
            // a store created without formatVersion is a version-2 store: name the way to a version-1 one
            throw new UnsupportedOperationException(option + " is not supported by format version 2 yet" +
                (hint ? " (a new store is created in format version 2 unless formatVersion(1) is set)" : "") +
                "; nothing was changed");
        }
    }

    /**
     * A read-only open (FORMAT-v2.md 3.2): no lock, no recovery, no byte written; the files are read as they stand
     * and followed as a writer changes them.
     */
    private static Cubby openReadOnly(final Cubby.Builder b, final boolean exists, final long started)
    {
        final Path directory = b.directory;
        if (!exists)
        {
            throw new NotAStoreException("no Cubby store at " + directory + (Files.isDirectory(directory) ?
                " (no manifest)" : " (directory does not exist)") + "; a read-only open creates nothing");
        }
        final boolean clean;
        final SegmentReader reader;
        try
        {
            clean = checkExisting(b).clean;
            reader = SegmentReader.open(directory);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("I/O error opening " + directory + " read-only: " + ex, ex);
        }
        try
        {
            final boolean live = reader.hasLiveWriter();
            final String note = live ? "not recovered: opened read-only while a writer" +
                StoreLock.holder(directory) + " has it open" : clean ? null :
                "not recovered: opened read-only after an unclean shutdown";
            final RecoveryReport report = new RecoveryReport(clean && !live, 0, 0, note, 0, 0, 0, 0, 0, false, 0,
                java.util.List.of(), (System.nanoTime() - started) / 1_000_000);
            final SegmentParams params = reader.params;
            final Arguments arguments = new Arguments(directory, params.maxKeyLength, params.maxValueLength,
                0 == params.maxValueLength, params.expiry, 0);
            return new Cubby(arguments, new SegmentReadOnlyCore(reader, report, b.durability,
                b.recordStats ? new Counters() : null));
        }
        catch (final RuntimeException | Error ex)
        {
            reader.close();
            throw ex;
        }
    }

    /** What {@link #checkExisting} read of an existing store's manifest. */
    private record Existing(boolean clean, int segmentBits)
    {
    }

    /**
     * Compare the explicit parameters with the manifest's (read-only, no lock: they never change), and check an
     * explicit {@code logSize} against the store's segment count.
     *
     * @return whether the manifest says the last writer closed the store, and its segment bits.
     */
    private static Existing checkExisting(final Cubby.Builder b) throws IOException
    {
        try (Manifest manifest = Manifest.open(b.directory, true))
        {
            final SegmentParams p = manifest.params;
            mismatch(b, null != b.maxKeySize && b.maxKeySize != p.maxKeyLength, "maxKeySize", b.maxKeySize,
                p.maxKeyLength);
            mismatch(b, null != b.maxValueSize && b.maxValueSize != p.maxValueLength, "maxValueSize",
                b.maxValueSize, p.maxValueLength);
            mismatch(b, null != b.segments && b.segments != manifest.segmentCount, "segments", b.segments,
                manifest.segmentCount);
            // as version 1: a store created with expiry opens with or without asking for it, one without refuses it
            if (b.expiry && !p.expiry)
            {
                throw new IncompatibleStoreException("store " + b.directory + " was created without expiry, the " +
                    "builder asks for " + (null != b.expireAfterWrite ? "expireAfterWrite" : "expiry(true)") +
                    "; open it without it; nothing was changed");
            }
            final int maxLoadPpm = null == b.maxLoad ? p.maxLoadPpm : (int)Math.round(b.maxLoad * 1_000_000);
            mismatch(b, maxLoadPpm != p.maxLoadPpm, "maxLoad", b.maxLoad, p.maxLoadPpm / 1_000_000.0);
            final long minLog = SegmentLogDescriptor.minCapacity(p.segmentBits);
            if (b.logSize > 0 && b.logSize < minLog)
            {
                throw new IllegalArgumentException("logSize must be at least " + minLog + " bytes for " +
                    manifest.segmentCount + " segments in format version 2: " + b.logSize + "; nothing was changed");
            }
            return new Existing(manifest.openState() == ManifestDescriptor.OPEN_STATE_CLOSED, p.segmentBits);
        }
    }

    /**
     * The log size of a writable open, as version 1's: an explicit {@code logSize} resizes the log to it; without
     * one, a log smaller than this open's durability's default (1 MiB in NONE, 64 MiB when operations are logged)
     * grows to that default, and a larger one is kept.
     */
    private static SegmentStore.LogSize logSize(final Cubby.Builder b, final int segmentBits)
    {
        return b.logSize > 0 ? new SegmentStore.LogSize(b.logSize, false) :
            new SegmentStore.LogSize(defaultLogCapacity(b.durability, segmentBits), true);
    }

    /** The log capacity of a new store without an explicit {@code logSize}, or the least a reopen grows to. */
    private static long defaultLogCapacity(final Durability durability, final int segmentBits)
    {
        return Math.max(SegmentLogDescriptor.minCapacity(segmentBits), durability == Durability.NONE ?
            NONE_LOG_CAPACITY : SegmentStore.DEFAULT_LOG_CAPACITY);
    }

    private static void mismatch(final Cubby.Builder b, final boolean differs, final String name,
        final Object asked, final Object stored)
    {
        if (differs)
        {
            throw new IncompatibleStoreException("store " + b.directory + " has " + name + " " + stored +
                ", the builder asks for " + asked + "; nothing was changed");
        }
    }

    private static SegmentStore create(final Cubby.Builder b) throws IOException
    {
        final Path directory = b.directory;
        if (!Files.exists(directory) && !b.createIfMissing)
        {
            throw new NotAStoreException("no Cubby store at " + directory + " (directory does not exist)");
        }
        if (Files.exists(directory))
        {
            if (!b.createIfMissing)
            {
                throw new NotAStoreException("no Cubby store at " + directory + " (no manifest)");
            }
            CreationLeftovers.require(directory);
        }
        final int maxKey = null == b.maxKeySize ? DEFAULT_MAX_KEY_SIZE : b.maxKeySize;
        final int maxValue = null == b.maxValueSize ? DEFAULT_MAX_VALUE_SIZE : b.maxValueSize;
        final int segments = null != b.segments ? b.segments : defaultSegments(b.expectedEntries,
            null == b.maxEntries ? 0 : b.maxEntries);
        final int bits = Integer.numberOfTrailingZeros(segments);
        final int maxLoadPpm = null == b.maxLoad ? SegmentParams.DEFAULT_MAX_LOAD_PPM :
            (int)Math.round(b.maxLoad * 1_000_000);
        final SegmentParams params;
        try
        {
            params = new SegmentParams(bits, maxKey, maxValue, b.expiry ? SegmentDescriptor.FLAG_EXPIRY : 0, seed(),
                maxLoadPpm);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("format version 2: " + ex.getMessage(), ex);
        }
        final long minLog = SegmentLogDescriptor.minCapacity(bits);
        final long logCapacity;
        if (b.logSize > 0)
        {
            if (b.logSize < minLog)
            {
                throw new IllegalArgumentException("logSize must be at least " + minLog + " bytes for " + segments +
                    " segments in format version 2: " + b.logSize);
            }
            logCapacity = b.logSize;
        }
        else
        {
            logCapacity = defaultLogCapacity(b.durability, bits);
        }
        final long groups = groupsFor(b.expectedEntries, segments);
        if (groups > SegmentDescriptor.maxGroupCount(params.slotLength))
        {
            throw new IllegalArgumentException("expectedEntries " + b.expectedEntries + " needs more than the " +
                SegmentDescriptor.maxGroupCount(params.slotLength) + " groups a segment may have; use more segments");
        }
        final Duration interval = b.syncInterval;
        return SegmentStore.create(directory, params, groups, logCapacity, b.durability, interval);
    }

    /**
     * @param maxEntries the entry bound, 0 for none: a bounded store gets at most one segment per 64 entries of its
     *                   bound, so that each segment holds entries to evict ({@link SegmentEvictor}).
     */
    static int defaultSegments(final long expectedEntries, final long maxEntries)
    {
        final int segments = defaultSegments(expectedEntries);
        return maxEntries <= 0 ? segments :
            (int)Math.max(1, Math.min(segments, Long.highestOneBit(Math.max(1, maxEntries / 64))));
    }

    /** 16 segments below 64K expected entries, 64 below 1M, else 256. */
    static int defaultSegments(final long expectedEntries)
    {
        return expectedEntries < 65_536 ? 16 : expectedEntries < 1_000_000 ? 64 : 256;
    }

    /** Groups per segment that hold {@code expected} entries spread over the segments at the target load. */
    static long groupsFor(final long expected, final int segments)
    {
        final double perSegment = Math.ceil((double)expected / segments);
        return Math.max(1, (long)Math.ceil(perSegment * 1_000_000.0 /
            ((double)ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM * SegmentDescriptor.GROUP_SLOTS)));
    }

    /** A nonzero hash seed for a new store. */
    static long seed()
    {
        final SecureRandom random = new SecureRandom();
        long seed = 0;
        while (0 == seed)
        {
            seed = random.nextLong();
        }
        return seed;
    }
}
