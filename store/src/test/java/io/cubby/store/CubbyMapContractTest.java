package io.cubby.store;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import junit.framework.Test;
import junit.framework.TestSuite;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The collection contract suite that Caffeine and Guava run on their maps (guava-testlib's
 * {@link ConcurrentMapTestSuiteBuilder}), over {@link CubbyMap} with every feature the view supports: general
 * purpose (put, remove, clear), iterator remove, entry {@code setValue}, any size; null keys and values are
 * rejected as by {@link java.util.concurrent.ConcurrentHashMap}. It runs over a plain store and over a cache store
 * with expiry and a default time to live, whose size and iteration take the expiry-aware paths, in both format
 * versions.
 */
public final class CubbyMapContractTest
{
    private CubbyMapContractTest()
    {
    }

    public static Test suite()
    {
        final TestSuite suite = new TestSuite("CubbyMap contract");
        suite.addTest(suiteFor("plain store", builder -> builder));
        suite.addTest(suiteFor("cache store with expireAfterWrite",
            builder -> builder.expireAfterWrite(Duration.ofHours(1)).maxEntries(1_000_000).recordStats(true)));
        suite.addTest(suiteFor("format-version-2 store", builder -> builder.formatVersion(2).segments(4)));
        suite.addTest(suiteFor("format-version-2 store with expireAfterWrite",
            builder -> builder.formatVersion(2).segments(4).expireAfterWrite(Duration.ofHours(1))));
        return suite;
    }

    private static Test suiteFor(final String name, final UnaryOperator<Cubby.Builder> options)
    {
        return ConcurrentMapTestSuiteBuilder.using(new StoreMapGenerator(options))
            .named("CubbyMap over a " + name)
            .withFeatures(
                MapFeature.GENERAL_PURPOSE,
                CollectionFeature.SUPPORTS_ITERATOR_REMOVE,
                CollectionSize.ANY)
            .createTestSuite();
    }

    /**
     * Makes each test's map over one store per suite, emptied first: a store per test would spend the suite's time
     * creating and forcing files. Emptying by removal leaves tombstones, so the suite also runs across the
     * automatic compactions they cause.
     */
    private static final class StoreMapGenerator extends TestStringMapGenerator
    {
        private final UnaryOperator<Cubby.Builder> options;
        private CubbyMap<String, String> map;

        StoreMapGenerator(final UnaryOperator<Cubby.Builder> options)
        {
            this.options = options;
        }

        @Override
        protected Map<String, String> create(final Map.Entry<String, String>[] entries)
        {
            if (null == map)
            {
                try
                {
                    final Path directory = Files.createTempDirectory("cubby-contract");
                    final Cubby store = options.apply(
                        Cubby.builder(directory).maxKeySize(32).maxValueSize(32).expectedEntries(16)).open();
                    map = store.asMap(Codecs.STRING, Codecs.STRING);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            }
            map.clear();
            if (!map.isEmpty() || !map.store().verify().isOk())
            {
                throw new AssertionError("store not empty and clean between tests: " + map.store().verify());
            }
            for (final Map.Entry<String, String> entry : entries)
            {
                map.put(entry.getKey(), entry.getValue());
            }
            return map;
        }
    }
}
