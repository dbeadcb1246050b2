package io.cubby.store;

import org.agrona.DirectBuffer;

/**
 * One segment of a version-2 store: its current file and, during a rehash, the source file being migrated into
 * it. The current/source shadowing rules of {@code store/FORMAT-v2.md} section 9 step 5 live here and only here:
 * lookups check the current file, then the source; writes go to the current file; each migration step copies whole
 * source groups from the cursor. Only a removal clears a source tag: a copied or shadowed source slot keeps its
 * tag and leaves the source's Entry Count (its live entries), so that a power loss that keeps a source page but
 * not the current file's copy loses nothing (FORMAT-v2.md 8.4).
 * <p>
 * Not thread-safe: the caller holds the segment's write lock for every write and brackets it with the segment's
 * sequence word.
 */
final class Segment
{
    final int index;
    private SegmentTable current;
    private SegmentTable source;
    /**
     * Whether a source slot at or above the cursor may hold a key the current file also holds (a put of a source
     * key since the rehash began, or a reopen): migration then looks each key up before copying it.
     */
    private boolean sourceShadowed;
    /**
     * The source of the last migration completed in memory, until the retirer has forced the current file's
     * Source Generation clear: till then recovery would still migrate its entries, so a remove clears its copies
     * there too (the caller counts itself as a reader of the segment meanwhile, so the mapping is not unmapped).
     */
    private SegmentTable endingSource;
    private long cursor;
    /** Told about expired entries this segment reclaims, or null. */
    private SegmentRemovals removals;

    Segment(final int index, final SegmentTable current, final SegmentTable source)
    {
        if (null != source && (current.sourceGeneration() != source.generation ||
            current.sourceGroupCount() != source.groupCount))
        {
            throw new CorruptStoreException(current.file.getFileName() + " names source generation " +
                current.sourceGeneration() + " with " + current.sourceGroupCount() + " groups, but " +
                source.file.getFileName() + " has " + source.groupCount);
        }
        this.index = index;
        this.current = current;
        this.source = source;
        this.cursor = null == source ? 0 : current.migrationCursor();
        // after a reopen, source slots at or above the cursor may be shadowed by puts made before the close
        this.sourceShadowed = null != source;
    }

    SegmentTable current()
    {
        return current;
    }

    /** Report to {@code removals} (null for nobody) each expired entry a put or a migration step reclaims. */
    void removals(final SegmentRemovals removals)
    {
        this.removals = removals;
    }

    SegmentTable source()
    {
        return source;
    }

    /**
     * The source of a rehash that ended in memory and whose end the retirer has not yet made durable (its current
     * file still names it), or null.
     */
    SegmentTable endingSource()
    {
        final SegmentTable ending = endingSource;
        return null != ending && !ending.rehashEnded() ? ending : null;
    }

    long cursor()
    {
        return cursor;
    }

    /** Entries of both files; also read without the lock (sizes, the entry bound), so each field is read once. */
    long entryCount()
    {
        final SegmentTable source = this.source;
        return current.entryCount() + (null == source ? 0 : source.entryCount());
    }

    /**
     * The shadowing lookup: current file first, then the source.
     *
     * @return whether the key was found; {@code result} names the file and slot.
     */
    boolean find(final long hash, final DirectBuffer key, final int offset, final int length,
        final SegmentLookup result)
    {
        // Each field read once: an optimistic reader may race a writer that switches them (the reader's sequence
        // validation discards what it read then, but must not trip over a source that became null meanwhile).
        final SegmentTable current = this.current;
        final SegmentTable source = this.source;
        result.clear(hash);
        int slot = current.find(hash, key, offset, length, result);
        if (slot != SegmentTable.NOT_FOUND)
        {
            result.table = current;
            result.slot = slot;
            return true;
        }
        if (null != source)
        {
            slot = source.find(hash, key, offset, length);
            if (slot != SegmentTable.NOT_FOUND)
            {
                result.table = source;
                result.slot = slot;
                return true;
            }
        }
        return false;
    }

