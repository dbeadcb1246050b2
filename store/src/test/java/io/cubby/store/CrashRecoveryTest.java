package io.cubby.store;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.cubby.store.StoreTestSupport.bytes;
import static io.cubby.store.StoreTestSupport.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The crash harness: a child JVM ({@link CrashChild}) runs random operations and journals each one before
 * (intent) and after (ack) it returns; the parent kills it with SIGKILL at a random moment — often during a
 * rehash or compaction, since its tables start tiny and migrate one slot per write — then reopens the store and
 * checks that every acknowledged operation is present, the one in flight either applied or not, nothing else
 * appears, and the store verifies clean. The next round continues on the same store.
 */
class CrashRecoveryTest
{
    /** Kills of the slow campaign, spread over SYNC, ASYNC and NONE: {@code -Dcubby.crash.kills=N}. */
    private static final int SLOW_KILLS = Integer.getInteger("cubby.crash.kills", 1000);
    /** Varies the slow campaign's operation and kill-time sequences: {@code -Dcubby.crash.seed=N}. */
    private static final long SLOW_SEED = Long.getLong("cubby.crash.seed", 0) * 100;

    @Test
    void shouldKeepEveryAcknowledgedOperationAcrossKillsInSyncMode(@TempDir final Path tmp) throws Exception
    {
        campaign(tmp, Durability.SYNC, 10, 1).assertClean();
    }

    @Test
    void shouldKeepEveryCompletedOperationAcrossKillsInNoneMode(@TempDir final Path tmp) throws Exception
    {
        campaign(tmp, Durability.NONE, 8, 2).assertClean();
    }

    @Test
    void shouldKeepEveryCompletedOperationAcrossKillsInAsyncModeAndKillsDuringRecovery(@TempDir final Path tmp)
        throws Exception
    {
        campaign(tmp, Durability.ASYNC, 6, 6).assertClean();
    }

    @Test
    @Tag("slow")
    void longCampaignOfAThousandKills(@TempDir final Path tmp) throws Exception
    {
        final Tally sync = campaign(tmp.resolve("sync"), Durability.SYNC, SLOW_KILLS * 2 / 5, SLOW_SEED + 3);
        final Tally async = campaign(tmp.resolve("async"), Durability.ASYNC, SLOW_KILLS * 3 / 10, SLOW_SEED + 4);
        final Tally none = campaign(tmp.resolve("none"), Durability.NONE, SLOW_KILLS * 3 / 10, SLOW_SEED + 5);
        sync.assertClean();
        async.assertClean();
        none.assertClean();
    }

    /** What a campaign did; printed, and asserted free of violations. */
    static final class Tally
    {
        final Durability durability;
        int kills;
        int recoveryKills;
        int midRehash;
        int midCompaction;
        final List<String> violations = new ArrayList<>();

        Tally(final Durability durability)
        {
            this.durability = durability;
        }

        void assertClean()
        {
            System.out.println("crash campaign " + durability + ": " + kills + " kills during operations (" +
                midRehash + " mid-rehash, " + midCompaction + " mid-compaction), " + recoveryKills +
                " kills before recovery had finished, " + violations.size() + " violations");
            assertTrue(violations.isEmpty(), durability + ": " + violations);
        }
    }

    private static Tally campaign(final Path tmp, final Durability durability, final int kills, final long seed)
        throws Exception
    {
        Files.createDirectories(tmp);
        final Path dir = tmp.resolve("store");
        final Path journal = tmp.resolve("journal.txt");
        Files.createFile(journal);
        final SplittableRandom random = new SplittableRandom(seed);
        final Map<String, String> model = new HashMap<>();
        final Tally tally = new Tally(durability);
        for (int round = 0; round < kills; round++)
        {
            final int journalLines = Files.readAllLines(journal, StandardCharsets.US_ASCII).size();
            final Path stderr = tmp.resolve("child.stderr");
            ChildJvm.startAndKill(CrashChild.class, stderr, "round " + round, 50 + random.nextInt(400), dir.toString(),
                Long.toString(seed * 1000 + round), journal.toString(), durability.name());
            tally.kills++;
            if (Cubby.inspect(dir).rehashInProgress())
            {
                tally.midRehash++;
            }
            if (pendingIsCompaction(journal, journalLines))
            {
                tally.midCompaction++;
            }
            // Every third round, kill the next recoveries part way, several in a row, before checking.
            if (round % 3 == 2)
            {
                killDuringRecovery(dir, journal, durability, seed * 1000 + round, random, tally);
            }
            try
            {
                checkAfterKill(dir, journal, model, "round " + round + " (" + durability + ")");
            }
            catch (final AssertionError ex)
            {
                tally.violations.add(ex.getMessage());
                return tally;
            }
        }
        return tally;
    }

