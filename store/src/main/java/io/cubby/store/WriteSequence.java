package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;

import static io.cubby.store.TableDescriptor.WRITE_SEQUENCE_OFFSET;

/**
 * The Write Sequence of one table header (FORMAT.md §3.4): odd while the writer changes slots, even between
 * writes, with the flags that tell a reader the table was superseded or retired. Writers bracket every slot
 * change with {@link #beginWrite} and {@link #endWrite}; optimistic readers validate against it.
 */
final class WriteSequence
{
    private final UnsafeBuffer header;
    private final boolean readOnly;

    /** Write Sequence value stored by the open write bracket ({@link #beginWrite}), or 0 outside one. */
    private int writeBegun;
    /** A write is held in progress across many (recovery, {@link #holdWriting}): brackets do not end it. */
    private boolean held;
    /** This table is a rehash source: its Write Sequence carries {@link TableDescriptor#SEQUENCE_SUPERSEDED}. */
    private boolean superseded;

    WriteSequence(final UnsafeBuffer header, final boolean readOnly)
    {
        this.header = header;
        this.readOnly = readOnly;
    }

    /**
     * Start a write of this table's slots: the Write Sequence becomes odd before any slot byte changes (a
     * release store, then a store-store fence so no later slot store can become visible before it). Brackets do
     * not nest; every mutating method of {@link SlotWriter} opens and closes its own. A read-only table is never written.
     */
    void beginWrite()
    {
        if (held)
        {
            return;
        }
        // flags come from what the writer knows, not from the stored word (a stale or damaged value)
        final int begun = (TableDescriptor.sequenceBegin(header.getInt(WRITE_SEQUENCE_OFFSET)) &
            TableDescriptor.SEQUENCE_COUNTER) | (superseded ? TableDescriptor.SEQUENCE_SUPERSEDED : 0);
        header.putIntRelease(WRITE_SEQUENCE_OFFSET, begun);
        VarHandle.storeStoreFence();
        writeBegun = begun;
    }

    /**
     * End a write: the Write Sequence becomes the next even value with release ordering, after every slot store
     * of the write. A memory store only: never forced, so never a durability event.
     */
    void endWrite()
    {
        if (held)
        {
            return;
        }
        header.putIntRelease(WRITE_SEQUENCE_OFFSET, TableDescriptor.sequenceEnd(writeBegun));
        writeBegun = 0;
    }

    /**
     * The Write Sequence with acquire ordering, for a reader about to read slots.
     */
    int writeSequence()
    {
        return header.getIntAcquire(WRITE_SEQUENCE_OFFSET);
    }

    /**
     * The Write Sequence again after reading slots: a load-load fence keeps the slot reads before it.
     */
    int writeSequenceAfterRead()
    {
        VarHandle.loadLoadFence();
        return header.getIntVolatile(WRITE_SEQUENCE_OFFSET);
    }

    /**
     * Set a flag of the Write Sequence ({@link TableDescriptor#SEQUENCE_SUPERSEDED} when this table becomes a rehash
     * source, {@link TableDescriptor#SEQUENCE_RETIRED} when the rehash out of it completes), as a write of its
     * own, so that a reader validating this table sees a change and looks at the table set again.
     */
    void markSequence(final int flag)
    {
        if (readOnly)
        {
            return;
        }
        beginWrite();
        writeBegun |= flag;
        endWrite();
    }

    /**
     * This table has become the source of a rehash (a newer table file is in place): every later write carries
     * {@link TableDescriptor#SEQUENCE_SUPERSEDED}, and with {@code announce} the flag is stored now, before any
     * write to the source, so that a reader still taking this table for the current one looks for the newer one.
     */
    void becomeSource(final boolean announce)
    {
        superseded = true;
        if (announce)
        {
            markSequence(TableDescriptor.SEQUENCE_SUPERSEDED);
        }
    }

    /**
     * Keep the Write Sequence odd from now until the table is marked open ({@link Table#setOpenState}): recovery
     * (FORMAT.md §6 phase 2 and the replay) runs as one write, so readers in other processes wait for its end
     * instead of seeing keys pass through older values during the replay.
     */
    void holdWriting()
    {
        if (readOnly || held)
        {
            return;
        }
        beginWrite();
        held = true;
    }

    /**
     * Start or end a writer session on this table's Write Sequence: a random even counter at open (so values of
     * an earlier session are not met again by a reader that slept across both), keeping the SUPERSEDED flag of a
     * rehash source; 0 at a clean close, the value format version 1 readers expect in these bytes.
     */
    void setSessionSequence(final boolean open)
    {
        held = false;
        writeBegun = 0;
        final int word;
        if (open)
        {
            int counter = ThreadLocalRandom.current().nextInt() & TableDescriptor.SEQUENCE_COUNTER &
                ~TableDescriptor.SEQUENCE_WRITING;
            if (0 == counter)
            {
                counter = 2;
            }
            word = counter | (superseded ? TableDescriptor.SEQUENCE_SUPERSEDED : 0);
        }
        else
        {
            word = 0;
        }
        header.putIntVolatile(WRITE_SEQUENCE_OFFSET, word);
    }
}
