package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Generator of the golden files in {@code testdata/}: stores of the current format version made by a fixed,
 * deterministic sequence of operations, and corrupted copies of them. The sequences double as the models the
 * compatibility test ({@link GoldenFilesCompatibilityTest}) and the CLI tests check the stores against. A store's
 * hash seed is random at creation, so regenerating changes the bytes but not the contents.
 * <p>
 * Run from the repository root (see {@code testdata/README.md}):
 * <pre>
 * mvn -B -q -pl store test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp %classpath \
 *     io.cubby.store.GoldenFiles ../testdata"
 * </pre>
 * It refuses to overwrite an existing {@code v<version>} directory unless given {@code --force}: golden files of a
 * released format version must never change.
 */
public final class GoldenFiles
{
    /** Format version of the stores this generator writes; also the name of their directory, {@code v1}. */
    public static final int FORMAT_VERSION = TableDescriptor.READ_VERSION;

    public static final String SMALL = "small";
    public static final String SET = "set";
    public static final String UNCLEAN_ASYNC = "unclean-async";
    public static final String REHASH_CLEAN = "rehash-clean";
    public static final String REHASH_UNCLEAN = "rehash-unclean";

    public static final String TRUNCATED_TABLE = "truncated-table";
    public static final String BITFLIP_HEADER = "bitflip-header";
    public static final String BITFLIP_SLOT = "bitflip-slot";
    public static final String GARBAGE_TABLE = "garbage-table";
    public static final String NOT_A_STORE = "not-a-store.txt";
    public static final String TRUNCATED_LOG = "truncated-log";
    public static final String DAMAGED_LOG_TAIL = "damaged-log-tail";

    /** The key whose slot has a flipped value bit in {@link #BITFLIP_SLOT}. */
    public static final String BITFLIPPED_KEY = "key-0001";
    /** The last logged operation of {@link #UNCLEAN_ASYNC}, whose record is damaged in {@link #DAMAGED_LOG_TAIL}. */
    public static final String LAST_LOGGED_KEY = "b-last";
    public static final int LOG_SIZE = 65536;

    private static final int SMALL_ENTRIES = 300;
    private static final int SET_MEMBERS = 200;
    private static final int REHASH_PUTS = 30;

    /**
     * What the compatibility test knows about one golden store.
     *
     * @param name            directory name under {@code v1}.
     * @param maxKeySize      creation parameter.
     * @param maxValueSize    creation parameter; 0 for a set.
     * @param probing         creation parameter.
     * @param expiry          creation parameter.
     * @param cleanShutdown   whether the store was closed cleanly.
     * @param rehashInProgress whether a rehash was under way.
     * @param loggedOperations PUT and REMOVE records a writable open replays from the log.
     * @param contents        the entries after recovery: what every open must eventually show.
     * @param readOnlyContents the entries a read-only open shows, before any recovery.
     */
    public record Golden(
        String name,
        int maxKeySize,
        int maxValueSize,
        Probing probing,
        boolean expiry,
        boolean cleanShutdown,
        boolean rehashInProgress,
        int loggedOperations,
        Map<ByteBuffer, ByteBuffer> contents,
        Map<ByteBuffer, ByteBuffer> readOnlyContents)
    {
    }

    private GoldenFiles()
    {
    }

    /**
     * @return every golden store of the current format version.
     */
    public static List<Golden> stores()
    {
        final Map<ByteBuffer, ByteBuffer> unclean = model(GoldenFiles::uncleanAsyncAll);
        return List.of(
            new Golden(SMALL, 24, 48, Probing.LINEAR, false, true, false, 0, model(GoldenFiles::small),
                model(GoldenFiles::small)),
            new Golden(SET, 32, 0, Probing.QUADRATIC, false, true, false, 0, model(GoldenFiles::set),
                model(GoldenFiles::set)),
            new Golden(UNCLEAN_ASYNC, 16, 32, Probing.DOUBLE_HASHING, true, false, false, 32, unclean,
                model(GoldenFiles::uncleanAsyncBeforeCheckpoint)),
            new Golden(REHASH_CLEAN, 16, 16, Probing.LINEAR, false, true, true, 0, model(GoldenFiles::rehash),
                model(GoldenFiles::rehash)),
            new Golden(REHASH_UNCLEAN, 16, 16, Probing.LINEAR, false, false, true, REHASH_PUTS + 2,
                model(GoldenFiles::rehash),
                model(GoldenFiles::rehash)));
    }

