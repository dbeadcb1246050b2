package io.cubby.store;

import static io.cubby.store.ManifestDescriptor.CREATED_OFFSET;
import static io.cubby.store.ManifestDescriptor.EARLY_LOAD_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_CURRENT_GENERATION_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_CURRENT_GROUP_COUNT_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_LENGTH;
import static io.cubby.store.ManifestDescriptor.ENTRY_LENGTH_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_RESERVED_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_SEQUENCE_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_SOURCE_GENERATION_OFFSET;
import static io.cubby.store.ManifestDescriptor.ENTRY_SOURCE_GROUP_COUNT_OFFSET;
import static io.cubby.store.ManifestDescriptor.FLAGS_OFFSET;
import static io.cubby.store.ManifestDescriptor.HASH_ALGORITHM_OFFSET;
import static io.cubby.store.ManifestDescriptor.HASH_SEED_OFFSET;
import static io.cubby.store.ManifestDescriptor.HEADER_CHECKSUM_OFFSET;
import static io.cubby.store.ManifestDescriptor.HEADER_LENGTH;
import static io.cubby.store.ManifestDescriptor.HEADER_LENGTH_OFFSET;
import static io.cubby.store.ManifestDescriptor.MAGIC;
import static io.cubby.store.ManifestDescriptor.MAGIC_OFFSET;
import static io.cubby.store.ManifestDescriptor.MAX_KEY_LENGTH_OFFSET;
import static io.cubby.store.ManifestDescriptor.MAX_LOAD_OFFSET;
import static io.cubby.store.ManifestDescriptor.MAX_VALUE_LENGTH_OFFSET;
import static io.cubby.store.ManifestDescriptor.NEXT_SEGMENT_OFFSET;
import static io.cubby.store.ManifestDescriptor.OPEN_STATE_OFFSET;
import static io.cubby.store.ManifestDescriptor.READ_VERSION_OFFSET;
import static io.cubby.store.ManifestDescriptor.RESERVED_1_LENGTH;
import static io.cubby.store.ManifestDescriptor.RESERVED_1_OFFSET;
import static io.cubby.store.ManifestDescriptor.SEGMENT_BITS_OFFSET;
import static io.cubby.store.ManifestDescriptor.TARGET_LOAD_OFFSET;
import static io.cubby.store.ManifestDescriptor.UPGRADE_CURSOR_OFFSET;
import static io.cubby.store.ManifestDescriptor.MAX_ENTRIES_OFFSET;
import static io.cubby.store.ManifestDescriptor.UPGRADE_SOURCE_OFFSET;
import static io.cubby.store.ManifestDescriptor.WRITER_EPOCH_OFFSET;
import static io.cubby.store.ManifestDescriptor.WRITE_VERSION_OFFSET;
import static io.cubby.store.ManifestDescriptor.entryOffset;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The mapped store manifest: creation parameters, and per segment the sequence word and the live files
 * (FORMAT-v2.md section 3). Writers publish a segment's files and bracket every change to a segment with
 * {@link #beginWrite}/{@link #endWrite}; optimistic readers, in this process or (later) in others, take
 * {@link #readSequence} before and {@link #validate} after their reads.
 */
final class Manifest implements AutoCloseable
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    final Path file;
    final SegmentParams params;
    final int targetLoadPpm;
    final int earlyLoadPpm;
    final int segmentCount;
    final int writeVersion;

    private final FileChannel channel;
    /** The file's identity when mapped, to tell another process's replacement ({@link #changedFile}). */
    private final Object fileKey;
    private final MappedByteBuffer mapping;
    private final UnsafeBuffer buffer;
    private final boolean readOnly;
    /**
     * Per segment, whether its sequence word was odd when this writable manifest was opened (a writer died inside
     * the segment's bracket) and stays odd until {@link #releaseHeldSequences}: recovery's brackets keep it odd, so
     * that no reader validates a read of the segment before recovery has repaired it. Null when none is held.
     */
    private volatile boolean[] held;

    private Manifest(final Path file, final Object fileKey, final FileChannel channel, final boolean readOnly,
        final SegmentParams params, final int targetLoadPpm, final int earlyLoadPpm, final int writeVersion)
        throws IOException
    {
        this.file = file;
        this.channel = channel;
        this.fileKey = fileKey;
        this.readOnly = readOnly;
        this.params = params;
        this.targetLoadPpm = targetLoadPpm;
        this.earlyLoadPpm = earlyLoadPpm;
        this.segmentCount = 1 << params.segmentBits;
        this.writeVersion = writeVersion;
        mapping = channel.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0,
            ManifestDescriptor.fileLength(params.segmentBits));
        buffer = new UnsafeBuffer(mapping);
    }

    /**
     * Create the manifest with every segment at generation 1 of {@code groupCount} groups: written under a
     * temporary name, magic last, then renamed into place.
     */
    static Manifest create(final Path directory, final SegmentParams params, final int targetLoadPpm,
        final int earlyLoadPpm, final long groupCount) throws IOException
    {
        if (targetLoadPpm < ManifestDescriptor.MIN_TARGET_LOAD_PPM || targetLoadPpm > params.maxLoadPpm ||
            earlyLoadPpm < targetLoadPpm || earlyLoadPpm > params.maxLoadPpm)
        {
            throw new IllegalArgumentException("loads must satisfy " + ManifestDescriptor.MIN_TARGET_LOAD_PPM +
                " <= target " + targetLoadPpm + " <= early " + earlyLoadPpm + " <= max " + params.maxLoadPpm);
        }
        final Path file = directory.resolve(ManifestDescriptor.FILE_NAME);
        final Path prepared = file.resolveSibling(ManifestDescriptor.FILE_NAME + SegmentDescriptor.PREPARED_SUFFIX);
        final int length = (int)ManifestDescriptor.fileLength(params.segmentBits);
        final UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocate(length).order(LE));
        b.putInt(READ_VERSION_OFFSET, ManifestDescriptor.READ_VERSION, LE);
        b.putInt(WRITE_VERSION_OFFSET, ManifestDescriptor.WRITE_VERSION, LE);
        b.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH, LE);
        b.putInt(SEGMENT_BITS_OFFSET, params.segmentBits, LE);
        b.putInt(ENTRY_LENGTH_OFFSET, ENTRY_LENGTH, LE);
        b.putInt(FLAGS_OFFSET, params.flags, LE);
        b.putLong(HASH_SEED_OFFSET, params.seed, LE);
        b.putInt(MAX_KEY_LENGTH_OFFSET, params.maxKeyLength, LE);
        b.putInt(MAX_VALUE_LENGTH_OFFSET, params.maxValueLength, LE);
        b.putInt(HASH_ALGORITHM_OFFSET, SegmentDescriptor.HASH_ALGORITHM_XXH3, LE);
        b.putInt(MAX_LOAD_OFFSET, params.maxLoadPpm, LE);
        b.putInt(TARGET_LOAD_OFFSET, targetLoadPpm, LE);
        b.putInt(EARLY_LOAD_OFFSET, earlyLoadPpm, LE);
        b.putLong(CREATED_OFFSET, System.currentTimeMillis(), LE);
        b.putInt(HEADER_CHECKSUM_OFFSET, checksum(b), LE);
        b.putInt(OPEN_STATE_OFFSET, ManifestDescriptor.OPEN_STATE_OPEN, LE);
        b.putLong(WRITER_EPOCH_OFFSET, 1, LE);
        for (int s = 0; s < 1 << params.segmentBits; s++)
        {
            b.putLong(entryOffset(s) + ENTRY_CURRENT_GENERATION_OFFSET, 1, LE);
            b.putLong(entryOffset(s) + ENTRY_CURRENT_GROUP_COUNT_OFFSET, groupCount, LE);
        }
        Files.deleteIfExists(prepared);
        try (FileChannel channel = FileChannel.open(prepared, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            SegmentHeader.writeFully(channel, b.byteBuffer().duplicate().clear().position(READ_VERSION_OFFSET),
                READ_VERSION_OFFSET);
            channel.force(true);
            CrashPoints.Hook.reached("v2.manifest-create.fields-written");
            SegmentHeader.writeFully(channel, ByteBuffer.allocate(Long.BYTES).order(LE).putLong(0, MAGIC),
                MAGIC_OFFSET);
            channel.force(true);
            CrashPoints.Hook.reached("v2.manifest-create.magic-written");
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(prepared);
            throw ex;
        }
        Files.move(prepared, file, StandardCopyOption.ATOMIC_MOVE);
        Storage.syncDirectory(directory);
        CrashPoints.Hook.reached("v2.manifest-create.renamed");
        return open(directory, false);
    }

    /**
     * Open and validate the manifest of a store directory.
     *
     * @throws NotAStoreException         if there is no manifest or it lacks the magic.
     * @throws IncompatibleStoreException if its read version is too new.
     * @throws CorruptStoreException      if any field is out of range.
     */
    static Manifest open(final Path directory, final boolean readOnly) throws IOException
    {
        final Path file = directory.resolve(ManifestDescriptor.FILE_NAME);
        final Object fileKey = Storage.requireRegularFile(file);
        final FileChannel channel;
        try
        {
            channel = readOnly ? FileChannel.open(file, StandardOpenOption.READ) :
                FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final NoSuchFileException ex)
        {
            throw new NotAStoreException("no manifest in " + directory, ex);
        }
        try
        {
            final long length = channel.size();
            final String name = ManifestDescriptor.FILE_NAME;
            if (length < HEADER_LENGTH)
            {
                throw new NotAStoreException(name + " is not a Cubby manifest: only " + length + " bytes");
            }
            final ByteBuffer bytes = ByteBuffer.allocate(HEADER_LENGTH).order(LE);
            while (bytes.hasRemaining())
            {
                if (channel.read(bytes, bytes.position()) < 0)
                {
                    throw new CorruptStoreException(name + ": unexpected end of file");
                }
            }
            final UnsafeBuffer h = new UnsafeBuffer(bytes);
            if (h.getLong(MAGIC_OFFSET, LE) != MAGIC)
            {
                throw new NotAStoreException(name + " is not a Cubby manifest (magic 0x" +
                    Long.toHexString(h.getLong(MAGIC_OFFSET, LE)) + ")");
            }
            if (h.getInt(HEADER_CHECKSUM_OFFSET, LE) != checksum(h))
            {
                throw new CorruptStoreException(name + ": header checksum mismatch");
            }
            final int readVersion = h.getInt(READ_VERSION_OFFSET, LE);
            final int writeVersion = h.getInt(WRITE_VERSION_OFFSET, LE);
            if (readVersion > ManifestDescriptor.READ_VERSION)
            {
                throw new IncompatibleStoreException(name + " needs format version " + readVersion +
                    " to read; this Cubby reads versions up to " + ManifestDescriptor.READ_VERSION);
            }
            check(readVersion == ManifestDescriptor.READ_VERSION && writeVersion >= readVersion, "read version",
                readVersion);
            if (!readOnly && writeVersion > ManifestDescriptor.WRITE_VERSION)
            {
                throw new IncompatibleStoreException(name + " has write version " + writeVersion +
                    "; this Cubby can open it read-only only");
            }
            check(h.getInt(HEADER_LENGTH_OFFSET, LE) == HEADER_LENGTH, "header length",
                h.getInt(HEADER_LENGTH_OFFSET, LE));
            check(h.getInt(ENTRY_LENGTH_OFFSET, LE) == ENTRY_LENGTH, "entry length", h.getInt(ENTRY_LENGTH_OFFSET, LE));
            check(h.getInt(HASH_ALGORITHM_OFFSET, LE) == SegmentDescriptor.HASH_ALGORITHM_XXH3, "hash algorithm",
                h.getInt(HASH_ALGORITHM_OFFSET, LE));
            for (int i = 0; i < RESERVED_1_LENGTH; i += Integer.BYTES)
            {
                check(h.getInt(RESERVED_1_OFFSET + i, LE) == 0, "reserved", h.getInt(RESERVED_1_OFFSET + i, LE));
            }
            final SegmentParams params;
            try
            {
                params = new SegmentParams(h.getInt(SEGMENT_BITS_OFFSET, LE), h.getInt(MAX_KEY_LENGTH_OFFSET, LE),
                    h.getInt(MAX_VALUE_LENGTH_OFFSET, LE), h.getInt(FLAGS_OFFSET, LE), h.getLong(HASH_SEED_OFFSET, LE),
                    h.getInt(MAX_LOAD_OFFSET, LE));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CorruptStoreException(name + ": " + ex.getMessage(), ex);
            }
            final int target = h.getInt(TARGET_LOAD_OFFSET, LE);
            final int early = h.getInt(EARLY_LOAD_OFFSET, LE);
            check(target >= ManifestDescriptor.MIN_TARGET_LOAD_PPM && target <= params.maxLoadPpm, "target load",
                target);
            check(early >= target && early <= params.maxLoadPpm, "early load", early);
            final long expected = ManifestDescriptor.fileLength(params.segmentBits);
            if (length != expected)
            {
                throw new CorruptStoreException(name + " has length " + length + ", expected " + expected + " for " +
                    (1 << params.segmentBits) + " segments");
            }
            check(h.getInt(NEXT_SEGMENT_OFFSET, LE) >= 0 && h.getInt(NEXT_SEGMENT_OFFSET, LE) < 1 << params.segmentBits,
                "next segment", h.getInt(NEXT_SEGMENT_OFFSET, LE));
            final Manifest manifest = new Manifest(file, fileKey, channel, readOnly, params, target, early,
                writeVersion);
            check(manifest.maxEntries() >= 0 && manifest.maxEntries() <= ManifestDescriptor.MAX_MAX_ENTRIES,
                "max entries", manifest.maxEntries());
            manifest.validateEntries();
            if (!readOnly)
            {
                manifest.holdOddSequences();
            }
            return manifest;
        }
        catch (final IOException | RuntimeException ex)
        {
            try
            {
                channel.close();
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    private void validateEntries()
    {
        final long maxGroups = SegmentDescriptor.maxGroupCount(params.slotLength);
        for (int s = 0; s < segmentCount; s++)
        {
            final long current = currentGeneration(s);
            final long source = sourceGeneration(s);
            check(current >= 1, "segment " + s + " current generation", current);
            check(source >= 0 && source < current, "segment " + s + " source generation", source);
            check(currentGroupCount(s) >= 1 && currentGroupCount(s) <= maxGroups, "segment " + s + " group count",
                currentGroupCount(s));
            check(source == 0 || sourceGroupCount(s) >= 1 && sourceGroupCount(s) <= maxGroups,
                "segment " + s + " source group count", sourceGroupCount(s));
        }
    }

    private static int checksum(final DirectBuffer header)
    {
        final byte[] bytes = new byte[HEADER_CHECKSUM_OFFSET];
        header.getBytes(0, bytes);
        new UnsafeBuffer(bytes).putLong(MAGIC_OFFSET, MAGIC, LE);
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int)crc.getValue();
    }

    private static void check(final boolean ok, final String field, final long value)
    {
        if (!ok)
        {
            throw new CorruptStoreException(ManifestDescriptor.FILE_NAME + ": field '" + field +
                "' has invalid value " + value);
        }
    }

    // Sequence words (FORMAT-v2.md section 3.2).

    /**
     * Writer: make the segment's sequence odd before changing the segment. Only the segment's lock holder calls
     * this. A held word (a dead writer's, {@link #held}) moves on by 2 and stays odd: a read begun against its old
     * value fails validation, and one begun now waits for a writer holding the lock.
     */
    void beginWrite(final int segment)
    {
        final int offset = entryOffset(segment) + ENTRY_SEQUENCE_OFFSET;
        final boolean[] held = this.held;
        buffer.putLongVolatile(offset, buffer.getLong(offset) + (null != held && held[segment] ? 2 : 1));
    }

    /**
     * Writer: make the sequence even again once every change is stored; a held word stays odd.
     */
    void endWrite(final int segment)
    {
        final boolean[] held = this.held;
        if (null != held && held[segment])
        {
            return;
        }
        final int offset = entryOffset(segment) + ENTRY_SEQUENCE_OFFSET;
        buffer.putLongRelease(offset, buffer.getLong(offset) + 1);
    }

    /**
     * Reader: the sequence to validate against later; odd means a write is in progress.
     */
    long readSequence(final int segment)
    {
        return buffer.getLongAcquire(entryOffset(segment) + ENTRY_SEQUENCE_OFFSET);
    }

    /**
     * Reader: whether nothing changed the segment since {@link #readSequence} returned {@code sequence}.
     */
    boolean validate(final int segment, final long sequence)
    {
        VarHandle.loadLoadFence();
        return (sequence & 1) == 0 && buffer.getLongVolatile(entryOffset(segment) + ENTRY_SEQUENCE_OFFSET) == sequence;
    }

    /**
     * Publish a segment's files; inside the segment's write bracket.
     */
    void publish(final int segment, final long currentGeneration, final long currentGroupCount,
        final long sourceGeneration, final long sourceGroupCount)
    {
        final int e = entryOffset(segment);
        buffer.putLong(e + ENTRY_CURRENT_GENERATION_OFFSET, currentGeneration, LE);
        buffer.putLong(e + ENTRY_CURRENT_GROUP_COUNT_OFFSET, currentGroupCount, LE);
        // a source's count before its generation, and a generation of 0 before the count: a kill between the two
        // leaves the count with Source Generation 0, which readers ignore (sourceGroupCount), never a source
        // generation without its count
        if (0 != sourceGeneration)
        {
            buffer.putLong(e + ENTRY_SOURCE_GROUP_COUNT_OFFSET, sourceGroupCount, LE);
            buffer.putLong(e + ENTRY_SOURCE_GENERATION_OFFSET, sourceGeneration, LE);
        }
        else
        {
            buffer.putLong(e + ENTRY_SOURCE_GENERATION_OFFSET, 0, LE);
            buffer.putLong(e + ENTRY_SOURCE_GROUP_COUNT_OFFSET, 0, LE);
        }
        buffer.putLong(e + ENTRY_RESERVED_OFFSET, 0, LE);
    }

    /**
     * Writable open: hold every odd sequence word (a writer died inside that segment's bracket) odd through this
     * manifest's brackets, until {@link #releaseHeldSequences}.
     */
    private void holdOddSequences()
    {
        boolean[] odd = null;
        for (int s = 0; s < segmentCount; s++)
        {
            if ((buffer.getLong(entryOffset(s) + ENTRY_SEQUENCE_OFFSET) & 1) != 0)
            {
                if (null == odd)
                {
                    odd = new boolean[segmentCount];
                }
                odd[s] = true;
            }
        }
        held = odd;
    }

    /**
     * Recovery, once every held segment is repaired (or a clean open, which has nothing to repair): make each held
     * odd sequence the next even value, never decreasing it, and end the hold.
     */
    void releaseHeldSequences()
    {
        final boolean[] odd = held;
        if (null == odd)
        {
            return;
        }
        for (int s = 0; s < segmentCount; s++)
        {
            final int offset = entryOffset(s) + ENTRY_SEQUENCE_OFFSET;
            final long sequence = buffer.getLong(offset);
            if (odd[s] && (sequence & 1) != 0)
            {
                buffer.putLongRelease(offset, sequence + 1);
            }
        }
        held = null;
    }

    long currentGeneration(final int segment)
    {
        return buffer.getLong(entryOffset(segment) + ENTRY_CURRENT_GENERATION_OFFSET, LE);
    }

    long sourceGeneration(final int segment)
    {
        return buffer.getLong(entryOffset(segment) + ENTRY_SOURCE_GENERATION_OFFSET, LE);
    }

    long currentGroupCount(final int segment)
    {
        return buffer.getLong(entryOffset(segment) + ENTRY_CURRENT_GROUP_COUNT_OFFSET, LE);
    }

    /**
     * The source's group count, 0 when there is no source: with Source Generation 0 the stored field is ignored,
     * since a writer killed between the two stores of a rehash end leaves the count behind (FORMAT-v2.md 3.1).
     */
    long sourceGroupCount(final int segment)
    {
        return 0 == sourceGeneration(segment) ? 0 :
            buffer.getLong(entryOffset(segment) + ENTRY_SOURCE_GROUP_COUNT_OFFSET, LE);
    }

    /** The entry bound the store keeps ({@code Builder.maxEntries}), 0 for none. */
    long maxEntries()
    {
        return buffer.getLong(MAX_ENTRIES_OFFSET, LE);
    }

    /** Store a new entry bound; the caller forces the manifest. */
    void maxEntries(final long bound)
    {
        buffer.putLong(MAX_ENTRIES_OFFSET, bound, LE);
    }

    long writerEpoch()
    {
        return buffer.getLong(WRITER_EPOCH_OFFSET, LE);
    }

    /**
     * A writable open: increment Writer Epoch and mark the store open, forced before anything else is written.
     */
    void markOpen()
    {
        buffer.putLong(WRITER_EPOCH_OFFSET, writerEpoch() + 1, LE);
        buffer.putInt(OPEN_STATE_OFFSET, ManifestDescriptor.OPEN_STATE_OPEN, LE);
        clearWriterIdentity();
        force();
    }

    /**
     * The Writer Identity recorded by the last writer once its files were consistent ({@link WriterIdentity}), or
     * null if none is recorded.
     */
    byte[] writerIdentity()
    {
        final byte[] identity = new byte[ManifestDescriptor.WRITER_IDENTITY_LENGTH];
        buffer.getBytes(ManifestDescriptor.WRITER_IDENTITY_OFFSET, identity);
        for (final byte b : identity)
        {
            if (0 != b)
            {
                return identity;
            }
        }
        return null;
    }

    /**
     * Record the Writer Identity: the files are consistent now, and every later change goes to this kernel's page
     * cache. Not forced: after a restart of the kernel it cannot match, so only its presence in the page cache
     * counts.
     */
    void writeWriterIdentity(final byte[] identity)
    {
        buffer.putBytes(ManifestDescriptor.WRITER_IDENTITY_OFFSET, identity);
    }

    /** Forget the Writer Identity: a recovery that may leave the files inconsistent if it is interrupted. */
    private void clearWriterIdentity()
    {
        buffer.setMemory(ManifestDescriptor.WRITER_IDENTITY_OFFSET, ManifestDescriptor.WRITER_IDENTITY_LENGTH,
            (byte)0);
    }

    void markClosed()
    {
        buffer.putInt(OPEN_STATE_OFFSET, ManifestDescriptor.OPEN_STATE_CLOSED, LE);
        force();
    }

    int openState()
    {
        return buffer.getInt(OPEN_STATE_OFFSET, LE);
    }

    int nextSegment()
    {
        return buffer.getInt(NEXT_SEGMENT_OFFSET, LE);
    }

    void nextSegment(final int segment)
    {
        buffer.putInt(NEXT_SEGMENT_OFFSET, segment, LE);
    }

    long upgradeSource()
    {
        return buffer.getLong(UPGRADE_SOURCE_OFFSET, LE);
    }

    long upgradeCursor()
    {
        return buffer.getLong(UPGRADE_CURSOR_OFFSET, LE);
    }

    void force()
    {
        if (!readOnly)
        {
            mapping.force();
        }
    }

    /** What another process did to the manifest file (truncated, replaced, deleted), or null. */
    String changedFile()
    {
        return Storage.changedFile(file, fileKey, mapping.capacity());
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // the mapping stays valid
        }
    }
}
