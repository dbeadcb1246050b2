package io.cubby.store;

import org.agrona.DirectBuffer;

/**
 * The live tables: the current table and, during a rehash, the source table it is filled from, with the
 * migration cursor (source slots below it have been migrated).
 * <p>
 * The current table shadows the source: a key is looked up in the current table first and in the source only if
 * absent there ({@link #lookup}, the one place this is written). The write rules that keep this true at every
 * step, even with nothing logged (FORMAT.md §5a), are here too: the source copy goes last on insert and first on
 * remove. Writers hold the store's write lock; readers read the fields under an optimistic stamp and validate it.
 */
final class TableSet
{
    Table current;
    Table source;
    long cursor;

    TableSet(final Table current, final Table source, final long cursor)
    {
        this.current = current;
        this.source = source;
        this.cursor = cursor;
    }

    /**
     * Where a lookup found a key. A reusable flyweight: one per reading thread, one for the writer. Its user clears
     * {@link #table} once done ({@link #release()}), so that a flyweight kept by an idle thread never keeps a
     * retired table's mapping (and the disk blocks of its deleted file) alive.
     */
    static final class Lookup
    {
        /** The probe result in the current table: the key's slot if found there; for a write lookup, else
         * {@code -2 - } the slot an insert takes; for a read lookup, else negative. */
        long slot;
        /** The table holding the key, current or source; null if absent from both. */
        Table table;
        /** The key's slot in {@link #table}; -1 if absent. */
        long index;

        boolean found()
        {
            return null != table;
        }

        boolean inCurrent()
        {
            return slot >= 0;
        }

        /**
         * @return the slot of the current table a new entry for the key goes to (write lookups only).
         */
        long insertSlot()
        {
            return -2 - slot;
        }

        /**
         * Forget the table the key was found in.
         */
        void release()
        {
            table = null;
        }
    }

    /**
     * Find a key: in the current table, else in the source.
     *
     * @param forWrite probe the current table for an insert too (the writer holds the write lock).
     * @return true if found.
     */
    boolean lookup(
        final Lookup into,
        final boolean forWrite,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength)
    {
        final Table table = current;
        final Table old = source;
        final long slot = forWrite ? table.findForInsert(hash, key, keyOffset, keyLength) :
            table.find(hash, key, keyOffset, keyLength);
        into.slot = slot;
        if (slot >= 0)
        {
            into.table = table;
            into.index = slot;
            return true;
        }
        if (null != old)
        {
            final long j = old.find(hash, key, keyOffset, keyLength);
            if (j >= 0)
            {
                into.table = old;
                into.index = j;
                return true;
            }
        }
        into.table = null;
        into.index = -1;
        return false;
    }

    /**
     * Write a key's new value after a write lookup: update its slot in the current table, or insert it there and
     * then drop the source copy it shadows.
     */
    void put(
        final Lookup lookup,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final long expiresAt,
        final long now)
    {
        final Table table = current;
        final Table old = source;
        if (lookup.inCurrent())
        {
            table.update(lookup.slot, value, valueOffset, valueLength, expiresAt, now);
        }
        else
        {
            table.insert(lookup.insertSlot(), hash, key, keyOffset, keyLength, value, valueOffset, valueLength,
                expiresAt, now);
            if (lookup.table == old && null != old)
            {
                old.remove(lookup.index, lookup.index >= cursor);
                CrashPoints.Hook.reached("insert.source-tombstoned");
            }
        }
    }

    /**
     * Remove a key after a write lookup: its source copy first, so an older value can never reappear, then its
     * slot in the current table.
     */
    void remove(
        final Lookup lookup, final long hash, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        removeFromSource(hash, key, keyOffset, keyLength);
        if (lookup.inCurrent())
        {
            current.remove(lookup.slot, true);
            CrashPoints.Hook.reached("remove.current-tombstoned");
        }
    }

    /**
     * Tombstone a key's copy in the source table, if there is one.
     */
    void removeFromSource(final long hash, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final Table old = source;
        if (null != old)
        {
            final long j = old.find(hash, key, keyOffset, keyLength);
            if (j >= 0)
            {
                old.remove(j, j >= cursor);
                CrashPoints.Hook.reached("remove.source-tombstoned");
            }
        }
    }

    /**
     * @return entries in both tables, expired ones included.
     */
    long size()
    {
        return current.entryCount() + (null == source ? 0 : source.entryCount());
    }

    boolean migrating()
    {
        return null != source;
    }

    void close()
    {
        current.close();
        if (null != source)
        {
            source.close();
        }
    }
}
