package io.cubby.store;

import java.nio.file.Path;
import java.util.Random;

/**
 * Run in a child JVM by {@link CrossProcessReadTest}: opens (or creates) a small store for writing and makes random
 * puts and removes over a key range that grows, with phases of mostly removes (so the store both grows and
 * compacts away tombstones), and optionally explicit compactions. Prints "ready" once open, "done N" at the end.
 * Versions start at (epoch milliseconds << 20) and increase by one per write, so they keep increasing across a
 * kill and restart. It runs
 * until its stdin closes (or is killed), then closes the store.
 * <p>
 * Arguments: directory, seed, key count, compact every N operations (0 for never), fill first (true: put every
 * key once before the random phase, printing "filled", and afterwards only put: no growth), and optionally the
 * format version of a store it creates (1 or 2; default 1).
 */
public final class CrossProcessWriterChild
{
    private static long counter;
    private static volatile boolean stop;

    private CrossProcessWriterChild()
    {
    }

    public static void main(final String[] args)
    {
        ParentWatch.haltWhenParentDies();
        final Path dir = Path.of(args[0]);
        final Random random = new Random(Long.parseLong(args[1]));
        final int keys = Integer.parseInt(args[2]);
        final long compactEvery = Long.parseLong(args[3]);
        final boolean fill = Boolean.parseBoolean(args[4]);
        final int formatVersion = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        final Thread stdin = new Thread(() ->
        {
            try
            {
                while (System.in.read() >= 0)
                {
                    // run until the parent closes our stdin
                }
            }
            catch (final java.io.IOException ignore)
            {
                // stop as well
            }
            stop = true;
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        try (Cubby store = Cubby.builder(dir).maxKeySize(CrossProcessValues.KEY_SIZE)
            .maxValueSize(CrossProcessValues.MAX_VALUE_SIZE).expectedEntries(16).closeOnJvmShutdown(false)
            .formatVersion(formatVersion).open())
        {
            System.out.println("ready");
            System.out.flush();
            if (fill)
            {
                for (long id = 0; id < keys; id++)
                {
                    store.put(CrossProcessValues.key(id), CrossProcessValues.value(id, version()));
                }
                System.out.println("filled");
                System.out.flush();
            }
            long ops = 0;
            while (!stop)
            {
                final int active = fill ? keys : (int)Math.min(keys, 16 + ops / 64);
                final long id = random.nextInt(active);
                final boolean removing = !fill && (ops / 4000) % 2 == 1;
                if (random.nextInt(10) < (removing ? 6 : fill ? 0 : 2))
                {
                    store.remove(CrossProcessValues.key(id));
                }
                else
                {
                    store.put(CrossProcessValues.key(id), CrossProcessValues.value(id, version()));
                }
                ops++;
                if (compactEvery > 0 && ops % compactEvery == 0)
                {
                    store.compact();
                    System.out.println("compacted " + store.stats().generation);
                    System.out.flush();
                }
            }
            System.out.println("done " + ops);
            System.out.flush();
        }
    }

    private static long version()
    {
        // strictly increasing within this process, and above any version of an earlier writer process
        counter = Math.max(counter + 1, System.currentTimeMillis() << 20);
        return counter;
    }
}