    /**
     * @param name a store name.
     * @return its description.
     */
    public static Golden store(final String name)
    {
        return stores().stream().filter(g -> g.name.equals(name)).findFirst().orElseThrow();
    }

    /**
     * @return the contents {@link #DAMAGED_LOG_TAIL} recovers to: {@link #UNCLEAN_ASYNC} without its last operation.
     */
    public static Map<ByteBuffer, ByteBuffer> damagedLogTailContents()
    {
        final Map<ByteBuffer, ByteBuffer> contents = model(GoldenFiles::uncleanAsyncAll);
        contents.remove(bytes(LAST_LOGGED_KEY));
        return contents;
    }

    /**
     * @param text a string.
     * @return its UTF-8 bytes, wrapped.
     */
    public static ByteBuffer bytes(final String text)
    {
        return ByteBuffer.wrap(utf8(text));
    }

    // ================================================================ operation sequences

    /** Receives the operations of a sequence: a store or a model. */
    interface Ops
    {
        void put(byte[] key, byte[] value);

        default void putWithTtl(final byte[] key, final byte[] value, final Duration ttl)
        {
            put(key, value);
        }

        void remove(byte[] key);

        default void checkpoint()
        {
        }
    }

    static Map<ByteBuffer, ByteBuffer> model(final java.util.function.Consumer<Ops> sequence)
    {
        final Map<ByteBuffer, ByteBuffer> model = new HashMap<>();
        sequence.accept(new Ops()
        {
            public void put(final byte[] key, final byte[] value)
            {
                model.put(ByteBuffer.wrap(key.clone()), ByteBuffer.wrap(value.clone()));
            }

            public void remove(final byte[] key)
            {
                model.remove(ByteBuffer.wrap(key));
            }
        });
        return model;
    }

    private static Ops storeOps(final Cubby store)
    {
        return new Ops()
        {
            public void put(final byte[] key, final byte[] value)
            {
                if (store.isSetMode())
                {
                    store.add(key);
                }
                else
                {
                    store.put(key, value);
                }
            }

            public void putWithTtl(final byte[] key, final byte[] value, final Duration ttl)
            {
                store.put(key, value, ttl);
            }

            public void remove(final byte[] key)
            {
                store.remove(key);
            }

            public void checkpoint()
            {
                store.checkpoint();
            }
        };
    }

    /** Keys and values of a few hundred entries, some removed or replaced, and a few awkward ones for tools. */
    static void small(final Ops ops)
    {
        final Random random = new Random(1);
        for (int i = 0; i < SMALL_ENTRIES; i++)
        {
            ops.put(utf8(String.format("key-%04d", i)), utf8("value-" + i + "-" + word(random, 4 + i % 20)));
        }
        for (int i = 0; i < SMALL_ENTRIES; i += 7)
        {
            ops.remove(utf8(String.format("key-%04d", i)));
        }
        for (int i = 0; i < SMALL_ENTRIES; i += 10)
        {
            ops.put(utf8(String.format("key-%04d", i)), utf8("updated-" + i));
        }
        ops.put(utf8("utf8-ключ-ü"), utf8("значение ✓"));
        ops.put(utf8("emoji-\uD83D\uDE42"), utf8("\uD83D\uDE42\uD83D\uDE42"));
        ops.put(utf8("json\"quote\\back"), utf8("line1\nline2\ttab\u0001ctl/"));
        ops.put(new byte[]{ (byte)0xff, (byte)0xfe, 0x00, 0x01 }, new byte[]{ (byte)0xc3, 0x28, (byte)0x80, 0x00 });
        ops.put(utf8("empty-value"), new byte[0]);
    }

