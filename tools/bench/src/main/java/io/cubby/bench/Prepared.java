package io.cubby.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loaded stores kept between benchmark trials: {@code <bench dir>/prepared/<store>-<entries>/} holds a store
 * loaded with keys {@code [0, entries)} and closed. Each trial works on a fresh copy, so every trial of every
 * store starts from the same just-loaded state (updates rewrite the same values, but change files).
 */
final class Prepared
{
    private static final String COMPLETE = ".complete";

    private Prepared()
    {
    }

    static Path base()
    {
        return Path.of(System.getProperty("cubby.bench.dir", "target/bench-data")).toAbsolutePath();
    }

    static Path dir(final String store, final long entries)
    {
        return base().resolve("prepared").resolve(store + "-" + entries);
    }

    static Path newDirectory(final String prefix)
    {
        try
        {
            Files.createDirectories(base());
            return Files.createTempDirectory(base(), prefix + "-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Keep {@code loaded} (a closed, loaded store) as the prepared copy for its store and size. */
    static void keep(final Path loaded, final String store, final long entries)
    {
        final Path target = dir(store, entries);
        try
        {
            Stores.deleteRecursively(target);
            Files.createDirectories(target.getParent());
            Files.move(loaded, target, StandardCopyOption.ATOMIC_MOVE);
            Files.createFile(target.resolve(COMPLETE));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A fresh working copy of the prepared store, loading one first (in this process) if none is kept, synced to
     * disk so no write-back of the copy runs during measurement.
     */
    static Path copy(final String store, final long entries, final Dataset data)
    {
        final Path source = dir(store, entries);
        if (!Files.exists(source.resolve(COMPLETE)))
        {
            final Path loading = newDirectory("prepare-" + store);
            try (Stores.Store db = Stores.open(store, loading, data, entries);
                Stores.Session session = db.session())
            {
                for (long i = 0; i < entries; i++)
                {
                    session.put(i);
                }
            }
            keep(loading, store, entries);
        }
        final Path target = newDirectory("trial-" + store);
        run("cp", "-a", source + "/.", target.toString());
        run("sync");
        return target;
    }

    private static void run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).inheritIO().start();
            if (process.waitFor() != 0)
            {
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
