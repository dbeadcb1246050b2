package io.cubby.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One store's life from empty, in a process of its own so its peak RSS is its own: load {@code entries} keys
 * from empty timing every put (HdrHistogram), measure the directory while open, close (timed), measure it
 * closed ({@code du} and apparent size), reopen and read one key (timed), check 10,000 present and absent keys,
 * and read the process's peak RSS ({@code VmHWM}). Appends one JSON line to the output file. Store
 * {@code none} builds only the dataset: its peak RSS is the baseline the others are reported against.
 * <p>
 * Run: {@code java <jvm flags> -cp tools/bench/target/benchmarks.jar io.cubby.bench.LoadProbe STORE ENTRIES
 * OUT.jsonl REPETITION [keep]}; {@code keep} keeps the loaded store as the {@link Prepared} copy for
 * {@link FairBenchmark}.
 */
public final class LoadProbe
{
    private static final long MAX_TRACKED_NANOS = TimeUnit.MINUTES.toNanos(10);

    private LoadProbe()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length < 4)
        {
            System.err.println("usage: LoadProbe STORE ENTRIES OUT.jsonl REPETITION [keep]");
            System.exit(2);
        }
        final String store = args[0];
        final long entries = Long.parseLong(args[1]);
        final Path out = Path.of(args[2]);
        final int repetition = Integer.parseInt(args[3]);
        final boolean keep = args.length > 4 && "keep".equals(args[4]);
        final Dataset data = new Dataset(entries, Dataset.absentFor(entries));
        final String line = "none".equals(store) ?
            String.format(Locale.ROOT, "{\"store\":\"none\",\"entries\":%d,\"rep\":%d,\"peakRss\":%d}", entries,
                repetition, Rss.peakBytes()) :
            probe(store, entries, repetition, data, keep);
        System.out.println(line);
        try
        {
            Files.writeString(out, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String probe(
        final String store, final long entries, final int repetition, final Dataset data, final boolean keep)
    {
        final Path dir = Prepared.newDirectory("load-" + store);
        final Histogram latency = new Histogram(MAX_TRACKED_NANOS, 3);
        final long openStart = System.nanoTime();
        Stores.Store db = Stores.open(store, dir, data, entries);
        final long createNanos = System.nanoTime() - openStart;
        Stores.Session session = db.session();
        final long loadStart = System.nanoTime();
        for (long i = 0; i < entries; i++)
        {
            final long start = System.nanoTime();
            session.put(i);
            latency.recordValue(Math.min(MAX_TRACKED_NANOS, System.nanoTime() - start));
        }
        final long loadNanos = System.nanoTime() - loadStart;
        final long rssLoaded = Rss.currentBytes();
        final DiskUsage open = db.persistent() ? DiskUsage.of(dir) : null;
        String reopen = "";
        DiskUsage closed = null;
        long closeNanos = 0;
        if (db.persistent())
        {
            session.close();
            final long closeStart = System.nanoTime();
            db.close();
            closeNanos = System.nanoTime() - closeStart;
            closed = DiskUsage.of(dir);
            final long reopenStart = System.nanoTime();
            db = Stores.open(store, dir, data, entries);
            final long reopenNanos = System.nanoTime() - reopenStart;
            session = db.session();
            final long getStart = System.nanoTime();
            final int length = session.get(entries / 2);
            final long firstGetNanos = System.nanoTime() - getStart;
            if (!data.matches(entries / 2, session.value(), 0, length))
            {
                throw new IllegalStateException(store + ": wrong value after reopen");
            }
            reopen = String.format(Locale.ROOT, ",\"reopenMs\":%.3f,\"firstGetUs\":%.1f,\"reopenFirstGetMs\":%.3f",
                reopenNanos / 1e6, firstGetNanos / 1e3, (reopenNanos + firstGetNanos) / 1e6);
        }
        Stores.verify(session, data, 10_000, 7);
        session.close();
        final long peak = Rss.peakBytes();
        db.close();
        if (keep && db.persistent())
        {
            Prepared.keep(dir, store, entries);
        }
        else
        {
            Stores.deleteRecursively(dir);
        }
        return String.format(Locale.ROOT,
            "{\"store\":\"%s\",\"entries\":%d,\"rep\":%d,\"createMs\":%.3f,\"loadSeconds\":%.4f,\"loadOpsPerSec\":%.1f," +
            "\"p50Ns\":%d,\"p99Ns\":%d,\"p999Ns\":%d,\"maxNs\":%d,\"meanNs\":%.1f,\"rssLoaded\":%d,\"peakRss\":%d" +
            "%s%s%s%s}",
            store, entries, repetition, createNanos / 1e6, loadNanos / 1e9, entries / (loadNanos / 1e9),
            latency.getValueAtPercentile(50), latency.getValueAtPercentile(99), latency.getValueAtPercentile(99.9),
            latency.getMaxValue(), latency.getMean(), rssLoaded, peak,
            db.persistent() ? String.format(Locale.ROOT, ",\"closeMs\":%.3f", closeNanos / 1e6) : "",
            null == open ? "" : String.format(Locale.ROOT, ",\"openDu\":%d,\"openApparent\":%d", open.allocated,
                open.apparent),
            null == closed ? "" : String.format(Locale.ROOT, ",\"closedDu\":%d,\"closedApparent\":%d",
                closed.allocated, closed.apparent),
            reopen);
    }
}
