package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

import static io.cubby.store.SlotDescriptor.STATE_EMPTY;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;

/**
 * Full structural scan behind {@link Cubby#verify()}: every slot's state, lengths and checksum, every key
 * reachable from its home slot and stored once, the stored hash matching the key, and the header counts.
 */
final class Verifier
{
    static final int HISTOGRAM_BUCKETS = 17;
    static final int REGIONS = 64;

    private final List<String> problems = new ArrayList<>();
    private long problemCount;

    private Verifier()
    {
    }

    static VerifyReport verify(final Table current, final Table source, final long cursor)
    {
        final Verifier verifier = new Verifier();
        final long[] histogram = new long[HISTOGRAM_BUCKETS];
        final double[] regions = new double[(int)Math.min(REGIONS, current.capacity)];
        final long[] probeTotals = new long[2];
        final long[] counts = verifier.scan(current, 0, null, histogram, regions, probeTotals);
        long entries = counts[0];
        final long tombstones = counts[1];
        long slots = current.capacity;
        if (null != source)
        {
            final long[] sourceCounts = verifier.scan(source, cursor, current, null, null, null);
            entries += sourceCounts[0];
            slots += source.capacity;
        }
        final double mean = counts[0] == 0 ? 0 : probeTotals[0] / (double)counts[0];
        return new VerifyReport(verifier.problems, verifier.problemCount, entries, tombstones, slots, histogram,
            regions, probeTotals[1], mean);
    }

    /**
     * @return live entries and tombstones counted.
     */
    private long[] scan(
        final Table table,
        final long liveFrom,
        final Table shadowing,
        final long[] histogram,
        final double[] regions,
        final long[] probeTotals)
    {
        final String name = table.file.getFileName().toString();
        long full = 0;
        long fullCounted = 0;
        long tombstones = 0;
        final long regionSize = null == regions ? 1 : Math.max(1, table.capacity / regions.length);
        long regionUsed = 0;
        for (long i = 0; i < table.capacity; i++)
        {
            final int state = table.state(i);
            if (STATE_FULL == state)
            {
                full++;
                if (checkFull(table, i, name, histogram, probeTotals))
                {
                    if (i >= liveFrom)
                    {
                        final UnsafeBuffer window = table.window(i);
                        if (null != shadowing && shadowing.find(table.slotHash(i), window,
                            table.keyOffsetInWindow(i), table.keyLength(i)) >= 0)
                        {
                            problem(name + " slot " + i + ": key also present in the newer table " +
                                shadowing.file.getFileName());
                        }
                        fullCounted++;
                    }
                }
                else if (i >= liveFrom)
                {
                    fullCounted++;
                }
                regionUsed++;
            }
            else if (STATE_TOMBSTONE == state)
            {
                tombstones++;
                regionUsed++;
            }
            else if (STATE_EMPTY != state)
            {
                problem(name + " slot " + i + ": invalid state " + state);
            }
            if (null != regions && ((i + 1) % regionSize == 0 || i + 1 == table.capacity))
            {
                final int region = (int)Math.min(regions.length - 1, i / regionSize);
                final long regionSlots = (i % regionSize) + 1;
                regions[region] = regionUsed / (double)regionSlots;
                regionUsed = 0;
            }
        }
        if (table.entryCount() != fullCounted)
        {
            problem(name + ": header entry count " + table.entryCount() + " but " + fullCounted + " live full slots" +
                (liveFrom > 0 ? " from migration cursor " + liveFrom : ""));
        }
        if (table.tombstoneCount() != tombstones)
        {
            problem(name + ": header tombstone count " + table.tombstoneCount() + " but " + tombstones +
                " tombstone slots");
        }
        if (full + tombstones >= table.capacity)
        {
            problem(name + ": no empty slot left; lookups of absent keys cannot terminate early");
        }
        return new long[]{ fullCounted, tombstones };
    }

    private boolean checkFull(
        final Table table, final long index, final String name, final long[] histogram, final long[] probeTotals)
    {
        if (!table.slotIntact(index))
        {
            problem(name + " slot " + index + ": checksum or length mismatch (corrupt or torn slot)");
            return false;
        }
        final UnsafeBuffer window = table.window(index);
        final int keyOffset = table.keyOffsetInWindow(index);
        final int keyLength = table.keyLength(index);
        final long storedHash = table.slotHash(index);
        final long hash = table.hash(window, keyOffset, keyLength);
        if (hash != storedHash)
        {
            problem(name + " slot " + index + ": stored hash does not match the key");
            return false;
        }
        final long found;
        try
        {
            found = table.find(hash, window, keyOffset, keyLength);
        }
        catch (final CorruptStoreException ex)
        {
            problem(name + " slot " + index + ": " + ex.getMessage());
            return false;
        }
        if (found != index)
        {
            problem(name + " slot " + index + ": " + (found < 0 ?
                "key unreachable from its home slot (an empty slot breaks the probe sequence)" :
                "key duplicated at slot " + found));
            return false;
        }
        if (null != histogram)
        {
            final long probes = table.probeLength(hash, index);
            histogram[(int)Math.min(histogram.length - 1, Math.max(0, probes - 1))]++;
            probeTotals[0] += probes;
            probeTotals[1] = Math.max(probeTotals[1], probes);
        }
        return true;
    }

    private void problem(final String text)
    {
        problemCount++;
        if (problems.size() < VerifyReport.MAX_LISTED_PROBLEMS)
        {
            problems.add(text);
        }
    }
}
