package io.cubby.bench;

import io.cubby.store.Cubby;
import io.cubby.store.Durability;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompactionPriority;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One adapter per store under test. Every store reads its keys (and, for writes, its values) from the same
 * {@link Dataset} blocks, through its no-copy API where it has one, and every get delivers the 64 value bytes
 * into a buffer owned by the calling thread's {@link Session}. Per-store settings are described in RESULTS.md
 * (written by {@link Report}); keep the two in step.
 */
final class Stores
{
    /** Stores compared in the throughput tables, in their default order. */
    static final List<String> THROUGHPUT = List.of(
        "cubby", "cubby-v2", "chronicle", "lmdb", "rocksdb", "mapdb", "chm");

    /** Store variants loaded from empty. */
    static final List<String> LOAD = List.of(
        "cubby-grow", "cubby", "cubby-v2-grow", "cubby-v2", "chronicle", "chronicle-under", "lmdb", "rocksdb", "mapdb",
        "chm");

    private Stores()
    {
    }

    /** A store under test, shared by the threads of a benchmark. */
    interface Store extends AutoCloseable
    {
        /** A session for one thread: its scratch buffers, views and read transaction. */
        Session session();

        default boolean persistent()
        {
            return true;
        }

        @Override
        void close();
    }

    /** One thread's handle on a store. Not thread-safe. */
    interface Session extends AutoCloseable
    {
        /** Insert or replace key {@code index} with value {@code index}. */
        void put(long index);

        /** Read key {@code index}'s value into {@link #value()}; @return its length, or -1 if absent. */
        int get(long index);

        /** The buffer the last {@link #get(long)} filled. */
        DirectBuffer value();

        @Override
        default void close()
        {
        }
    }

    static boolean isCubby(final String kind)
    {
        return kind.startsWith("cubby");
    }

    static boolean isPersistent(final String kind)
    {
        return !"chm".equals(kind);
    }

    /**
     * Open (or create) a store of the given kind in {@code dir}, for {@code entries} entries of
     * {@link Dataset#KEY_SIZE} + {@link Dataset#VALUE_SIZE} bytes.
     */
    static Store open(final String kind, final Path dir, final Dataset data, final long entries)
    {
        createDirectories(dir);
        switch (kind)
        {
            case "cubby": return new CubbyStore(dir, data, entries, 1);
            case "cubby-grow": return new CubbyStore(dir, data, -1, 1);
            case "cubby-v2": return new CubbyStore(dir, data, entries, 2);
            case "cubby-v2-grow": return new CubbyStore(dir, data, -1, 2);
            case "chronicle": return new ChronicleStore(dir, data, entries, 2.0);
            case "chronicle-under": return new ChronicleStore(dir, data, Math.max(1000, entries / 4), 5.0);
            case "lmdb": return new LmdbStore(dir, data, entries);
            case "rocksdb": return new RocksStore(dir, data);
            case "mapdb": return new MapDbStore(dir, data);
            case "chm": return new MapStore(data, entries);
            default: throw new IllegalArgumentException("unknown store " + kind);
        }
    }

