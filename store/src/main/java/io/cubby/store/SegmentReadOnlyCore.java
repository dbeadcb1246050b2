package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.BinaryOperator;
import java.util.function.LongConsumer;

/**
 * A format-version-2 store opened read-only ({@link Cubby.Builder#readOnly(boolean)}): reads through a
 * {@link SegmentReader}, which takes no lock, writes nothing and follows a writer in another process; every
 * change throws {@link ReadOnlyStoreException}. Scans copy one segment at a time, each as of one instant where
 * the writer lets them.
 */
final class SegmentReadOnlyCore implements StoreCore
{
    /** Attempts to verify a segment at a stable instant before it is listed as not checked. */
    private static final int VERIFY_ATTEMPTS = 4;

    private final SegmentReader reader;
    private final SegmentReadScan scan;
    private final RecoveryReport recoveryReport;
    /** The builder's durability, shown by {@link #stats()} (a reader writes nothing). */
    private final Durability durability;
    /** Hits and misses of reads, with {@link Cubby.Builder#recordStats(boolean)}; else null. */
    private final Counters counters;
    private final ThreadLocal<UnsafeBuffer> discard;

    SegmentReadOnlyCore(final SegmentReader reader, final RecoveryReport recoveryReport,
        final Durability durability, final Counters counters)
    {
        this.counters = counters;
        this.reader = reader;
        this.scan = new SegmentReadScan(reader);
        this.recoveryReport = recoveryReport;
        this.durability = durability;
        final int length = Math.max(1, reader.params.maxValueLength);
        this.discard = ThreadLocal.withInitial(() -> new UnsafeBuffer(new byte[length]));
    }

    @Override
    public int formatVersion()
    {
        return 2;
    }

    @Override
    public int read(final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        final int result = lookUp(key, keyOffset, keyLength, dst, dstOffset);
        if (null != counters)
        {
            counters.recordRead(result >= 0);
        }
        return result;
    }

    /** A read not counted in the stats. */
    private int lookUp(final DirectBuffer key, final int keyOffset, final int keyLength,
        final MutableDirectBuffer dst, final int dstOffset)
    {
        reader.checkOpen();
        return null == dst ? reader.get(key, keyOffset, keyLength, discard.get(), 0) :
            reader.get(key, keyOffset, keyLength, dst, dstOffset);
    }

    @Override
    public int write(final Engine.Operation op, final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength, final DirectBuffer expected,
        final int expectedOffset, final int expectedLength, final MutableDirectBuffer previous, final long expiresAt)
    {
        throw readOnly();
    }

    @Override
    public byte[] compute(final byte[] key, final UnsafeBuffer k, final BinaryOperator<byte[]> remapping,
        final long ttlMillis)
    {
        throw readOnly();
    }

    @Override
    public long expiresAtMillis(final DirectBuffer key, final int keyLength)
    {
        return lookUp(key, 0, keyLength, null, 0) < 0 ? Cubby.MISSING : reader.lastReadExpiresAt();
    }

    /** Live entries: the headers' counts, or in a store with expiry a scan that leaves expired entries out. */
    @Override
    public long size()
    {
        if (!reader.params.expiry)
        {
            return estimatedSize();
        }
        reader.checkOpen();
        long size = 0;
        for (int s = 0; s < reader.segmentCount(); s++)
        {
            for (final SegmentReadScan.Copied copied : scan.snapshot(s))
            {
                size += null == copied.problem ? 1 : 0;
            }
        }
        return size;
    }

    /** The headers' counts, expired entries included until the writer reclaims them. */
    @Override
    public long estimatedSize()
    {
        reader.checkOpen();
        long size = 0;
        for (int s = 0; s < reader.segmentCount(); s++)
        {
            size += reader.entryCount(s);
        }
        return size;
    }

    @Override
    public boolean isEmpty()
    {
        return 0 == size();
    }

    @Override
    public void forEach(final EntryVisitor visitor, final CorruptEntryHandler onCorrupt)
    {
        final UnsafeBuffer key = new UnsafeBuffer(0, 0);
        final UnsafeBuffer value = new UnsafeBuffer(0, 0);
        for (int s = 0; s < reader.segmentCount(); s++)
        {
            for (final SegmentReadScan.Copied copied : scan.snapshot(s))
            {
                key.wrap(copied.key);
                if (null != copied.problem)
                {
                    if (null == onCorrupt)
                    {
                        throw copied.problem;
                    }
                    onCorrupt.onCorrupt(key, 0, copied.key.length, copied.problem);
                    continue;
                }
                value.wrap(copied.value);
                visitor.visit(key, 0, copied.key.length, value, 0, copied.value.length);
            }
        }
    }