    /** A set: members added, every fifth removed. */
    static void set(final Ops ops)
    {
        for (int i = 0; i < SET_MEMBERS; i++)
        {
            final byte[] member = utf8(String.format("member-%03d", i));
            ops.put(member, member);
        }
        for (int i = 0; i < SET_MEMBERS; i += 5)
        {
            ops.remove(utf8(String.format("member-%03d", i)));
        }
    }

    /** What {@link #UNCLEAN_ASYNC} holds at its last checkpoint: its table files were copied then. */
    static void uncleanAsyncBeforeCheckpoint(final Ops ops)
    {
        for (int i = 0; i < 100; i++)
        {
            ops.put(utf8(String.format("a-%03d", i)), utf8("v1-" + i));
        }
        for (int i = 0; i < 100; i += 9)
        {
            ops.remove(utf8(String.format("a-%03d", i)));
        }
    }

    /** Operations logged after the checkpoint, present only in the log of {@link #UNCLEAN_ASYNC}. */
    static void uncleanAsyncAfterCheckpoint(final Ops ops)
    {
        for (int i = 0; i < 20; i++)
        {
            ops.put(utf8(String.format("b-%03d", i)), utf8("v2-" + i));
        }
        for (int i = 1; i <= 5; i++)
        {
            ops.put(utf8(String.format("a-%03d", i)), utf8("v2-updated-" + i));
        }
        for (int i = 10; i < 15; i++)
        {
            ops.remove(utf8(String.format("a-%03d", i)));
        }
        ops.putWithTtl(utf8("ttl-key"), utf8("lives 100 years"), Duration.ofDays(36_500));
        ops.put(utf8(LAST_LOGGED_KEY), utf8("lost if tail damaged"));
    }

    static void uncleanAsyncAll(final Ops ops)
    {
        uncleanAsyncBeforeCheckpoint(ops);
        uncleanAsyncAfterCheckpoint(ops);
    }

    /** Enough puts into a 32-slot table to start growth, and a few more and two removes while it migrates. */
    static void rehash(final Ops ops)
    {
        for (int i = 0; i < REHASH_PUTS; i++)
        {
            ops.put(utf8(String.format("r-%03d", i)), utf8("rv-" + i));
        }
        ops.remove(utf8("r-003"));
        ops.remove(utf8("r-027"));
    }

    // ================================================================ generation

    /**
     * @param args the testdata directory, then optionally {@code --force} to replace existing golden files.
     */
    public static void main(final String[] args) throws IOException
    {
        final Path root = Path.of(args.length > 0 ? args[0] : "testdata").toAbsolutePath().normalize();
        final boolean force = args.length > 1 && "--force".equals(args[1]);
        final Path golden = root.resolve("v" + FORMAT_VERSION);
        final Path corrupt = root.resolve("corrupt");
        if (Files.exists(golden) && !force)
        {
            System.err.println(golden + " exists; golden files of a released format must not change. " +
                "Pass --force to replace them anyway.");
            System.exit(1);
        }
        deleteRecursively(golden);
        deleteRecursively(corrupt);
        Files.createDirectories(golden);
        Files.createDirectories(corrupt);
        final Path work = Files.createTempDirectory("cubby-golden");
        try
        {
            writeSmall(work.resolve(SMALL), golden.resolve(SMALL));
            writeSet(work.resolve(SET), golden.resolve(SET));
            writeUncleanAsync(work.resolve(UNCLEAN_ASYNC), golden.resolve(UNCLEAN_ASYNC));
            writeRehash(work.resolve(REHASH_CLEAN), golden.resolve(REHASH_CLEAN), true);
            writeRehash(work.resolve(REHASH_UNCLEAN), golden.resolve(REHASH_UNCLEAN), false);
            writeCorrupt(golden, corrupt);
        }
        finally
        {
            deleteRecursively(work);
        }
        System.out.println("wrote " + golden + " and " + corrupt);
    }

