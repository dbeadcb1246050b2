package io.cubby.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.cubby.store.Log.LOGGER;
import static io.cubby.store.SlotDescriptor.STATE_FULL;

/**
 * Growth and compaction by incremental rehash (FORMAT.md §5a): decides when the current table grows or is
 * rebuilt without tombstones, begins a rehash into a new table file, migrates the source a few slots per write,
 * and completes the rehash (new table forced, source cleared, old file deleted, in the background where it can).
 * Every method but the background task runs with the write lock held.
 */
final class Rehasher
{
    private static final int MIGRATION_CHUNK = 4096;

    private final Path directory;
    private final TableParams params;
    private final Options options;
    private final Guard guard;
    private final TableSet tables;
    private final LogWriter log;
    private final TableAllocator allocator;
    private final Background background;
    private final FileWatch fileWatch;
    private final Counters counters;
    private final Notifier notifier;
    /**
     * Why the last growth failed (a full disk, for example), or null. While set, growth is retried at most every
     * {@link #GROWTH_RETRY_NANOS} before a write and always before an insert that would otherwise be refused.
     */
    private StoreIOException growthFailure;
    private long growthRetryAt;
    private boolean retirePending;
    private long rehashesStarted;

    Rehasher(
        final Options options,
        final Guard guard,
        final TableSet tables,
        final LogWriter log,
        final TableAllocator allocator,
        final Background background,
        final FileWatch fileWatch,
        final Counters counters,
        final Notifier notifier)
    {
        this.directory = options.directory;
        this.params = options.params;
        this.options = options;
        this.guard = guard;
        this.tables = tables;
        this.log = log;
        this.allocator = allocator;
        this.background = background;
        this.fileWatch = fileWatch;
        this.counters = counters;
        this.notifier = notifier;
    }

    /**
     * Smallest power-of-two capacity holding {@code entries} at no more than {@code load}.
     */
    static long capacityFor(final long entries, final double load)
    {
        final long needed = (long)Math.ceil(entries / load);
        long capacity = TableDescriptor.MIN_CAPACITY;
        while (capacity < needed && capacity < TableDescriptor.MAX_CAPACITY)
        {
            capacity <<= 1;
        }
        return capacity;
    }

    long rehashesStarted()
    {
        return rehashesStarted;
    }

    /** How long a failed growth waits before a write tries it again (an insert that needs room tries at once). */
    static final long GROWTH_RETRY_NANOS = 100_000_000L;

    /**
     * Before each write: one migration step, retiring a fully migrated source, growth and compaction.
     */
    void beforeWrite()
    {
        Table current = tables.current;
        final Table source = tables.source;
        if (null != source)
        {
            if (tables.cursor < source.capacity)
            {
                migrate(options.migrationStep);
            }
            if (tables.cursor == source.capacity && !retirePending)
            {
                retirePending = true;
                scheduleRetire(source);
            }
            // End the rehash at the target's load limit, or earlier if the source's entries still to move would
            // not fit below the insert limit: a compaction into a small target, met by a burst of inserts while
            // its migration is near the start of a large source, would otherwise fill the target first.
            final long fill = current.entryCount() + current.tombstoneCount();
            if (fill + 1 > current.maxFill || fill + source.entryCount() + 1 > insertLimit(current))
            {
                migrate(Long.MAX_VALUE);
                completeLocked(false);
            }
        }
        if (null == tables.source)
        {
            current = tables.current;
            final long fill = current.entryCount() + current.tombstoneCount();
            if (options.preallocate && fill > current.maxFill / 2 && !allocator.started())
            {
                allocator.prepare(current.generation + 1, current.capacity * 2);
            }
            // While the next table is still being allocated, the load may overshoot up to half-way to full
            // rather than make this write wait for the allocation.
            final boolean allocating = allocator.running() &&
                fill + 1 < current.maxFill + (current.capacity - current.maxFill) / 2;
            if (fill + 1 > current.maxFill && !allocating)
            {
                if (null == growthFailure || System.nanoTime() - growthRetryAt >= 0)
                {
                    tryGrow(current);
                }
            }
            else if (current.tombstoneCount() > current.capacity * options.tombstoneCompactionRatio &&
                current.tombstoneCount() > 64 && (null == growthFailure || System.nanoTime() - growthRetryAt >= 0))
            {
                try
                {
                    begin(Math.max(options.minCapacity, capacityFor(current.entryCount() + 1,
                        params.maxLoad() / 2)));
                    growthFailure = null;
                }
                catch (final StoreIOException ex)
                {
                    deferAfter(ex, "compaction");
                }
            }
        }
    }

