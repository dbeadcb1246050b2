package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static io.cubby.store.SlotDescriptor.STATE_EMPTY;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;
import static io.cubby.store.TableDescriptor.SEQUENCE_RETIRED;
import static io.cubby.store.TableDescriptor.SEQUENCE_SUPERSEDED;
import static io.cubby.store.TableDescriptor.SEQUENCE_WRITING;

/**
 * The reads of a read-only store, validated against the tables' Write Sequence words (FORMAT.md §3.4), so that
 * they stay correct while a writer in another process changes the files: a seqlock read per key (read the words,
 * look up, copy out, read the words again, retry on a change), the set of live tables followed through growth and
 * compaction, and a writer that died mid-write detected through its lock instead of waited for.
 * <p>
 * Thread-safe: the table set is an immutable {@link View} published through a volatile field; lookups allocate
 * nothing. Tables that leave the set are not unmapped (their mappings stay valid for readers still using them,
 * also after the writer deleted the file).
 */
final class LiveReader
{
    /** Busy spins on a write in progress before backing off. */
    static final int SPIN_LIMIT = 1 << 10;
    /** One back-off pause while a write is in progress. */
    static final long BACKOFF_NANOS = 20_000;
    /** A write in progress this long makes the reader check the writer's liveness through its lock. */
    static final long LIVENESS_CHECK_NANOS = 10_000_000L;
    /** A live writer that keeps one write in progress this long is reported instead of waited for. */
    static final long STUCK_WRITER_NANOS = 60_000_000_000L;
    /** With no writer session on the current table, how often the directory is checked for a newer table. */
    static final long DIRECTORY_CHECK_NANOS = 100_000_000L;
    /** Attempts at a validated reachability check of one entry before it is left unchecked. */
    static final int CHECK_ATTEMPTS = 1 << 12;
    /** Attempts to map a consistent table set before giving up. */
    static final int REFRESH_ATTEMPTS = 200;

    private static final int PROCEED = 0;
    private static final int REFRESH = 1;
    private static final int WAIT = 2;

    private final Path directory;
    private final TableParams params;
    private volatile View view;
    private volatile boolean closed;

    /**
     * The tables a lookup reads: the current one and, during a rehash, its source.
     */
    static final class View
    {
        final Table current;
        final Table source;
        final Path nextTable;
        /**
         * Flags the current table's word had when this view was mapped while no newer table existed: stale (a
         * writer sets Superseded only after the newer file is in place), so they do not call for a new view.
         */
        final int acceptedCurrentFlags;
        /** A writer session was seen on the current table (its word was non-zero). */
        volatile boolean sawSession;
        volatile long nextDirectoryCheck;
        /** An odd word a dead writer left in the current / source table, read without waiting (0: none). */
        volatile int deadCurrentWord;
        volatile int deadSourceWord;

        View(final Table current, final Table source, final int acceptedCurrentFlags)
        {
            this.current = current;
            this.source = source;
            this.acceptedCurrentFlags = acceptedCurrentFlags;
            this.nextTable = current.file.resolveSibling(TableDescriptor.fileName(current.generation + 1));
            this.sawSession = 0 != current.writeSequence();
        }
    }

    LiveReader(final Path directory, final TableParams params, final Table current, final Table source)
    {
        this.directory = directory;
        this.params = params;
        this.view = new View(current, source, 0);
    }

    /**
     * @return the tables as last mapped (for stats and tests).
     */
    View view()
    {
        return view;
    }

    // ---------------------------------------------------------------- lookups

    /**
     * Look a key up and copy its value (its key in set mode) into {@code dst} (null: none).
     *
     * @return the value length, or {@link Cubby#MISSING}.
     */
    int read(
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        return (int)lookup(hash, key, keyOffset, keyLength, dst, dstOffset, false);
    }

    /**
     * @return the key's expiry time in epoch milliseconds (0 for never), or {@link Cubby#MISSING}.
     */
    long expiresAt(final long hash, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        return lookup(hash, key, keyOffset, keyLength, null, 0, true);
    }