    private static void writeSmall(final Path work, final Path target) throws IOException
    {
        try (Cubby store = Cubby.builder(work).maxKeySize(24).maxValueSize(48).expectedEntries(400)
            .logSize(LOG_SIZE).open())
        {
            small(storeOps(store));
        }
        copyStore(work, target);
    }

    private static void writeSet(final Path work, final Path target) throws IOException
    {
        try (Cubby store = Cubby.builder(work).maxKeySize(32).maxValueSize(0).probing(Probing.QUADRATIC)
            .expectedEntries(200).logSize(LOG_SIZE).open())
        {
            set(storeOps(store));
        }
        copyStore(work, target);
    }

    private static void writeUncleanAsync(final Path work, final Path target) throws IOException
    {
        try (Cubby store = Cubby.builder(work).maxKeySize(16).maxValueSize(32).probing(Probing.DOUBLE_HASHING)
            .expiry(true).durability(Durability.ASYNC).expectedEntries(100).logSize(LOG_SIZE).open())
        {
            final Ops ops = storeOps(store);
            uncleanAsyncBeforeCheckpoint(ops);
            store.checkpoint();
            // The tables as forced by the checkpoint, still marked open: a crash right after it...
            Files.createDirectories(target);
            copyTables(work, target);
            uncleanAsyncAfterCheckpoint(ops);
            // ...with the later operations only in the log, as after a power loss before the next checkpoint.
            Files.copy(work.resolve(WalDescriptor.FILE_NAME), target.resolve(WalDescriptor.FILE_NAME));
        }
    }

    private static void writeRehash(final Path work, final Path target, final boolean close) throws IOException
    {
        final Cubby store = Cubby.builder(work).maxKeySize(16).maxValueSize(16).expectedEntries(12)
            .migrationStep(1).durability(close ? Durability.NONE : Durability.SYNC).logSize(LOG_SIZE).open();
        try
        {
            rehash(storeOps(store));
            final CubbyStats stats = store.stats();
            if (!stats.rehashInProgress || stats.migratedSlots >= stats.sourceCapacity)
            {
                throw new IllegalStateException("expected a rehash in progress: " + stats);
            }
            if (!close)
            {
                // copied while open, mid-rehash: as if the process had been killed there
                copyStore(work, target);
            }
        }
        finally
        {
            store.close();
        }
        if (close)
        {
            copyStore(work, target);
            if (!Cubby.inspect(target).rehashInProgress())
            {
                throw new IllegalStateException("close finished the rehash of " + target);
            }
        }
    }

    private static void writeCorrupt(final Path golden, final Path corrupt) throws IOException
    {
        final Path small = golden.resolve(SMALL);
        final Path smallTable = small.resolve(TableDescriptor.fileName(1));
        final StoreInfo.TableInfo info = Cubby.inspect(small).currentTable();
        final int headerLength = TableDescriptor.headerLength(info.slotLength);

        final Path truncated = corrupt.resolve(TRUNCATED_TABLE);
        copyStore(small, truncated);
        try (FileChannel channel = FileChannel.open(truncated.resolve(smallTable.getFileName()),
            StandardOpenOption.WRITE))
        {
            channel.truncate(headerLength + info.capacity * info.slotLength / 2);
        }

        final Path header = corrupt.resolve(BITFLIP_HEADER);
        copyStore(small, header);
        flipBit(header.resolve(smallTable.getFileName()), TableDescriptor.CAPACITY_OFFSET + 1, 0);

        final Path slot = corrupt.resolve(BITFLIP_SLOT);
        copyStore(small, slot);
        final long index = slotOf(slot.resolve(smallTable.getFileName()), headerLength, info, utf8(BITFLIPPED_KEY));
        flipBit(slot.resolve(smallTable.getFileName()),
            headerLength + index * info.slotLength + SlotDescriptor.KEY_OFFSET + info.maxKeySize, 3);

        final Path garbage = corrupt.resolve(GARBAGE_TABLE);
        Files.createDirectories(garbage);
        final byte[] noise = new byte[8192];
        new Random(7).nextBytes(noise);
        Files.write(garbage.resolve(TableDescriptor.fileName(1)), noise);

        Files.writeString(corrupt.resolve(NOT_A_STORE), "This is a text file, not a Cubby store.\n");

        final Path unclean = golden.resolve(UNCLEAN_ASYNC);
        final Path truncatedLog = corrupt.resolve(TRUNCATED_LOG);
        copyStore(unclean, truncatedLog);
        try (FileChannel channel = FileChannel.open(truncatedLog.resolve(WalDescriptor.FILE_NAME),
            StandardOpenOption.WRITE))
        {
            channel.truncate(LOG_SIZE / 2 + 8);
        }

        final Path damaged = corrupt.resolve(DAMAGED_LOG_TAIL);
        copyStore(unclean, damaged);
        final Path log = damaged.resolve(WalDescriptor.FILE_NAME);
        flipBit(log, lastRecordOffset(log) + WalRecordDescriptor.HEADER_LENGTH + 16, 1);
    }

