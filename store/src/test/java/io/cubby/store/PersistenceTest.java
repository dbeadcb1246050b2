package io.cubby.store;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM writes and exits, cleanly or by halting without closing; this JVM reopens the store and reads
 * everything back.
 */
class PersistenceTest
{
    private static final int COUNT = 20_000;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({ "close, NONE", "halt, NONE", "halt, ASYNC", "halt, SYNC" })
    void dataWrittenByAnotherJvmReadsBackAfterReopen(final String exit, final String durability,
        @TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Path output = tmp.resolve("child.txt");
        final int count = "SYNC".equals(durability) ? COUNT / 10 : COUNT;
        final Process child = ChildJvm.start(PersistenceChild.class, output, dir.toString(), Integer.toString(count),
            exit, durability);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), () -> "child finished\n" + ChildJvm.report(output));
        assertEquals(0, child.exitValue(), () -> ChildJvm.report(output));

        final StoreInfo info = Cubby.inspect(dir);
        assertEquals("close".equals(exit), info.cleanShutdown());
        try (Cubby store = Cubby.builder(dir).open())
        {
            assertEquals(!"close".equals(exit), !store.recoveryReport().cleanShutdown);
            int expected = 0;
            for (int i = 0; i < count; i++)
            {
                final byte[] value = store.get(PersistenceChild.key(i));
                if (i % 7 == 0)
                {
                    assertNull(value, "removed key-" + i);
                }
                else
                {
                    assertArrayEquals(PersistenceChild.value(i), value, "key-" + i);
                    expected++;
                }
            }
            assertEquals(expected, store.size());
            assertTrue(store.verify().isOk());
            assertTrue(store.stats().generation > 1, "the store grew by rehash while written");
        }
    }
}