    /**
     * Insert or update. An entry found in the source is written to the current file and leaves the source's Entry
     * Count, its tag kept: the current copy shadows it, migration skips it, and recovery drops it (the source copy
     * is never cleared before the current one is known durable, which only the rehash end's force makes it).
     * <p>
     * Expiry stores: an entry expired at {@code now} counts as absent, and an {@code expiresAt} of
     * {@link Arguments#KEEP_EXPIRY} is resolved here, under the lock: the present entry's Expires At if it is live,
     * else 0 (never). The value written is left in {@code lookup.expiresAt} for the caller's log record.
     *
     * @param now       the clock reading, under the lock, that decides whether the present entry has expired (0:
     *                  none has), epoch ms.
     * @param writtenAt the slot's Written At (expiry stores), epoch ms.
     * @return whether the key was new (absent, or expired at {@code now}).
     */
    boolean put(
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long expiresAt,
        final long now,
        final long writtenAt,
        final SegmentLookup lookup)
    {
        final boolean found = find(hash, key, keyOffset, keyLength, lookup);
        final boolean live = found && !lookup.table.isExpired(lookup.slot, now);
        final long resolved = Arguments.KEEP_EXPIRY != expiresAt ? expiresAt :
            live ? lookup.table.expiresAt(lookup.slot) : 0;
        lookup.expiresAt = resolved;
        if (found && !live && null != removals)
        {
            removals.removed(lookup.table, lookup.slot, RemovalCause.EXPIRED);
        }
        if (found && lookup.table == current)
        {
            current.update(lookup.slot, value, valueOffset, valueLength, resolved, writtenAt);
            return !live;
        }
        current.insert(hash, key, keyOffset, keyLength, value, valueOffset, valueLength, resolved, writtenAt);
        if (found)
        {
            CrashPoints.Hook.reached("v2.put.current-written");
            source.discount();
            sourceShadowed = true;
        }
        return !live;
    }

    /**
     * Remove a key. Expiry stores: an entry expired at {@code now} (0: none is) counts as absent and is left as
     * it is (as in version 1: a rehash's migration or a put reclaims it).
     *
     * @return whether the key was present (and live).
     */
    boolean remove(final long hash, final DirectBuffer key, final int offset, final int length, final long now,
        final SegmentLookup lookup)
    {
        if (!find(hash, key, offset, length, lookup) || lookup.table.isExpired(lookup.slot, now))
        {
            return false;
        }
        final SegmentTable source = this.source;
        if (lookup.table == source)
        {
            source.remove(lookup.slot);
            return true;
        }
        // A copy kept in the source (migrated, or shadowed by a put) must not come back by migration or recovery:
        // cleared first, so that a kill between the two steps leaves the key with its current value, not the
        // copy's; and if the copy's value is older than the current one, forced before the current slot is
        // cleared, so that a power loss cannot keep that clear without the copy's and bring the older value back.
        final SegmentTable older = null != source ? source : endingSource;
        if (null != older && (older == source || !older.rehashEnded()))
        {
            final int copy = older.find(hash, key, offset, length);
            if (copy != SegmentTable.NOT_FOUND)
            {
                final boolean olderValue = !current.sameValue(lookup.slot, older, copy);
                older.clearCopy(copy);
                if (olderValue)
                {
                    older.force();
                }
            }
        }
        current.remove(lookup.slot);
        return true;
    }

    /**
     * Whether one more entry fits the current file without exceeding Max Load (counting the source entries that
     * migration will still bring in).
     */
    boolean hasRoomForInsert()
    {
        return entryCount() < current.maxEntries;
    }

    /**
     * Start migrating the current file into {@code target}, a new, empty file naming the current one as its
     * source (FORMAT-v2.md section 9, steps 3 and 4 are the caller's).
     */
    void beginRehash(final SegmentTable target)
    {
        if (null != source)
        {
            throw new IllegalStateException("segment " + index + " is already being rehashed");
        }
        if (target.sourceGeneration() != current.generation || target.sourceGroupCount() != current.groupCount ||
            target.entryCount() != 0)
        {
            throw new IllegalArgumentException(target.file.getFileName() + " is not a rehash target of " +
                current.file.getFileName());
        }
        if (target.maxEntries < current.entryCount())
        {
            throw new IllegalArgumentException(target.file.getFileName() + " cannot hold the " +
                current.entryCount() + " entries of " + current.file.getFileName());
        }
        source = current;
        current = target;
        cursor = 0;
        sourceShadowed = false;
        endingSource = null;
        CrashPoints.Hook.reached("v2.rehash-begin.switched");
    }