    @Override
    public Iterator<Map.Entry<byte[], byte[]>> entries()
    {
        reader.checkOpen();
        return new Iterator<>()
        {
            private final ArrayDeque<Map.Entry<byte[], byte[]>> buffered = new ArrayDeque<>();
            private int nextSegment;

            @Override
            public boolean hasNext()
            {
                while (buffered.isEmpty() && nextSegment < reader.segmentCount())
                {
                    for (final SegmentReadScan.Copied copied : scan.snapshot(nextSegment++))
                    {
                        if (null != copied.problem)
                        {
                            throw copied.problem;
                        }
                        buffered.add(new AbstractMap.SimpleImmutableEntry<>(copied.key, copied.value));
                    }
                }
                return !buffered.isEmpty();
            }

            @Override
            public Map.Entry<byte[], byte[]> next()
            {
                if (!hasNext())
                {
                    throw new NoSuchElementException();
                }
                return buffered.poll();
            }

            @Override
            public void remove()
            {
                throw readOnly();
            }
        };
    }

    @Override
    public Iterator<byte[]> keys()
    {
        return new TableCore.KeyIterator(entries());
    }

    @Override
    public void checkpoint()
    {
        reader.checkOpen();
        throw readOnly();
    }

    @Override
    public void compact(final double targetLoad, final LongConsumer progress)
    {
        reader.checkOpen();
        throw readOnly();
    }

    /** Counts and files as the headers and the manifest hold them now, each segment as of its own instant. */
    @Override
    public CubbyStats stats()
    {
        reader.checkOpen();
        final SegmentReports.Totals totals = new SegmentReports.Totals();
        for (int s = 0; s < reader.segmentCount(); s++)
        {
            final Segment view = reader.currentView(s);
            totals.add(view, view.current().liveEntryCount(),
                null == view.source() ? 0 : view.source().liveEntryCount(), view.current().migrationCursor());
        }
        return totals.stats(reader.params, 0, 0, durability, counters);
    }

    /**
     * Each segment checked as {@link SegmentVerifier} checks a quiescent one, on its files as of one instant: the
     * check runs on freshly opened files, and counts only if the segment's sequence did not move meanwhile. A
     * segment a live writer keeps changing is listed in {@link VerifyReport#notChecked}.
     */
    @Override
    public VerifyReport verify()
    {
        reader.checkOpen();
        final List<String> problems = new ArrayList<>();
        final List<String> notChecked = new ArrayList<>();
        long entries = 0;
        long slots = 0;
        for (int s = 0; s < reader.segmentCount(); s++)
        {
            boolean checked = false;
            for (int attempt = 0; attempt < VERIFY_ATTEMPTS && !checked; attempt++)
            {
                final long sequence = reader.begin(s);
                final Segment fresh;
                try
                {
                    fresh = reader.openFresh(s);
                }
                catch (final NotAStoreException | CorruptStoreException ex)
                {
                    if (reader.validate(s, sequence))
                    {
                        problems.add("segment " + s + ": " + ex.getMessage());
                        checked = true;
                    }
                    continue;
                }
                try
                {
                    final List<String> found = SegmentVerifier.verify(fresh, true);
                    long full = SegmentReports.countFull(fresh.current());
                    long total = fresh.current().groupCount * SegmentDescriptor.GROUP_SLOTS;
                    if (null != fresh.source())
                    {
                        full += SegmentReports.countFull(fresh.source());
                        total += fresh.source().groupCount * SegmentDescriptor.GROUP_SLOTS;
                    }
                    if (reader.validate(s, sequence))
                    {
                        problems.addAll(found);
                        entries += full;
                        slots += total;
                        checked = true;
                    }
                }
                catch (final RuntimeException ex)
                {
                    if (reader.validate(s, sequence))
                    {
                        throw ex;
                    }
                }
                finally
                {
                    fresh.current().close();
                    if (null != fresh.source())
                    {
                        fresh.source().close();
                    }
                }
            }
            if (!checked)
            {
                notChecked.add("segment " + s + ": changed by the writer during each of " + VERIFY_ATTEMPTS +
                    " attempts to check it");
            }
        }
        final long problemCount = problems.size();
        final List<String> listed = problems.size() > VerifyReport.MAX_LISTED_PROBLEMS ?
            problems.subList(0, VerifyReport.MAX_LISTED_PROBLEMS) : problems;
        return new VerifyReport(listed, problemCount, entries, 0, slots, new long[0], new double[0], 0, 0,
            notChecked);
    }

    @Override
    public RecoveryReport recoveryReport()
    {
        return recoveryReport;
    }

    @Override
    public boolean isReadOnly()
    {
        return true;
    }

    @Override
    public boolean hasLiveWriter()
    {
        return reader.hasLiveWriter();
    }

    @Override
    public long maxEntries()
    {
        return reader.manifest.maxEntries();
    }

    @Override
    public void close()
    {
        reader.close();
    }

    @Override
    public boolean isClosed()
    {
        return reader.isClosed();
    }

    private ReadOnlyStoreException readOnly()
    {
        return new ReadOnlyStoreException("store " + reader.directory + " is open read-only");
    }
}