    /**
     * Before a write that claims a new slot, with the write lock held. Growth that failed (a full disk) lets
     * writes go on: updates and removals always, inserts while the table is less than half-way from its load
     * limit to full; beyond that an insert tries the growth once more and, if it fails again, is refused with
     * the reason. Nothing is written before the refusal.
     *
     * @return whether a rehash began, so that the caller's lookup (its insert position) must be made again.
     */
    boolean beforeInsert()
    {
        final Table current = tables.current;
        if (null == tables.source && null != growthFailure &&
            current.entryCount() + current.tombstoneCount() + 1 > insertLimit(current))
        {
            final StoreIOException failure = growthFailure;
            if (!tryGrow(current))
            {
                throw new StoreIOException("the table is full and cannot grow: " + failure.getMessage(), failure);
            }
            return true;
        }
        return false;
    }

    /** The fill up to which inserts go on while growth fails: half-way from the load limit to full. */
    private static long insertLimit(final Table current)
    {
        return current.maxFill + (current.capacity - current.maxFill) / 2;
    }

    private boolean tryGrow(final Table current)
    {
        try
        {
            begin(growthCapacity(current));
            if (null != growthFailure)
            {
                LOGGER.log(System.Logger.Level.INFO, "growth of " + directory + " resumed");
            }
            growthFailure = null;
            return true;
        }
        catch (final StoreIOException ex)
        {
            deferAfter(ex, "growth");
            return false;
        }
    }

    private void deferAfter(final StoreIOException ex, final String what)
    {
        if (null == growthFailure)
        {
            LOGGER.log(System.Logger.Level.WARNING, what + " of " + directory + " deferred, writes that fit go on: " +
                ex.getMessage());
        }
        growthFailure = ex;
        growthRetryAt = System.nanoTime() + GROWTH_RETRY_NANOS;
    }

    /**
     * The capacity a full table grows to: twice its own if the live entries fill more than half of its load
     * limit, else (mostly tombstones) the smallest that holds them at half the maximum load.
     */
    long growthCapacity(final Table current)
    {
        final long live = current.entryCount();
        return live * 2 > current.maxFill ?
            current.capacity * 2 : Math.max(options.minCapacity, capacityFor(live + 1, params.maxLoad() / 2));
    }

    /**
     * Begin a rehash into a new table of this capacity, logged: REHASH_BEGIN is forced before the new table is
     * used.
     */
    void begin(final long newCapacity)
    {
        final Table target = createTarget(newCapacity);
        final Wal wal = log.wal();
        wal.appendStructural(WalRecordDescriptor.TYPE_REHASH_BEGIN, target.generation, newCapacity,
            tables.current.generation);
        wal.forceAll();
        CrashPoints.Hook.reached("rehash-begin.logged");
        install(target);
    }

    /**
     * Begin a rehash without logging it (log replay: the new table's header names its source).
     */
    void beginUnlogged(final long newCapacity)
    {
        install(createTarget(newCapacity));
    }

