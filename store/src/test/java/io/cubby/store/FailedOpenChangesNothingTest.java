package io.cubby.store;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed open changes nothing: for every corrupted sample of {@code testdata/corrupt} and for golden stores
 * mutated in many ways (raw bytes, and header and log record fields rewritten with their checksums recomputed), the
 * name and SHA-256 of every file are taken before and after a read-only open, a writable open (recovery) and a
 * salvage; whenever the open fails they must be equal, and a read-only open must never change anything. A salvage
 * that succeeds must leave a store that verifies clean. (The fuzz test makes the same checks for every fuzz input.)
 */
class FailedOpenChangesNothingTest
{
    private static final int MUTATIONS_PER_STORE = 30;
    private static final int SLOW_MUTATIONS_PER_STORE = 600;

    @Test
    void everyCorruptedSampleIsRefusedWithoutAChange(@TempDir final Path tmp) throws IOException
    {
        final Path corrupt = GoldenFilesCompatibilityTest.testdata().resolve("corrupt");
        final List<Path> samples;
        try (Stream<Path> list = Files.list(corrupt))
        {
            samples = list.filter(Files::isDirectory).sorted().collect(Collectors.toList());
        }
        assertTrue(samples.size() >= 6, "samples under " + corrupt);
        int refused = 0;
        for (final Path sample : samples)
        {
            refused += checkEveryOpen(sample, tmp.resolve(sample.getFileName().toString()), sample.toString());
        }
        assertTrue(refused > 0, "at least one sample is refused");
    }

    @Test
    void mutatedGoldenStoresAreRefusedWithoutAChange(@TempDir final Path tmp) throws IOException
    {
        assertTrue(campaign(tmp, MUTATIONS_PER_STORE, 9) > 0, "some mutation is refused");
    }

    @Test
    @Tag("slow")
    void manyMutatedGoldenStoresAreRefusedWithoutAChange(@TempDir final Path tmp) throws IOException
    {
        assertTrue(campaign(tmp, SLOW_MUTATIONS_PER_STORE, 91) > 0, "some mutation is refused");
    }

    private static int campaign(final Path tmp, final int mutations, final long seed) throws IOException
    {
        final Random random = new Random(seed);
        int refused = 0;
        for (final GoldenFiles.Golden golden : GoldenFiles.stores())
        {
            final Path source = GoldenFilesCompatibilityTest.golden(golden.name());
            for (int m = 0; m < mutations; m++)
            {
                final Path base = tmp.resolve(golden.name() + "-" + m);
                GoldenFilesCompatibilityTest.copy(source, base);
                final String what = mutate(base, random);
                refused += checkEveryOpen(base, tmp.resolve(golden.name() + "-" + m + "-run"),
                    golden.name() + ": " + what);
                deleteRecursively(base);
            }
        }
        return refused;
    }

    /**
     * Open copies of {@code store} read-only, writable and with salvage.
     *
     * @return how many of the opens were refused.
     */
    private static int checkEveryOpen(final Path store, final Path scratch, final String what) throws IOException
    {
        int refused = 0;
        for (final String mode : List.of("read-only", "writable", "salvage"))
        {
            final Path dir = scratch.resolve(mode);
            GoldenFilesCompatibilityTest.copy(store, dir);
            final Map<String, String> before = StoreFiles.fingerprint(dir);
            final Cubby.Builder builder = Cubby.builder(dir).createIfMissing(false)
                .readOnly(mode.equals("read-only")).salvage(mode.equals("salvage"));
            try (Cubby cubby = builder.open())
            {
                if (mode.equals("salvage"))
                {
                    final VerifyReport report = cubby.verify();
                    assertTrue(report.isOk(), () -> what + ": salvage left problems " + report.problems);
                }
                cubby.size();
            }
            catch (final CubbyException ex)
            {
                refused++;
                assertEquals(before, StoreFiles.fingerprint(dir), () -> what + ": " + mode + " open failed (" +
                    ex.getMessage() + ") and changed the files");
            }
            if (mode.equals("read-only"))
            {
                assertEquals(before, StoreFiles.fingerprint(dir), () -> what + ": a read-only open changed files");
            }
        }
        deleteRecursively(scratch);
        return refused;
    }

    private static String mutate(final Path dir, final Random random) throws IOException
    {
        final List<Path> files;
        try (Stream<Path> list = Files.list(dir))
        {
            files = list.filter(f -> f.getFileName().toString().endsWith(".cubby") ||
                f.getFileName().toString().equals(WalDescriptor.FILE_NAME)).sorted().collect(Collectors.toList());
        }
        final Path file = files.get(random.nextInt(files.size()));
        final boolean log = file.getFileName().toString().equals(WalDescriptor.FILE_NAME);
        final long value = random.nextBoolean() ? StoreFiles.INTERESTING[random.nextInt(StoreFiles.INTERESTING.length)] :
            random.nextLong() >> random.nextInt(64);
        final String name = file.getFileName().toString();
        switch (random.nextInt(10))
        {
            case 0:
            {
                final long offset = (long)(random.nextDouble() * Files.size(file));
                final ByteBuffer one = StoreFiles.read(file, offset, 1);
                one.put(0, (byte)(one.get(0) ^ (1 << random.nextInt(8))));
                StoreFiles.write(file, offset, one);
                return "bit flip in " + name + " at " + offset;
            }
            case 1:
            {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
                {
                    final long length = (long)(random.nextDouble() * channel.size());
                    channel.truncate(length);
                    return name + " cut to " + length;
                }
            }
            case 2:
                Files.delete(file);
                return name + " deleted";
            default:
                if (!log)
                {
                    final int[] field = StoreFiles.TABLE_FIELDS[random.nextInt(StoreFiles.TABLE_FIELDS.length)];
                    StoreFiles.put(file, field[0], field[1], value);
                    if (field[0] < TableDescriptor.HEADER_CHECKSUM_OFFSET)
                    {
                        StoreFiles.fixTableHeaderChecksum(file);
                    }
                    return name + " header field at " + field[0] + " = " + value + " (checksum recomputed)";
                }
                final List<Integer> records = StoreFiles.logRecords(file);
                if (records.isEmpty() || random.nextInt(5) == 0)
                {
                    final int offset = new int[]{ WalDescriptor.START_OFFSET_OFFSET,
                        WalDescriptor.FIRST_SEQUENCE_OFFSET, WalDescriptor.CAPACITY_OFFSET,
                        WalDescriptor.SALT_OFFSET }[random.nextInt(4)];
                    StoreFiles.put(file, offset, offset == WalDescriptor.SALT_OFFSET ? 4 : 8, value);
                    StoreFiles.fixLogHeaderChecksum(file);
                    return "log header field at " + offset + " = " + value + " (checksum recomputed)";
                }
                final int record = records.get(random.nextInt(records.size()));
                final int[] field = StoreFiles.RECORD_FIELDS[random.nextInt(StoreFiles.RECORD_FIELDS.length)];
                StoreFiles.put(file, record + field[0], field[1], value);
                final int length = StoreFiles.getInt(file, record);
                if (length >= WalRecordDescriptor.HEADER_LENGTH && record + (long)length <= Files.size(file))
                {
                    StoreFiles.fixRecordChecksum(file, record);
                }
                return "log record at " + record + " field " + field[0] + " = " + value + " (checksum recomputed)";
        }
    }

    private static void deleteRecursively(final Path root) throws IOException
    {
        if (!Files.exists(root))
        {
            return;
        }
        final List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root))
        {
            walk.sorted(Comparator.reverseOrder()).forEach(files::add);
        }
        for (final Path file : files)
        {
            Files.delete(file);
        }
    }
}
