package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.StampedLock;

import static io.cubby.store.SlotDescriptor.STATE_FULL;

/**
 * Visits the entries of the live tables: the current table, then the source from the migration cursor on,
 * skipping source entries the current table shadows and expired entries. A snapshot visit under the read lock
 * ({@link #forEach}), a count of live entries, and weakly consistent iterators that copy entries a chunk per
 * read-lock hold.
 */
final class EntryIterators
{
    private static final int ITERATION_CHUNK = 1024;

    private final TableParams params;
    private final boolean verifyChecksumsOnRead;
    private final Guard guard;
    private final StampedLock lock;
    private final TableSet tables;
    private final Rehasher rehasher;
    private final Engine engine;
    private final FileWatch fileWatch;

    EntryIterators(
        final Options options,
        final Guard guard,
        final TableSet tables,
        final Rehasher rehasher,
        final Engine engine,
        final FileWatch fileWatch)
    {
        this.params = options.params;
        this.verifyChecksumsOnRead = options.verifyChecksumsOnRead;
        this.guard = guard;
        this.lock = guard.lock;
        this.tables = tables;
        this.rehasher = rehasher;
        this.engine = engine;
        this.fileWatch = fileWatch;
    }

    /**
     * Count live (unexpired) entries, stopping once {@code limit} are found.
     */
    long countLive(final long limit)
    {
        final long stamp = guard.readLockUnlessComputing();
        try
        {
            guard.ensureOpen();
            final Table current = tables.current;
            final Table source = tables.source;
            final long[] count = new long[1];
            final EntryVisitor counter = (k, ko, kl, v, vo, vl) -> count[0]++;
            final CorruptEntryHandler corrupt = (k, ko, kl, ex) -> count[0]++;
            for (long from = 0; from < current.capacity && count[0] < limit; from += ITERATION_CHUNK)
            {
                visitTable(current, from, Math.min(current.capacity, from + ITERATION_CHUNK), null, counter, corrupt);
            }
            if (null != source)
            {
                for (long from = tables.cursor; from < source.capacity && count[0] < limit; from += ITERATION_CHUNK)
                {
                    visitTable(source, from, Math.min(source.capacity, from + ITERATION_CHUNK), current, counter,
                        corrupt);
                }
            }
            return count[0];
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            guard.unlockRead(stamp);
        }
    }

    void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        final long stamp = lock.readLock();
        try
        {
            guard.ensureOpen();
            final Table current = tables.current;
            visitTable(current, 0, current.capacity, null, visitor, onCorrupt);
            final Table source = tables.source;
            if (null != source)
            {
                visitTable(source, tables.cursor, source.capacity, current, visitor, onCorrupt);
            }
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            lock.unlockRead(stamp);
        }
    }

    private void visitTable(
        final Table table,
        final long from,
        final long to,
        final Table shadowing,
        final EntryVisitor visitor,
        final CorruptEntryHandler onCorrupt)
    {
        final long now = table.expiry ? ExpiryClock.now() : 0;
        for (long i = from; i < to; i++)
        {
            if (STATE_FULL != table.state(i) || table.isExpired(i, now))
            {
                continue;
            }
            final UnsafeBuffer window = table.window(i);
            final int keyOffset = table.keyOffsetInWindow(i);
            final int keyLength;
            final int valueLength;
            try
            {
                keyLength = table.keyLength(i);
                valueLength = params.setMode ? keyLength : table.valueLength(i);
                if (verifyChecksumsOnRead)
                {
                    table.verifyChecksum(i);
                }
            }
            catch (final CorruptStoreException ex)
            {
                if (null == onCorrupt)
                {
                    throw ex;
                }
                final int rawKeyLength = window.getInt(table.slotOffset(i) + SlotDescriptor.KEY_LENGTH_OFFSET);
                onCorrupt.onCorrupt(window, keyOffset, Math.max(0, Math.min(table.maxKeyLength, rawKeyLength)), ex);
                continue;
            }
            if (null != shadowing &&
                shadowing.find(table.slotHash(i), window, keyOffset, keyLength) >= 0)
            {
                continue;
            }
            final int valueOffset = params.setMode ? keyOffset : table.valueOffsetInWindow(i);
            visitor.visit(window, keyOffset, keyLength, window, valueOffset, valueLength);
        }
    }

    /**
     * An iterator over copies of the entries; creating it first finishes any rehash in progress.
     */
    Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        rehasher.finishMigrationInChunks();
        return new ChunkedIterator();
    }

    Iterator<byte[]> keys()
    {
        final Iterator<Map.Entry<byte[], byte[]>> entries = entries();
        return new Iterator<>()
        {
            public boolean hasNext()
            {
                return entries.hasNext();
            }

            public byte[] next()
            {
                return entries.next().getKey();
            }

            public void remove()
            {
                entries.remove();
            }
        };
    }

    private final class ChunkedIterator implements Iterator<Map.Entry<byte[], byte[]>>
    {
        private final ArrayDeque<Map.Entry<byte[], byte[]>> buffered = new ArrayDeque<>();
        private final Table table;
        private final Table old;
        private final long oldFrom;
        private long index;
        private boolean inOld;
        private boolean done;
        private byte[] lastKey;

        ChunkedIterator()
        {
            final long stamp = lock.readLock();
            try
            {
                guard.ensureOpen();
                table = tables.current;
                old = tables.source;
                oldFrom = tables.cursor;
            }
            finally
            {
                lock.unlockRead(stamp);
            }
        }

        public boolean hasNext()
        {
            while (buffered.isEmpty() && !done)
            {
                fill();
            }
            return !buffered.isEmpty();
        }

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

        public void remove()
        {
            if (null == lastKey)
            {
                throw new IllegalStateException("next() has not returned an entry since the last remove()");
            }
            engine.write(Engine.Operation.REMOVE, new UnsafeBuffer(lastKey), 0, lastKey.length, null, 0, 0, null, 0,
                0, null, 0L);
            lastKey = null;
        }

        private void fill()
        {
            final long stamp = lock.readLock();
            try
            {
                guard.ensureOpen();
                final Table t = inOld ? old : table;
                final long end = Math.min(t.capacity, index + ITERATION_CHUNK);
                visitTable(t, index, end, inOld ? table : null, (k, ko, kl, v, vo, vl) ->
                {
                    final byte[] key = new byte[kl];
                    k.getBytes(ko, key);
                    final byte[] value = new byte[vl];
                    v.getBytes(vo, value);
                    buffered.add(Map.entry(key, value));
                }, null);
                index = end;
                if (end == t.capacity)
                {
                    if (!inOld && null != old)
                    {
                        inOld = true;
                        index = oldFrom;
                    }
                    else
                    {
                        done = true;
                    }
                }
            }
            catch (final InternalError ex)
            {
                throw fileWatch.mappedFault(ex);
            }
            finally
            {
                lock.unlockRead(stamp);
            }
        }
    }
}
