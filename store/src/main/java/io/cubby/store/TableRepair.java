package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.List;

import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;
import static io.cubby.store.WalRecordDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.WalRecordDescriptor.KEY_OFFSET;

/**
 * The slot-level steps of recovery (FORMAT.md §6 steps 5 to 8) on one table: each planned first, reading only
 * ({@code plan*}), and applied once every check passed ({@code apply*}, and the re-placing, deduplication and
 * recount that follow).
 */
final class TableRepair
{
    private TableRepair()
    {
    }

    /** Per-table part of the plan. */
    static final class TablePlan
    {
        final Table table;
        final LongHashSet drops = new LongHashSet();
        long undoRestore = -1;
        boolean undoClear;

        TablePlan(final Table table)
        {
            this.table = table;
        }
    }

    static void planUndo(final TablePlan plan, final List<String> notes)
    {
        final Table table = plan.table;
        final long index = table.undoSlotIndex();
        if (TableDescriptor.NO_UNDO == index)
        {
            return;
        }
        plan.undoClear = true;
        final String problem = table.undoImageProblem(index);
        if (null != problem)
        {
            notes.add(table.file.getFileName() + ": undo image discarded (" + problem + ")");
        }
        else if (!table.slotIntact(index))
        {
            plan.undoRestore = index;
        }
    }

    static int applyUndo(final TablePlan plan)
    {
        if (plan.undoRestore >= 0)
        {
            plan.table.restoreUndo(plan.undoRestore);
            return 1;
        }
        if (plan.undoClear)
        {
            plan.table.clearUndo();
        }
        return 0;
    }