    private static void killDuringRecovery(
        final Path dir, final Path journal, final Durability durability, final long seed,
        final SplittableRandom random, final Tally tally) throws Exception
    {
        long openMillis = 20;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            final Path stderr = dir.resolveSibling("recover.stderr");
            final Process child = ChildJvm.builder(CrashChild.class, stderr, dir.toString(), Long.toString(seed),
                journal.toString(), durability.name(), "recover").start();
            final BufferedReader output = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            final String first = output.readLine();
            if (!"opening".equals(first))
            {
                child.destroyForcibly();
                fail("recovering child did not start: " + first + "\n" +
                    ChildJvm.report(null, stderr));
            }
            final java.util.concurrent.CompletableFuture<String> opened =
                java.util.concurrent.CompletableFuture.supplyAsync(() ->
                {
                    try
                    {
                        return output.readLine();
                    }
                    catch (final java.io.IOException ex)
                    {
                        return null;
                    }
                });
            // Somewhere in the open, scaled by how long the last complete one took.
            Thread.sleep(random.nextLong(Math.max(2, openMillis * 3 / 2)));
            final boolean finished = opened.isDone();
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            final String line = finished ? opened.get() : null;
            if (null != line && line.startsWith("opened "))
            {
                openMillis = Math.max(2, Long.parseLong(line.substring(7).trim()));
            }
            else
            {
                tally.recoveryKills++;
            }
        }
    }

    private static boolean pendingIsCompaction(final Path journal, final int from) throws Exception
    {
        final List<String> lines = Files.readAllLines(journal, StandardCharsets.US_ASCII);
        for (int i = lines.size() - 1; i >= from; i--)
        {
            final String line = lines.get(i);
            if (line.startsWith("I ") || line.startsWith("A "))
            {
                return line.startsWith("I C");
            }
        }
        return false;
    }

    /**
     * Apply the journal to the model; check the store; record the outcome of the operation in flight so the
     * journal stays an exact history for the next round.
     */
    private static void checkAfterKill(
        final Path dir, final Path journal, final Map<String, String> model, final String context) throws Exception
    {
        final List<String> lines = Files.readAllLines(journal, StandardCharsets.US_ASCII);
        String[] pending = null;
        int consumed = 0;
        for (final String line : lines)
        {
            consumed++;
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final String[] parts = line.split(" ");
            if ("I".equals(parts[0]))
            {
                pending = parts;
            }
            else if ("A".equals(parts[0]))
            {
                apply(model, parts);
                pending = null;
            }
        }
        assertEquals(lines.size(), consumed);
        try (Cubby store = Cubby.builder(dir).formatVersion(1).open())
        {
            final VerifyReport report = store.verify();
            assertTrue(report.isOk(), context + ": verify " + report.problems + "; " + store.recoveryReport());
            final Set<String> present = new HashSet<>();
            store.forEach((k, ko, kl, v, vo, vl) -> present.add(k.getStringWithoutLengthAscii(ko, kl)));
            if (null != pending && "C".equals(pending[1]))
            {
                pending = null; // a compaction changes no entry
            }
            final String pendingKey = null == pending ? null : pending[2];
            for (final String key : present)
            {
                assertTrue(model.containsKey(key) || key.equals(pendingKey),
                    context + ": key " + key + " present but never acknowledged; " + store.recoveryReport());
            }
            for (final Map.Entry<String, String> entry : model.entrySet())
            {
                final String actual = text(store.get(bytes(entry.getKey())));
                if (!entry.getKey().equals(pendingKey))
                {
                    assertEquals(entry.getValue(), actual, context + ": acknowledged value of " + entry.getKey() +
                        "; " + store.recoveryReport());
                }
            }
            String resolution = "# none in flight";
            if (null != pending)
            {
                final String actual = text(store.get(bytes(pending[2])));
                final boolean applied = "R".equals(pending[1]) ? null == actual : pending[3].equals(actual);
                final String before = model.get(pending[2]);
                assertTrue(applied || (null == before ? null == actual : before.equals(actual)),
                    context + ": in-flight " + String.join(" ", pending) + " left " + actual + " (before: " + before +
                    ")");
                if (applied)
                {
                    apply(model, pending);
                    resolution = "A" + String.join(" ", pending).substring(1);
                }
                else
                {
                    resolution = "# in-flight operation not applied";
                }
            }
            assertEquals(model.size(), store.size(), context + ": size");
            Files.writeString(journal, resolution + "\n", StandardOpenOption.APPEND);
        }
    }

    private static void apply(final Map<String, String> model, final String[] parts)
    {
        if ("C".equals(parts[1]))
        {
            return;
        }
        if ("P".equals(parts[1]))
        {
            model.put(parts[2], parts[3]);
        }
        else
        {
            model.remove(parts[2]);
        }
    }
}
