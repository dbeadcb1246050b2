package io.cubby.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Helpers shared by store tests: byte strings, model comparison, structural validation, directory copies.
 */
final class StoreTestSupport
{
    private StoreTestSupport()
    {
    }

    static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(final byte[] bytes)
    {
        return null == bytes ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * Structural validation and full comparison with the model: verify() is clean, size matches, every model
     * entry reads back, and iteration yields exactly the model.
     */
    static void assertMatchesModel(final Cubby store, final Map<String, String> model, final String context)
    {
        final VerifyReport report = store.verify();
        assertTrue(report.isOk(), context + ": verify found " + report.problems);
        assertEquals(model.size(), store.size(), context + ": size");
        assertEquals(model.size(), report.entriesCounted, context + ": entries counted by verify");
        for (final Map.Entry<String, String> entry : model.entrySet())
        {
            assertArrayEquals(bytes(entry.getValue()), store.get(bytes(entry.getKey())),
                context + ": value of " + entry.getKey());
        }
        final Map<String, String> visited = new HashMap<>();
        store.forEach((k, ko, kl, v, vo, vl) ->
        {
            final byte[] key = new byte[kl];
            k.getBytes(ko, key);
            final byte[] value = new byte[vl];
            v.getBytes(vo, value);
            visited.put(text(key), text(value));
        });
        assertEquals(model, visited, context + ": forEach");
    }

    static void copyDirectory(final Path from, final Path to) throws Exception
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (!file.getFileName().toString().equals(StoreLock.FILE_NAME))
                {
                    Files.copy(file, to.resolve(file.getFileName()));
                }
            }
        }
    }

    static Path tableFile(final Path dir)
    {
        final long generation = StoreDirectory.tableGenerations(dir).get(0);
        return dir.resolve(TableDescriptor.fileName(generation));
    }
}
