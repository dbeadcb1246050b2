package io.cubby.store;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child process of {@link CrashRecoveryTest}: random puts, removes and compactions on a store in the given
 * durability, with an "intent" line written to a side file before each operation and an "ack" line after it
 * returns (the parent's record of the acknowledged history). It runs until killed.
 * <p>
 * With a fifth argument {@code recover} it only opens the store (running recovery), reports how long that took,
 * and waits to be killed: the parent kills it during recovery.
 */
public final class CrashChild
{
    private CrashChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        ParentWatch.haltWhenParentDies();
        final Path dir = Path.of(args[0]);
        final SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        final Path journal = Path.of(args[2]);
        final Durability durability = Durability.valueOf(args[3]);
        if (args.length > 4 && "recover".equals(args[4]))
        {
            System.out.println("opening");
            System.out.flush();
            final long start = System.nanoTime();
            final Cubby store = builder(dir, durability).open();
            System.out.println("opened " + (System.nanoTime() - start) / 1_000_000);
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
            store.close();
            return;
        }
        try (FileOutputStream out = new FileOutputStream(journal.toFile(), true);
            Cubby store = builder(dir, durability).open())
        {
            System.out.println("ready");
            System.out.flush();
            for (long i = 0; ; i++)
            {
                final String key = "k" + random.nextInt(2000);
                final int op = random.nextInt(100);
                if (op < 70)
                {
                    final String value = "v" + i;
                    out.write(("I P " + key + " " + value + "\n").getBytes(StandardCharsets.US_ASCII));
                    store.put(key.getBytes(StandardCharsets.US_ASCII), value.getBytes(StandardCharsets.US_ASCII));
                    out.write(("A P " + key + " " + value + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                else if (op < 98)
                {
                    out.write(("I R " + key + "\n").getBytes(StandardCharsets.US_ASCII));
                    store.remove(key.getBytes(StandardCharsets.US_ASCII));
                    out.write(("A R " + key + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                else if (op < 99)
                {
                    out.write("I C -\n".getBytes(StandardCharsets.US_ASCII));
                    store.compact();
                    out.write("A C -\n".getBytes(StandardCharsets.US_ASCII));
                }
                else
                {
                    store.checkpoint();
                }
            }
        }
    }

    private static Cubby.Builder builder(final Path dir, final Durability durability)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(16).maxValueSize(32).expectedEntries(16).migrationStep(1)
            .durability(durability).logSize(1 << 16);
    }
}
