package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Engine v2's table level, the {@link SegmentSet} (segment files with their own locks, the manifest with a
 * sequence word per segment, incremental growth one segment at a time), opened for the fair benchmark's stores
 * table. Not the store: no log, no checkpoint, no facade, so no durability event of any kind; the comparison is
 * with the peers that write no log either (Chronicle Map), and the row is labelled so.
 * <p>
 * Lives in package {@code io.cubby.store} (split across the jars on the class path) because the segment set is
 * package-private.
 */
public final class SegmentSetStore implements AutoCloseable
{
    private static final int MIGRATION_STEP = 2;
    private static final long SEED = 0x5EED_CAFE_F00DL;

    private final SegmentSet set;

    private SegmentSetStore(final SegmentSet set)
    {
        this.set = set;
    }

    /**
     * Open the segment set in {@code directory}, or create it with {@code 2^segmentBits} segments sized for
     * {@code expected} entries at the target load (or of one group each, growing, if {@code expected <= 0}).
     */
    public static SegmentSetStore open(
        final Path directory, final int segmentBits, final int keyLength, final int valueLength, final long expected)
    {
        try
        {
            if (Files.exists(directory.resolve(ManifestDescriptor.FILE_NAME)))
            {
                return new SegmentSetStore(SegmentSet.open(directory, MIGRATION_STEP, true, true));
            }
            final SegmentParams params = new SegmentParams(segmentBits, keyLength, valueLength, 0, SEED,
                SegmentParams.DEFAULT_MAX_LOAD_PPM);
            final long groups = expected <= 0 ? 1 : (long)Math.ceil((double)expected / (1 << segmentBits) *
                1_000_000.0 / ((double)ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM * SegmentDescriptor.GROUP_SLOTS));
            return new SegmentSetStore(SegmentSet.create(directory, params, groups, MIGRATION_STEP, true, true));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A handle for one thread: its lookup state. */
    public Session session()
    {
        return new Session(set);
    }

    /** @return the entries held. */
    public long entryCount()
    {
        return set.entryCount();
    }

    @Override
    public void close()
    {
        set.close();
    }

    /** One thread's handle. Not thread-safe. */
    public static final class Session
    {
        private final SegmentSet set;
        private final SegmentLookup lookup = new SegmentLookup();

        private Session(final SegmentSet set)
        {
            this.set = set;
        }

        /** @return the value length copied to {@code dst}, or -1 if absent. */
        public int get(final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
            final int dstOffset)
        {
            return set.get(key, keyOffset, keyLength, dst, dstOffset, lookup);
        }

        /** Insert or replace. */
        public void put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
            final int valueOffset, final int valueLength)
        {
            try
            {
                set.put(key, keyOffset, keyLength, value, valueOffset, valueLength, 0, lookup);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
