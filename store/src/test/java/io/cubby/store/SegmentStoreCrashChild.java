package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Child process of {@link SegmentStoreCrashTest}: random puts and removes on an engine-v2 store in the given
 * durability, with an "intent" line written to a side file before each operation and an "ack" line after it
 * returns, while a second thread compacts the store again and again (at Max Load, so that segments grown for
 * Target Load shrink: FORMAT-v2.md 9.1; a compaction changes no entry). It runs until killed.
 */
public final class SegmentStoreCrashChild
{
    static final int KEYS = 3000;
    /** Written to stderr if a compaction fails; the parent fails the campaign on it. */
    static final String COMPACTION_FAILED = "compaction failed: ";

    private SegmentStoreCrashChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ParentWatch.haltWhenParentDies();
        final Path dir = Path.of(args[0]);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        final Path journal = Path.of(args[2]);
        final Durability durability = Durability.valueOf(args[3]);
        final SegmentStore store = Files.exists(dir.resolve(ManifestDescriptor.FILE_NAME)) ?
            SegmentStore.open(dir, durability, Duration.ofMillis(20), false) :
            SegmentStore.create(dir, SegmentStoreTest.PARAMS, 1, SegmentLogDescriptor.minCapacity(
                SegmentStoreTest.PARAMS.segmentBits), durability, Duration.ofMillis(20));
        final Thread compactor = new Thread(() ->
        {
            try
            {
                while (true)
                {
                    Thread.sleep(10);
                    store.compact(SegmentStoreTest.PARAMS.maxLoadPpm, false, null);
                }
            }
            catch (final Exception ex)
            {
                System.err.println(COMPACTION_FAILED + ex);
                ex.printStackTrace();
            }
        }, "compactor");
        compactor.setDaemon(true);
        compactor.start();
        try (FileOutputStream out = new FileOutputStream(journal.toFile(), true))
        {
            System.out.println("ready");
            System.out.flush();
            for (long i = 0; ; i++)
            {
                final String key = "k" + random.nextInt(KEYS);
                final UnsafeBuffer keyBuffer = new UnsafeBuffer(key.getBytes(StandardCharsets.US_ASCII));
                if (random.nextInt(100) < 75)
                {
                    final String value = "v" + args[1] + "-" + i;
                    out.write(("I P " + key + " " + value + "\n").getBytes(StandardCharsets.US_ASCII));
                    final byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
                    store.put(keyBuffer, 0, key.length(), new UnsafeBuffer(bytes), 0, bytes.length);
                    out.write(("A P " + key + " " + value + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                else
                {
                    out.write(("I R " + key + "\n").getBytes(StandardCharsets.US_ASCII));
                    store.remove(keyBuffer, 0, key.length());
                    out.write(("A R " + key + "\n").getBytes(StandardCharsets.US_ASCII));
                }
            }
        }
    }
}
