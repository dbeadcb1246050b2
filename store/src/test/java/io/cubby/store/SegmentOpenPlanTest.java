package io.cubby.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segment files resolved from their headers (FORMAT-v2.md 8.5 step 1), in pairs: what recovery resolves and
 * finishes, what it refuses without changing a byte.
 */
class SegmentOpenPlanTest
{
    private static final SegmentParams PARAMS = new SegmentParams(1, 16, 24, 0, 0xFEEDL, 937_500);
    private static final int KEYS = 60;

    private final UnsafeBuffer key = new UnsafeBuffer(new byte[16]);
    private final UnsafeBuffer value = new UnsafeBuffer(new byte[24]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[24]);
    private final SegmentLookup lookup = new SegmentLookup();

    private void populate(final Path dir) throws IOException
    {
        try (SegmentSet set = SegmentSet.create(dir, PARAMS, 8, 1, false);
            SegmentLogWriter writer = SegmentLogWriter.create(dir.resolve("wal.log"), PARAMS, 1 << 16, 3, 1))
        {
            for (int k = 0; k < KEYS; k++)
            {
                key.putLong(0, k);
                final byte[] v = ("v" + k).getBytes(StandardCharsets.US_ASCII);
                value.putBytes(0, v);
                writer.appendPut(key, 0, 8, value, 0, v.length, 0);
                set.put(key, 0, 8, value, 0, v.length, 0, lookup);
            }
        }
    }

    private void assertAllKeys(final SegmentSet set)
    {
        assertEquals(KEYS, set.entryCount());
        for (int k = 0; k < KEYS; k++)
        {
            key.putLong(0, k);
            final int length = set.get(key, 0, 8, out, 0, lookup);
            final byte[] actual = new byte[Math.max(0, length)];
            out.getBytes(0, actual);
            assertArrayEquals(("v" + k).getBytes(StandardCharsets.US_ASCII), actual, "key " + k);
        }
        for (int s = 0; s < set.segmentCount(); s++)
        {
            assertEquals(java.util.List.of(), SegmentVerifier.verify(set.segment(s)), "segment " + s);
        }
    }

    /** A target created but never published (no manifest entry names it): a rehash that has just begun. */
    @Test
    void anUnpublishedRehashTargetResolvesAsARehashJustBegun(@TempDir final Path dir) throws IOException
    {
        populate(dir);
        SegmentFile.create(dir, PARAMS, 0, 2, 16, 1, 8, false).close();
        final SegmentRecovery.Recovered recovered =
            SegmentRecovery.recover(dir, dir.resolve("wal.log"), 1, 0, false, false);
        try (SegmentSet set = recovered.set)
        {
            assertTrue(set.segment(0).rehashing(), recovered.report.toString());
            assertEquals(2, set.manifest.currentGeneration(0), "manifest entry rewritten from the headers");
            assertEquals(1, set.manifest.sourceGeneration(0));
            assertAllKeys(set);
        }
    }

    /** An older file that nothing names (a rehash ended, its source not yet deleted) is deleted. */
    @Test
    void anOlderFileNamedByNoHeaderIsDeletedAsAnEndedSource(@TempDir final Path dir) throws IOException
    {
        populate(dir);
        // segment 1 "grew" to generation 2: its entries copied there, the old file left behind
        final Path old = dir.resolve(SegmentDescriptor.fileName(1, 1));
        try (SegmentSet set = SegmentSet.open(dir, 1, false))
        {
            final SegmentTable target = SegmentFile.create(dir, PARAMS, 1, 2, 16, 0, 0, false);
            final SegmentTable current = set.segment(1).current();
            for (int slot = current.tags.nextFull(0); slot != SegmentTable.NOT_FOUND;
                slot = current.tags.nextFull(slot + 1))
            {
                target.insertCopy(current.slotHash(slot, current.keyLength(slot)), current, slot);
            }
            target.force();
            target.close();
        }
        final SegmentRecovery.Recovered recovered =
            SegmentRecovery.recover(dir, dir.resolve("wal.log"), 1, 0, false, false);
        try (SegmentSet set = recovered.set)
        {
            assertEquals(1, recovered.report.filesDeleted, recovered.report.toString());
            assertFalse(Files.exists(old));
            assertEquals(2, set.manifest.currentGeneration(1));
            assertAllKeys(set);
        }
    }

    @Test
    void aNewestFileWithADamagedHeaderIsRefusedUnchanged(@TempDir final Path dir) throws IOException
    {
        populate(dir);
        SegmentFile.create(dir, PARAMS, 0, 2, 16, 1, 8, false).close();
        StoreFiles.putLong(dir.resolve(SegmentDescriptor.fileName(0, 2)), SegmentDescriptor.CREATED_OFFSET, 1);
        final Map<String, String> before = SegmentTornSlotTest.digests(dir);
        assertThrows(CorruptStoreException.class,
            () -> SegmentRecovery.recover(dir, dir.resolve("wal.log"), 1, 0, false, false));
        assertEquals(before, SegmentTornSlotTest.digests(dir), "a refused recovery changes no byte");
    }

    @Test
    void aMissingSourceNamedByTheNewestFileIsRefusedUnchanged(@TempDir final Path dir) throws IOException
    {
        populate(dir);
        SegmentFile.create(dir, PARAMS, 0, 3, 16, 2, 8, false).close();
        final Map<String, String> before = SegmentTornSlotTest.digests(dir);
        final CorruptStoreException refused = assertThrows(CorruptStoreException.class,
            () -> SegmentRecovery.recover(dir, dir.resolve("wal.log"), 1, 0, false, false));
        assertTrue(refused.getMessage().contains("missing"), refused.getMessage());
        assertEquals(before, SegmentTornSlotTest.digests(dir), "a refused recovery changes no byte");
    }
}
