package io.cubby.store;

import org.agrona.DirectBuffer;

/**
 * Recovery's own path for logged entry operations (FORMAT.md, recovery step 9): applies each PUT and REMOVE
 * record again, in log order, to the tables as they are, by the same rules as the write path ({@link TableSet}'s
 * shadowing and write order, the entry bound, expiry) but logging nothing and doing no housekeeping: no
 * checkpoint, no migration step, and growth only where no slot is left (a full disk must not stop recovery, so
 * the load may exceed Max Load until a later write grows the table). Used by {@link Opener} before the store is
 * published; never by the write path.
 */
final class LogApplier
{
    private static final int MISSING = Cubby.MISSING;

    private final Options options;
    private final TableParams params;
    private final TableSet tables;
    private final Rehasher rehasher;
    private final Evictor evictor;
    private final Notifier notifier;
    private final FileWatch fileWatch;
    private final Xxh3 hashFunction;
    private final TableSet.Lookup lookup = new TableSet.Lookup();

    LogApplier(
        final Options options,
        final TableSet tables,
        final Rehasher rehasher,
        final Evictor evictor,
        final Notifier notifier,
        final FileWatch fileWatch,
        final Xxh3 hashFunction)
    {
        this.options = options;
        this.params = options.params;
        this.tables = tables;
        this.rehasher = rehasher;
        this.evictor = evictor;
        this.notifier = notifier;
        this.fileWatch = fileWatch;
        this.hashFunction = hashFunction;
    }

    /**
     * Apply one logged operation again.
     *
     * @param removal   a REMOVE record, else a PUT.
     * @param buffer    the log, holding the record's key and value.
     * @param expiresAt the logged expiry of a PUT.
     */
    void apply(
        final boolean removal,
        final DirectBuffer buffer,
        final int keyOffset,
        final int keyLength,
        final int valueOffset,
        final int valueLength,
        final long expiresAt)
    {
        try
        {
            if (removal)
            {
                applyOne(true, buffer, keyOffset, keyLength, null, 0, 0, 0L);
            }
            else
            {
                applyOne(false, buffer, keyOffset, keyLength, buffer, valueOffset, valueLength, expiresAt);
            }
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            lookup.release();
        }
    }

    private void applyOne(
        final boolean removal,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long expiresAt)
    {
        final long hash = Hashing.hash(hashFunction, key, keyOffset, keyLength);
        final long now = options.timeAware ? ExpiryClock.now() : 0;
        growIfNoSlotLeft();

        tables.lookup(lookup, true, hash, key, keyOffset, keyLength);
        final Table found = lookup.table;
        final long foundIndex = lookup.index;
        final int previousLength = null == found || found.isExpired(foundIndex, now) ? MISSING :
            params.setMode ? found.keyLength(foundIndex) : found.valueLength(foundIndex);
        if (removal && previousLength < 0)
        {
            return;
        }
        if (!removal && null == found && options.maxEntries > 0 && tables.size() >= options.maxEntries)
        {
            evictor.evictOneUnlogged(now);
        }
        if (null != notifier && null != found && previousLength < 0)
        {
            notifier.removed(found, foundIndex, params.setMode, RemovalCause.EXPIRED);
        }
        final long expiry = Arguments.KEEP_EXPIRY != expiresAt ? expiresAt :
            previousLength >= 0 ? found.expiresAt(foundIndex) : 0;
        // the record is in the log already: the step the write path names after logging it
        CrashPoints.Hook.reached("write.logged");
        if (removal)
        {
            tables.remove(lookup, hash, key, keyOffset, keyLength);
        }
        else
        {
            tables.put(lookup, hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiry, now);
        }
    }

    /**
     * Replay's growth: complete a rehash, or begin one, only where the current table has no slot left for the
     * operation. During a rehash the migration is completed while the source's entries still fit beside the
     * operation (an upper bound: entries before the cursor may be counted too), since completing it once the
     * target is full would leave them nowhere to go; the second test then grows the table it completed into.
     */
    private void growIfNoSlotLeft()
    {
        if (null != tables.source)
        {
            final Table current = tables.current;
            if (current.entryCount() + current.tombstoneCount() + tables.source.entryCount() + 1 >
                current.capacity - 1)
            {
                rehasher.migrate(Long.MAX_VALUE);
                rehasher.completeUnlogged();
            }
        }
        if (null == tables.source)
        {
            final Table current = tables.current;
            if (current.entryCount() + current.tombstoneCount() + 1 > current.capacity - 1)
            {
                rehasher.beginUnlogged(rehasher.growthCapacity(current));
            }
        }
    }
}
