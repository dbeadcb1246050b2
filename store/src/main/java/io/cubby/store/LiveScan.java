package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import static io.cubby.store.SlotDescriptor.STATE_EMPTY;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;
import static io.cubby.store.TableDescriptor.SEQUENCE_WRITING;

/**
 * Scans of a read-only store while a writer in another process may change it: every slot read on its own under
 * a validated read ({@link #readSlot}), with no snapshot across slots.
 */
final class LiveScan
{
    private final TableParams params;
    private final LiveTables tables;
    private final LiveValidation validation;

    LiveScan(final TableParams params, final LiveTables tables, final LiveValidation validation)
    {
        this.params = params;
        this.tables = tables;
        this.validation = validation;
    }

    /**
     * Visit every entry, each one read consistently on its own (copied out under a validated read), with no
     * snapshot across entries: an entry written, removed or moved by a rehash during the scan may be visited with
     * either value or missed; one left unchanged throughout is visited once.
     */
    void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        tables.ensureOpen();
        final LiveView start = tables.view();
        if (LiveValidation.REFRESH == validation.decide(start, start.current.writeSequence(),
            null == start.source ? 0 : start.source.writeSequence()))
        {
            tables.refresh(start);
        }
        final LiveView v = tables.view();
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[params.maxKeyLength + Math.max(0, params.maxValueLength)]);
        final SlotCopy slot = new SlotCopy();
        for (final Table table : null == v.source ? new Table[]{ v.current } : new Table[]{ v.current, v.source })
        {
            final long now = table.expiry ? ExpiryClock.now() : 0;
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
    void readSlot(final LiveView v, final Table table, final long index, final UnsafeBuffer copy, final SlotCopy out,
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
                waitStart = validation.awaitWriter(v, c1, s1, waits++, waitStart);
                continue;
            }
            readSlotOnce(v, table, index, copy, out, now);
            final int c2 = v.current.writeSequenceAfterRead();
            final int s2 = null == v.source ? 0 : v.source.writeSequenceAfterRead();
            if (c1 == c2 && s1 == s2)
            {
                if (SlotCopy.CORRUPT == out.kind)
                {
                    final RuntimeException problem = validation.deadWriterProblem(v, c1, s1, out.problem);
                    out.problem = problem instanceof CorruptStoreException ? (CorruptStoreException)problem :
                        out.problem;
                }
                return;
            }
        }
    }

    private void readSlotOnce(final LiveView v, final Table table, final long index, final UnsafeBuffer copy,
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
}
