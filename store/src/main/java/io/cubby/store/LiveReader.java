package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.file.Path;

/**
 * The reads of a read-only store, validated against the tables' Write Sequence words (FORMAT.md §3.4), so that
 * they stay correct while a writer in another process changes the files: a seqlock read per key (read the words,
 * look up, copy out, read the words again, retry on a change), the set of live tables followed through growth and
 * compaction, and a writer that died mid-write detected through its lock instead of waited for.
 * <p>
 * Thread-safe: the table set is an immutable {@link LiveView} published through a volatile field; lookups allocate
 * nothing. The parts: {@link LiveTables} (the table set), {@link LiveValidation} (the words and the wait for a
 * writer), {@link LiveScan} and {@link LiveVerifier}.
 */
final class LiveReader
{
    private final TableParams params;
    private final LiveTables tables;
    private final LiveValidation validation;
    private final LiveScan scan;
    private final LiveVerifier verifier;

    LiveReader(final Path directory, final TableParams params, final Table current, final Table source)
    {
        this.params = params;
        this.tables = new LiveTables(directory, params, current, source);
        this.validation = new LiveValidation(directory);
        this.scan = new LiveScan(params, tables, validation);
        this.verifier = new LiveVerifier(params, tables, scan);
    }

    /**
     * @return the tables as last mapped (for stats and tests).
     */
    LiveView view()
    {
        return tables.view();
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
            tables.ensureOpen();
            final LiveView v = tables.view();
            final Table current = v.current;
            final Table source = v.source;
            final int c1 = current.writeSequence();
            final int s1 = null == source ? 0 : source.writeSequence();
            final int decision = validation.decide(v, c1, s1);
            if (LiveValidation.REFRESH == decision)
            {
                tables.refresh(v);
                continue;
            }
            if (LiveValidation.WAIT == decision)
            {
                waitStart = validation.awaitWriter(v, c1, s1, waits++, waitStart);
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
                throw validation.deadWriterProblem(v, c1, s1, failure);
            }
            return result;
        }
    }

    private long lookupIn(
        final LiveView v,
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
        if (index < 0 || (table.expiry && table.isExpired(index, ExpiryClock.now())))
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

    // ---------------------------------------------------------------- scans (LiveScan, LiveVerifier)

    void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        scan.forEach(visitor, onCorrupt);
    }

    /**
     * Count the live entries from the mapped headers (may be a write behind).
     */
    long estimatedSize()
    {
        tables.ensureOpen();
        final LiveView v = tables.view();
        long entries = Math.max(0, v.current.mappedEntryCount());
        if (null != v.source)
        {
            entries += Math.max(0, v.source.mappedEntryCount());
        }
        return entries;
    }

    long countLive(final long limit)
    {
        return scan.countLive(limit);
    }

    VerifyReport verify(final boolean writerLive)
    {
        return verifier.verify(writerLive);
    }

    void close()
    {
        tables.close();
    }
}
