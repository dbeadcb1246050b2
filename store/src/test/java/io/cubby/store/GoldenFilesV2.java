package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Generator of the format-version-2 golden files in {@code testdata/v2/} and their corrupted copies in
 * {@code testdata/corrupt-v2/}, made by the operation sequences of {@link GoldenFiles} (which are also the models the
 * compatibility test {@link GoldenFilesV2CompatibilityTest} compares with). The stores use 2 or 4 segments and the
 * smallest log so that the files stay small.
 * <p>
 * Run from the repository root as {@link GoldenFiles} is (see {@code testdata/README.md}), with the class name
 * {@code io.cubby.store.GoldenFilesV2}. It refuses to overwrite an existing {@code v2} directory unless given
 * {@code --force}.
 */
public final class GoldenFilesV2
{
    public static final int FORMAT_VERSION = 2;

    public static final String SMALL = "small";
    public static final String UNCLEAN_SYNC = "unclean-sync";
    public static final String REHASH_KILLED = "rehash-killed";

    public static final String TRUNCATED_SEGMENT = "truncated-segment";
    public static final String BITFLIP_SEGMENT_HEADER = "bitflip-segment-header";
    public static final String BITFLIP_SLOT = "bitflip-slot";
    public static final String DAMAGED_LOG_TAIL = "damaged-log-tail";
    public static final String MISSING_SEGMENT = "missing-segment";

    /** The key whose slot has a flipped value bit in {@link #BITFLIP_SLOT}. */
    public static final String BITFLIPPED_KEY = GoldenFiles.BITFLIPPED_KEY;
    /** Records the log of {@link #UNCLEAN_SYNC} holds after its checkpoint. */
    public static final int UNCLEAN_LOGGED_OPERATIONS = 32;

    private static final long SEED = 0x601DE2L;
    private static final int REHASH_PUTS = 3640;
    /** Groups per segment of {@link #REHASH_KILLED}: big enough for a rehash to span many operations. */
    private static final int REHASH_GROUPS = 64;

    /**
     * What the compatibility test knows about one golden store.
     *
     * @param name          directory name under {@code v2}.
     * @param params        creation parameters (the hash seed is fixed, so regenerating gives the same layout).
     * @param loggedOperations PUT and REMOVE records the first open replays, or -1 if that depends on when the
     *                      background checkpoint ran while the store was made.
     * @param contents      the entries every writable open must show.
     */
    public record Golden(String name, SegmentParams params, int loggedOperations,
        Map<ByteBuffer, ByteBuffer> contents)
    {
    }

    private GoldenFilesV2()
    {
    }

    static SegmentParams params(final int segmentBits, final int maxKey, final int maxValue)
    {
        return new SegmentParams(segmentBits, maxKey, maxValue, 0, SEED, SegmentParams.DEFAULT_MAX_LOAD_PPM);
    }

    /** @return every golden store of format version 2. */
    public static List<Golden> stores()
    {
        return List.of(
            new Golden(SMALL, params(2, 24, 48), 0, GoldenFiles.model(GoldenFiles::small)),
            new Golden(UNCLEAN_SYNC, params(2, 16, 32), UNCLEAN_LOGGED_OPERATIONS,
                GoldenFiles.model(GoldenFiles::uncleanAsyncAll)),
            new Golden(REHASH_KILLED, params(1, 16, 16), -1, GoldenFiles.model(GoldenFilesV2::rehash)));
    }

    /** @return the named store's description. */
    public static Golden store(final String name)
    {
        return stores().stream().filter(g -> g.name.equals(name)).findFirst().orElseThrow();
    }

    /** @return what {@link #DAMAGED_LOG_TAIL} recovers to: {@link #UNCLEAN_SYNC} without its last operation. */
    public static Map<ByteBuffer, ByteBuffer> damagedLogTailContents()
    {
        final Map<ByteBuffer, ByteBuffer> contents = GoldenFiles.model(GoldenFiles::uncleanAsyncAll);
        contents.remove(GoldenFiles.bytes(GoldenFiles.LAST_LOGGED_KEY));
        return contents;
    }

    /** Puts until a segment rehash is under way (see {@link #writeRehashKilled}), then two removes. */
    static void rehash(final GoldenFiles.Ops ops)
    {
        for (int i = 0; i < REHASH_PUTS; i++)
        {
            ops.put(GoldenFiles.utf8(String.format("r-%03d", i)), GoldenFiles.utf8("rv-" + i));
        }
        ops.remove(GoldenFiles.utf8("r-003"));
        ops.remove(GoldenFiles.utf8("r-027"));
    }