    /**
     * Recovery: move the migration cursor back to {@code group} (below it), so that source entries a power loss left
     * below the cursor are migrated again instead of being deleted with the source at the rehash end.
     */
    void resumeMigrationFrom(final long group)
    {
        if (null == source || group < 0 || group > cursor)
        {
            throw new IllegalArgumentException("segment " + index + ": cannot resume migration at group " + group);
        }
        cursor = group;
        current.migrationCursor(group);
    }

    boolean rehashing()
    {
        return null != source;
    }

    /**
     * Migrate up to {@code groups} source groups from the cursor (FORMAT-v2.md section 9 step 5): each full slot
     * whose key the current file does not hold already (a put since the rehash began) is copied into the current
     * file and leaves the source's Entry Count; its source tag stays, so the source keeps every entry until the
     * rehash end has forced the current file. Source slots below the cursor are dead copies.
     * <p>
     * Expiry stores: an entry expired now is not copied but removed from the source (its tag cleared, Entry Count
     * decremented), unlogged. A crash that loses the removal leaves an expired entry, which reads as absent as
     * before; recovery finds it below the cursor and migrates from there again (FORMAT-v2.md 9 step 5).
     *
     * @return whether the whole source has been migrated.
     */
    boolean migrate(final int groups)
    {
        if (null == source)
        {
            return true;
        }
        final long now = source.params.expiry ? ExpiryClock.now() : 0;
        final long end = Math.min(source.groupCount, cursor + groups);
        final int endSlot = (int)(end * SegmentDescriptor.GROUP_SLOTS);
        for (int slot = source.tags.nextFull((int)(cursor * SegmentDescriptor.GROUP_SLOTS));
            slot != SegmentTable.NOT_FOUND && slot < endSlot;
            slot = source.tags.nextFull(slot + 1))
        {
            final int keyLength = source.keyLength(slot);
            if (keyLength < 0 || keyLength > source.params.maxKeyLength)
            {
                throw new CorruptStoreException(source.file.getFileName() + ": slot " + slot +
                    " has key length " + keyLength);
            }
            final long hash = source.slotHash(slot, keyLength);
            if (sourceShadowed && current.containsKeyOf(hash, source, slot, keyLength))
            {
                continue;
            }
            if (source.isExpired(slot, now))
            {
                if (null != removals)
                {
                    removals.removed(source, slot, RemovalCause.EXPIRED);
                }
                source.remove(slot);
                CrashPoints.Hook.reached("v2.migrate.expired-dropped");
                continue;
            }
            if (current.entryCount() >= current.maxEntries)
            {
                // the file was sized for the source's Entry Count: more full slots than it says is damage (a tag
                // byte that marks an empty slot full, say)
                throw new CorruptStoreException(source.file.getFileName() + " holds more full slots than its Entry " +
                    "Count (" + source.entryCount() + "): its slot " + slot + " does not fit " +
                    current.file.getFileName() + "; the file is damaged: run verify, or open with salvage(true), " +
                    "which recounts every segment");
            }
            current.insertCopy(hash, source, slot);
            CrashPoints.Hook.reached("v2.migrate.copied");
            source.discount();
        }
        cursor = end;
        current.migrationCursor(cursor);
        CrashPoints.Hook.reached("v2.migrate.cursor-written");
        return cursor == source.groupCount;
    }

    /**
     * End a rehash whose migration is complete: force the current file and clear its Source Generation (the caller
     * then logs SEGMENT_REHASH_END and deletes the returned source file; FORMAT-v2.md section 9 step 6).
     *
     * @return the former source, holding only copies.
     */
    SegmentTable completeRehash()
    {
        final SegmentTable done = detachSource();
        current.clearSource();
        done.markRehashEnded();
        return done;
    }

    /**
     * {@link #completeRehash} without clearing the current file's Source Generation: the caller has that done
     * later, after forcing the file, before the source is deleted (off the writers' path).
     *
     * @return the former source, holding only copies.
     */
    SegmentTable detachSource()
    {
        if (null == source || cursor != source.groupCount)
        {
            throw new IllegalStateException("segment " + index + " has no completed migration");
        }
        final SegmentTable done = source;
        source = null;
        endingSource = done;
        cursor = 0;
        return done;
    }
}
