package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.TableDescriptor.SEQUENCE_WRITING;

/**
 * The online verify of a read-only store: what can be checked slot by slot while a writer may be active.
 */
final class LiveVerifier
{
    /** Attempts at a validated reachability check of one entry before it is left unchecked. */
    static final int CHECK_ATTEMPTS = 1 << 12;

    private final TableParams params;
    private final LiveTables tables;
    private final LiveScan scan;

    LiveVerifier(final TableParams params, final LiveTables tables, final LiveScan scan)
    {
        this.params = params;
        this.tables = tables;
        this.scan = scan;
    }

    /**
     * Verify what can be checked while a writer may be active: every slot read consistently has a valid state,
     * valid lengths and checksum, its Key Hash matches its key, and its key is reachable from its home slot.
     * Not checked, since they change under a live writer: duplicates across slots, the header counts against a
     * count, the undo area and the log.
     */
    VerifyReport verify(final boolean writerLive)
    {
        tables.ensureOpen();
        final LiveView v = tables.view();
        final List<String> problems = new ArrayList<>();
        long problemCount = 0;
        long entries = 0;
        long tombstones = 0;
        long slots = 0;
        final long[] histogram = new long[Verifier.HISTOGRAM_BUCKETS];
        final double[] regions = new double[(int)Math.min(Verifier.REGIONS, v.current.capacity)];
        long maxProbe = 0;
        long probeTotal = 0;
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[params.maxKeyLength + Math.max(0, params.maxValueLength)]);
        final LiveScan.SlotCopy slot = new LiveScan.SlotCopy();
        final Xxh3 hashFunction = Xxh3.withSeed(params.seed);
        for (final Table table : null == v.source ? new Table[]{ v.current } : new Table[]{ v.current, v.source })
        {
            final long regionSize = Math.max(1, table.capacity / Math.max(1, regions.length));
            for (long i = 0; i < table.capacity; i++)
            {
                slots++;
                scan.readSlot(v, table, i, copy, slot, 0);
                if (LiveScan.SlotCopy.CORRUPT == slot.kind)
                {
                    problemCount++;
                    if (problems.size() < VerifyReport.MAX_LISTED_PROBLEMS)
                    {
                        problems.add(slot.problem.getMessage());
                    }
                    continue;
                }
                if (LiveScan.SlotCopy.TOMBSTONE == slot.kind)
                {
                    if (table == v.current)
                    {
                        tombstones++;
                        regions[(int)Math.min(regions.length - 1, i / regionSize)] += 1.0 / regionSize;
                    }
                    continue;
                }
                if (LiveScan.SlotCopy.EMPTY == slot.kind)
                {
                    continue;
                }
                if (table == v.current)
                {
                    regions[(int)Math.min(regions.length - 1, i / regionSize)] += 1.0 / regionSize;
                }
                if (LiveScan.SlotCopy.FULL != slot.kind)
                {
                    continue;
                }
                entries++;
                final String problem = checkKey(v, table, i, copy, slot, hashFunction);
                if (null != problem)
                {
                    problemCount++;
                    if (problems.size() < VerifyReport.MAX_LISTED_PROBLEMS)
                    {
                        problems.add(problem);
                    }
                }
                else if (table == v.current)
                {
                    probeTotal += slot.probes;
                    maxProbe = Math.max(maxProbe, slot.probes);
                    histogram[(int)Math.min(histogram.length - 1, Math.max(0, slot.probes - 1))]++;
                }
            }
        }
        final long currentEntries = entries;
        final double mean = currentEntries == 0 ? 0 : probeTotal / (double)currentEntries;
        return new VerifyReport(problems, problemCount, entries, tombstones, slots, histogram, regions, maxProbe,
            mean, writerLive ? List.of(
                "a writer is active: each slot was checked as read at one instant; duplicate keys, the header " +
                "counts, the undo area and the log were not checked (`cubby verify` with the writer closed checks " +
                "them)") : List.of());
    }

    /**
     * @return a problem with an entry just read: its Key Hash not the hash of its key, or its key not reachable
     *         from its home slot (checked again under a validated read, since the entry may have moved).
     */
    private String checkKey(final LiveView v, final Table table, final long index, final UnsafeBuffer copy,
        final LiveScan.SlotCopy slot, final Xxh3 hashFunction)
    {
        final long hash = Hashing.hash(hashFunction, copy, 0, slot.keyLength);
        if (hash != slot.hash)
        {
            return "slot " + index + " of " + table.file.getFileName() + ": Key Hash does not match its key";
        }
        for (int attempt = 0; attempt < CHECK_ATTEMPTS; attempt++)
        {
            final int c1 = table.writeSequence();
            long probes = -1;
            try
            {
                probes = table.probeLength(hash, index);
            }
            catch (final RuntimeException ignore)
            {
                // a torn read: validated below
            }
            final int c2 = table.writeSequenceAfterRead();
            final boolean steady = 0 == (c1 & SEQUENCE_WRITING) || c1 == v.deadCurrentWord || c1 == v.deadSourceWord;
            if (c1 == c2 && steady)
            {
                if (probes < 0)
                {
                    // the slot may have been rewritten since it was read: only a slot still holding the key counts
                    return stillHolds(table, index, hash) ?
                        "slot " + index + " of " + table.file.getFileName() + ": key not reachable from its home " +
                        "slot" : null;
                }
                slot.probes = probes;
                return null;
            }
            Thread.onSpinWait();
        }
        // kept changing under the writer: not checked this time
        return null;
    }

    private static boolean stillHolds(final Table table, final long index, final long hash)
    {
        final int c1 = table.writeSequence();
        final boolean holds = STATE_FULL == table.state(index) && table.slotHash(index) == hash;
        return holds && c1 == table.writeSequenceAfterRead() && 0 == (c1 & SEQUENCE_WRITING);
    }
}
