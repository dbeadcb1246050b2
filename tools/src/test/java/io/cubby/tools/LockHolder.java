package io.cubby.tools;

import io.cubby.store.Cubby;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link LockedStoreTest}: opens a store for writing, says so on stdout, and holds it until
 * its stdin closes.
 */
public final class LockHolder
{
    private LockHolder()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        try (Cubby store = Cubby.builder(Path.of(args[0])).createIfMissing(false).open())
        {
            System.out.println("locked " + store.size());
            System.out.flush();
            while (System.in.read() >= 0)
            {
                // hold the lock until the parent closes our stdin
            }
        }
    }
}
