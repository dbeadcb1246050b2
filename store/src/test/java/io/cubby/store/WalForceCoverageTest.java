package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Version 1's log force covers every record it declares durable (FORMAT.md §4): after a force, each record at or
 * below the durable sequence lies in bytes forced after it was appended. A seeded sequence of appends, forces and
 * start moves (what a background checkpoint does: it moves the start without forcing the records) against that
 * model, with the forced ranges taken from {@link FileEvents}. The case it guards: a start moved past the last
 * forced position, then appends that wrap around the ring and pass that position before the next force, which
 * then forced only the bytes between the old forced position and the append position. Forces are rare here (3 in
 * 1,000 steps, as an ASYNC force every 100 ms is beside fast writers), so that the ring laps between two of them;
 * seed 1 met the case at step 1,991 before the fix.
 */
class WalForceCoverageTest
{
    /** A record appended and not yet covered by a force: its bytes and sequence. */
    private record Pending(int position, int length, long sequence)
    {
    }

    @AfterEach
    void uninstall()
    {
        FileEvents.Hook.installed = null;
    }

    @Test
    void everyRecordAtOrBelowTheDurableSequenceWasForcedAfterItsAppend(@TempDir final Path tmp) throws Exception
    {
        for (long seed = 1; seed <= 40; seed++)
        {
            run(tmp.resolve("wal-" + seed + ".log"), seed);
        }
    }

    private static void run(final Path file, final long seed) throws Exception
    {
        final Random random = new Random(seed);
        final Wal wal = Wal.create(file, WalDescriptor.MIN_CAPACITY, 7, 1);
        final List<Pending> pending = new ArrayList<>();
        final List<long[]> forcedSinceLast = new ArrayList<>();
        FileEvents.Hook.installed = new FileEvents()
        {
            public void forcing(final Path f, final long offset, final long length)
            {
            }

            public void forced(final Path f, final long offset, final long length)
            {
                if (f.equals(file))
                {
                    forcedSinceLast.add(new long[]{ offset, offset + length });
                }
            }

            public void directoryForced(final Path directory)
            {
            }
        };
        try
        {
            final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
            final UnsafeBuffer value = new UnsafeBuffer(new byte[400]);
            final List<long[]> checkpoints = new ArrayList<>(); // {position, sequence} of records a start may move to
            for (int step = 0; step < 3000; step++)
            {
                final int choice = random.nextInt(1000);
                if (choice < 3)
                {
                    forcedSinceLast.clear();
                    wal.forceAll();
                    final long durable = wal.durableSequence();
                    for (final Pending record : new ArrayList<>(pending))
                    {
                        if (record.sequence() > durable)
                        {
                            continue;
                        }
                        assertTrue(covered(forcedSinceLast, record), "seed " + seed + ", step " + step +
                            ": record " + record + " counts as durable (durable sequence " + durable +
                            ") but the force covered only " + ranges(forcedSinceLast));
                        pending.remove(record);
                    }
                }
                else if (choice < 40 && !checkpoints.isEmpty())
                {
                    // a background checkpoint: the start moves to a recent record, the records stay unforced
                    final long[] to = checkpoints.get(checkpoints.size() - 1);
                    wal.advanceStart((int)to[0], to[1]);
                    pending.removeIf(record -> record.sequence() < to[1]);
                    checkpoints.clear();
                }
                else
                {
                    final int valueLength = random.nextInt(value.capacity());
                    final int length = WalRecordDescriptor.entryRecordLength(key.capacity(), valueLength);
                    if (!wal.fits(length + 2 * WalRecordDescriptor.STRUCTURAL_LENGTH))
                    {
                        final long[] to = checkpoints.isEmpty() ? null : checkpoints.get(checkpoints.size() - 1);
                        if (null != to)
                        {
                            wal.advanceStart((int)to[0], to[1]);
                            pending.removeIf(record -> record.sequence() < to[1]);
                            checkpoints.clear();
                        }
                        continue;
                    }
                    key.putLong(0, step);
                    final long sequence = wal.appendEntry(WalRecordDescriptor.TYPE_PUT, key, 0, key.capacity(),
                        value, 0, valueLength, 0);
                    pending.add(new Pending(wal.lastRecordPosition(), length, sequence));
                    if (random.nextInt(4) == 0)
                    {
                        checkpoints.add(new long[]{ wal.lastRecordPosition(), sequence });
                    }
                }
            }
        }
        finally
        {
            FileEvents.Hook.installed = null;
            wal.close();
        }
    }

    private static boolean covered(final List<long[]> ranges, final Pending record)
    {
        for (final long[] range : ranges)
        {
            if (range[0] <= record.position() && record.position() + record.length() <= range[1])
            {
                return true;
            }
        }
        return false;
    }

    private static String ranges(final List<long[]> ranges)
    {
        final StringBuilder text = new StringBuilder();
        for (final long[] range : ranges)
        {
            text.append('[').append(range[0]).append(", ").append(range[1]).append(") ");
        }
        return text.toString();
    }
}