    private Table createTarget(final long newCapacity)
    {
        if (newCapacity > TableDescriptor.MAX_CAPACITY)
        {
            throw new StoreIOException("store " + directory + " cannot grow beyond " + TableDescriptor.MAX_CAPACITY +
                " slots");
        }
        final Table current = tables.current;
        final long generation = current.generation + 1;
        final Path file = directory.resolve(TableDescriptor.fileName(generation));
        final Table target;
        try
        {
            Files.deleteIfExists(file);
            final Path prepared = allocator.take(generation, newCapacity);
            target = TableCreator.create(file, params, newCapacity, generation, current.generation, current.capacity,
                prepared, !options.preallocate);
        }
        catch (final IOException ex)
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignore)
            {
                // reported through the original failure
            }
            throw new StoreIOException("cannot create " + file + " to rehash into (" + ex.getMessage() +
                "); the store is unchanged and still readable", ex);
        }
        CrashPoints.Hook.reached("rehash-begin.table-created");
        return target;
    }

    private void install(final Table target)
    {
        final Table current = tables.current;
        target.setMaxEntries(options.maxEntries);
        StoreEvents.rehashBegin(directory, -1, target.generation, current.capacity, target.capacity, tables.size());
        current.becomeSource(true); // readers in other processes: a newer generation exists
        tables.source = current;
        tables.current = target;
        tables.cursor = 0;
        retirePending = false;
        allocator.rehashBegun();
        rehashesStarted++;
        final Path file = target.file;
        final long newCapacity = target.capacity;
        LOGGER.log(System.Logger.Level.DEBUG, () -> "rehash of " + directory + " into " + file.getFileName() +
            " (" + newCapacity + " slots) started");
    }

    /**
     * Move up to {@code slots} slots of the old table into the current one. The old table is only read: entries
     * stay in it until the old file is deleted, so a crash at any point can resume from a logged cursor.
     */
    void migrate(final long slots)
    {
        final Table old = tables.source;
        final Table table = tables.current;
        final long cursor = tables.cursor;
        final long end = Math.min(old.capacity, cursor + Math.min(slots, old.capacity));
        final long now = old.expiry ? ExpiryClock.now() : 0;
        for (long i = cursor; i < end; i++)
        {
            if (STATE_FULL != old.state(i))
            {
                continue;
            }
            if (!old.slotIntact(i))
            {
                throw new CorruptStoreException("slot " + i + " of " + old.file.getFileName() + " fails its checksum " +
                    "and cannot be migrated; writes are refused until it is repaired: reopen with salvage(true) " +
                    "(`cubby recover --salvage`) to drop it");
            }
            if (old.isExpired(i, now))
            {
                if (null != notifier)
                {
                    notifier.removed(old, i, params.setMode, RemovalCause.EXPIRED);
                }
                old.setEntryCount(old.entryCount() - 1);
                if (null != counters)
                {
                    counters.expired.increment();
                }
                continue;
            }
            final int keyLength = old.keyLength(i);
            final long hash = old.slotHash(i);
            final long slot = table.findForInsert(hash, old.window(i), old.keyOffsetInWindow(i), keyLength);
            if (slot < 0)
            {
                table.insertCopy(-2 - slot, old, i);
            }
            old.setEntryCount(old.entryCount() - 1);
        }
        tables.cursor = end;
        table.setMigrationCursor(end);
        CrashPoints.Hook.reached("migrate.cursor-written");
    }

    /**
     * @return true if a rehash is in progress and its migration is complete.
     */
    boolean migrated()
    {
        return null != tables.source && tables.cursor == tables.source.capacity;
    }

    /**
     * Complete a migrated rehash in the background: force the new table without the lock, then complete it
     * under the lock, then delete the old file without it.
     */
    private void scheduleRetire(final Table old)
    {
        background.maintenance().execute(() ->
        {
            final Table target;
            long stamp = guard.lock.readLock();
            try
            {
                if (guard.isClosed() || tables.source != old)
                {
                    return;
                }
                target = tables.current;
            }
            finally
            {
                guard.lock.unlockRead(stamp);
            }
            try
            {
                target.force();
            }
            catch (final RuntimeException ex)
            {
                LOGGER.log(System.Logger.Level.WARNING, "forcing " + target.file + " failed; retrying later", ex);
                stamp = guard.lock.writeLock();
                retirePending = false;
                guard.lock.unlockWrite(stamp);
                return;
            }
            boolean retired = false;
            stamp = guard.lock.writeLock();
            try
            {
                if (!guard.isClosed() && tables.source == old && tables.current == target)
                {
                    completeLocked(true, false);
                    retired = true;
                }
            }
            catch (final RuntimeException ex)
            {
                LOGGER.log(System.Logger.Level.WARNING, "finishing rehash of " + directory + " failed", ex);
            }
            finally
            {
                guard.lock.unlockWrite(stamp);
            }
            if (retired)
            {
                // Unlinking a large cached file takes a while: not while holding the lock.
                deleteRetired(old);
            }
        });
    }

    /**
     * Finish a rehash whose migration is complete: make the new table durable, mark it complete, log the end and
     * delete the old file.
     */
    void completeLocked(final boolean currentForced)
    {
        completeLocked(currentForced, true);
    }

    private void completeLocked(final boolean currentForced, final boolean deleteOld)
    {
        final Table old = tables.source;
        clearSource(currentForced);
        final Wal wal = log.wal();
        if (wal.fits(WalRecordDescriptor.STRUCTURAL_LENGTH))
        {
            wal.appendStructural(WalRecordDescriptor.TYPE_REHASH_END, tables.current.generation, old.generation, 0);
            wal.forceAll();
            CrashPoints.Hook.reached("rehash-end.logged");
        }
        retire(old, deleteOld);
    }

    /**
     * Finish a migrated rehash without logging it (log replay) and delete the old file.
     */
    void completeUnlogged()
    {
        final Table old = tables.source;
        clearSource(false);
        retire(old, true);
    }

    private void clearSource(final boolean currentForced)
    {
        final Table current = tables.current;
        if (!currentForced)
        {
            current.force();
        }
        CrashPoints.Hook.reached("rehash-end.forced");
        // One positional write of the header's first bytes: Source Generation, Source Capacity, Header Checksum
        // and Migration Cursor change together or not at all.
        current.clearSource();
        current.forceHeader();
        tables.source.markSequence(TableDescriptor.SEQUENCE_RETIRED); // readers: the rehash out of it is done
        CrashPoints.Hook.reached("rehash-end.source-cleared");
    }

    private void retire(final Table old, final boolean deleteOld)
    {
        tables.source = null;
        tables.cursor = 0;
        retirePending = false;
        final Table current = tables.current;
        StoreEvents.rehashEnd(directory, -1, current.generation, current.capacity, current.entryCount());
        if (deleteOld)
        {
            deleteRetired(old);
            CrashPoints.Hook.reached("rehash-end.source-deleted");
        }
    }

    /**
     * Delete the file of a table no longer in use. Its mapping stays valid for readers still holding it.
     */
    private void deleteRetired(final Table old)
    {
        try
        {
            old.delete();
            Storage.syncDirectory(directory);
        }
        catch (final IOException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "could not delete " + old.file + "; it is deleted on next open",
                ex);
        }
    }

    /**
     * Migrate whatever is left of a rehash and complete it, in one write-lock hold.
     */
    void finishLocked()
    {
        if (null != tables.source)
        {
            migrate(Long.MAX_VALUE);
            completeLocked(false);
        }
    }

    /**
     * Migrate one chunk of a rehash in progress; the caller holds the write lock.
     */
    void migrateChunk()
    {
        migrate(MIGRATION_CHUNK);
    }

    /**
     * Drive an in-progress migration to its end, one chunk per write-lock hold.
     */
    void finishMigrationInChunks()
    {
        while (true)
        {
            final long stamp = guard.lock.writeLock();
            try
            {
                guard.ensureOpen();
                if (options.readOnly || null == tables.source || tables.cursor == tables.source.capacity)
                {
                    return;
                }
                migrate(MIGRATION_CHUNK);
            }
            catch (final InternalError ex)
            {
                throw fileWatch.mappedFault(ex);
            }
            finally
            {
                guard.lock.unlockWrite(stamp);
            }
        }
    }
}