    static void planDrops(
        final TablePlan plan, final UnsafeBuffer log, final LongArrayList operations, final List<String> unrecoverable)
    {
        final Table table = plan.table;
        long empty = 0;
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (SlotDescriptor.STATE_EMPTY == state)
            {
                empty++;
            }
            else if (!SlotDescriptor.isValidState(state))
            {
                unrecoverable.add(table.file.getFileName() + " slot " + i + " (invalid state " + state + ")");
            }
            else if (STATE_FULL == state && i != plan.undoRestore && !table.slotIntact(i))
            {
                if (null != log && keyInLog(table, i, log, operations))
                {
                    plan.drops.add(i);
                }
                else
                {
                    unrecoverable.add(table.file.getFileName() + " slot " + i);
                }
            }
        }
        if (0 == empty)
        {
            unrecoverable.add(table.file.getFileName() + " (no empty slot: its slot states are corrupt)");
        }
    }

    static int applyDrops(final TablePlan plan)
    {
        for (final LongHashSet.LongIterator it = plan.drops.iterator(); it.hasNext(); )
        {
            plan.table.remove(it.nextValue(), false);
        }
        return plan.drops.size();
    }

    private static boolean keyInLog(
        final Table table, final long index, final DirectBuffer log, final LongArrayList operations)
    {
        final int keyLength = table.window(index).getInt(table.slotOffset(index) + SlotDescriptor.KEY_LENGTH_OFFSET);
        if (keyLength < 0 || keyLength > table.maxKeyLength)
        {
            return false;
        }
        final UnsafeBuffer window = table.window(index);
        final int keyOffset = table.keyOffsetInWindow(index);
        for (int i = 0; i < operations.size(); i++)
        {
            final int position = (int)operations.getLong(i);
            if (log.getInt(position + KEY_LENGTH_OFFSET) != keyLength)
            {
                continue;
            }
            boolean equal = true;
            for (int b = 0; b < keyLength && equal; b++)
            {
                equal = log.getByte(position + KEY_OFFSET + b) == window.getByte(keyOffset + b);
            }
            if (equal)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Source slots at or after the cursor whose key is also in the current table, with the planned drops already
     * counted as tombstones.
     */
    static void planDeduplicate(
        final TablePlan currentPlan, final TablePlan sourcePlan, final long cursor, final LongArrayList out)
    {
        final Table source = sourcePlan.table;
        for (long i = cursor; i < source.capacity; i++)
        {
            if (STATE_FULL == source.state(i) && !sourcePlan.drops.contains(i) &&
                find(currentPlan, source.slotHash(i), source.window(i), source.keyOffsetInWindow(i),
                source.keyLength(i)) >= 0)
            {
                out.addLong(i);
            }
        }
    }

    /**
     * {@link Table#find} reading the slots as the plan will leave them (planned drops as tombstones).
     */
    private static long find(
        final TablePlan plan, final long hash, final DirectBuffer key, final int offset, final int length)
    {
        final Table table = plan.table;
        long index = table.homeIndex(hash);
        for (long probe = 1; probe <= table.capacity; probe++)
        {
            final int state = table.state(index);
            if (SlotDescriptor.STATE_EMPTY == state)
            {
                return -1;
            }
            if (STATE_FULL == state && !plan.drops.contains(index) && table.slotHash(index) == hash &&
                table.window(index).getInt(table.slotOffset(index) + SlotDescriptor.KEY_LENGTH_OFFSET) == length)
            {
                final UnsafeBuffer window = table.window(index);
                final int keyOffset = table.keyOffsetInWindow(index);
                boolean equal = true;
                for (int b = 0; b < length && equal; b++)
                {
                    equal = key.getByte(offset + b) == window.getByte(keyOffset + b);
                }
                if (equal)
                {
                    return index;
                }
            }
            index = table.nextIndex(index, probe, hash);
        }
        return -1;
    }

    static long[] countSlots(final Table table, final long fullFrom)
    {
        long full = 0;
        long tombstones = 0;
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (STATE_FULL == state && i >= fullFrom)
            {
                full++;
            }
            else if (STATE_TOMBSTONE == state)
            {
                tombstones++;
            }
        }
        return new long[]{ full, tombstones };
    }

    /**
     * Step 8a. A power loss can keep a later insert and lose an earlier one on its probe path (their slots on
     * different pages or sectors): the later entry is then cut off from its home slot by an empty slot, and no
     * lookup finds it. Each such entry is copied to the first free slot of its probe sequence, then its old slot is
     * tombstoned; a copy of a key that is reachable elsewhere is a stale duplicate and is tombstoned. Each move is
     * idempotent: a crash between the copy and the tombstone leaves a reachable copy and a stale one, which the
     * next recovery tombstones.
     *
     * @return the number of slots re-placed or tombstoned.
     */
    static int replaceUnreachable(final Table table, final long fullFrom)
    {
        int replaced = 0;
        for (long i = fullFrom; i < table.capacity; i++)
        {
            if (SlotDescriptor.STATE_FULL != table.state(i))
            {
                continue;
            }
            final UnsafeBuffer window = table.window(i);
            final int keyOffset = table.keyOffsetInWindow(i);
            final int keyLength = table.keyLength(i);
            final long hash = table.slotHash(i);
            final long found = table.find(hash, window, keyOffset, keyLength);
            if (found == i)
            {
                continue;
            }
            if (found < 0)
            {
                final long slot = table.findForInsert(hash, window, keyOffset, keyLength);
                if (slot < 0)
                {
                    table.insertCopy(-2 - slot, table, i);
                }
            }
            table.remove(i, true);
            replaced++;
        }
        return replaced;
    }

    /**
     * Tombstone the source entries at or after the cursor whose key the current table holds.
     */
    static void removeShadowed(final Table current, final Table source, final long cursor)
    {
        for (long i = cursor; i < source.capacity; i++)
        {
            if (SlotDescriptor.STATE_FULL == source.state(i) && current.find(source.slotHash(i), source.window(i),
                source.keyOffsetInWindow(i), source.keyLength(i)) >= 0)
            {
                source.remove(i, true);
            }
        }
    }

    static void recount(final Table table, final long fullFrom)
    {
        final long[] counts = countSlots(table, fullFrom);
        table.setEntryCount(counts[0]);
        table.setTombstoneCount(counts[1]);
    }
}