    static GoldenFiles.Ops ops(final SegmentStore store)
    {
        return new GoldenFiles.Ops()
        {
            public void put(final byte[] key, final byte[] value)
            {
                try
                {
                    store.put(new UnsafeBuffer(key), 0, key.length, new UnsafeBuffer(value), 0, value.length);
                }
                catch (final IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            }

            public void remove(final byte[] key)
            {
                try
                {
                    store.remove(new UnsafeBuffer(key), 0, key.length);
                }
                catch (final IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            }

            public void checkpoint()
            {
                try
                {
                    store.checkpoint();
                }
                catch (final IOException ex)
                {
                    throw new java.io.UncheckedIOException(ex);
                }
            }
        };
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
        final Path corrupt = root.resolve("corrupt-v" + FORMAT_VERSION);
        if (Files.exists(golden) && !force)
        {
            System.err.println(golden + " exists; golden files of a released format must not change. " +
                "Pass --force to replace them anyway.");
            System.exit(1);
        }
        GoldenFiles.deleteRecursively(golden);
        GoldenFiles.deleteRecursively(corrupt);
        Files.createDirectories(golden);
        Files.createDirectories(corrupt);
        final Path work = Files.createTempDirectory("cubby-golden-v2");
        try
        {
            writeSmall(work.resolve(SMALL), golden.resolve(SMALL));
            writeUncleanSync(work.resolve(UNCLEAN_SYNC), golden.resolve(UNCLEAN_SYNC));
            writeRehashKilled(work.resolve(REHASH_KILLED), golden.resolve(REHASH_KILLED));
            writeCorrupt(golden, corrupt);
        }
        finally
        {
            GoldenFiles.deleteRecursively(work);
        }
        System.out.println("wrote " + golden + " and " + corrupt);
    }

    private static SegmentStore create(final Path dir, final String name, final Durability durability)
        throws IOException
    {
        final SegmentParams params = store(name).params;
        return SegmentStore.create(dir, params, name.equals(REHASH_KILLED) ? REHASH_GROUPS : 1,
            SegmentLogDescriptor.minCapacity(params.segmentBits), durability,
            Duration.ofMillis(100));
    }

    private static void writeSmall(final Path work, final Path target) throws IOException
    {
        try (SegmentStore store = create(work, SMALL, Durability.NONE))
        {
            GoldenFiles.small(ops(store));
        }
        copyStore(work, target);
    }

    /**
     * Segment files and manifest copied right after a checkpoint, the log after 32 more operations: a power loss
     * before the next checkpoint, with those operations only in the log.
     */
    private static void writeUncleanSync(final Path work, final Path target) throws IOException
    {
        try (SegmentStore store = create(work, UNCLEAN_SYNC, Durability.SYNC))
        {
            final GoldenFiles.Ops ops = ops(store);
            GoldenFiles.uncleanAsyncBeforeCheckpoint(ops);
            store.checkpoint();
            copyStore(work, target);
            Files.delete(target.resolve(SegmentStore.LOG_FILE));
            GoldenFiles.uncleanAsyncAfterCheckpoint(ops);
            Files.copy(work.resolve(SegmentStore.LOG_FILE), target.resolve(SegmentStore.LOG_FILE));
        }
    }

    /** Copied while open with a segment rehash under way, as if the process had been killed there. */
    private static void writeRehashKilled(final Path work, final Path target) throws IOException
    {
        try (SegmentStore store = create(work, REHASH_KILLED, Durability.SYNC))
        {
            rehash(ops(store));
            boolean rehashing = false;
            for (int s = 0; s < store.segments().segmentCount(); s++)
            {
                rehashing |= store.segments().segment(s).rehashing();
            }
            if (!rehashing)
            {
                throw new IllegalStateException("no segment rehash under way at the end of the sequence in " + work);
            }
            copyStore(work, target);
        }
    }

    private static void writeCorrupt(final Path golden, final Path corrupt) throws IOException
    {
        final Path small = golden.resolve(SMALL);
        final Path segment0 = newestSegmentFile(small, 0);

        final Path truncated = corrupt.resolve(TRUNCATED_SEGMENT);
        copyStore(small, truncated);
        try (FileChannel channel = FileChannel.open(truncated.resolve(segment0.getFileName()),
            StandardOpenOption.WRITE))
        {
            channel.truncate(channel.size() / 2);
        }

        final Path header = corrupt.resolve(BITFLIP_SEGMENT_HEADER);
        copyStore(small, header);
        GoldenFiles.flipBit(header.resolve(segment0.getFileName()), SegmentDescriptor.GROUP_COUNT_OFFSET, 2);

        final Path slot = corrupt.resolve(BITFLIP_SLOT);
        copyStore(small, slot);
        final Path scratch = Files.createTempDirectory("cubby-golden-v2-find");
        final long[] where;
        try
        {
            copyStore(small, scratch);
            where = valueOffsetOf(scratch, GoldenFiles.utf8(BITFLIPPED_KEY));
        }
        finally
        {
            GoldenFiles.deleteRecursively(scratch);
        }
        GoldenFiles.flipBit(newestSegmentFile(slot, (int)where[0]), where[1], 3);

        final Path unclean = golden.resolve(UNCLEAN_SYNC);
        final Path damaged = corrupt.resolve(DAMAGED_LOG_TAIL);
        copyStore(unclean, damaged);
        final Path log = damaged.resolve(SegmentStore.LOG_FILE);
        GoldenFiles.flipBit(log, lastRecordOffset(log) + SegmentLogDescriptor.PAYLOAD_OFFSET + 8, 1);

        final Path missing = corrupt.resolve(MISSING_SEGMENT);
        copyStore(unclean, missing);
        Files.delete(newestSegmentFile(missing, 1));
    }

    /** @return the segment and the file offset of the first value byte of {@code key} in its current file. */
    private static long[] valueOffsetOf(final Path dir, final byte[] key) throws IOException
    {
        try (SegmentStore store = SegmentStore.open(dir, Durability.NONE, Duration.ofMillis(100), false))
        {
            final SegmentSet set = store.segments();
            final UnsafeBuffer k = new UnsafeBuffer(key);
            final long hash = set.hash(k, 0, key.length);
            final int s = set.segmentOf(hash);
            final SegmentTable table = set.segment(s).current();
            final int index = table.find(hash, k, 0, key.length);
            if (index < 0)
            {
                throw new IllegalStateException("key not in its current segment file");
            }
            return new long[]{ s, SegmentDescriptor.slotArrayOffset(set.params.headerLength, table.groupCount) +
                (long)index * set.params.slotLength + set.params.valueOffset };
        }
    }

    static Path newestSegmentFile(final Path dir, final int segment) throws IOException
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.filter(f -> f.getFileName().toString().startsWith(String.format("seg-%04x-", segment)) &&
                    f.getFileName().toString().endsWith(SegmentDescriptor.FILE_SUFFIX))
                .max(Path::compareTo).orElseThrow(() -> new IllegalStateException("no file of segment " + segment));
        }
    }

