package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Visits the entries of a format-version-2 store one segment at a time, each under its segment's lock
 * ({@link SegmentSet#lockOf}), so a segment is seen between two writes and never torn; writers of other
 * segments go on. The current file's entries, then the rehash source's, leaving out every source slot whose key
 * the current file holds (migration and puts keep the source copy: it is a dead, possibly older, copy, FORMAT-v2.md
 * 9 step 5). Weakly consistent across segments. In an expiry store, entries expired when their segment is visited
 * are left out (one clock reading per segment, under its lock), and {@link #size()} counts only the others, which
 * takes a scan; {@link #estimatedSize()} does not scan.
 */
final class SegmentScan
{
    private final SegmentStore store;
    private final SegmentSet set;

    SegmentScan(final SegmentStore store)
    {
        this.store = store;
        this.set = store.segments();
    }

    /** Visit every entry; writers of the segment being visited wait. */
    void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        final UnsafeBuffer key = new UnsafeBuffer(new byte[set.params.maxKeyLength]);
        for (int s = 0; s < set.segmentCount(); s++)
        {
            final ReentrantLock lock = set.lockOf(s);
            lock.lock();
            try
            {
                checkOpen();
                final Segment segment = set.segment(s);
                final long now = now();
                visit(segment.current(), null, now, key, visitor, onCorrupt);
                final SegmentTable source = segment.source();
                if (null != source)
                {
                    visit(source, segment.current(), now, key, visitor, onCorrupt);
                }
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    /**
     * @param shadow the current file when {@code table} is a rehash source: its keys' source copies are dead.
     * @param now    entries expired at this time are left out (0: none is).
     */
    private static void visit(final SegmentTable table, final SegmentTable shadow, final long now,
        final UnsafeBuffer key, final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        final UnsafeBuffer value = new UnsafeBuffer(new byte[Math.max(1, table.params.maxValueLength)]);
        for (int slot = table.tags.nextFull(0); slot != SegmentTable.NOT_FOUND; slot = table.tags.nextFull(slot + 1))
        {
            final int keyLength = table.keyLength(slot);
            final int valueLength = table.valueLength(slot);
            final boolean lengthsOk = keyLength >= 0 && keyLength <= table.params.maxKeyLength && valueLength >= 0 &&
                valueLength <= table.params.maxValueLength;
            if (!lengthsOk || !table.checksumMatches(slot))
            {
                final CorruptStoreException problem = new CorruptStoreException(table.file.getFileName() +
                    ": slot " + slot + (lengthsOk ? " fails its checksum" : " has key length " + keyLength +
                    " and value length " + valueLength));
                if (null == onCorrupt)
                {
                    throw problem;
                }
                final int shown = lengthsOk ? keyLength : 0;
                if (lengthsOk)
                {
                    table.copyKey(slot, key, 0, keyLength);
                }
                onCorrupt.onCorrupt(key, 0, shown, problem);
                continue;
            }
            if (table.isExpired(slot, now) || shadowed(table, slot, keyLength, shadow, key))
            {
                continue;
            }
            table.copyValue(slot, value, 0, valueLength);
            visitor.visit(key, 0, keyLength, value, 0, valueLength);
        }
    }

    /**
     * Copy the slot's key into {@code key}; whether {@code shadow} (the current file, for a source slot) holds that
     * key, which makes the slot a dead copy.
     */
    private static boolean shadowed(final SegmentTable table, final int slot, final int keyLength,
        final SegmentTable shadow, final UnsafeBuffer key)
    {
        table.copyKey(slot, key, 0, keyLength);
        return null != shadow &&
            shadow.find(table.slotHash(slot, keyLength), key, 0, keyLength) != SegmentTable.NOT_FOUND;
    }

    /**
     * A weakly consistent iterator over copies: it copies one segment's entries at a time under the segment's
     * lock, so it returns every entry present from its creation to its end exactly once (entries do not move
     * between segments) and never a torn one.
     *
     * @param remover removes a returned key from the store, for {@link Iterator#remove()}.
     */
    Iterator<Map.Entry<byte[], byte[]>> entries(final Consumer<byte[]> remover)
    {
        checkOpen();
        return new SegmentIterator(remover);
    }

    /**
     * The number of entries: in an expiry store the live ones, counted one segment at a time under its lock
     * (O(slots)), else the segments' Entry Counts.
     */
    long size()
    {
        return countLive(Long.MAX_VALUE);
    }

    /** Entries counted in constant time, expired ones included until reclaimed. */
    long estimatedSize()
    {
        checkOpen();
        return set.entryCount();
    }

    boolean isEmpty()
    {
        return 0 == countLive(1);
    }

    /** Count live entries, stopping once {@code limit} are found. */
    private long countLive(final long limit)
    {
        checkOpen();
        if (!set.params.expiry)
        {
            return set.entryCount();
        }
        final UnsafeBuffer key = new UnsafeBuffer(new byte[set.params.maxKeyLength]);
        long count = 0;
        for (int s = 0; s < set.segmentCount() && count < limit; s++)
        {
            final ReentrantLock lock = set.lockOf(s);
            lock.lock();
            try
            {
                checkOpen();
                count += liveEntries(set.segment(s), now(), key);
            }
            finally
            {
                lock.unlock();
            }
        }
        return count;
    }

    /**
     * The entries of a segment not expired at {@code now}: its current file's, then its source's that the current
     * file does not shadow. The caller holds the segment's lock (or owns the set).
     *
     * @param key scratch of Max Key Length bytes.
     */
    static long liveEntries(final Segment segment, final long now, final UnsafeBuffer key)
    {
        final SegmentTable current = segment.current();
        long count = 0;
        for (int slot = current.tags.nextFull(0); slot != SegmentTable.NOT_FOUND;
            slot = current.tags.nextFull(slot + 1))
        {
            count += current.isExpired(slot, now) ? 0 : 1;
        }
        final SegmentTable source = segment.source();
        if (null != source)
        {
            for (int slot = source.tags.nextFull(0); slot != SegmentTable.NOT_FOUND;
                slot = source.tags.nextFull(slot + 1))
            {
                final int keyLength = source.keyLength(slot);
                if (keyLength >= 0 && keyLength <= source.params.maxKeyLength && !source.isExpired(slot, now) &&
                    !shadowed(source, slot, keyLength, current, key))
                {
                    count++;
                }
            }
        }
        return count;
    }

    private long now()
    {
        return set.params.expiry ? ExpiryClock.now() : 0;
    }

    private void checkOpen()
    {
        if (store.isClosed())
        {
            throw new StoreClosedException(set.directory + " is closed");
        }
    }

    private final class SegmentIterator implements Iterator<Map.Entry<byte[], byte[]>>
    {
        private final ArrayDeque<Map.Entry<byte[], byte[]>> buffered = new ArrayDeque<>();
        private final Consumer<byte[]> remover;
        private int nextSegment;
        private byte[] lastKey;

        SegmentIterator(final Consumer<byte[]> remover)
        {
            this.remover = remover;
        }

        @Override
        public boolean hasNext()
        {
            while (buffered.isEmpty() && nextSegment < set.segmentCount())
            {
                final int s = nextSegment++;
                final ReentrantLock lock = set.lockOf(s);
                InternalError fault = null;
                lock.lock();
                try
                {
                    checkOpen();
                    final Segment segment = set.segment(s);
                    final long now = now();
                    copy(segment.current(), null, now);
                    if (null != segment.source())
                    {
                        copy(segment.source(), segment.current(), now);
                    }
                }
                catch (final InternalError ex)
                {
                    fault = ex;
                }
                finally
                {
                    lock.unlock();
                }
                if (null != fault)
                {
                    // a mapped page of a file another process truncated (the facade translates the other calls;
                    // the changed files are looked for with no lock held)
                    FileWatch.requireMappedFault(fault);
                    throw FileWatch.mappedFault(set.directory, fault, store.changedFiles());
                }
            }
            return !buffered.isEmpty();
        }

        private void copy(final SegmentTable table, final SegmentTable shadow, final long now)
        {
            for (int slot = table.tags.nextFull(0); slot != SegmentTable.NOT_FOUND;
                slot = table.tags.nextFull(slot + 1))
            {
                final int keyLength = table.keyLength(slot);
                final int valueLength = table.valueLength(slot);
                if (keyLength < 0 || keyLength > table.params.maxKeyLength || valueLength < 0 ||
                    valueLength > table.params.maxValueLength || !table.checksumMatches(slot))
                {
                    throw new CorruptStoreException(table.file.getFileName() + ": slot " + slot +
                        " fails its checksum or has invalid lengths");
                }
                if (table.isExpired(slot, now))
                {
                    continue;
                }
                final byte[] key = new byte[keyLength];
                if (shadowed(table, slot, keyLength, shadow, new UnsafeBuffer(key)))
                {
                    continue;
                }
                final byte[] value = new byte[valueLength];
                if (valueLength > 0)
                {
                    table.copyValue(slot, new UnsafeBuffer(value), 0, valueLength);
                }
                buffered.add(new AbstractMap.SimpleImmutableEntry<>(key, value));
            }
        }

        @Override
        public Map.Entry<byte[], byte[]> next()
        {
            if (!hasNext())
            {
                throw new NoSuchElementException();
            }
            final Map.Entry<byte[], byte[]> entry = buffered.poll();
            lastKey = entry.getKey();
            return entry;
        }

        @Override
        public void remove()
        {
            if (null == lastKey)
            {
                throw new IllegalStateException("next() has not been called, or remove() was already called");
            }
            remover.accept(lastKey);
            lastKey = null;
        }
    }
}
