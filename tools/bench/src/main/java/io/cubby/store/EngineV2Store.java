package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Engine v2's store core, {@link SegmentStore} (segment files with their own write locks, the manifest with a
 * sequence word per segment, incremental growth one segment at a time, the version-2 log behind every write, in
 * durability {@code NONE} as the fair benchmark's Cubby), opened for the fair benchmark's stores table. Not yet
 * behind the {@code Cubby} facade, so the row is labelled a preview.
 * <p>
 * Lives in package {@code io.cubby.store} (split across the jars on the class path) because the engine is
 * package-private.
 */
public final class EngineV2Store implements AutoCloseable
{
    private static final long SEED = 0x5EED_CAFE_F00DL;

    private final SegmentStore store;

    private EngineV2Store(final SegmentStore store)
    {
        this.store = store;
    }

    /**
     * Open the store in {@code directory}, or create it with {@code 2^segmentBits} segments sized for
     * {@code expected} entries at the target load (or of one group each, growing, if {@code expected <= 0}).
     */
    public static EngineV2Store open(
        final Path directory, final int segmentBits, final int keyLength, final int valueLength, final long expected)
    {
        try
        {
            if (Files.exists(directory.resolve(ManifestDescriptor.FILE_NAME)))
            {
                return new EngineV2Store(SegmentStore.open(directory, Durability.NONE, Duration.ofMillis(100), false));
            }
            final SegmentParams params = new SegmentParams(segmentBits, keyLength, valueLength, 0, SEED,
                SegmentParams.DEFAULT_MAX_LOAD_PPM);
            final long groups = expected <= 0 ? 1 : (long)Math.ceil((double)expected / (1 << segmentBits) *
                1_000_000.0 / ((double)ManifestDescriptor.DEFAULT_TARGET_LOAD_PPM * SegmentDescriptor.GROUP_SLOTS));
            return new EngineV2Store(SegmentStore.create(directory, params, groups, SegmentStore.DEFAULT_LOG_CAPACITY,
                Durability.NONE, Duration.ofMillis(100)));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return the entries held. */
    public long entryCount()
    {
        return store.entryCount();
    }

    /** @return the value length copied to {@code dst}, or -1 if absent. */
    public int get(final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        return store.get(key, keyOffset, keyLength, dst, dstOffset);
    }

    /** Insert or replace. */
    public void put(final DirectBuffer key, final int keyOffset, final int keyLength, final DirectBuffer value,
        final int valueOffset, final int valueLength)
    {
        try
        {
            store.put(key, keyOffset, keyLength, value, valueOffset, valueLength);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close()
    {
        try
        {
            store.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
