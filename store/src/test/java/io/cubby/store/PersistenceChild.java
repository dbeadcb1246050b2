package io.cubby.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child process of {@link PersistenceTest}: writes {@code count} deterministic entries (growing the store from its
 * smallest table), removes every seventh, then either closes the store or halts the JVM without closing it.
 */
public final class PersistenceChild
{
    private PersistenceChild()
    {
    }

    public static void main(final String[] args)
    {
        final Path dir = Path.of(args[0]);
        final int count = Integer.parseInt(args[1]);
        final boolean close = "close".equals(args[2]);
        final Cubby store = Cubby.builder(dir).maxKeySize(24).maxValueSize(40).expectedEntries(16)
            .durability(Durability.valueOf(args[3])).open();
        for (int i = 0; i < count; i++)
        {
            store.put(key(i), value(i));
        }
        for (int i = 0; i < count; i += 7)
        {
            store.remove(key(i));
        }
        System.out.println("written " + store.size());
        System.out.flush();
        if (close)
        {
            store.close();
            System.exit(0);
        }
        Runtime.getRuntime().halt(0);
    }

    static byte[] key(final int i)
    {
        return ("key-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(final int i)
    {
        return ("value-" + i + "-" + Integer.toHexString(i * 31)).getBytes(StandardCharsets.US_ASCII);
    }
}