    private static long lastRecordOffset(final Path log) throws IOException
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(Files.readAllBytes(log));
        long position = buffer.getLong(SegmentLogDescriptor.START_OFFSET_OFFSET, SegmentLogDescriptor.LE);
        long last = -1;
        while (position + SegmentLogDescriptor.RECORD_HEADER_LENGTH <= buffer.capacity())
        {
            final int length = buffer.getInt((int)position + SegmentLogDescriptor.RECORD_LENGTH_OFFSET,
                SegmentLogDescriptor.LE);
            final short type = buffer.getShort((int)position + SegmentLogDescriptor.TYPE_OFFSET,
                SegmentLogDescriptor.LE);
            if (length <= 0)
            {
                break;
            }
            if (type == SegmentLogDescriptor.TYPE_PUT || type == SegmentLogDescriptor.TYPE_REMOVE)
            {
                last = position;
            }
            position += length;
        }
        if (last < 0)
        {
            throw new IllegalStateException("no entry record in " + log);
        }
        return last;
    }

    /** Copy the store's files (manifest, segment files, log), leaving out the lock and files being prepared. */
    static void copyStore(final Path from, final Path to) throws IOException
    {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.equals(ManifestDescriptor.FILE_NAME) || name.equals(SegmentStore.LOG_FILE) ||
                    (name.startsWith("seg-") && name.endsWith(SegmentDescriptor.FILE_SUFFIX)))
                {
                    Files.copy(file, to.resolve(name));
                }
            }
        }
    }
}