    static void createDirectories(final Path dir)
    {
        try
        {
            Files.createDirectories(dir);
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

    /**
     * Cubby through its allocation-free {@code DirectBuffer} API, durability {@code NONE} (no fsync): format version
     * 1, or format version 2 (engine v2, the default) with 256 segments, each its own file with its own write lock.
     */
    static final class CubbyStore implements Store
    {
        private final Dataset data;
        private final Cubby store;

        /**
         * @param expected entries to size the first table for, or -1 for the default sizing (version 1 grows from
         *                 1024; version 2 from one group per segment).
         */
        CubbyStore(final Path dir, final Dataset data, final long expected, final int formatVersion)
        {
            this.data = data;
            final Cubby.Builder builder = Cubby.builder(dir).maxKeySize(Dataset.KEY_SIZE)
                .maxValueSize(Dataset.VALUE_SIZE).durability(Durability.NONE);
            builder.formatVersion(formatVersion);
            if (2 == formatVersion)
            {
                builder.segments(256).expectedEntries(0);
            }
            if (expected > 0)
            {
                builder.expectedEntries(expected);
            }
            store = builder.open();
        }

        public Session session()
        {
            final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(Dataset.VALUE_SIZE));
            final UnsafeBuffer keys = data.keys();
            final UnsafeBuffer values = data.values();
            return new Session()
            {
                public void put(final long index)
                {
                    store.put(keys, data.keyOffset(index), Dataset.KEY_SIZE, values, data.valueOffset(index),
                        Dataset.VALUE_SIZE);
                }

                public int get(final long index)
                {
                    return store.get(keys, data.keyOffset(index), Dataset.KEY_SIZE, scratch, 0);
                }

                public DirectBuffer value()
                {
                    return scratch;
                }
            };
        }

        public void close()
        {
            store.close();
        }
    }

    /**
     * Chronicle Map persisted to a file, {@code byte[]} key and value types of constant size, used through query
     * contexts on the raw bytes (Chronicle's documented zero-copy, zero-garbage path): the key is read in place
     * from the key block ({@code queryContext(BytesStore, offset, size)}), a get copies the entry's value bytes
     * into the thread's buffer, and a put wraps the value in place ({@code wrapValueBytesAsData}) and replaces or
     * inserts it, so nothing is deserialised. ({@code getUsing(byte[], byte[])} allocated about 200 bytes per get
     * here, wrapping the key array; its {@code ByteBuffer} key type about 460.)
     */
    static final class ChronicleStore implements Store
    {
        private final Dataset data;
        private final ChronicleMap<byte[], byte[]> map;

        ChronicleStore(final Path dir, final Dataset data, final long entries, final double maxBloatFactor)
        {
            this.data = data;
            try
            {
                map = ChronicleMap.of(byte[].class, byte[].class)
                    .name("bench")
                    .constantKeySizeBySample(new byte[Dataset.KEY_SIZE])
                    .constantValueSizeBySample(new byte[Dataset.VALUE_SIZE])
                    .entries(entries)
                    .maxBloatFactor(maxBloatFactor)
                    .createPersistedTo(dir.resolve("chronicle.dat").toFile());
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        public Session session()
        {
            final BytesStore<?, ?> keys = BytesStore.wrap(data.keyView());
            final BytesStore<?, ?> values = BytesStore.wrap(data.valueView());
            final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(Dataset.VALUE_SIZE));
            return new Session()
            {
                public void put(final long index)
                {
                    try (ExternalMapQueryContext<byte[], byte[], ?> q =
                        map.queryContext(keys, data.keyOffset(index), Dataset.KEY_SIZE))
                    {
                        q.writeLock().lock();
                        final Data<byte[]> value =
                            q.wrapValueBytesAsData(values, data.valueOffset(index), Dataset.VALUE_SIZE);
                        final MapEntry<byte[], byte[]> entry = q.entry();
                        if (null != entry)
                        {
                            q.replaceValue(entry, value);
                        }
                        else
                        {
                            q.insert(q.absentEntry(), value);
                        }
                    }
                }

                public int get(final long index)
                {
                    try (ExternalMapQueryContext<byte[], byte[], ?> q =
                        map.queryContext(keys, data.keyOffset(index), Dataset.KEY_SIZE))
                    {
                        q.readLock().lock();
                        final MapEntry<byte[], byte[]> entry = q.entry();
                        if (null == entry)
                        {
                            return -1;
                        }
                        final Data<byte[]> value = entry.value();
                        final RandomDataInput in = value.bytes();
                        final long offset = value.offset();
                        final int length = (int)value.size();
                        for (int j = 0; j + 8 <= length; j += 8)
                        {
                            scratch.putLong(j, in.readLong(offset + j));
                        }
                        return length;
                    }
                }

                public DirectBuffer value()
                {
                    return scratch;
                }
            };
        }

        public void close()
        {
            map.close();
        }
    }

    /**
     * LMDB through lmdbjava with its Agrona {@code DirectBuffer} proxy: keys and values are wrapped in place in the
     * data blocks (lmdbjava's {@code ByteBuffer} proxy ignores a buffer's position, so it would need a copy or a
     * slice per key). Flags as in the lmdbjava benchmarks ({@code MDB_WRITEMAP}, {@code MDB_NOSYNC}) plus
     * {@code MDB_NOTLS}; each thread keeps one read transaction, renewed before and reset after every get.
     * Each put is its own write transaction, which lmdbjava allocates.
     */
    static final class LmdbStore implements Store
    {
        private final Dataset data;
        private final Env<DirectBuffer> env;
        private final Dbi<DirectBuffer> dbi;

        LmdbStore(final Path dir, final Dataset data, final long entries)
        {
            this.data = data;
            final long mapSize = Math.max(64L << 20, entries * 256L + (64L << 20));
            env = Env.create(DirectBufferProxy.PROXY_DB).setMapSize(mapSize).setMaxDbs(1).setMaxReaders(126)
                .open(dir.toFile(), EnvFlags.MDB_WRITEMAP, EnvFlags.MDB_NOSYNC, EnvFlags.MDB_NOTLS);
            dbi = env.openDbi("bench", DbiFlags.MDB_CREATE);
        }

        public Session session()
        {
            final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
            final UnsafeBuffer valueView = new UnsafeBuffer(0, 0);
            final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(Dataset.VALUE_SIZE));
            final Txn<DirectBuffer> read = env.txnRead();
            read.reset();
            return new Session()
            {
                public void put(final long index)
                {
                    keyView.wrap(data.keys(), data.keyOffset(index), Dataset.KEY_SIZE);
                    valueView.wrap(data.values(), data.valueOffset(index), Dataset.VALUE_SIZE);
                    dbi.put(keyView, valueView);
                }

                public int get(final long index)
                {
                    keyView.wrap(data.keys(), data.keyOffset(index), Dataset.KEY_SIZE);
                    read.renew();
                    try
                    {
                        final DirectBuffer value = dbi.get(read, keyView);
                        if (null == value)
                        {
                            return -1;
                        }
                        final int length = value.capacity();
                        scratch.putBytes(0, value, 0, length);
                        return length;
                    }
                    finally
                    {
                        read.reset();
                    }
                }

                public DirectBuffer value()
                {
                    return scratch;
                }

                public void close()
                {
                    read.close();
                }
            };
        }

        public void close()
        {
            env.close();
        }
    }

    /**
     * RocksDB as its tuning guide sets it up: block-based table with a 10 bits/key whole-key bloom filter, an
     * LRU block cache of a third of the machine's memory, index and filter blocks in the cache (L0 ones pinned),
     * 16 KiB blocks, LZ4 with ZSTD at the bottom level, dynamic level sizes, background jobs = cores; WAL on,
     * not synced. Gets and puts use the direct-{@code ByteBuffer} API on views of the data blocks.
     */
    static final class RocksStore implements Store
    {
        static
        {
            RocksDB.loadLibrary();
        }

        private final Dataset data;
        private final LRUCache cache;
        private final BloomFilter bloom;
        private final Options options;
        private final WriteOptions writeOptions = new WriteOptions().setSync(false);
        private final ReadOptions readOptions = new ReadOptions();
        private final RocksDB db;

        RocksStore(final Path dir, final Dataset data)
        {
            this.data = data;
            final int cores = Runtime.getRuntime().availableProcessors();
            cache = new LRUCache(blockCacheBytes());
            bloom = new BloomFilter(10, false);
            final BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setFilterPolicy(bloom)
                .setWholeKeyFiltering(true)
                .setBlockSize(16 * 1024)
                .setCacheIndexAndFilterBlocks(true)
                .setPinL0FilterAndIndexBlocksInCache(true);
            options = new Options()
                .setCreateIfMissing(true)
                .setIncreaseParallelism(cores)
                .setMaxBackgroundJobs(Math.max(2, cores))
                .setBytesPerSync(1 << 20)
                .setLevelCompactionDynamicLevelBytes(true)
                .setCompactionPriority(CompactionPriority.MinOverlappingRatio)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION)
                .setTableFormatConfig(table);
            try
            {
                db = RocksDB.open(options, dir.toString());
            }
            catch (final RocksDBException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        /** A third of physical memory, as the tuning guide suggests for the block cache. */
        static long blockCacheBytes()
        {
            return Rss.memTotalBytes() / 3;
        }

        public Session session()
        {
            final ByteBuffer keyView = data.keyView();
            final ByteBuffer valueView = data.valueView();
            final ByteBuffer out = ByteBuffer.allocateDirect(Dataset.VALUE_SIZE);
            final UnsafeBuffer scratch = new UnsafeBuffer(out);
            return new Session()
            {
                public void put(final long index)
                {
                    try
                    {
                        db.put(writeOptions, data.key(keyView, index), data.value(valueView, index));
                    }
                    catch (final RocksDBException ex)
                    {
                        throw new IllegalStateException(ex);
                    }
                }

                public int get(final long index)
                {
                    try
                    {
                        out.clear();
                        final int length = db.get(readOptions, data.key(keyView, index), out);
                        return RocksDB.NOT_FOUND == length ? -1 : length;
                    }
                    catch (final RocksDBException ex)
                    {
                        throw new IllegalStateException(ex);
                    }
                }

                public DirectBuffer value()
                {
                    return scratch;
                }
            };
        }

        public void close()
        {
            db.close();
            options.close();
            bloom.close();
            cache.close();
            writeOptions.close();
            readOptions.close();
        }
    }

    /**
     * MapDB 3 {@code HTreeMap} in a memory-mapped file ({@code fileMmapEnableIfSupported}, as its docs recommend
     * for speed). Its API takes {@code byte[]} only: the key and value are copied from the blocks into arrays
     * reused by the thread, but {@code get} returns a new array and {@code put} deserialises the previous value
     * (allocations its API forces).
     */
    static final class MapDbStore implements Store
    {
        private final Dataset data;
        private final DB db;
        private final HTreeMap<byte[], byte[]> map;

        MapDbStore(final Path dir, final Dataset data)
        {
            this.data = data;
            db = DBMaker.fileDB(dir.resolve("mapdb.db").toFile()).fileMmapEnableIfSupported()
                .fileMmapPreclearDisable().cleanerHackEnable().concurrencyScale(16).make();
            map = db.hashMap("bench", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
        }

        public Session session()
        {
            final byte[] key = new byte[Dataset.KEY_SIZE];
            final byte[] value = new byte[Dataset.VALUE_SIZE];
            final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(Dataset.VALUE_SIZE));
            return new Session()
            {
                public void put(final long index)
                {
                    data.copyKey(index, key);
                    data.copyValue(index, value);
                    map.put(key, value);
                }

                public int get(final long index)
                {
                    data.copyKey(index, key);
                    final byte[] found = map.get(key);
                    if (null == found)
                    {
                        return -1;
                    }
                    scratch.putBytes(0, found);
                    return found.length;
                }

                public DirectBuffer value()
                {
                    return scratch;
                }
            };
        }

        public void close()
        {
            db.close();
        }
    }

    /**
     * In-memory baseline, not a peer: {@code ConcurrentHashMap<ByteBuffer, byte[]>}. A heap map needs heap key
     * objects (built once, before measurement) and a heap value per put (copied from the value block).
     */
    static final class MapStore implements Store
    {
        private final Dataset data;
        private final ConcurrentHashMap<ByteBuffer, byte[]> map;
        private final ByteBuffer[] keys;

        MapStore(final Dataset data, final long entries)
        {
            this.data = data;
            map = new ConcurrentHashMap<>((int)Math.min(Integer.MAX_VALUE, entries));
            final long count = data.present() + data.absent();
            keys = new ByteBuffer[(int)count];
            for (int i = 0; i < count; i++)
            {
                final byte[] key = new byte[Dataset.KEY_SIZE];
                data.copyKey(i, key);
                keys[i] = ByteBuffer.wrap(key);
            }
        }

        public Session session()
        {
            final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(Dataset.VALUE_SIZE));
            return new Session()
            {
                public void put(final long index)
                {
                    final byte[] value = new byte[Dataset.VALUE_SIZE];
                    data.copyValue(index, value);
                    map.put(keys[(int)index], value);
                }

                public int get(final long index)
                {
                    final byte[] found = map.get(keys[(int)index]);
                    if (null == found)
                    {
                        return -1;
                    }
                    scratch.putBytes(0, found);
                    return found.length;
                }

                public DirectBuffer value()
                {
                    return scratch;
                }
            };
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

    /** Check {@code samples} random present keys and as many absent ones; throws on the first wrong answer. */
    static void verify(final Session session, final Dataset data, final int samples, final long seed)
    {
        final long[] state = { seed | 1 };
        for (int n = 0; n < samples; n++)
        {
            final long index = Random.next(state) % data.present();
            final int length = session.get(index);
            if (!data.matches(index, session.value(), 0, length))
            {
                throw new IllegalStateException("key " + index + ": wrong value (length " + length + ")");
            }
            if (data.absent() > 0)
            {
                final long missing = data.present() + Random.next(state) % data.absent();
                if (session.get(missing) != -1)
                {
                    throw new IllegalStateException("absent key " + missing + " found");
                }
            }
        }
    }
}
