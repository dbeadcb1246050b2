package io.cubby.bench;

import io.cubby.store.Cubby;
import io.cubby.store.Durability;
import net.openhft.chronicle.map.ChronicleMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One adapter per store under test, over the same pre-generated keys. Keys are 16 bytes: key {@code i} is
 * {@link Keys#key(long)}. Each adapter uses its store's fastest documented single-key API.
 */
final class Stores
{
    private Stores()
    {
    }

    /** A store under test. Not thread-safe unless the store is. */
    interface Adapter extends AutoCloseable
    {
        void put(Keys keys, long index, byte[] value);

        /** @return the value length, or -1 if absent. */
        int get(Keys keys, long index);

        boolean remove(Keys keys, long index);

        /** Close and reopen the files, as a restarted process would. */
        default void reopen()
        {
            throw new UnsupportedOperationException();
        }

        default boolean persistent()
        {
            return true;
        }

        @Override
        void close();
    }

    static Adapter open(final String kind, final Path dir, final long entries, final int valueSize)
    {
        switch (kind)
        {
            case "cubby": return new CubbyAdapter(dir, entries, valueSize);
            case "chronicle": return new ChronicleAdapter(dir, entries, valueSize);
            case "mapdb": return new MapDbAdapter(dir);
            case "lmdb": return new LmdbAdapter(dir, entries, valueSize);
            case "rocksdb": return new RocksAdapter(dir);
            case "hashmap": return new MapAdapter(new HashMap<>());
            case "chm": return new MapAdapter(new ConcurrentHashMap<>());
            default: throw new IllegalArgumentException("unknown store " + kind);
        }
    }

    static long directoryBytes(final Path dir)
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            return files.filter(Files::isRegularFile).mapToLong(file ->
            {
                try
                {
                    return Files.size(file);
                }
                catch (final IOException ex)
                {
                    return 0;
                }
            }).sum();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static void deleteRecursively(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Cubby through its allocation-free API. */
    static final class CubbyAdapter implements Adapter
    {
        private final Path dir;
        private final ThreadLocal<UnsafeBuffer> values;
        private final ThreadLocal<UnsafeBuffer> scratch;
        private Cubby store;

        CubbyAdapter(final Path dir, final long entries, final int valueSize)
        {
            this.dir = dir;
            this.values = ThreadLocal.withInitial(() -> new UnsafeBuffer(ByteBuffer.allocateDirect(valueSize)));
            this.scratch = ThreadLocal.withInitial(() -> new UnsafeBuffer(ByteBuffer.allocateDirect(valueSize)));
            store = Cubby.builder(dir).maxKeySize(Keys.KEY_SIZE).maxValueSize(valueSize).expectedEntries(entries)
                .durability(Durability.NONE)
                .preallocate(Boolean.parseBoolean(System.getProperty("cubby.bench.preallocate", "true")))
                .open();
        }

        public void put(final Keys keys, final long index, final byte[] value)
        {
            final UnsafeBuffer v = values.get();
            v.putBytes(0, value);
            store.put(keys.buffer(), keys.offset(index), Keys.KEY_SIZE, v, 0, value.length);
        }

        public int get(final Keys keys, final long index)
        {
            return store.get(keys.buffer(), keys.offset(index), Keys.KEY_SIZE, scratch.get(), 0);
        }

        public boolean remove(final Keys keys, final long index)
        {
            return store.remove(keys.buffer(), keys.offset(index), Keys.KEY_SIZE);
        }

        public void reopen()
        {
            store.close();
            store = Cubby.builder(dir).open();
        }

        public void close()
        {
            store.close();
        }
    }

    /** Chronicle Map persisted to a file, byte[] keys and values. */
    static final class ChronicleAdapter implements Adapter
    {
        private final Path file;
        private final long entries;
        private final int valueSize;
        private final ThreadLocal<byte[]> using;
        private ChronicleMap<byte[], byte[]> map;

        ChronicleAdapter(final Path dir, final long entries, final int valueSize)
        {
            this.file = dir.resolve("chronicle.dat");
            this.entries = entries;
            this.valueSize = valueSize;
            this.using = ThreadLocal.withInitial(() -> new byte[valueSize]);
            map = create();
        }

        private ChronicleMap<byte[], byte[]> create()
        {
            try
            {
                Files.createDirectories(file.getParent());
                return ChronicleMap.of(byte[].class, byte[].class)
                    .name("bench")
                    .constantKeySizeBySample(new byte[Keys.KEY_SIZE])
                    .constantValueSizeBySample(new byte[valueSize])
                    .entries(Math.max(1000, entries))
                    .maxBloatFactor(4.0)
                    .createPersistedTo(file.toFile());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        public void put(final Keys keys, final long index, final byte[] value)
        {
            map.put(keys.array(index), value);
        }

        public int get(final Keys keys, final long index)
        {
            final byte[] value = map.getUsing(keys.array(index), using.get());
            return null == value ? -1 : value.length;
        }

        public boolean remove(final Keys keys, final long index)
        {
            return map.remove(keys.array(index)) != null;
        }

        public void reopen()
        {
            map.close();
            map = create();
        }

        public void close()
        {
            map.close();
        }
    }

    /** MapDB 3 HTreeMap in a memory-mapped file. */
    static final class MapDbAdapter implements Adapter
    {
        private final Path file;
        private DB db;
        private HTreeMap<byte[], byte[]> map;

        MapDbAdapter(final Path dir)
        {
            this.file = dir.resolve("mapdb.db");
            open();
        }

        private void open()
        {
            try
            {
                Files.createDirectories(file.getParent());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            db = DBMaker.fileDB(file.toFile()).fileMmapEnable().fileMmapPreclearDisable().cleanerHackEnable()
                .concurrencyScale(16).make();
            map = db.hashMap("bench", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
        }

        public void put(final Keys keys, final long index, final byte[] value)
        {
            map.put(keys.array(index), value);
        }

        public int get(final Keys keys, final long index)
        {
            final byte[] value = map.get(keys.array(index));
            return null == value ? -1 : value.length;
        }

        public boolean remove(final Keys keys, final long index)
        {
            return map.remove(keys.array(index)) != null;
        }

        public void reopen()
        {
            db.close();
            open();
        }

        public void close()
        {
            db.close();
        }
    }

    /** LMDB through lmdbjava, one transaction per operation, direct ByteBuffers. */
    static final class LmdbAdapter implements Adapter
    {
        private final Path dir;
        private final long mapSize;
        private final ThreadLocal<ByteBuffer> keyBuffers =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(Keys.KEY_SIZE));
        private final ThreadLocal<ByteBuffer> valueBuffers;
        private Env<ByteBuffer> env;
        private Dbi<ByteBuffer> dbi;

        LmdbAdapter(final Path dir, final long entries, final int valueSize)
        {
            this.dir = dir;
            this.mapSize = Math.max(1L << 30, (entries + 4_000_000L) * (Keys.KEY_SIZE + valueSize + 64L) * 2);
            this.valueBuffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(valueSize));
            open();
        }

        private void open()
        {
            try
            {
                Files.createDirectories(dir);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            env = Env.create().setMapSize(mapSize).setMaxDbs(1).setMaxReaders(64)
                .open(dir.toFile(), EnvFlags.MDB_NOSYNC, EnvFlags.MDB_NOTLS);
            dbi = env.openDbi("bench", DbiFlags.MDB_CREATE);
        }

        private ByteBuffer key(final Keys keys, final long index)
        {
            final ByteBuffer key = keyBuffers.get();
            key.clear();
            keys.buffer().getBytes(keys.offset(index), key, 0, Keys.KEY_SIZE);
            key.limit(Keys.KEY_SIZE);
            return key;
        }

        public void put(final Keys keys, final long index, final byte[] value)
        {
            final ByteBuffer v = valueBuffers.get();
            v.clear();
            v.put(value).flip();
            dbi.put(key(keys, index), v);
        }

        public int get(final Keys keys, final long index)
        {
            try (Txn<ByteBuffer> txn = env.txnRead())
            {
                final ByteBuffer value = dbi.get(txn, key(keys, index));
                return null == value ? -1 : value.remaining();
            }
        }

        public boolean remove(final Keys keys, final long index)
        {
            return dbi.delete(key(keys, index));
        }

        public void reopen()
        {
            env.close();
            open();
        }

        public void close()
        {
            env.close();
        }
    }

    /** RocksDB with default options and the WAL on, but not synced (like Cubby's NONE). */
    static final class RocksAdapter implements Adapter
    {
        static
        {
            RocksDB.loadLibrary();
        }

        private final Path dir;
        private final WriteOptions writeOptions = new WriteOptions().setSync(false);
        private Options options;
        private RocksDB db;

        RocksAdapter(final Path dir)
        {
            this.dir = dir;
            open();
        }

        private void open()
        {
            try
            {
                Files.createDirectories(dir);
                options = new Options().setCreateIfMissing(true).setIncreaseParallelism(2);
                db = RocksDB.open(options, dir.toString());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            catch (final RocksDBException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        public void put(final Keys keys, final long index, final byte[] value)
        {
            try
            {
                db.put(writeOptions, keys.array(index), value);
            }
            catch (final RocksDBException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        public int get(final Keys keys, final long index)
        {
            try
            {
                final byte[] value = db.get(keys.array(index));
                return null == value ? -1 : value.length;
            }
            catch (final RocksDBException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        public boolean remove(final Keys keys, final long index)
        {
            try
            {
                db.delete(writeOptions, keys.array(index));
                return true;
            }
            catch (final RocksDBException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        public void reopen()
        {
            db.close();
            options.close();
            open();
        }

        public void close()
        {
            db.close();
            options.close();
        }
    }

    /** In-memory baselines, keyed by pre-built ByteBuffers (content equality). */
    static final class MapAdapter implements Adapter
    {
        private final Map<ByteBuffer, byte[]> map;

        MapAdapter(final Map<ByteBuffer, byte[]> map)
        {
            this.map = map;
        }

        public void put(final Keys keys, final long index, final byte[] value)
        {
            map.put(keys.object(index), value);
        }

        public int get(final Keys keys, final long index)
        {
            final byte[] value = map.get(keys.object(index));
            return null == value ? -1 : value.length;
        }

        public boolean remove(final Keys keys, final long index)
        {
            return map.remove(keys.object(index)) != null;
        }

        public boolean persistent()
        {
            return false;
        }

        public void close()
        {
            map.clear();
        }
    }
}
