package io.cubby.store;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Opens damaged store directories and uses them: the store must either work or fail with one of its documented
 * exceptions ({@link CubbyException} subclasses), never with another exception, a hang or a JVM crash.
 * <p>
 * Each input picks one of three small valid stores, all copied while a {@link Durability#SYNC} store was open so
 * they hold an unclean shutdown with logged records to replay: a table with entries, tombstones and in-place
 * updates; a store in the middle of a rehash (two table files); a store with expiry fields. The input then
 * overwrites bytes at chosen offsets of a table header (with its undo area), a slot array, the log header or the
 * log records, may truncate or delete a file, and drives a sequence of operations. The store is opened read-only
 * ({@code get}, {@code containsKey}, {@code forEach}, iteration, {@code verify}), then writable (recovery, at times
 * into a log of another size, and a mix of writes, reads, {@code compact}, {@code checkpoint}, {@code verify}),
 * closed and reopened. A {@code CubbyException} caused by anything but an I/O error is also a finding: it hides an
 * unexpected exception (closing wraps failures). An input that damages nothing must pass every phase without any
 * exception, and verify clean once recovered.
 * <p>
 * <b>Regression mode</b> (every build): the inputs under {@code src/test/resources/fuzz/FuzzStoreFilesTestInputs}
 * run as ordinary test cases (the build copies them next to this class, where Jazzer looks for them).
 * <p>
 * Every input also checks that a failed open, recovery or salvage changes no byte of any file (names and SHA-256
 * of every file before and after), that a read-only open never does, and that a salvage that succeeds leaves a
 * store that verifies clean. {@link #fuzzStoreFields} is the structure-aware variant: it rewrites header and
 * record fields and recomputes their checksums, so the validation behind the checksums is exercised.
 * <p>
 * <b>Fuzzing</b> (coverage-guided, on demand; one method per run):
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -pl store test -Dtest=FuzzStoreFilesTest#fuzzStoreFiles -Djazzer.max_duration=10m
 * JAZZER_FUZZ=1 mvn -B -pl store test -Dtest=FuzzStoreFilesTest#fuzzStoreFields -Djazzer.max_duration=10m
 * </pre>
 * A crashing input is written to {@code store/src/test/resources/io/cubby/store/FuzzStoreFilesTestInputs/
 * fuzzStoreFiles/crash-*}; fix the library, then move the input to
 * {@code store/src/test/resources/fuzz/FuzzStoreFilesTestInputs/fuzzStoreFiles/} so it runs in every build. The
 * corpus grown while fuzzing is kept in {@code store/.cifuzz-corpus/} and reused by the next campaign. Jazzer
 * attaches its agent at run time and needs no JVM flag on JDK 17 (newer JDKs warn unless given
 * {@code -XX:+EnableDynamicAgentLoading}).
 */
class FuzzStoreFilesTest
{
    private static final int MAX_KEY = 16;
    private static final int MAX_VALUE = 24;
    private static final int KEYS = 40;
    private static final int MAX_MUTATIONS = 8;
    private static final int MAX_OPERATIONS = 24;
    private static final int LOG_SIZE = 1 << 16;
    private static final int GC_EVERY = 2_000;
    private static final long INPUT_TIMEOUT_SECONDS = 60;
    /** Recovery logs at INFO for every damaged store; kept referenced so the level sticks. */
    private static final Logger STORE_LOGGER = quietStoreLogger();

    private static Path root;
    private static List<Scenario> scenarios;
    private static long executions;
    /** Set for an input that damages nothing: then every phase must succeed and verify clean. */
    private static volatile boolean undamaged;
    private static ExecutorService watchdog;
    private static volatile Thread inputThread;

    @FuzzTest
    void fuzzStoreFiles(final FuzzedDataProvider data) throws Exception
    {
        run(data, false);
    }

    /**
     * Structure-aware variant: the input rewrites table header fields, log header fields and log record fields and
     * recomputes their checksums (CRC32C), so that what is exercised is the validation behind the checksum.
     */
    @FuzzTest
    void fuzzStoreFields(final FuzzedDataProvider data) throws Exception
    {
        run(data, true);
    }

    private static void run(final FuzzedDataProvider data, final boolean fields) throws Exception
    {
        final Future<?> run = watchdog().submit(() ->
        {
            runInput(data, fields);
            return null;
        });
        try
        {
            run.get(INPUT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final TimeoutException ex)
        {
            final AssertionError hang = new AssertionError("input still running after " + INPUT_TIMEOUT_SECONDS +
                " s: a hang (stack of the running input attached)");
            hang.setStackTrace(inputThread.getStackTrace());
            inputThread.interrupt();
            watchdog = null;
            throw hang;
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof Exception)
            {
                throw (Exception)cause;
            }
            throw (Error)cause;
        }
    }

    private static void runInput(final FuzzedDataProvider data, final boolean fields) throws IOException
    {
        final List<Scenario> bases = scenarios();
        final Scenario scenario = bases.get(data.consumeInt(0, bases.size() - 1));
        final Path dir = Files.createTempDirectory(root, "input-");
        try
        {
            scenario.copyTo(dir);
            undamaged = !(fields ? mutateFields(data, scenario, dir) : mutate(data, scenario, dir));
            // a different log size makes recovery switch to a new log
            final int logSize = data.consumeBoolean() ? 2 * LOG_SIZE : LOG_SIZE;
            final byte[] operations = data.consumeRemainingAsBytes();

            readOnlyPhase(dir, operations);
            writablePhase(dir, operations, logSize);
            reopenPhase(dir);
        }
        finally
        {
            deleteRecursively(dir);
            if (++executions % GC_EVERY == 0)
            {
                // mappings are released by the collector only; keep their number far below vm.max_map_count
                System.gc();
            }
        }
    }

    /**
     * Inputs run on one worker thread so that a hang fails the input after {@link #INPUT_TIMEOUT_SECONDS} instead
     * of blocking the build. (A JUnit {@code @Timeout} would bound the whole fuzzing campaign, which Jazzer runs as
     * one invocation.)
     */
    private static synchronized ExecutorService watchdog()
    {
        if (null == watchdog)
        {
            watchdog = Executors.newSingleThreadExecutor(runnable ->
            {
                inputThread = new Thread(runnable, "fuzz-input");
                inputThread.setDaemon(true);
                return inputThread;
            });
        }
        return watchdog;
    }

    @AfterAll
    static void cleanUp()
    {
        if (null != watchdog)
        {
            watchdog.shutdownNow();
            watchdog = null;
        }
        if (null != root)
        {
            deleteRecursively(root);
            root = null;
            scenarios = null;
        }
    }

    // ------------------------------------------------------------------------------------------------ mutation

    /**
     * @return whether any file was changed.
     */
    private static boolean mutate(final FuzzedDataProvider data, final Scenario scenario, final Path dir)
        throws IOException
    {
        final int mutations = data.consumeInt(0, MAX_MUTATIONS);
        boolean changed = mutations > 0;
        for (int m = 0; m < mutations; m++)
        {
            final Region region = scenario.regions.get(data.consumeInt(0, scenario.regions.size() - 1));
            final long offset = data.consumeLong(region.start, region.end - 1);
            final byte[] bytes;
            switch (data.consumeInt(0, 3))
            {
                case 0:
                    bytes = data.consumeBytes(data.consumeInt(1, 8));
                    break;
                case 1:
                    bytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(data.consumeInt()).array();
                    break;
                case 2:
                    bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.consumeLong()).array();
                    break;
                default:
                    bytes = xorByte(dir.resolve(region.file), offset, data.consumeByte());
                    break;
            }
            write(dir.resolve(region.file), offset, bytes);
        }
        switch (data.consumeInt(0, 15))
        {
            case 0:
            {
                final Path file = dir.resolve(scenario.files.get(data.consumeInt(0, scenario.files.size() - 1)));
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
                {
                    channel.truncate(data.consumeLong(0, channel.size() - 1));
                }
                changed = true;
                break;
            }
            case 1:
                Files.delete(dir.resolve(scenario.files.get(data.consumeInt(0, scenario.files.size() - 1))));
                changed = true;
                break;
            default:
                break;
        }
        return changed;
    }

    /**
     * Rewrite header and record fields with a value chosen by the input, recomputing the checksum that covers them.
     *
     * @return whether any file was changed.
     */
    private static boolean mutateFields(final FuzzedDataProvider data, final Scenario scenario, final Path dir)
        throws IOException
    {
        final int mutations = data.consumeInt(0, MAX_MUTATIONS);
        for (int m = 0; m < mutations; m++)
        {
            final Path file = dir.resolve(scenario.files.get(data.consumeInt(0, scenario.files.size() - 1)));
            final long value = data.consumeBoolean() ?
                StoreFiles.INTERESTING[data.consumeInt(0, StoreFiles.INTERESTING.length - 1)] : data.consumeLong();
            if (!file.getFileName().toString().equals(WalDescriptor.FILE_NAME))
            {
                final int[] field = StoreFiles.TABLE_FIELDS[data.consumeInt(0, StoreFiles.TABLE_FIELDS.length - 1)];
                StoreFiles.put(file, field[0], field[1], value);
                if (field[0] < TableDescriptor.HEADER_CHECKSUM_OFFSET)
                {
                    StoreFiles.fixTableHeaderChecksum(file);
                }
                continue;
            }
            final List<Integer> records = StoreFiles.logRecords(file);
            if (records.isEmpty() || data.consumeInt(0, 4) == 0)
            {
                final int[][] header = {
                    { WalDescriptor.START_OFFSET_OFFSET, 8 }, { WalDescriptor.FIRST_SEQUENCE_OFFSET, 8 },
                    { WalDescriptor.CAPACITY_OFFSET, 8 }, { WalDescriptor.SALT_OFFSET, 4 },
                    { WalDescriptor.RESERVED_OFFSET, 4 }, { WalDescriptor.STORE_SEED_OFFSET, 8 },
                };
                final int[] field = header[data.consumeInt(0, header.length - 1)];
                StoreFiles.put(file, field[0], field[1], value);
                StoreFiles.fixLogHeaderChecksum(file);
                continue;
            }
            final int record = records.get(data.consumeInt(0, records.size() - 1));
            final int[] field = StoreFiles.RECORD_FIELDS[data.consumeInt(0, StoreFiles.RECORD_FIELDS.length - 1)];
            StoreFiles.put(file, record + field[0], field[1], value);
            final int length = StoreFiles.getInt(file, record);
            if (length >= WalRecordDescriptor.HEADER_LENGTH && record + (long)length <= Files.size(file))
            {
                StoreFiles.fixRecordChecksum(file, record);
            }
        }
        return mutations > 0;
    }

    private static byte[] xorByte(final Path file, final long offset, final byte mask) throws IOException
    {
        final ByteBuffer one = ByteBuffer.allocate(1);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            channel.read(one, offset);
        }
        return new byte[]{ (byte)(one.get(0) ^ (0 == mask ? 1 : mask)) };
    }

    private static void write(final Path file, final long offset, final byte[] bytes) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            final long size = channel.size();
            final int length = (int)Math.min(bytes.length, size - offset);
            if (length > 0)
            {
                channel.write(ByteBuffer.wrap(bytes, 0, length), offset);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ phases

    private static void readOnlyPhase(final Path dir, final byte[] operations)
    {
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        attempt(() -> Cubby.inspect(dir));
        final Cubby store = open(Cubby.builder(dir).formatVersion(1).readOnly(true));
        if (null == store)
        {
            assertUnchanged(dir, before, "a failed read-only open");
            return;
        }
        try
        {
            for (int i = 0; i < Math.min(operations.length, MAX_OPERATIONS); i++)
            {
                final byte[] key = key(operations[i]);
                attempt(() -> store.get(key));
                attempt(() -> store.containsKey(key));
            }
            readEverything(store);
        }
        finally
        {
            attempt(store::close);
        }
        assertUnchanged(dir, before, "a read-only open and its reads");
    }

    private static void assertUnchanged(final Path dir, final Map<String, String> before, final String what)
    {
        final Map<String, String> after = StoreFiles.fingerprint(dir);
        if (!before.equals(after))
        {
            throw new AssertionError(what + " changed the store files: before " + before + ", after " + after);
        }
    }

    /**
     * After a refused recovery: salvage either fails changing nothing or brings back a store that verifies clean.
     */
    private static void salvagePhase(final Path dir)
    {
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final Cubby store = open(Cubby.builder(dir).formatVersion(1).salvage(true));
        if (null == store)
        {
            assertUnchanged(dir, before, "a failed salvage");
            return;
        }
        try
        {
            final VerifyReport report = store.verify();
            if (!report.isOk())
            {
                throw new AssertionError("salvage left a store that fails verify: " + report.problems);
            }
            readEverything(store);
        }
        finally
        {
            attempt(store::close);
        }
    }

    private static void writablePhase(final Path dir, final byte[] operations, final int logSize)
    {
        final Map<String, String> before = StoreFiles.fingerprint(dir);
        final Cubby store = open(Cubby.builder(dir).formatVersion(1).migrationStep(1).logSize(logSize));
        if (null == store)
        {
            assertUnchanged(dir, before, "a failed recovery");
            salvagePhase(dir);
            return;
        }
        try
        {
            for (int i = 0; i + 1 < Math.min(operations.length, 2 * MAX_OPERATIONS); i += 2)
            {
                final int op = operations[i] & 0xFF;
                final byte[] key = key(operations[i + 1]);
                final byte[] value = value(op, operations[i + 1]);
                switch (op % 12)
                {
                    case 0:
                    case 1:
                        attempt(() -> store.put(key, value));
                        break;
                    case 2:
                        attempt(() -> store.remove(key));
                        break;
                    case 3:
                        attempt(() -> store.get(key));
                        break;
                    case 4:
                        attempt(() -> store.putIfAbsent(key, value));
                        break;
                    case 5:
                        attempt(() -> store.replace(key, value));
                        break;
                    case 6:
                        attempt(() -> store.getAndRemove(key));
                        break;
                    case 7:
                        attempt(() -> store.containsKey(key));
                        break;
                    case 8:
                        attempt(store::compact);
                        break;
                    case 9:
                        attempt(store::checkpoint);
                        break;
                    case 10:
                        attempt(store::verify);
                        break;
                    default:
                        attempt(() -> store.put(key, value, Duration.ofHours(1)));
                        break;
                }
            }
            readEverything(store);
        }
        finally
        {
            attempt(store::close);
        }
    }

    private static void reopenPhase(final Path dir)
    {
        final Cubby store = open(Cubby.builder(dir).formatVersion(1));
        if (null != store)
        {
            try
            {
                readEverything(store);
            }
            finally
            {
                attempt(store::close);
            }
        }
    }

    private static void readEverything(final Cubby store)
    {
        attempt(store::size);
        attempt(store::stats);
        attempt(() ->
        {
            final VerifyReport report = store.verify();
            if (undamaged && !store.isReadOnly() && !report.isOk())
            {
                throw new AssertionError("undamaged store fails verify after recovery: " + report + " " +
                    report.problems);
            }
        });
        attempt(() -> store.forEach((k, ko, kl, v, vo, vl) ->
        {
            // touch every byte handed out
            k.getBytes(ko, new byte[kl]);
            v.getBytes(vo, new byte[vl]);
        }));
        attempt(() ->
        {
            for (final Iterator<Map.Entry<byte[], byte[]>> it = store.entries(); it.hasNext(); )
            {
                it.next();
            }
        });
    }

    private static Cubby open(final Cubby.Builder builder)
    {
        try
        {
            return builder.open();
        }
        catch (final CubbyException ex)
        {
            checkDocumented(ex);
            return null;
        }
    }

    private interface Action
    {
        void run() throws Exception;
    }

    /**
     * Run one operation: success and documented failures pass, anything else propagates as the finding.
     */
    private static void attempt(final Action action)
    {
        try
        {
            action.run();
        }
        catch (final CubbyException ex)
        {
            checkDocumented(ex);
        }
        catch (final UnsupportedOperationException ex)
        {
            // time-to-live on a store created without expiry: documented
            if (null == ex.getMessage() || !ex.getMessage().contains("without expiry"))
            {
                throw ex;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new AssertionError("unexpected checked exception", ex);
        }
    }

    /**
     * A store exception may carry an I/O error as its cause, but not a programming error that it merely wraps.
     */
    private static void checkDocumented(final CubbyException ex)
    {
        if (undamaged)
        {
            throw new AssertionError("an undamaged store (a copy taken while it was open) failed: " + ex, ex);
        }
        for (Throwable cause = ex.getCause(); null != cause; cause = cause.getCause())
        {
            if (!(cause instanceof CubbyException || cause instanceof IOException ||
                cause instanceof UncheckedIOException))
            {
                throw new AssertionError("store exception wraps an unexpected failure: " + ex, ex);
            }
        }
    }

    private static byte[] key(final byte selector)
    {
        return keyBytes((selector & 0xFF) % KEYS);
    }

    private static byte[] keyBytes(final int n)
    {
        return String.format("key-%02d", n).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] value(final int op, final byte selector)
    {
        final byte[] value = new byte[(op >>> 4) % (MAX_VALUE + 1)];
        java.util.Arrays.fill(value, selector);
        return value;
    }

    // ------------------------------------------------------------------------------------------------ base stores

    /** A byte range of one file that mutations may hit. */
    private static final class Region
    {
        final String file;
        final long start;
        final long end;

        Region(final String file, final long start, final long end)
        {
            this.file = file;
            this.start = start;
            this.end = end;
        }
    }

    /** A valid store directory after an unclean shutdown, and the regions of its files worth damaging. */
    private static final class Scenario
    {
        final Path dir;
        final List<String> files;
        final List<Region> regions = new ArrayList<>();

        Scenario(final Path dir) throws IOException
        {
            this.dir = dir;
            try (Stream<Path> list = Files.list(dir))
            {
                files = list.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".cubby") || name.equals(WalDescriptor.FILE_NAME))
                    .sorted()
                    .collect(Collectors.toList());
            }
            for (final String name : files)
            {
                final Path file = dir.resolve(name);
                final long size = Files.size(file);
                if (name.equals(WalDescriptor.FILE_NAME))
                {
                    regions.add(new Region(name, 0, WalDescriptor.HEADER_LENGTH));
                    regions.add(new Region(name, WalDescriptor.HEADER_LENGTH,
                        Math.min(size, lastNonZeroByte(file) + 64)));
                }
                else
                {
                    final int headerLength = readInt(file, TableDescriptor.HEADER_LENGTH_OFFSET);
                    final int slotLength = readInt(file, TableDescriptor.SLOT_LENGTH_OFFSET);
                    regions.add(new Region(name, 0, TableDescriptor.UNDO_IMAGE_OFFSET + slotLength));
                    regions.add(new Region(name, headerLength, size));
                }
            }
        }

        void copyTo(final Path target) throws IOException
        {
            for (final String name : files)
            {
                Files.copy(dir.resolve(name), target.resolve(name));
            }
        }
    }

    private static synchronized List<Scenario> scenarios() throws IOException
    {
        if (null == scenarios)
        {
            root = scratchRoot();
            final List<Scenario> list = new ArrayList<>();
            list.add(entriesAndTombstones(root.resolve("base-entries")));
            list.add(midRehash(root.resolve("base-rehash")));
            list.add(withExpiry(root.resolve("base-expiry")));
            scenarios = list;
        }
        return scenarios;
    }

    private static Scenario entriesAndTombstones(final Path base) throws IOException
    {
        final Path live = base.resolveSibling(base.getFileName() + "-live");
        try (Cubby store = builder(live).expectedEntries(20).open())
        {
            for (int i = 0; i < 14; i++)
            {
                store.put(keyBytes(i), ("value-" + i).getBytes(StandardCharsets.US_ASCII));
            }
            for (int i = 0; i < 4; i++)
            {
                store.remove(keyBytes(i * 3));
            }
            store.checkpoint();
            store.put(keyBytes(1), "updated in place".getBytes(StandardCharsets.US_ASCII));
            for (int i = 14; i < 20; i++)
            {
                store.put(keyBytes(i), ("logged-" + i).getBytes(StandardCharsets.US_ASCII));
            }
            store.remove(keyBytes(4));
            store.remove(keyBytes(16));
            return snapshot(live, base);
        }
    }

    private static Scenario midRehash(final Path base) throws IOException
    {
        final Path live = base.resolveSibling(base.getFileName() + "-live");
        try (Cubby store = builder(live).expectedEntries(1).migrationStep(1).open())
        {
            int i = 0;
            while (!store.stats().rehashInProgress)
            {
                store.put(keyBytes(i), ("value-" + i).getBytes(StandardCharsets.US_ASCII));
                i++;
            }
            store.remove(keyBytes(2));
            store.put(keyBytes(i), "after rehash start".getBytes(StandardCharsets.US_ASCII));
            store.put(keyBytes(5), "updated".getBytes(StandardCharsets.US_ASCII));
            return snapshot(live, base);
        }
    }

    private static Scenario withExpiry(final Path base) throws IOException
    {
        final Path live = base.resolveSibling(base.getFileName() + "-live");
        try (Cubby store = builder(live).expectedEntries(12).expiry(true).open())
        {
            for (int i = 0; i < 8; i++)
            {
                store.put(keyBytes(i), ("v" + i).getBytes(StandardCharsets.US_ASCII),
                    i % 2 == 0 ? Duration.ofDays(1) : Duration.ofMillis(1));
            }
            store.checkpoint();
            store.put(keyBytes(8), "no ttl".getBytes(StandardCharsets.US_ASCII));
            store.remove(keyBytes(0));
            store.put(keyBytes(2), "renewed".getBytes(StandardCharsets.US_ASCII), Duration.ofDays(2));
            return snapshot(live, base);
        }
    }

    private static Cubby.Builder builder(final Path dir)
    {
        return Cubby.builder(dir).formatVersion(1).maxKeySize(MAX_KEY).maxValueSize(MAX_VALUE)
            .durability(Durability.SYNC)
            .logSize(LOG_SIZE);
    }

    /**
     * Copy the files of an open store: the result is what a crash at this instant leaves behind.
     */
    private static Scenario snapshot(final Path live, final Path base) throws IOException
    {
        Files.createDirectories(base);
        try (Stream<Path> list = Files.list(live))
        {
            for (final Path file : (Iterable<Path>)list::iterator)
            {
                final String name = file.getFileName().toString();
                if (name.endsWith(".cubby") || name.equals(WalDescriptor.FILE_NAME))
                {
                    Files.copy(file, base.resolve(name));
                }
            }
        }
        return new Scenario(base);
    }

    private static int readInt(final Path file, final int offset) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            channel.read(bytes, offset);
        }
        return bytes.getInt(0);
    }

    private static long lastNonZeroByte(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        int last = bytes.length - 1;
        while (last > 0 && bytes[last] == 0)
        {
            last--;
        }
        return last;
    }

    private static Logger quietStoreLogger()
    {
        final Logger logger = Logger.getLogger("io.cubby.store");
        logger.setLevel(Level.WARNING);
        return logger;
    }

    /**
     * Inputs run in memory-backed {@code /dev/shm} where available: every input opens and closes stores, and
     * forcing files to a disk would dominate the run time.
     */
    private static Path scratchRoot() throws IOException
    {
        final Path shm = Paths.get("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ?
            Files.createTempDirectory(shm, "cubby-fuzz-") : Files.createTempDirectory("cubby-fuzz-");
    }

    private static void deleteRecursively(final Path root)
    {
        if (!Files.exists(root))
        {
            return;
        }
        try (Stream<Path> files = Files.walk(root))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
