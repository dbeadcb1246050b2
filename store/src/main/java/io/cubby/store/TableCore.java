package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Iterator;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.LongConsumer;

/**
 * The version-1 store behind {@link Cubby}: delegates to the parts wired by {@link Parts}. {@link ReadPath}
 * reads; {@link Engine} writes, through {@link TableSet} (the live tables and their shadowing rules) and
 * {@link LogWriter}; {@link Rehasher} grows, {@link Compactor} compacts, {@link Checkpointer} checkpoints,
 * {@link Evictor} evicts, {@link EntryIterators} iterates, {@link Lifecycle} finishes opens and closes. A
 * read-only store with a live writer reads through {@link LiveReads} instead.
 */
final class TableCore implements StoreCore
{
    final Parts parts;
    private final TableParams params;
    private final ReadPath reads;
    private final Engine engine;
    private final EntryIterators iterators;
    /** A read-only store's reads, validated against the tables' Write Sequence; set once, before publication. */
    private LiveReads live;

    TableCore(final Parts parts)
    {
        this.parts = parts;
        this.params = parts.options.params;
        this.reads = parts.reads;
        this.engine = parts.engine;
        this.iterators = parts.iterators;
    }

    /** A store over tables the opener has already validated and recovered. */
    static Cubby store(final Cubby.Builder builder, final TableParams params, final StoreLock fileLock,
        final Table current, final Table source, final long cursor, final Wal wal)
    {
        final Parts parts = new Parts(new Options(builder, params, current.maxEntries()), fileLock, current, source,
            cursor, wal);
        return new Cubby(parts.arguments, new TableCore(parts));
    }

    /** Called by the opener once replay is done: checkpoint if anything was recovered, mark tables open. */
    void finishOpen(final RecoveryReport report, final boolean checkpoint, final long newLogSize)
    {
        parts.lifecycle.finishOpen(report, checkpoint, newLogSize);
    }

    /** Called by the opener of a read-only store before it is published: every read goes through {@code reader}. */
    void readLive(final LiveReader reader)
    {
        this.live = new LiveReads(reader, parts);
    }

    @Override
    public int formatVersion()
    {
        return 1;
    }

    @Override
    public int read(final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        return null != live ? live.read(key, keyOffset, keyLength, dst, dstOffset) :
            reads.read(key, keyOffset, keyLength, dst, dstOffset);
    }

    @Override
    public int write(final Engine.Operation op, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final DirectBuffer expected,
        final int expectedOffset, final int expectedLength, final MutableDirectBuffer previous, final long expiresAt)
    {
        return engine.write(op, key, keyOffset, keyLength, value, valueOffset, valueLength, expected, expectedOffset,
            expectedLength, previous, expiresAt);
    }

    @Override
    public byte[] compute(final byte[] key, final UnsafeBuffer k, final BinaryOperator<byte[]> remapping,
        final long ttlMillis)
    {
        return engine.compute(key, k, remapping, ttlMillis);
    }

    @Override
    public long expiresAtMillis(final DirectBuffer key, final int keyLength)
    {
        return null != live ? live.expiresAtMillis(key, keyLength) : reads.expiresAtMillis(key, keyLength);
    }

    @Override
    public long size()
    {
        return params.expiry ? countLive(Long.MAX_VALUE) : estimatedSize();
    }

    @Override
    public long estimatedSize()
    {
        return null != live ? live.estimatedSize() : reads.estimatedSize();
    }

    @Override
    public boolean isEmpty()
    {
        return params.expiry ? 0 == countLive(1) : 0 == estimatedSize();
    }

    private long countLive(final long limit)
    {
        return null != live ? live.countLive(limit) : iterators.countLive(limit);
    }

    @Override
    public void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        if (null != live)
        {
            live.forEach(visitor, onCorrupt);
        }
        else
        {
            iterators.forEach(visitor, onCorrupt);
        }
    }

    @Override
    public Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        return null != live ? live.entries() : iterators.entries();
    }

    @Override
    public Iterator<byte[]> keys()
    {
        return null == live ? iterators.keys() : new KeyIterator(live.entries());
    }

    @Override
    public void checkpoint()
    {
        parts.checkpointer.checkpoint();
    }

    @Override
    public void compact(final double targetLoad, final LongConsumer progress)
    {
        final boolean fit = targetLoad < 0;
        final double load = fit ? params.maxLoad() : targetLoad;
        if (!(load >= Cubby.MIN_COMPACTION_LOAD) || load > params.maxLoad())
        {
            throw new IllegalArgumentException("target load must be in [" + Cubby.MIN_COMPACTION_LOAD + ", " +
                params.maxLoad() + "]: " + targetLoad);
        }
        parts.compactor.compact(load, fit, progress);
    }

    @Override
    public CubbyStats stats()
    {
        return null != live ? live.stats() : reads.stats();
    }

    @Override
    public VerifyReport verify()
    {
        return null != live ? live.verify() : reads.verify();
    }

    @Override
    public RecoveryReport recoveryReport()
    {
        return parts.lifecycle.recoveryReport();
    }

    @Override
    public boolean isReadOnly()
    {
        return parts.options.readOnly;
    }

    @Override
    public boolean hasLiveWriter()
    {
        return null != live && live.hasLiveWriter();
    }

    @Override
    public long maxEntries()
    {
        return parts.options.maxEntries;
    }

    @Override
    public void close()
    {
        try
        {
            parts.lifecycle.close();
        }
        finally
        {
            if (null != live)
            {
                live.close();
            }
        }
    }

    @Override
    public boolean isClosed()
    {
        return parts.guard.isClosed();
    }

    /** The keys of an entry iterator, removing through it. */
    static final class KeyIterator implements Iterator<byte[]>
    {
        private final Iterator<Map.Entry<byte[], byte[]>> entries;

        KeyIterator(final Iterator<Map.Entry<byte[], byte[]>> entries)
        {
            this.entries = entries;
        }

        @Override
        public boolean hasNext()
        {
            return entries.hasNext();
        }

        @Override
        public byte[] next()
        {
            return entries.next().getKey();
        }

        @Override
        public void remove()
        {
            entries.remove();
        }
    }
}
