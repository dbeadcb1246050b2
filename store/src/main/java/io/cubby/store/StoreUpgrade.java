package io.cubby.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The offline upgrade of a version-1 store to format version 2 in its own directory (FORMAT-v2.md section 10.1):
 * under the store's writer lock, every entry of the (cleanly closed) version-1 tables is copied into a version-2
 * store built in the staging directory {@code .upgrade-v2}; once that store is closed and forced, the marker
 * {@code upgrade-v2.ready} is written beside the tables; then the version-2 files are moved into the store
 * directory, the manifest last (the commit), the version-1 tables the marker names and the staging directory are
 * deleted, and the marker last. A store with expiry keeps it: the version-2 store has the expiry flag and each
 * entry its version-1 deadline (FORMAT-v2.md 6.3).
 * <p>
 * A crash before the marker leaves the version-1 store as it was (the next upgrade discards the staging directory
 * and starts again); a crash after it leaves a store that both versions refuse to open ({@link #checkNotInterrupted})
 * until the upgrade is run again, which finishes the moves from where they stopped. Every step is idempotent.
 */
final class StoreUpgrade
{
    /** {@link #run(Path, int, LongConsumer)}: as many segments as a new version-2 store of that size gets. */
    static final int DEFAULT_SEGMENT_BITS = -1;

    private StoreUpgrade()
    {
    }

    /**
     * What an upgrade did.
     *
     * @param entries  entries copied into the version-2 store.
     * @param resumed  whether it finished an interrupted upgrade (the copy had been made before).
     */
    record Result(long entries, boolean resumed)
    {
    }

    /**
     * @throws IncompatibleStoreException naming the directory, if an interrupted upgrade must be finished first.
     */
    static void checkNotInterrupted(final Path directory)
    {
        if (Files.exists(marker(directory), LinkOption.NOFOLLOW_LINKS))
        {
            throw new IncompatibleStoreException("the upgrade of " + directory + " to format version 2 was " +
                "interrupted; run `cubby upgrade " + directory + "` (Cubby.upgrade) to finish it");
        }
    }

    static Path staging(final Path directory)
    {
        return directory.resolve(UpgradeMarkerDescriptor.STAGING_DIRECTORY);
    }

    static Path marker(final Path directory)
    {
        return directory.resolve(UpgradeMarkerDescriptor.FILE_NAME);
    }

    /**
     * Upgrade the version-1 store in {@code directory} to format version 2, or finish an interrupted upgrade.
     *
     * @param progress receives the number of entries copied so far, now and then; may be null.
     */
    static Result run(final Path directory, final LongConsumer progress) throws IOException
    {
        return run(directory, DEFAULT_SEGMENT_BITS, progress);
    }

    /**
     * As {@link #run(Path, LongConsumer)}, with {@code 2^segmentBits} segments in the version-2 store, or as many as
     * {@link SegmentOpener#defaultSegments} gives for the entry count if {@link #DEFAULT_SEGMENT_BITS}.
     */
    static Result run(final Path directory, final int segmentBits, final LongConsumer progress) throws IOException
    {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS))
        {
            throw new NotAStoreException("no Cubby store directory at " + directory);
        }
        if (Files.exists(marker(directory), LinkOption.NOFOLLOW_LINKS))
        {
            final StoreLock lock = StoreLock.acquireWriter(directory);
            try
            {
                final UpgradeMarkerDescriptor.Marker marker = readMarker(directory);
                finish(directory, marker);
                return new Result(marker.entries(), true);
            }
            finally
            {
                lock.close();
            }
        }
        if (Files.exists(directory.resolve(ManifestDescriptor.FILE_NAME), LinkOption.NOFOLLOW_LINKS))
        {
            throw new IncompatibleStoreException(directory + " is already a format version 2 store");
        }
        if (StoreDirectory.tableGenerations(directory).isEmpty())
        {
            throw new NotAStoreException("no Cubby store at " + directory + " (no table file)");
        }
        StoreInfo info = Cubby.inspect(directory);
        if (!info.cleanShutdown())
        {
            // recover as a version-1 writer does, then copy from the recovered tables
            Cubby.builder(directory).createIfMissing(false).open().close();
        }
        final StoreLock lock = StoreLock.acquireWriter(directory);
        try
        {
            info = Cubby.inspect(directory);
            if (!info.cleanShutdown())
            {
                throw new CorruptStoreException(directory + " was not closed cleanly after its recovery; " +
                    "open and close it, then upgrade again");
            }
            refuseForeignVersion2Files(directory);
            discardStaging(directory);
            final long entries = copy(directory, info, segmentBits, progress);
            final StoreInfo.TableInfo current = info.currentTable();
            final long source = info.tables.size() > 1 ? info.tables.get(1).generation : 0;
            writeMarker(directory, new UpgradeMarkerDescriptor.Marker(current.generation, source, entries,
                System.currentTimeMillis()));
            finish(directory, readMarker(directory));
            return new Result(entries, false);
        }
        finally
        {
            lock.close();
        }
    }

    // ---------------------------------------------------------------- the copy

    private static long copy(final Path directory, final StoreInfo info, final int segmentBits,
        final LongConsumer progress) throws IOException
    {
        final StoreInfo.TableInfo table = info.currentTable();
        final Path staging = staging(directory);
        final long expected = Math.max(1, info.entries());
        final int bits = DEFAULT_SEGMENT_BITS == segmentBits ?
            Integer.numberOfTrailingZeros(SegmentOpener.defaultSegments(expected)) : segmentBits;
        final SegmentParams params = new SegmentParams(bits, Math.max(1, table.maxKeySize),
            table.maxValueSize, table.expiry ? SegmentDescriptor.FLAG_EXPIRY : 0,
            SegmentOpener.seed(), SegmentParams.DEFAULT_MAX_LOAD_PPM);
        final long groups = SegmentOpener.groupsFor(expected, 1 << bits);
        final long logCapacity = Math.max(SegmentLogDescriptor.minCapacity(bits),
            Math.min(SegmentLogDescriptor.MAX_CAPACITY, null == info.log ? SegmentStore.DEFAULT_LOG_CAPACITY :
                info.log.capacity / SegmentLogDescriptor.ALIGNMENT * SegmentLogDescriptor.ALIGNMENT));
        final long[] copied = { 0 };
        try (Cubby v1 = Cubby.builder(directory).readOnly(true).open();
            SegmentStore v2 = SegmentStore.create(staging, params, groups, logCapacity, Durability.NONE,
                Duration.ofSeconds(1)))
        {
            final IOException[] failure = { null };
            v1.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
            {
                if (null != failure[0])
                {
                    return;
                }
                long expiresAt = 0;
                if (table.expiry)
                {
                    // the iteration gives no deadline; an entry that expired since it was visited is not copied
                    final byte[] k = new byte[keyLength];
                    key.getBytes(keyOffset, k);
                    expiresAt = v1.expiresAtMillis(k);
                    if (Cubby.MISSING == expiresAt)
                    {
                        return;
                    }
                }
                try
                {
                    // a set's iteration gives each member as its own value; version 2 stores them with empty values
                    v2.put(key, keyOffset, keyLength, value, valueOffset, table.setMode ? 0 : valueLength,
                        expiresAt);
                }
                catch (final IOException ex)
                {
                    failure[0] = ex;
                    return;
                }
                if ((++copied[0] & 0xFFFF) == 0 && null != progress)
                {
                    progress.accept(copied[0]);
                }
            });
            if (null != failure[0])
            {
                throw failure[0];
            }
            if (v2.entryCount() != copied[0])
            {
                throw new CorruptStoreException("the version-2 copy of " + directory + " holds " +
                    v2.entryCount() + " entries where " + copied[0] + " were copied");
            }
        }
        if (null != progress)
        {
            progress.accept(copied[0]);
        }
        return copied[0];
    }

    // ---------------------------------------------------------------- marker and moves

    private static void writeMarker(final Path directory, final UpgradeMarkerDescriptor.Marker marker)
        throws IOException
    {
        Storage.syncDirectory(staging(directory));
        final Path temporary = directory.resolve(UpgradeMarkerDescriptor.TEMPORARY_FILE_NAME);
        Files.deleteIfExists(temporary);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE))
        {
            Storage.writeFully(channel, UpgradeMarkerDescriptor.encode(marker), 0);
            Storage.forceChannel(channel, temporary);
        }
        CrashPoints.Hook.reached("upgrade.marker-written");
        Files.move(temporary, marker(directory), StandardCopyOption.ATOMIC_MOVE);
        Storage.syncDirectory(directory);
        CrashPoints.Hook.reached("upgrade.marker-published");
    }

    private static UpgradeMarkerDescriptor.Marker readMarker(final Path directory) throws IOException
    {
        final Path file = marker(directory);
        Storage.requireRegularFile(file);
        if (Files.size(file) != UpgradeMarkerDescriptor.LENGTH)
        {
            throw new CorruptStoreException(file + " is " + Files.size(file) + " bytes long, not " +
                UpgradeMarkerDescriptor.LENGTH);
        }
        return UpgradeMarkerDescriptor.decode(Files.readAllBytes(file), file.toString());
    }

    /**
     * Move the version-2 files into the store directory (the log over version 1's, the manifest last), delete the
     * version-1 tables the marker names, then the staging directory. Each step is skipped if already done.
     */
    private static void finish(final Path directory, final UpgradeMarkerDescriptor.Marker marker) throws IOException
    {
        final Path staging = staging(directory);
        for (final String name : list(staging))
        {
            if (isSegmentFile(name))
            {
                moveInto(staging, directory, name);
                CrashPoints.Hook.reached("upgrade.segment-moved");
            }
        }
        if (Files.exists(staging.resolve(SegmentStore.LOG_FILE), LinkOption.NOFOLLOW_LINKS))
        {
            Files.move(staging.resolve(SegmentStore.LOG_FILE), directory.resolve(SegmentStore.LOG_FILE),
                StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            CrashPoints.Hook.reached("upgrade.log-moved");
        }
        Storage.syncDirectory(directory);
        if (Files.exists(staging.resolve(ManifestDescriptor.FILE_NAME), LinkOption.NOFOLLOW_LINKS))
        {
            moveInto(staging, directory, ManifestDescriptor.FILE_NAME);
            Storage.syncDirectory(directory);
            CrashPoints.Hook.reached("upgrade.manifest-moved");
        }
        final List<Path> tables = new ArrayList<>();
        tables.add(directory.resolve(TableDescriptor.fileName(marker.currentGeneration())));
        if (0 != marker.sourceGeneration())
        {
            tables.add(directory.resolve(TableDescriptor.fileName(marker.sourceGeneration())));
        }
        for (final Path table : tables)
        {
            if (Files.deleteIfExists(table))
            {
                CrashPoints.Hook.reached("upgrade.table-deleted");
            }
        }
        for (final String name : list(directory))
        {
            if (StoreDirectory.isTemporaryFile(name))
            {
                Files.deleteIfExists(directory.resolve(name));
            }
        }
        for (final String name : list(staging))
        {
            Files.deleteIfExists(staging.resolve(name));
        }
        Files.deleteIfExists(staging);
        Storage.syncDirectory(directory);
        CrashPoints.Hook.reached("upgrade.staging-deleted");
        Files.deleteIfExists(marker(directory));
        Storage.syncDirectory(directory);
        CrashPoints.Hook.reached("upgrade.marker-deleted");
    }

    private static boolean isSegmentFile(final String name)
    {
        return name.startsWith(SegmentDescriptor.FILE_PREFIX) && name.endsWith(SegmentDescriptor.FILE_SUFFIX);
    }

    private static void moveInto(final Path from, final Path to, final String name) throws IOException
    {
        if (Files.exists(to.resolve(name), LinkOption.NOFOLLOW_LINKS))
        {
            throw new CorruptStoreException(to.resolve(name) + " exists beside the upgrade's own copy in " + from +
                "; refusing to replace it");
        }
        Files.move(from.resolve(name), to.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Version-2 files in a version-1 directory that no upgrade staged: refuse rather than overwrite them. */
    private static void refuseForeignVersion2Files(final Path directory) throws IOException
    {
        for (final String name : list(directory))
        {
            if (isSegmentFile(name) || name.equals(ManifestDescriptor.FILE_NAME))
            {
                throw new IncompatibleStoreException(directory + " holds " + name + " beside its version-1 " +
                    "tables; refusing to upgrade");
            }
        }
    }

    /** Remove what an upgrade interrupted before its marker left in the staging directory: nothing else. */
    private static void discardStaging(final Path directory) throws IOException
    {
        Files.deleteIfExists(directory.resolve(UpgradeMarkerDescriptor.TEMPORARY_FILE_NAME));
        final Path staging = staging(directory);
        if (!Files.exists(staging, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS))
        {
            throw new CorruptStoreException(staging + " is not a directory; refusing to upgrade");
        }
        final List<String> names = list(staging);
        for (final String name : names)
        {
            if (!isSegmentFile(name) && !name.endsWith(SegmentDescriptor.PREPARED_SUFFIX) &&
                !name.equals(ManifestDescriptor.FILE_NAME) && !name.equals(SegmentStore.LOG_FILE) &&
                !name.equals(SegmentStore.LOG_FILE + ".tmp") && !name.equals(StoreLock.FILE_NAME))
            {
                throw new CorruptStoreException(staging + " holds " + name + ", which no upgrade writes; " +
                    "refusing to delete it");
            }
        }
        for (final String name : names)
        {
            Files.delete(staging.resolve(name));
        }
        Files.delete(staging);
        Storage.syncDirectory(directory);
    }

    private static List<String> list(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS))
        {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory))
        {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
