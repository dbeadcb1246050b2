package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The reads of a read-only store, through a {@link LiveReader}: validated against the tables' Write Sequence
 * (FORMAT.md 3.4), so they follow a writer in another process through its writes, growth and compaction. The
 * facade sends every read here when the opener gave it a live reader.
 */
final class LiveReads
{
    private final LiveReader reader;
    private final Options options;
    private final Guard guard;
    private final TableSet tables;
    private final FileWatch fileWatch;
    private final Xxh3 hashFunction;
    private boolean closed;

    LiveReads(final LiveReader reader, final Parts parts)
    {
        this.reader = reader;
        this.options = parts.options;
        this.guard = parts.guard;
        this.tables = parts.tables;
        this.fileWatch = parts.fileWatch;
        this.hashFunction = Xxh3.withSeed(options.params.seed);
    }

    int read(
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        guard.ensureOpen();
        try
        {
            return reader.read(Hashing.hash(hashFunction, key, keyOffset, keyLength), key, keyOffset, keyLength,
                dst, dstOffset);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    long expiresAtMillis(final DirectBuffer key, final int keyLength)
    {
        guard.ensureOpen();
        try
        {
            return reader.expiresAt(Hashing.hash(hashFunction, key, 0, keyLength), key, 0, keyLength);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    long countLive(final long limit)
    {
        guard.ensureOpen();
        return reader.countLive(limit);
    }

    long estimatedSize()
    {
        guard.ensureOpen();
        return reader.estimatedSize();
    }

    void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        guard.ensureOpen();
        try
        {
            reader.forEach(visitor, onCorrupt);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    /**
     * Copies of the entries as one scan reads them (each entry consistent on its own).
     */
    Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        final List<Map.Entry<byte[], byte[]>> copies = new ArrayList<>();
        forEach((k, ko, kl, v, vo, vl) ->
        {
            final byte[] key = new byte[kl];
            k.getBytes(ko, key);
            final byte[] value = new byte[vl];
            v.getBytes(vo, value);
            copies.add(Map.entry(key, value));
        }, null);
        return Collections.unmodifiableList(copies).iterator();
    }

    /**
     * @return whether a writer holds the store now (another process, or another instance in this one).
     */
    boolean hasLiveWriter()
    {
        return StoreLock.WRITER_NONE != StoreLock.probeWriter(options.directory);
    }

    /**
     * While a writer is active, the online check of {@link LiveReader#verify(boolean)}; without one, the full scan
     * over the tables as they stand.
     */
    VerifyReport verify()
    {
        guard.ensureOpen();
        try
        {
            if (hasLiveWriter())
            {
                return reader.verify(true);
            }
            final LiveView v = reader.view();
            final long from = null == v.source ? 0 : v.current == tables.current ? tables.cursor :
                Math.max(0, Math.min(v.source.capacity, v.current.mappedMigrationCursor()));
            return Verifier.verify(v.current, v.source, from);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    CubbyStats stats()
    {
        guard.ensureOpen();
        final TableParams params = options.params;
        final LiveView v = reader.view();
        final Table cur = v.current;
        final Table old = v.source;
        final long currentEntries = Math.max(0, cur.mappedEntryCount());
        return new CubbyStats(
            reader.estimatedSize(),
            cur.capacity,
            Math.max(0, cur.mappedTombstoneCount()),
            params.maxLoad(),
            cur.slotLength,
            cur.generation,
            null != old,
            null == old ? 0 : Math.max(0, Math.min(old.capacity, cur.mappedMigrationCursor())),
            null == old ? 0 : old.capacity,
            cur.fileLength() + (null == old ? 0 : old.fileLength()),
            0,
            0,
            0,
            params.probing,
            options.durability,
            currentEntries,
            -1,
            -1,
            -1,
            -1);
    }

    synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            reader.close();
        }
    }
}