    private long lookup(
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final boolean expiryOnly)
    {
        int waits = 0;
        long waitStart = 0;
        while (true)
        {
            ensureOpen();
            final View v = view;
            final Table current = v.current;
            final Table source = v.source;
            final int c1 = current.writeSequence();
            final int s1 = null == source ? 0 : source.writeSequence();
            final int decision = decide(v, c1, s1);
            if (REFRESH == decision)
            {
                refresh(v);
                continue;
            }
            if (WAIT == decision)
            {
                waitStart = awaitWriter(v, c1, s1, waits++, waitStart);
                continue;
            }
            long result;
            RuntimeException failure = null;
            try
            {
                result = lookupIn(v, hash, key, keyOffset, keyLength, dst, dstOffset, expiryOnly);
            }
            catch (final RuntimeException ex)
            {
                failure = ex;
                result = Cubby.MISSING;
            }
            final int c2 = current.writeSequenceAfterRead();
            final int s2 = null == source ? 0 : source.writeSequenceAfterRead();
            if (c2 != c1 || s2 != s1)
            {
                Thread.onSpinWait();
                continue;
            }
            if (null != failure)
            {
                throw deadWriterProblem(v, c1, s1, failure);
            }
            return result;
        }
    }

    private long lookupIn(
        final View v,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final boolean expiryOnly)
    {
        Table table = v.current;
        long index = table.find(hash, key, keyOffset, keyLength);
        if (index < 0 && null != v.source)
        {
            table = v.source;
            index = table.find(hash, key, keyOffset, keyLength);
        }
        if (index < 0 || (table.expiry && table.isExpired(index, System.currentTimeMillis())))
        {
            return Cubby.MISSING;
        }
        final int length = params.setMode ? table.keyLength(index) : table.valueLength(index);
        // always checksummed: a slot read here may belong to a write that has not finished
        table.verifyChecksum(index);
        if (expiryOnly)
        {
            return table.expiresAt(index);
        }
        if (null != dst)
        {
            table.copyOut(index, params.setMode, length, dst, dstOffset);
        }
        return length;
    }

    /**
     * What the words read before a lookup allow: proceed, map the table set again, or wait for a write.
     */
    private int decide(final View v, final int c1, final int s1)
    {
        if (0 != (c1 & (SEQUENCE_SUPERSEDED | SEQUENCE_RETIRED) & ~v.acceptedCurrentFlags))
        {
            return REFRESH;
        }
        if (null != v.source && (0 != (s1 & SEQUENCE_RETIRED) ||
            v.current.headerSourceGeneration() != v.source.generation))
        {
            return REFRESH;
        }
        if (0 == c1 && v.sawSession)
        {
            // the writer closed the store: the table set may have changed while no lookup ran
            return REFRESH;
        }
        if (0 == c1 || c1 == v.deadCurrentWord)
        {
            // no live writer session on the current table (none yet, or its writer died): a newer table may
            // appear without this one changing (a writer that opened and rehashed between two lookups, salvage);
            // look for one now and then
            final long now = System.nanoTime();
            if (now - v.nextDirectoryCheck > 0)
            {
                v.nextDirectoryCheck = now + DIRECTORY_CHECK_NANOS;
                if (Files.exists(v.nextTable, LinkOption.NOFOLLOW_LINKS))
                {
                    return REFRESH;
                }
            }
        }
        else if (!v.sawSession)
        {
            v.sawSession = true;
        }
        if ((0 != (c1 & SEQUENCE_WRITING) && c1 != v.deadCurrentWord) ||
            (0 != (s1 & SEQUENCE_WRITING) && s1 != v.deadSourceWord))
        {
            return WAIT;
        }
        return PROCEED;
    }

