package io.cubby.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * Run in a child JVM by {@link CrossProcessReadTest}: opens a store read-only while another process writes it,
 * and for a while gets random keys and scans the store, checking that every value read is one written for its key
 * and that the versions a get sees never go backwards per key. Prints one line at the end:
 * {@code reads R hits H scans S recoveries C generations G1 G2 violations V}, then up to 10 violations.
 * <p>
 * Arguments: directory, seed, key count, run milliseconds; it runs on (up to a minute) until it has seen the
 * table generation change, so that following growth is always exercised.
 */
public final class CrossProcessReaderChild
{
    private CrossProcessReaderChild()
    {
    }

    /**
     * For a report naming a version-2 segment file: that segment's sequence word, Writer Epoch and Open State as
     * the manifest holds them now, the time (epoch ms) and the milliseconds since the read window began.
     */
    private static String state(final Path dir, final String message, final long start)
    {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("seg-([0-9]{4})-").matcher(message);
        if (!m.find())
        {
            return "";
        }
        try (Manifest manifest = Manifest.open(dir, true))
        {
            final int segment = Integer.parseInt(m.group(1));
            return " (at " + System.currentTimeMillis() + ", " + (System.currentTimeMillis() - start) +
                " ms into the window: segment word " +
                manifest.readSequence(segment) + ", writer epoch " + manifest.writerEpoch() + ", open state " +
                manifest.openState() + ")";
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            return " (manifest not read: " + ex + ")";
        }
    }

    public static void main(final String[] args)
    {
        ParentWatch.haltWhenParentDies();
        final Path dir = Path.of(args[0]);
        final Random random = new Random(Long.parseLong(args[1]));
        final int keys = Integer.parseInt(args[2]);
        final long window = Long.parseLong(args[3]);
        final long[] seen = new long[keys];
        final List<String> violations = new ArrayList<>();
        long reads = 0;
        long hits = 0;
        long scans = 0;
        long recoveries = 0;
        try (Cubby store = Cubby.builder(dir).readOnly(true).open())
        {
            // the read window starts once the store is open: a read-only open beside a busy writer can take seconds
            final long end = System.currentTimeMillis() + window;
            final long firstGeneration = store.stats().generation;
            final long cap = end + 60_000;
            while (System.currentTimeMillis() < end ||
                (store.stats().generation == firstGeneration && System.currentTimeMillis() < cap))
            {
                try
                {
                    if (reads % 5000 == 4999)
                    {
                        store.forEach((k, ko, kl, v, vo, vl) ->
                        {
                            final byte[] key = new byte[kl];
                            k.getBytes(ko, key);
                            final byte[] value = new byte[vl];
                            v.getBytes(vo, value);
                            final String problem = kl != CrossProcessValues.KEY_SIZE ? "scan: key of " + kl +
                                " bytes" : CrossProcessValues.problem(CrossProcessValues.id(key), value);
                            if (null != problem && violations.size() < 100)
                            {
                                violations.add("scan: " + problem);
                            }
                        });
                        scans++;
                    }
                    final int id = random.nextInt(keys);
                    final byte[] value = store.get(CrossProcessValues.key(id));
                    reads++;
                    if (null != value)
                    {
                        hits++;
                        final String problem = CrossProcessValues.problem(id, value);
                        if (null != problem)
                        {
                            violations.add(problem);
                        }
                        else
                        {
                            final long version = CrossProcessValues.version(value);
                            if (version < seen[id])
                            {
                                violations.add("key " + id + " went back from version " + seen[id] + " to " +
                                    version);
                            }
                            seen[id] = version;
                        }
                    }
                }
                catch (final CorruptStoreException ex)
                {
                    if (!ex.getMessage().contains("needs recovery"))
                    {
                        violations.add("corruption reported: " + ex.getMessage() + state(dir, ex.getMessage(),
                            end - window));
                    }
                    recoveries++;
                    LockSupport.parkNanos(2_000_000L);
                }
            }
            System.out.println("reads " + reads + " hits " + hits + " scans " + scans + " recoveries " + recoveries +
                " generations " + firstGeneration + " " + store.stats().generation + " violations " +
                violations.size());
            for (final String violation : violations.subList(0, Math.min(10, violations.size())))
            {
                System.out.println(violation);
            }
            System.out.flush();
        }
    }
}
