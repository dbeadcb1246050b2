package io.cubby.store;

import java.util.List;

/**
 * Header-level description of a store directory, read with plain file reads and without taking the store's lock,
 * so it works on a store another process has open. See {@link Cubby#inspect(java.nio.file.Path)}.
 */
public final class StoreInfo
{
    /** One table file. */
    public static final class TableInfo
    {
        public final String file;
        public final long fileBytes;
        public final long generation;
        public final int readVersion;
        public final int writeVersion;
        public final long capacity;
        public final long entries;
        public final long tombstones;
        public final int slotLength;
        public final int maxKeySize;
        public final int maxValueSize;
        public final boolean setMode;
        /** True if slots carry expiry and write times (time-to-live and eviction support). */
        public final boolean expiry;
        public final Probing probing;
        public final String hashAlgorithm;
        public final long hashSeed;
        public final double maxLoad;
        public final long sourceGeneration;
        public final long migrationCursor;
        public final boolean openedUncleanly;
        public final long createdMillis;

        TableInfo(final String file, final TableHeader h)
        {
            this.file = file;
            this.fileBytes = h.fileLength;
            this.generation = h.generation;
            this.readVersion = h.readVersion;
            this.writeVersion = h.writeVersion;
            this.capacity = h.capacity;
            this.entries = h.entryCount;
            this.tombstones = h.tombstoneCount;
            this.slotLength = h.slotLength;
            this.maxKeySize = h.params.maxKeyLength;
            this.maxValueSize = h.params.maxValueLength;
            this.setMode = h.params.setMode;
            this.expiry = h.params.expiry;
            this.probing = h.params.probing;
            this.hashAlgorithm = "XXH3-64";
            this.hashSeed = h.params.seed;
            this.maxLoad = h.params.maxLoad();
            this.sourceGeneration = h.sourceGeneration;
            this.migrationCursor = h.migrationCursor;
            this.openedUncleanly = h.openState != TableDescriptor.OPEN_STATE_CLEAN;
            this.createdMillis = h.created;
        }

        /**
         * @return (entries + tombstones) / capacity.
         */
        public double load()
        {
            return (entries + tombstones) / (double)capacity;
        }

        @Override
        public String toString()
        {
            return "TableInfo{file=" + file + ", generation=" + generation + ", version=" + readVersion + "/" +
                writeVersion + ", capacity=" + capacity + ", entries=" + entries + ", tombstones=" + tombstones +
                ", slotLength=" + slotLength + ", maxKeySize=" + maxKeySize + ", maxValueSize=" + maxValueSize +
                (setMode ? ", set" : "") + (expiry ? ", expiry" : "") + ", probing=" + probing + ", hash=" +
                hashAlgorithm + ", maxLoad=" + maxLoad + (0 == sourceGeneration ? "" : ", rehash from generation " +
                sourceGeneration + " at slot " + migrationCursor) + (openedUncleanly ? ", marked open" : "") +
                ", fileBytes=" + fileBytes + '}';
        }
    }

    /** The write-ahead log. */
    public static final class LogInfo
    {
        public final String file;
        public final long fileBytes;
        public final long capacity;
        public final long firstSequence;
        public final int validRecords;
        public final long usedBytes;
        /** Null if the record area ends cleanly. */
        public final String tailProblem;
        /** Counts of valid records by type name. */
        public final java.util.Map<String, Integer> recordsByType;

        LogInfo(
            final String file,
            final long fileBytes,
            final long capacity,
            final long firstSequence,
            final int validRecords,
            final long usedBytes,
            final String tailProblem,
            final java.util.Map<String, Integer> recordsByType)
        {
            this.file = file;
            this.fileBytes = fileBytes;
            this.capacity = capacity;
            this.firstSequence = firstSequence;
            this.validRecords = validRecords;
            this.usedBytes = usedBytes;
            this.tailProblem = tailProblem;
            this.recordsByType = java.util.Map.copyOf(recordsByType);
        }

        LogInfo withoutTailProblem()
        {
            return new LogInfo(file, fileBytes, capacity, firstSequence, validRecords, usedBytes, null,
                recordsByType);
        }

        @Override
        public String toString()
        {
            return "LogInfo{file=" + file + ", fileBytes=" + fileBytes + ", capacity=" + capacity +
                ", firstSequence=" + firstSequence + ", validRecords=" + validRecords + ", usedBytes=" + usedBytes +
                ", tail=" + (null == tailProblem ? "clean" : "damaged: " + tailProblem) +
                ", recordsByType=" + new java.util.TreeMap<>(recordsByType) + '}';
        }
    }

    /** A format-version-2 store's manifest and segment file headers. */
    public static final class SegmentsInfo
    {
        public final int segmentCount;
        public final int maxKeySize;
        public final int maxValueSize;
        public final long hashSeed;
        public final double maxLoad;
        /** True if the store was created with expiry (per-entry time to live): its Flags bit 1. */
        public final boolean expiry;
        /** The manifest's write version. */
        public final int writeVersion;
        /** True if the manifest was marked closed by the last writer. */
        public final boolean cleanShutdown;
        /** Entries of all segment files, as their headers count them. */
        public final long entries;
        /** Slots of the current segment files. */
        public final long capacity;
        /** Segments being rehashed into a new file. */
        public final int rehashingSegments;
        /** Segment files the manifest names, and their bytes. */
        public final int segmentFiles;
        public final long segmentFileBytes;

