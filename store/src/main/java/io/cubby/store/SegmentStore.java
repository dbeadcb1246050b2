package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * Engine v2's store core (FORMAT-v2.md §7-§9): a {@link SegmentSet}, the version-2 log behind every write (its
 * room, appends and durability in {@link SegmentLog}), the writer's lock, the per-segment write locks, the
 * checkpoints ({@link SegmentCheckpointer}) and close; an open replays the log with {@link SegmentRecovery}.
 * {@link SegmentCore} puts it behind {@link Cubby}.
 * <p>
 * <b>In {@link Durability#NONE}</b> entry writes are not logged (as version 1's NONE): the segments' own write
 * protocols (FORMAT-v2 §8) keep them whole across a process kill, since the mapped pages survive it, and nothing
 * is promised across a power loss beyond a store that opens.
 * <p>
 * <b>A write</b> in SYNC and ASYNC takes its segment's write lock, reserves room for its record in the log, applies the
 * change to the segment (which may grow it, or fail for lack of disk before anything changes), appends the record and
 * releases the lock; in {@link Durability#SYNC} it then waits until the log is forced past its record (writers arriving
 * meanwhile share one force). Record order equals apply order for every key, because a key's writes hold its segment's
 * lock across both; writes to other segments run at the same time, sharing only the short append under the log lock.
 * <p>
 * <b>A checkpoint</b> ({@link SegmentCheckpointer}) runs once the log is half full, when it has no room for a record,
 * on request and at close: it forces the segment files changed since their last force while writers go on, then moves
 * the log's start past the records they hold.
 * <p>
 * <b>A close</b> stops new writes, waits for those under way, checkpoints, marks the log closed (FORMAT-v2.md 7.1)
 * and closes the set, which forces what changed and marks the manifest closed last: a close after no change forces
 * nothing.
 * <p>
 * <b>An open</b> recovers through {@link SegmentRecovery#recover} (after a clean close from the manifest, reading
 * no log record; after a crash files resolved from their headers, damage repaired or refused before any change,
 * then the whole live log replayed: replay is idempotent) and checkpoints if it replayed records.
 */
final class SegmentStore implements AutoCloseable
{
    static final String LOG_FILE = "wal.log";
    static final long DEFAULT_LOG_CAPACITY = 64L << 20;
    static final int MIGRATION_STEP = 2;

    private final Path directory;
    private final StoreLock fileLock;
    private final SegmentSet set;
    private final SegmentLog log;
    private final Durability durability;
    private final ThreadLocal<SegmentLookup> lookups = ThreadLocal.withInitial(SegmentLookup::new);
    private final SegmentCheckpointer checkpointer;
    private volatile boolean closed;
    /** Where close spent its time (diagnostics), with the set's own phases. */
    final PhaseTimes closePhases = new PhaseTimes("writers stopped", "checkpoint", "log closed", "threads",
        "set", "log file");
    private final SegmentRecovery.Report recovery;

    private SegmentStore(
        final Path directory, final StoreLock fileLock, final SegmentSet set, final SegmentLogWriter log,
        final Durability durability, final Duration syncInterval, final SegmentRecovery.Report recovery)
    {
        this.directory = directory;
        this.fileLock = fileLock;
        this.set = set;
        this.durability = durability;
        this.recovery = recovery;
        this.checkpointer = new SegmentCheckpointer(directory, set);
        this.log = new SegmentLog(directory, log, set.params, durability, syncInterval, checkpointer.thread());
        checkpointer.attach(this.log);
    }

    /** Start the background threads (the log's forcer in ASYNC, the checkpointer), once the open is done. */
    private SegmentStore start()
    {
        log.start();
        checkpointer.start();
        return this;
    }

    /**
     * Create a store in {@code directory} (which must not hold one) with {@code 2^params.segmentBits} segments of
     * {@code groupsPerSegment} groups each: the log, the segment files, and the manifest last (FORMAT-v2.md 2.1),
     * after deleting what an earlier creation cut short left there ({@link CreationLeftovers}).
     */
    static SegmentStore create(
        final Path directory, final SegmentParams params, final long groupsPerSegment, final long logCapacity,
        final Durability durability, final Duration syncInterval) throws IOException
    {
        Files.createDirectories(directory);
        final StoreLock lock = StoreLock.acquireWriter(directory);
        try
        {
            if (Files.exists(directory.resolve(ManifestDescriptor.FILE_NAME)))
            {
                throw new IncompatibleStoreException(directory + " already holds a store");
            }
            // asked again under the writer's lock: another process may have created the store meanwhile
            CreationLeftovers.delete(directory, CreationLeftovers.require(directory));
            final SegmentLogWriter log = SegmentLogWriter.create(directory.resolve(LOG_FILE), params, logCapacity,
                ThreadLocalRandom.current().nextInt() | 1, 1);
            final SegmentSet set;
            try
            {
                set = SegmentSet.create(directory, params, groupsPerSegment, MIGRATION_STEP, true, true);
            }
            catch (final IOException | RuntimeException ex)
            {
                log.close();
                throw ex;
            }
            return new SegmentStore(directory, lock, set, log, durability, syncInterval, null).start();
        }
        catch (final IOException | RuntimeException ex)
        {
            lock.close();
            throw ex;
        }
    }

    /**
     * Open the store in {@code directory}: replay its log into the segments (refused, before any change, if the
     * log is damaged in the middle, unless {@code salvage}), then checkpoint if anything was replayed. The log
     * keeps its size.
     */
    static SegmentStore open(
        final Path directory, final Durability durability, final Duration syncInterval, final boolean salvage)
        throws IOException
    {
        return open(directory, durability, syncInterval, salvage, LogSize.KEEP);
    }

    /**
     * {@link #open(Path, Durability, Duration, boolean)}, then give the log the size {@code logSize} asks for
     * (FORMAT-v2.md 7.1): a new, empty log replaces the old one once that holds no live record. The new file is
     * allocated before recovery changes anything, so an open that cannot allocate it (a full disk) fails having
     * changed nothing.
     */
    static SegmentStore open(
        final Path directory, final Durability durability, final Duration syncInterval, final boolean salvage,
        final LogSize logSize) throws IOException
    {
        StoreUpgrade.checkNotInterrupted(directory);
        final StoreLock lock = StoreLock.acquireWriter(directory);
        SegmentSet set = null;
        SegmentLogWriter resumed = null;
        SegmentStore store = null;
        Path replacement = null;
        try
        {
            final Path logFile = directory.resolve(LOG_FILE);
            if (!Files.isRegularFile(logFile))
            {
                throw new CorruptStoreException(directory + ": " + LOG_FILE + " is missing or not a regular file");
            }
            // a log whose creation or resize was cut short (FORMAT-v2.md 1): a file of ours, under the writer's lock
            final Path stale = SegmentLogWriter.temporaryFile(logFile);
            if (Files.isRegularFile(stale, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            {
                Files.delete(stale);
            }
            // the Log Capacity is the file's length (7.1; the recovery below refuses a log where they differ)
            final long newCapacity = logSize.capacityFor(Files.size(logFile));
            if (newCapacity > 0)
            {
                try
                {
                    replacement = SegmentLogWriter.prepare(logFile, newCapacity);
                }
                catch (final IOException ex)
                {
                    throw new StoreIOException("cannot resize the log of " + directory + " to " + newCapacity +
                        " bytes: " + ex + "; nothing was changed", ex);
                }
            }
            final SegmentRecovery.Recovered recovered = SegmentRecovery.recover(directory, logFile, MIGRATION_STEP,
                System.currentTimeMillis(), salvage, true, true);
            set = recovered.set;
            final SegmentRecovery.Report report = recovered.report;
            long t = System.nanoTime();
            resumed = SegmentLogWriter.resume(logFile, set.params, report.log, salvage);
            t = report.phases.mark(SegmentRecovery.PHASE_LOG_RESUME, t);
            store = new SegmentStore(directory, lock, set, resumed, durability, syncInterval, report);
            t = report.phases.mark(SegmentRecovery.PHASE_START, t);
            if (report.puts + report.removes > 0 || report.log.stop != SegmentLogReader.Stop.END ||
                null != replacement && store.log.usedBytes() > 0)
            {
                store.checkpoint();
            }
            if (null != replacement)
            {
                final Path prepared = replacement;
                replacement = null; // the log file now, or deleted by the replacement if that fails
                store.log.replace(prepared, newCapacity);
            }
            report.phases.mark(SegmentRecovery.PHASE_CHECKPOINT, t);
            return store.start();
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != store)
            {
                store.log.close(); // the resumed log, or its replacement
            }
            else if (null != resumed)
            {
                resumed.close();
            }
            if (null != set)
            {
                set.close();
            }
            if (null != replacement)
            {
                Files.deleteIfExists(replacement);
            }
            lock.close();
            throw ex;
        }
    }

    /**
     * The size an open gives the log (FORMAT-v2.md 7.1): {@link #KEEP} it, or a capacity, to which the log is
     * resized when it differs, or, {@code growOnly}, only when the log is smaller.
     */
    record LogSize(long capacity, boolean growOnly)
    {
        static final LogSize KEEP = new LogSize(0, true);

        /** @return the capacity to resize a log of {@code current} bytes to, or 0 to keep it. */
        long capacityFor(final long current)
        {
            return capacity <= 0 || capacity == current || growOnly && current > capacity ? 0 : capacity;
        }
    }

    SegmentSet segments()
    {
        return set;
    }

    /** @return what the open's replay did, or null for a created store. */
    SegmentRecovery.Report recoveryReport()
    {
        return recovery;
    }

    long checkpointCount()
    {
        return checkpointer.count();
    }

    /** Forces of the log since the open (tests). */
    long logForceCount()
    {
        return log.forceCount();
    }

    long entryCount()
    {
        return set.entryCount();
    }

    /**
     * Segment {@code s}'s reentrant write lock, the set's own ({@link SegmentSet#lockOf}): a holder may read, decide
     * and put/remove atomically (the facade), and a logged write holds it across apply and append; the set's write
     * inside takes it again, reentrantly, so a write takes one lock.
     */
    ReentrantLock writeLock(final int s)
    {
        return set.lockOf(s);
    }

    Durability durability()
    {
        return durability;
    }

    /** @return {log bytes in use, log capacity}, for statistics. */
    long[] logUsage()
    {
        return log.usage();
    }

    boolean isClosed()
    {
        return closed;
    }

    // ---------------------------------------------------------------- reads

    /** @return the value length copied to {@code dst}, or -1 if absent (or expired now). */
    int get(final DirectBuffer key, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        checkOpen();
        return set.get(key, offset, length, dst, dstOffset, lookups.get());
    }

    /**
     * Read at a given time ({@link SegmentSet#get(DirectBuffer, int, int, MutableDirectBuffer, int, long,
     * SegmentLookup)}).
     *
     * @return the value length copied to {@code dst}, or -1 if absent or expired at {@code now}.
     */
    int get(final DirectBuffer key, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset, final long now)
    {
        checkOpen();
        return set.get(key, offset, length, dst, dstOffset, now, lookups.get());
    }

    /**
     * When the entry the calling thread's last {@link #get} found expires: epoch ms, 0 for never (and for a store
     * without expiry); meaningful only if that read found the key.
     */
    long lastReadExpiresAt()
    {
        return lookups.get().expiresAt;
    }

    // ---------------------------------------------------------------- writes

    /**
     * Insert or replace, never expiring (in an expiry store: keeping a live entry's expiry).
     *
     * @return whether the key was new.
     */
    boolean put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength) throws IOException
    {
        return put(key, keyOffset, keyLength, value, valueOffset, valueLength,
            set.params.expiry ? Arguments.KEEP_EXPIRY : 0);
    }

    /**
     * Insert or replace ({@link SegmentSet#put}).
     *
     * @param expiresAt epoch ms, 0 for never, or {@link Arguments#KEEP_EXPIRY}; 0 in a store without expiry.
     * @return whether the key was new (absent, or expired when the segment's lock was taken).
     */
    boolean put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength, final long expiresAt) throws IOException
    {
        checkKeyLength(keyLength);
        if (valueLength < 0 || valueLength > set.params.maxValueLength)
        {
            throw new EntryTooLargeException("value length " + valueLength + " outside 0.." +
                set.params.maxValueLength);
        }
        if (durability == Durability.NONE)
        {
            checkOpen();
            return set.put(key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt, lookups.get());
        }
        return logged(false, key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt);
    }

    /**
     * Remove. An expired entry counts as absent and stays; nothing is logged then.
     *
     * @return whether the key was present (and live).
     */
    boolean remove(final DirectBuffer key, final int keyOffset, final int keyLength) throws IOException
    {
        checkKeyLength(keyLength);
        if (durability == Durability.NONE)
        {
            checkOpen();
            return set.remove(key, keyOffset, keyLength, lookups.get());
        }
        return logged(true, key, keyOffset, keyLength, null, 0, 0, 0);
    }

    private void checkKeyLength(final int keyLength)
    {
        if (keyLength < 0 || keyLength > set.params.maxKeyLength)
        {
            throw new EntryTooLargeException("key length " + keyLength + " outside 0.." + set.params.maxKeyLength);
        }
    }

    /**
     * A logged write (see the class comment): under the segment's lock, reserve the record's room, change the
     * segment, append the record; checkpoint and retry while the log has no room; then wait for durability.
     * <p>
     * A put's record carries the Expires At the segment wrote ({@code lookup.expiresAt}: "keep the current expiry"
     * resolved under the lock), so that replay writes the same deadline.
     *
     * @return for a put, whether the key was new; for a removal, whether it was present (else nothing is logged).
     */
    private boolean logged(final boolean removal, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final long expiresAt)
        throws IOException
    {
        final SegmentLookup lookup = lookups.get();
        final int recordLength = SegmentLogDescriptor.entryRecordLength(keyLength, removal ? 0 : valueLength);
        // a put into a bounded store may evict an entry, whose REMOVE record goes first (SegmentEvictor)
        final int evictionRoom = !removal && set.maxEntries() > 0 ?
            SegmentLogDescriptor.entryRecordLength(set.params.maxKeyLength, 0) : 0;
        final ReentrantLock lock = writeLock(set.segmentOf(set.hash(key, keyOffset, keyLength)));
        boolean result;
        long sequence = -1;
        while (true)
        {
            lock.lock();
            try
            {
                checkOpen();
                if (log.reserve(recordLength + evictionRoom))
                {
                    try
                    {
                        result = removal ? set.remove(key, keyOffset, keyLength, lookup) :
                            set.put(key, keyOffset, keyLength, value, valueOffset, valueLength, expiresAt, lookup);
                    }
                    catch (final IOException | RuntimeException ex)
                    {
                        log.release(recordLength + evictionRoom);
                        throw ex;
                    }
                    if (evictionRoom > 0)
                    {
                        if (lookup.victimKeyLength >= 0)
                        {
                            final int victimLength = SegmentLogDescriptor.entryRecordLength(lookup.victimKeyLength, 0);
                            log.append(victimLength, lookup.victimKey, 0, lookup.victimKeyLength, null, 0, -1, 0);
                            log.release(evictionRoom - victimLength);
                        }
                        else
                        {
                            log.release(evictionRoom);
                        }
                    }
                    if (removal && !result)
                    {
                        log.release(recordLength);
                    }
                    else
                    {
                        sequence = log.append(recordLength, key, keyOffset, keyLength, value, valueOffset,
                            removal ? -1 : valueLength, lookup.expiresAt);
                    }
                    break;
                }
            }
            finally
            {
                lock.unlock();
            }
            checkpoint();
        }
        if (sequence >= 0)
        {
            log.afterWrite(sequence);
        }
        return result;
    }

    /**
     * Keep the entry bound a writable open asks for ({@code null}: the one the store holds), evicting down to it
     * before the open returns, then checkpointing if anything was evicted (the evictions are not logged).
     */
    void applyEntryBound(final Long requested) throws IOException
    {
        checkOpen();
        final long bound = null == requested ? set.maxEntries() : requested;
        set.maxEntries(bound);
        if (SegmentEvictor.evictDownTo(set, bound, lookups.get()) > 0)
        {
            checkpoint();
        }
    }

    // ---------------------------------------------------------------- compaction, checkpoints and close

    /**
     * Compaction (FORMAT-v2.md 9.1): {@link SegmentCompaction}, each step under its segment's lock after an open
     * check. Called by one thread at a time per store (the facade serialises).
     *
     * @param progress receives the source slots migrated so far by the shrinks, after each step; may be null.
     * @return the segments shrunk.
     */
    int compact(final int loadPpm, final boolean fit, final LongConsumer progress) throws IOException
    {
        return SegmentCompaction.run(set, this::checkOpen, lookups.get(), loadPpm, fit, progress);
    }

    /** A checkpoint ({@link SegmentCheckpointer#checkpoint()}); called by a thread holding no segment lock. */
    void checkpoint() throws IOException
    {
        checkpointer.checkpoint();
    }

    /**
     * What other processes did to the store's files (truncated, replaced, deleted): empty while every file is as
     * mapped ({@link FileWatch}).
     */
    String changedFiles()
    {
        return checkpointer.changedFiles();
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(directory + " is closed");
        }
    }

    /**
     * Refuse new writes and wait for those under way, checkpoint, mark the log closed (FORMAT-v2.md 7.1: the next
     * open reads no record), stop the background threads, close the set (which forces what changed and marks the
     * manifest closed, last) and release the writer's lock.
     */
    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        long t = System.nanoTime();
        boolean changed = false;
        try
        {
            closed = true;
            checkpointer.stopping();
            // a logged write that passed its open check holds its segment's lock until it has appended
            for (int s = 0; s < set.segmentCount(); s++)
            {
                writeLock(s).lock();
                writeLock(s).unlock();
            }
            t = closePhases.mark(0, t);
            final String changes = changedFiles();
            changed = !changes.isEmpty();
            checkpointer.checkpoint(changes);
            t = closePhases.mark(1, t);
            log.markClosedIfEmpty();
            t = closePhases.mark(2, t);
        }
        finally
        {
            checkpointer.stop();
            log.stop();
            t = closePhases.mark(3, t);
            try
            {
                if (changed)
                {
                    set.closeUnclean();
                }
                else
                {
                    set.close();
                }
            }
            finally
            {
                t = closePhases.mark(4, t);
                try
                {
                    log.close();
                    closePhases.mark(5, t);
                }
                finally
                {
                    fileLock.close();
                }
            }
        }
    }
}
