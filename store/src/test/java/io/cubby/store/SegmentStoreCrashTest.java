package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills an engine-v2 store's process ({@link SegmentStoreCrashChild}, SIGKILL at a random moment, often during a
 * segment's rehash or a log checkpoint, since its segments start at one group and its log is the smallest), then
 * opens the store here: every acknowledged operation must be there, the one in flight applied or not, nothing
 * else, every segment verifying clean; the child compacts meanwhile (segments shrink and grow again), and a
 * compaction that fails fails the campaign. The next round continues on the same store. In NONE nothing is logged,
 * so the segments' own write protocols carry every write across the kill; in SYNC and ASYNC the log's replay
 * is exercised too.
 */
class SegmentStoreCrashTest
{
    @Test
    void everyAcknowledgedWriteSurvivesKillsInEveryMode(@TempDir final Path tmp) throws Exception
    {
        for (final Durability durability : Durability.values())
        {
            campaign(tmp.resolve(durability.name()), durability, 6, durability.ordinal());
        }
    }

    @Tag("slow")
    @Test
    void everyAcknowledgedWriteSurvivesManyKills(@TempDir final Path tmp) throws Exception
    {
        for (final Durability durability : Durability.values())
        {
            campaign(tmp.resolve(durability.name()), durability, 60, 100 + durability.ordinal());
        }
    }

    private static void campaign(final Path tmp, final Durability durability, final int kills, final long seed)
        throws Exception
    {
        Files.createDirectories(tmp);
        final Path dir = tmp.resolve("store");
        final Path journal = tmp.resolve("journal.txt");
        Files.createFile(journal);
        final SplittableRandom random = new SplittableRandom(seed);
        final Map<String, String> model = new HashMap<>();
        final List<String> violations = new ArrayList<>();
        int read = 0;
        long replayed = 0;
        long acknowledged = 0;
        int sameKernel = 0;
        long segmentsNotScanned = 0;
        for (int round = 0; round < kills; round++)
        {
            final Path stderr = tmp.resolve("child.stderr");
            ChildJvm.startAndKill(SegmentStoreCrashChild.class, stderr, "round " + round, 150 + random.nextInt(900), dir.toString(),
                Long.toString(seed * 1000 + round), journal.toString(), durability.name());
            final String childErrors = Files.readString(stderr, StandardCharsets.UTF_8);
            if (childErrors.contains(SegmentStoreCrashChild.COMPACTION_FAILED))
            {
                violations.add(durability + " round " + round + ": " + childErrors);
            }
            final List<String> lines = Files.readAllLines(journal, StandardCharsets.US_ASCII);
            String[] inFlight = null;
            for (int i = read; i < lines.size(); i++)
            {
                final String[] parts = lines.get(i).split(" ");
                if (parts.length < 3 || (parts[1].equals("P") && parts.length < 4))
                {
                    break; // a line cut by the kill: its operation had not started
                }
                if (parts[0].equals("I"))
                {
                    inFlight = parts;
                }
                else
                {
                    apply(model, parts);
                    acknowledged++;
                    inFlight = null;
                }
            }
            read = lines.size();
            try (SegmentStore store = SegmentStore.open(dir, durability, Duration.ofMillis(20), false))
            {
                final SegmentRecovery.Report report = store.recoveryReport();
                replayed += report.puts + report.removes;
                if (!report.scanned)
                {
                    // killed under the running kernel: only the segments the writer was changing are scanned
                    sameKernel++;
                    segmentsNotScanned += store.segments().segmentCount() - report.segmentsScanned;
                }
                final UnsafeBuffer out = new UnsafeBuffer(new byte[SegmentStoreTest.PARAMS.maxValueLength]);
                final String flightKey = null == inFlight ? null : inFlight[2];
                for (int k = 0; k < SegmentStoreCrashChild.KEYS; k++)
                {
                    final String key = "k" + k;
                    final int length = store.get(SegmentStoreTest.bytes(key), 0, key.length(), out, 0);
                    final String value = length < 0 ? null : out.getStringWithoutLengthAscii(0, length);
                    final String expected = model.get(key);
                    if (key.equals(flightKey))
                    {
                        final String applied = inFlight[1].equals("P") ? inFlight[3] : null;
                        if (!java.util.Objects.equals(value, expected) && !java.util.Objects.equals(value, applied))
                        {
                            violations.add(durability + " round " + round + ": " + key + " (in flight) reads " + value +
                                ", expected " + expected + " or " + applied);
                        }
                        if (null == value)
                        {
                            model.remove(key);
                        }
                        else
                        {
                            model.put(key, value);
                        }
                    }
                    else if (!java.util.Objects.equals(value, expected))
                    {
                        violations.add(durability + " round " + round + ": " + key + " reads " + value + ", expected " +
                            expected);
                    }
                }
                assertEquals(model.size(), store.entryCount(), durability + " round " + round + " entry count");
                final SegmentSet set = store.segments();
                for (int s = 0; s < set.segmentCount(); s++)
                {
                    final List<String> problems = SegmentVerifier.verify(set.segment(s));
                    if (!problems.isEmpty())
                    {
                        violations.add(durability + " round " + round + ": segment " + s + ": " + problems);
                    }
                }
            }
            assertEquals(List.of(), violations);
        }
        System.out.println("v2 crash campaign " + durability + ": " + kills + " kills, " + acknowledged +
            " acknowledged operations, " + replayed + " log records replayed, " + model.size() + " entries at the end, " +
            sameKernel + " recoveries trusted the page cache (" + segmentsNotScanned + " segments not scanned)");
        if (null != WriterIdentity.bootId())
        {
            assertTrue(sameKernel > 0, "no recovery after a kill trusted the page cache");
        }
        if (durability != Durability.NONE)
        {
            assertTrue(replayed > 0, "the kills left log records to replay");
        }
    }

    private static void apply(final Map<String, String> model, final String[] parts)
    {
        if (parts[1].equals("P"))
        {
            model.put(parts[2], parts[3]);
        }
        else
        {
            model.remove(parts[2]);
        }
    }
}