    /**
     * Wait for a write in progress: spin, then back off, then check through the lock whether the writer is still
     * alive. A dead writer's odd word is remembered, and the table is read as it stands (what any later
     * recovery starts from); a torn slot then reports that the store needs recovery.
     *
     * @return the time the wait began.
     */
    private long awaitWriter(final View v, final int c1, final int s1, final int waits, final long waitStart)
    {
        if (waits < SPIN_LIMIT)
        {
            Thread.onSpinWait();
            return waitStart;
        }
        final long now = System.nanoTime();
        if (0 == waitStart)
        {
            LockSupport.parkNanos(BACKOFF_NANOS);
            return now;
        }
        if (now - waitStart < LIVENESS_CHECK_NANOS)
        {
            LockSupport.parkNanos(BACKOFF_NANOS);
            return waitStart;
        }
        if (StoreLock.WRITER_NONE == StoreLock.probeWriter(directory))
        {
            if (0 != (c1 & SEQUENCE_WRITING))
            {
                v.deadCurrentWord = c1;
            }
            if (0 != (s1 & SEQUENCE_WRITING))
            {
                v.deadSourceWord = s1;
            }
            Cubby.LOGGER.log(System.Logger.Level.WARNING, () -> "the writer of " + directory + " died during a " +
                "write; reading the tables as they stand until a writable open recovers the store");
            return 0;
        }
        if (now - waitStart > STUCK_WRITER_NANOS)
        {
            throw new StoreIOException("the writer of " + directory + StoreLock.holder(directory) + " has had a " +
                "write in progress for " + STUCK_WRITER_NANOS / 1_000_000_000L + " s (stopped or hung?); retry later");
        }
        LockSupport.parkNanos(LIVENESS_CHECK_NANOS);
        return waitStart;
    }

    private RuntimeException deadWriterProblem(final View v, final int c1, final int s1, final RuntimeException ex)
    {
        final boolean dead = (0 != (c1 & SEQUENCE_WRITING)) || (0 != (s1 & SEQUENCE_WRITING));
        if (dead && ex instanceof CorruptStoreException)
        {
            return new CorruptStoreException("store " + directory + " needs recovery: its writer died during a " +
                "write to " + (0 != (c1 & SEQUENCE_WRITING) ? v.current : v.source).file.getFileName() + " (" +
                ex.getMessage() + "); open it writable (`cubby recover`) to recover it", ex);
        }
        return ex;
    }

    // ---------------------------------------------------------------- the table set

    /**
     * Map the current set of tables (FORMAT.md §3.4): the highest generation in the directory is current, and
     * its header's Source Generation, read from its mapping, names the source. Retried while the writer is
     * mid-change (a file deleted or a header being rewritten between listing and reading it).
     */
    private void refresh(final View seen)
    {
        synchronized (this)
        {
            if (view != seen)
            {
                return;
            }
            RuntimeException last = null;
            for (int attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++)
            {
                try
                {
                    final View next = mapView(seen);
                    if (null != next)
                    {
                        view = next;
                        retire(seen, next);
                        return;
                    }
                }
                catch (final NotAStoreException | CorruptStoreException | StoreIOException ex)
                {
                    last = ex;
                }
                LockSupport.parkNanos(1_000_000L);
            }
            throw null != last ? last : new StoreIOException("cannot follow the tables of " + directory +
                ": they kept changing");
        }
    }

    /**
     * @return the new view, or null if the files changed while it was being mapped (try again).
     */
    private View mapView(final View seen)
    {
        final List<Long> generations = StoreDirectory.tableGenerations(directory);
        if (generations.isEmpty())
        {
            throw new NotAStoreException("no table file left in " + directory);
        }
        final long generation = generations.get(0);
        final Table current = generation == seen.current.generation ? seen.current : tableOf(seen, generation);
        final long sourceGeneration = current.headerSourceGeneration();
        Table source = null;
        if (TableDescriptor.NO_SOURCE != sourceGeneration)
        {
            if (sourceGeneration < 0 || sourceGeneration >= current.generation)
            {
                return null;
            }
            try
            {
                source = tableOf(seen, sourceGeneration);
            }
            catch (final NotAStoreException ex)
            {
                // the rehash ended and the source was deleted meanwhile: its header says so by now
                if (current.headerSourceGeneration() == TableDescriptor.NO_SOURCE)
                {
                    return null;
                }
                throw ex;
            }
            if (!source.params.sameShape(current.params))
            {
                throw new CorruptStoreException(source.file.getFileName() + " does not match the parameters of " +
                    current.file.getFileName());
            }
        }
        if (current.headerSourceGeneration() != sourceGeneration)
        {
            return null;
        }
        // flags read now, then no newer table listed: they predate this listing, so they are stale
        final int flags = current.writeSequence() & (SEQUENCE_SUPERSEDED | SEQUENCE_RETIRED);
        if (0 != flags)
        {
            final List<Long> again = StoreDirectory.tableGenerations(directory);
            if (again.isEmpty() || again.get(0) != generation)
            {
                return null;
            }
        }
        return new View(current, source, flags);
    }