        SegmentsInfo(final int segmentCount, final int maxKeySize, final int maxValueSize, final long hashSeed,
            final double maxLoad, final boolean expiry, final int writeVersion, final boolean cleanShutdown, final long entries,
            final long capacity, final int rehashingSegments, final int segmentFiles, final long segmentFileBytes)
        {
            this.segmentCount = segmentCount;
            this.maxKeySize = maxKeySize;
            this.maxValueSize = maxValueSize;
            this.hashSeed = hashSeed;
            this.maxLoad = maxLoad;
            this.expiry = expiry;
            this.writeVersion = writeVersion;
            this.cleanShutdown = cleanShutdown;
            this.entries = entries;
            this.capacity = capacity;
            this.rehashingSegments = rehashingSegments;
            this.segmentFiles = segmentFiles;
            this.segmentFileBytes = segmentFileBytes;
        }

        @Override
        public String toString()
        {
            return "SegmentsInfo{segments=" + segmentCount + ", entries=" + entries + ", capacity=" + capacity +
                ", maxKeySize=" + maxKeySize + ", maxValueSize=" + maxValueSize + ", maxLoad=" + maxLoad +
                (expiry ? ", expiry" : "") + ", writeVersion=" + writeVersion + ", rehashingSegments=" + rehashingSegments + ", segmentFiles=" +
                segmentFiles + ", segmentFileBytes=" + segmentFileBytes + (cleanShutdown ? "" : ", marked open") +
                '}';
        }
    }

    public final String directory;
    /** The store's format version: 1 (table files) or 2 (manifest and segment files). */
    public final int formatVersion;
    /** A version-2 store's segments; null for version 1. */
    public final SegmentsInfo segments;
    /** True if another process holds the store's lock right now; the figures may then be changing. */
    public final boolean lockedByAnotherProcess;
    /** Table files, newest generation first; empty for format version 2. */
    public final List<TableInfo> tables;
    /** The log, or null if the store has none. */
    public final LogInfo log;
    /** Problem reading the log, or null. */
    public final String logProblem;

    StoreInfo(
        final String directory,
        final boolean lockedByAnotherProcess,
        final List<TableInfo> tables,
        final LogInfo log,
        final String logProblem)
    {
        this.directory = directory;
        this.formatVersion = 1;
        this.segments = null;
        this.lockedByAnotherProcess = lockedByAnotherProcess;
        this.tables = List.copyOf(tables);
        this.log = log;
        this.logProblem = logProblem;
    }

    /** A format-version-2 store; its log is described by {@code segments}' files only (log null). */
    StoreInfo(final String directory, final boolean lockedByAnotherProcess, final SegmentsInfo segments,
        final String logProblem)
    {
        this.directory = directory;
        this.formatVersion = 2;
        this.segments = segments;
        this.lockedByAnotherProcess = lockedByAnotherProcess;
        this.tables = List.of();
        this.log = null;
        this.logProblem = logProblem;
    }

    /**
     * @return the newest table, the one holding new writes.
     */
    public TableInfo currentTable()
    {
        if (null != segments)
        {
            throw new IllegalStateException(directory + " has format version 2: no single table, see segments");
        }
        return tables.get(0);
    }

    /**
     * @return true if the newest table is still being filled from an older one.
     */
    public boolean rehashInProgress()
    {
        if (null != segments)
        {
            return segments.rehashingSegments > 0;
        }
        return currentTable().sourceGeneration != 0;
    }

    /**
     * @return the entries of the store: those of the current table plus, during a rehash, those still in its source
     *         table (each key is in one of them only).
     */
    public long entries()
    {
        if (null != segments)
        {
            return segments.entries;
        }
        final TableInfo current = currentTable();
        long entries = current.entries;
        if (0 != current.sourceGeneration)
        {
            for (final TableInfo table : tables)
            {
                if (table.generation == current.sourceGeneration)
                {
                    entries += table.entries;
                }
            }
        }
        return entries;
    }

    @Override
    public String toString()
    {
        if (null != segments)
        {
            return "StoreInfo{directory=" + directory + ", formatVersion=2, entries=" + entries() +
                ", cleanShutdown=" + cleanShutdown() + (lockedByAnotherProcess ? ", in use" : "") + ", segments=" +
                segments + (null == logProblem ? "" : ", log: " + logProblem) + '}';
        }
        return "StoreInfo{directory=" + directory + ", entries=" + entries() + ", cleanShutdown=" + cleanShutdown() +
            ", rehashInProgress=" + rehashInProgress() + (lockedByAnotherProcess ? ", in use" : "") + ", tables=" +
            tables + ", log=" + (null == log ? "unreadable: " + logProblem : log) + '}';
    }

    /**
     * @return true if the last process to open the store closed it cleanly.
     */
    public boolean cleanShutdown()
    {
        if (null != segments)
        {
            return segments.cleanShutdown;
        }
        for (final TableInfo table : tables)
        {
            if (table.openedUncleanly)
            {
                return false;
            }
        }
        return true;
    }
}