    private static long slotOf(final Path table, final int headerLength, final StoreInfo.TableInfo info,
        final byte[] key) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(table);
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int keyOffset = info.expiry ? SlotDescriptor.EXPIRY_KEY_OFFSET : SlotDescriptor.KEY_OFFSET;
        for (long i = 0; i < info.capacity; i++)
        {
            final int slot = (int)(headerLength + i * info.slotLength);
            if (buffer.getInt(slot + SlotDescriptor.STATE_OFFSET, ByteOrder.LITTLE_ENDIAN) !=
                SlotDescriptor.STATE_FULL ||
                buffer.getInt(slot + SlotDescriptor.KEY_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN) != key.length)
            {
                continue;
            }
            final byte[] stored = new byte[key.length];
            buffer.getBytes(slot + keyOffset, stored);
            if (java.util.Arrays.equals(stored, key))
            {
                return i;
            }
        }
        throw new IllegalStateException("key " + new String(key, StandardCharsets.UTF_8) + " not in " + table);
    }

    private static long lastRecordOffset(final Path log) throws IOException
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Files.readAllBytes(log));
        long position = buffer.getLong(WalDescriptor.START_OFFSET_OFFSET, ByteOrder.LITTLE_ENDIAN);
        long last = -1;
        while (position + WalRecordDescriptor.HEADER_LENGTH <= buffer.capacity())
        {
            final int length = buffer.getInt((int)position + WalRecordDescriptor.LENGTH_OFFSET,
                ByteOrder.LITTLE_ENDIAN);
            if (length <= 0)
            {
                break;
            }
            last = position;
            position += length;
        }
        if (last < 0)
        {
            throw new IllegalStateException("no record in " + log);
        }
        return last;
    }

    static void flipBit(final Path file, final long offset, final int bit) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte)(one.get(0) ^ (1 << bit)));
            one.rewind();
            channel.write(one, offset);
        }
    }

    private static void copyStore(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        copyTables(from, to);
        final Path log = from.resolve(WalDescriptor.FILE_NAME);
        if (Files.exists(log))
        {
            Files.copy(log, to.resolve(WalDescriptor.FILE_NAME));
        }
    }

    private static void copyTables(final Path from, final Path to) throws IOException
    {
        final List<Path> tables = new ArrayList<>();
        try (Stream<Path> files = Files.list(from))
        {
            files.filter(f -> TableDescriptor.parseGeneration(f.getFileName().toString()) > 0).forEach(tables::add);
        }
        for (final Path table : tables)
        {
            Files.copy(table, to.resolve(table.getFileName()));
        }
    }

    static void deleteRecursively(final Path path) throws IOException
    {
        if (!Files.exists(path))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(path))
        {
            files.sorted(Comparator.reverseOrder()).forEach(p ->
            {
                try
                {
                    Files.delete(p);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
    }

    private static String word(final Random random, final int length)
    {
        final StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++)
        {
            text.append((char)('a' + random.nextInt(26)));
        }
        return text.toString();
    }

    static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