    private Table tableOf(final View seen, final long generation)
    {
        if (generation == seen.current.generation)
        {
            return seen.current;
        }
        if (null != seen.source && generation == seen.source.generation)
        {
            return seen.source;
        }
        final Table table;
        try
        {
            table = Table.open(directory.resolve(TableDescriptor.fileName(generation)), true);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot open " + TableDescriptor.fileName(generation) + ": " + ex, ex);
        }
        if (!table.params.sameShape(params))
        {
            table.close();
            throw new CorruptStoreException(table.file.getFileName() + " does not match the store's parameters");
        }
        return table;
    }

    /**
     * Close the channels of tables that left the set; their mappings stay valid for lookups still using them.
     */
    private static void retire(final View seen, final View next)
    {
        for (final Table table : new Table[]{ seen.current, seen.source })
        {
            if (null != table && table != next.current && table != next.source)
            {
                table.close();
            }
        }
    }

    // ---------------------------------------------------------------- scans

    /**
     * Visit every entry, each one read consistently on its own (copied out under a validated read), with no
     * snapshot across entries: an entry written, removed or moved by a rehash during the scan may be visited with
     * either value or missed; one left unchanged throughout is visited once.
     */
    void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        ensureOpen();
        final View start = view;
        if (REFRESH == decide(start, start.current.writeSequence(),
            null == start.source ? 0 : start.source.writeSequence()))
        {
            refresh(start);
        }
        final View v = view;
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[params.maxKeyLength + Math.max(0, params.maxValueLength)]);
        final SlotCopy slot = new SlotCopy();
        for (final Table table : null == v.source ? new Table[]{ v.current } : new Table[]{ v.current, v.source })
        {
            final long now = table.expiry ? System.currentTimeMillis() : 0;
            for (long i = 0; i < table.capacity; i++)
            {
                readSlot(v, table, i, copy, slot, now);
                if (SlotCopy.FULL == slot.kind)
                {
                    final int valueOffset = params.setMode ? 0 : slot.keyLength;
                    visitor.visit(copy, 0, slot.keyLength, copy, valueOffset, slot.valueLength);
                }
                else if (SlotCopy.CORRUPT == slot.kind)
                {
                    if (null == onCorrupt)
                    {
                        throw slot.problem;
                    }
                    onCorrupt.onCorrupt(copy, 0, slot.keyLength, slot.problem);
                }
            }
        }
    }

    /**
     * Count the live entries from the mapped headers (may be a write behind).
     */
    long estimatedSize()
    {
        ensureOpen();
        final View v = view;
        long entries = Math.max(0, v.current.mappedEntryCount());
        if (null != v.source)
        {
            entries += Math.max(0, v.source.mappedEntryCount());
        }
        return entries;
    }

    /**
     * Count live entries by scanning.
     */
    long countLive(final long limit)
    {
        final long[] count = new long[1];
        try
        {
            forEach((k, ko, kl, val, vo, vl) ->
            {
                if (++count[0] >= limit)
                {
                    throw new StopScan();
                }
            }, (k, ko, kl, ex) -> count[0]++);
        }
        catch (final StopScan stop)
        {
            // limit reached
        }
        return count[0];
    }

    private static final class StopScan extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        StopScan()
        {
            super(null, null, false, false);
        }
    }

    /**
     * A slot read consistently by {@link #readSlot}.
     */
    static final class SlotCopy
    {
        static final int SKIP = 0;
        static final int FULL = 1;
        static final int CORRUPT = 2;
        static final int TOMBSTONE = 3;
        static final int EMPTY = 4;

        int kind;
        int keyLength;
        int valueLength;
        long hash;
        long probes;
        CorruptStoreException problem;
    }

    /**
     * Read one slot under a validated read: empty, tombstone, a live entry copied into {@code copy} (key, then
     * value), skipped (expired, or a source copy the current table shadows), or corrupt (a problem seen in a
     * read that no write overlapped).
     */
    void readSlot(final View v, final Table table, final long index, final UnsafeBuffer copy, final SlotCopy out,
        final long now)
    {
        int waits = 0;
        long waitStart = 0;
        while (true)
        {
            final int c1 = v.current.writeSequence();
            final int s1 = null == v.source ? 0 : v.source.writeSequence();
            if ((0 != (c1 & SEQUENCE_WRITING) && c1 != v.deadCurrentWord) ||
                (0 != (s1 & SEQUENCE_WRITING) && s1 != v.deadSourceWord))
            {
                waitStart = awaitWriter(v, c1, s1, waits++, waitStart);
                continue;
            }
            readSlotOnce(v, table, index, copy, out, now);
            final int c2 = v.current.writeSequenceAfterRead();
            final int s2 = null == v.source ? 0 : v.source.writeSequenceAfterRead();
            if (c1 == c2 && s1 == s2)
            {
                if (SlotCopy.CORRUPT == out.kind)
                {
                    final RuntimeException problem = deadWriterProblem(v, c1, s1, out.problem);
                    out.problem = problem instanceof CorruptStoreException ? (CorruptStoreException)problem :
                        out.problem;
                }
                return;
            }
        }
    }

    private void readSlotOnce(final View v, final Table table, final long index, final UnsafeBuffer copy,
        final SlotCopy out, final long now)
    {
        out.problem = null;
        out.keyLength = 0;
        out.valueLength = 0;
        out.probes = 0;
        try
        {
            final int state = table.state(index);
            if (STATE_EMPTY == state)
            {
                out.kind = SlotCopy.EMPTY;
                return;
            }
            if (STATE_TOMBSTONE == state)
            {
                out.kind = SlotCopy.TOMBSTONE;
                return;
            }
            if (STATE_FULL != state)
            {
                out.kind = SlotCopy.CORRUPT;
                out.problem = new CorruptStoreException("slot " + index + " of " + table.file.getFileName() +
                    " has invalid state " + state);
                return;
            }
            final int keyLength = Math.max(0, Math.min(table.maxKeyLength,
                table.window(index).getInt(table.slotOffset(index) + SlotDescriptor.KEY_LENGTH_OFFSET)));
            out.keyLength = keyLength;
            table.copyKey(index, copy, 0, keyLength);
            final int realKeyLength = table.keyLength(index);
            final int valueLength = params.setMode ? realKeyLength : table.valueLength(index);
            table.verifyChecksum(index);
            out.valueLength = valueLength;
            out.hash = table.slotHash(index);
            if (!params.setMode)
            {
                table.copyValue(index, copy, realKeyLength, valueLength);
            }
            if (table.isExpired(index, now) ||
                (table == v.source && v.current.find(out.hash, copy, 0, realKeyLength) >= 0))
            {
                out.kind = SlotCopy.SKIP;
                return;
            }
            out.kind = SlotCopy.FULL;
        }
        catch (final CorruptStoreException ex)
        {
            out.kind = SlotCopy.CORRUPT;
            out.problem = ex;
        }
    }

    // ---------------------------------------------------------------- online verify

    /**
     * Verify what can be checked while a writer may be active: every slot read consistently has a valid state,
     * valid lengths and checksum, its Key Hash matches its key, and its key is reachable from its home slot.
     * Not checked, since they change under a live writer: duplicates across slots, the header counts against a
     * count, the undo area and the log.
     */
    VerifyReport verify(final boolean writerLive)
    {
        ensureOpen();
        final View v = view;
        final List<String> problems = new ArrayList<>();
        long problemCount = 0;
        long entries = 0;
        long tombstones = 0;
        long slots = 0;
        final long[] histogram = new long[Verifier.HISTOGRAM_BUCKETS];
        final double[] regions = new double[(int)Math.min(Verifier.REGIONS, v.current.capacity)];
        long maxProbe = 0;
        long probeTotal = 0;
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[params.maxKeyLength + Math.max(0, params.maxValueLength)]);
        final SlotCopy slot = new SlotCopy();
        final Xxh3 hashFunction = Xxh3.withSeed(params.seed);
        for (final Table table : null == v.source ? new Table[]{ v.current } : new Table[]{ v.current, v.source })
        {
            final long regionSize = Math.max(1, table.capacity / Math.max(1, regions.length));
            for (long i = 0; i < table.capacity; i++)
            {
                slots++;
                readSlot(v, table, i, copy, slot, 0);
                if (SlotCopy.CORRUPT == slot.kind)
                {
                    problemCount++;
                    if (problems.size() < VerifyReport.MAX_LISTED_PROBLEMS)
                    {
                        problems.add(slot.problem.getMessage());
                    }
                    continue;
                }
                if (SlotCopy.TOMBSTONE == slot.kind)
                {
                    if (table == v.current)
                    {
                        tombstones++;
                        regions[(int)Math.min(regions.length - 1, i / regionSize)] += 1.0 / regionSize;
                    }
                    continue;
                }
                if (SlotCopy.EMPTY == slot.kind)
                {
                    continue;
                }
                if (table == v.current)
                {
                    regions[(int)Math.min(regions.length - 1, i / regionSize)] += 1.0 / regionSize;
                }
                if (SlotCopy.FULL != slot.kind)
                {
                    continue;
                }
                entries++;
                final String problem = checkKey(v, table, i, copy, slot, hashFunction);
                if (null != problem)
                {
                    problemCount++;
                    if (problems.size() < VerifyReport.MAX_LISTED_PROBLEMS)
                    {
                        problems.add(problem);
                    }
                }
                else if (table == v.current)
                {
                    probeTotal += slot.probes;
                    maxProbe = Math.max(maxProbe, slot.probes);
                    histogram[(int)Math.min(histogram.length - 1, Math.max(0, slot.probes - 1))]++;
                }
            }
        }
        final long currentEntries = entries;
        final double mean = currentEntries == 0 ? 0 : probeTotal / (double)currentEntries;
        return new VerifyReport(problems, problemCount, entries, tombstones, slots, histogram, regions, maxProbe,
            mean, writerLive ? List.of(
                "a writer is active: each slot was checked as read at one instant; duplicate keys, the header " +
                "counts, the undo area and the log were not checked (`cubby verify` with the writer closed checks " +
                "them)") : List.of());
    }

    /**
     * @return a problem with an entry just read: its Key Hash not the hash of its key, or its key not reachable
     *         from its home slot (checked again under a validated read, since the entry may have moved).
     */
    private String checkKey(final View v, final Table table, final long index, final UnsafeBuffer copy,
        final SlotCopy slot, final Xxh3 hashFunction)
    {
        final long hash = Hashing.hash(hashFunction, copy, 0, slot.keyLength);
        if (hash != slot.hash)
        {
            return "slot " + index + " of " + table.file.getFileName() + ": Key Hash does not match its key";
        }
        for (int attempt = 0; attempt < CHECK_ATTEMPTS; attempt++)
        {
            final int c1 = table.writeSequence();
            long probes = -1;
            try
            {
                probes = table.probeLength(hash, index);
            }
            catch (final RuntimeException ignore)
            {
                // a torn read: validated below
            }
            final int c2 = table.writeSequenceAfterRead();
            final boolean steady = 0 == (c1 & SEQUENCE_WRITING) || c1 == v.deadCurrentWord || c1 == v.deadSourceWord;
            if (c1 == c2 && steady)
            {
                if (probes < 0)
                {
                    // the slot may have been rewritten since it was read: only a slot still holding the key counts
                    return stillHolds(table, index, hash) ?
                        "slot " + index + " of " + table.file.getFileName() + ": key not reachable from its home " +
                        "slot" : null;
                }
                slot.probes = probes;
                return null;
            }
            Thread.onSpinWait();
        }
        // kept changing under the writer: not checked this time
        return null;
    }

    private static boolean stillHolds(final Table table, final long index, final long hash)
    {
        final int c1 = table.writeSequence();
        final boolean holds = STATE_FULL == table.state(index) && table.slotHash(index) == hash;
        return holds && c1 == table.writeSequenceAfterRead() && 0 == (c1 & SEQUENCE_WRITING);
    }

    // ---------------------------------------------------------------- life cycle

    private void ensureOpen()
    {
        if (closed)
        {
            throw new StoreClosedException("store " + directory + " is closed");
        }
    }

    void close()
    {
        closed = true;
        final View v = view;
        v.current.close();
        if (null != v.source)
        {
            v.source.close();
        }
    }
}
