package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.cubby.store.TableDescriptor.HEADER_CHECKSUM_OFFSET;
import static io.cubby.store.TableDescriptor.MIGRATION_CURSOR_OFFSET;
import static io.cubby.store.TableDescriptor.OPEN_STATE_OFFSET;
import static io.cubby.store.TableDescriptor.SOURCE_CAPACITY_OFFSET;
import static io.cubby.store.TableDescriptor.SOURCE_GENERATION_OFFSET;

/**
 * One table file: a validated header and a slot array mapped in windows of at most 1 GiB, each an Agrona
 * {@link UnsafeBuffer} so that every access is bounds-checked unless bounds checks are disabled. The file's
 * operations are delegated to its parts: {@link TableSlots} (slot reads and checksums), {@link TableProbe}
 * (hashing and lookup), {@link SlotWriter} (mutation), {@link WriteSequence}, {@link UndoArea} and
 * {@link TableCounters} (header state); files are created by {@link TableCreator}.
 * <p>
 * Not thread-safe: the store serialises writers and validates optimistic readers. Mappings are never unmapped
 * explicitly; they are released by the garbage collector once no reader holds the table, so a reader that raced
 * with a rehash or close can never touch unmapped memory.
 */
final class Table
{
    static final long NOT_FOUND = TableProbe.NOT_FOUND;
    /** Bytes of the header rewritten at once by {@link #clearSource()}: everything up to the Open State. */
    private static final int CLEAR_SOURCE_WRITE_LENGTH = OPEN_STATE_OFFSET;

    final Path file;
    final TableParams params;
    final long generation;
    final long capacity;
    final long sourceGeneration;
    final long sourceCapacity;
    final long created;
    final int writeVersion;
    final int slotLength;
    final int headerLength;
    final int maxKeyLength;
    final int maxValueLength;
    final int keyOffset;
    final int valueOffset;
    final boolean expiry;
    final long maxFill;

    /** From the header at open: see {@link TableHeader#counterProblem} and {@link TableHeader#stateProblem}. */
    final String counterProblem;
    final String stateProblem;

    private final Object fileKey;
    private final FileChannel channel;
    private final boolean readOnly;
    private final MappedByteBuffer headerMapping;
    private final UnsafeBuffer header;
    private final TableSlots slots;
    private final TableProbe probe;
    private final WriteSequence sequence;
    private final TableCounters counters;
    private final UndoArea undo;
    private final SlotWriter writer;

    private Table(
        final Path file,
        final FileChannel channel,
        final boolean readOnly,
        final TableHeader h) throws IOException
    {
        this.file = file;
        this.counterProblem = h.counterProblem;
        this.stateProblem = h.stateProblem;
        this.fileKey = Storage.fileKey(file);
        this.channel = channel;
        this.readOnly = readOnly;
        this.params = h.params;
        this.generation = h.generation;
        this.capacity = h.capacity;
        this.sourceGeneration = h.sourceGeneration;
        this.sourceCapacity = h.sourceCapacity;
        this.created = h.created;
        this.writeVersion = h.writeVersion;
        this.slotLength = h.slotLength;
        this.headerLength = h.headerLength;
        this.maxKeyLength = params.maxKeyLength;
        this.maxValueLength = params.maxValueLength;
        this.expiry = params.expiry;
        this.keyOffset = SlotDescriptor.keyOffset(expiry);
        this.valueOffset = SlotDescriptor.valueOffset(maxKeyLength, expiry);
        this.maxFill = Math.max(1, Math.min(capacity - 1, (long)(capacity * (params.maxLoadPpm / 1_000_000.0))));

        final FileChannel.MapMode mode = readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE;
        headerMapping = channel.map(mode, 0, headerLength);
        header = new UnsafeBuffer(headerMapping);
        slots = new TableSlots(file, channel, mode, h);
        probe = new TableProbe(file, slots, params, capacity);
        sequence = new WriteSequence(header, readOnly);
        counters = new TableCounters(header, capacity);
        undo = new UndoArea(header, slots, sequence, capacity);
        writer = new SlotWriter(slots, sequence, undo, counters);
    }

    /**
     * Open and validate an existing table file.
     */
    static Table open(final Path file, final boolean readOnly) throws IOException
    {
        Storage.requireRegularFile(file);
        final FileChannel channel;
        try
        {
            channel = readOnly ?
                FileChannel.open(file, StandardOpenOption.READ) :
                FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final NoSuchFileException ex)
        {
            throw new NotAStoreException("table file not found: " + file, ex);
        }
        try
        {
            return open(file, channel, readOnly);
        }
        catch (final IOException | RuntimeException ex)
        {
            Storage.closeQuietly(channel);
            throw ex;
        }
    }

    private static Table open(final Path file, final FileChannel channel, final boolean readOnly) throws IOException
    {
        final TableHeader h = TableHeader.read(file, channel);
        return new Table(file, channel, readOnly, h);
    }

    // ---------------------------------------------------------------- hashing and probing (TableProbe)

    long hash(final DirectBuffer key, final int offset, final int length)
    {
        return probe.hash(key, offset, length);
    }

    long homeIndex(final long hash)
    {
        return probe.homeIndex(hash);
    }

    long nextIndex(final long index, final long probe, final long hash)
    {
        return this.probe.nextIndex(index, probe, hash);
    }

    long find(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        return probe.find(hash, key, offset, length);
    }

    long findForInsert(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        return probe.findForInsert(hash, key, offset, length);
    }

    long probeLength(final long hash, final long targetIndex)
    {
        return probe.probeLength(hash, targetIndex);
    }

    // ---------------------------------------------------------------- slot access (TableSlots)

    UnsafeBuffer window(final long index)
    {
        return slots.window(index);
    }

    int slotOffset(final long index)
    {
        return slots.slotOffset(index);
    }

    int state(final long index)
    {
        return slots.state(index);
    }

    long slotHash(final long index)
    {
        return slots.slotHash(index);
    }

    int keyLength(final long index)
    {
        return slots.keyLength(index);
    }

    int valueLength(final long index)
    {
        return slots.valueLength(index);
    }

    int keyOffsetInWindow(final long index)
    {
        return slots.keyOffsetInWindow(index);
    }

    int valueOffsetInWindow(final long index)
    {
        return slots.valueOffsetInWindow(index);
    }

    boolean checksumMatches(final long index)
    {
        return slots.checksumMatches(index);
    }

    void verifyChecksum(final long index)
    {
        slots.verifyChecksum(index);
    }

    boolean slotIntact(final long index)
    {
        return slots.slotIntact(index);
    }

    long expiresAt(final long index)
    {
        return slots.expiresAt(index);
    }

    long writtenAt(final long index)
    {
        return slots.writtenAt(index);
    }

    boolean isExpired(final long index, final long nowMillis)
    {
        return slots.isExpired(index, nowMillis);
    }

    void copyKey(final long index, final MutableDirectBuffer dst, final int dstOffset, final int keyLength)
    {
        slots.copyKey(index, dst, dstOffset, keyLength);
    }

    void copyOut(
        final long index, final boolean setMode, final int length, final MutableDirectBuffer dst, final int dstOffset)
    {
        slots.copyOut(index, setMode, length, dst, dstOffset);
    }

    void copyValue(final long index, final MutableDirectBuffer dst, final int dstOffset, final int valueLength)
    {
        slots.copyValue(index, dst, dstOffset, valueLength);
    }

    boolean valueEquals(final long index, final DirectBuffer expected, final int offset, final int length)
    {
        return slots.valueEquals(index, expected, offset, length);
    }

    // ---------------------------------------------------------------- write sequence (WriteSequence)

    int writeSequence()
    {
        return sequence.writeSequence();
    }

    int writeSequenceAfterRead()
    {
        return sequence.writeSequenceAfterRead();
    }

    void markSequence(final int flag)
    {
        sequence.markSequence(flag);
    }

    void becomeSource(final boolean announce)
    {
        sequence.becomeSource(announce);
    }

    void holdWriting()
    {
        sequence.holdWriting();
    }

    // ---------------------------------------------------------------- mutation (SlotWriter)

    void insert(
        final long index,
        final long hash,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffsetInBuffer,
        final int valueLength,
        final long expiresAt,
        final long writtenAt)
    {
        writer.insert(index, hash, key, keyOffset, keyLength, value, valueOffsetInBuffer, valueLength, expiresAt,
            writtenAt);
    }

    void insertCopy(final long index, final Table source, final long sourceIndex)
    {
        writer.insertCopy(index, source.slots, sourceIndex);
    }

    void insertUndoImage(final long index, final Table from)
    {
        writer.insertUndoImage(index, from.undo);
    }

    void update(
        final long index,
        final DirectBuffer value,
        final int offset,
        final int length,
        final long expiresAt,
        final long writtenAt)
    {
        writer.update(index, value, offset, length, expiresAt, writtenAt);
    }

    void remove(final long index, final boolean countedAsEntry)
    {
        writer.remove(index, countedAsEntry);
    }

    // ---------------------------------------------------------------- undo area (UndoArea)

    long undoSlotIndex()
    {
        return undo.undoSlotIndex();
    }

    String undoImageProblem(final long index)
    {
        return undo.undoImageProblem(index);
    }

    boolean undoImageIntact()
    {
        return undo.undoImageIntact();
    }

    void restoreUndo(final long index)
    {
        undo.restoreUndo(index);
    }

    void clearUndo()
    {
        undo.clearUndo();
    }

    // ---------------------------------------------------------------- counters (TableCounters)

    long entryCount()
    {
        return counters.entryCount();
    }

    long tombstoneCount()
    {
        return counters.tombstoneCount();
    }

    void setEntryCount(final long count)
    {
        counters.setEntryCount(count);
    }

    void setTombstoneCount(final long count)
    {
        counters.setTombstoneCount(count);
    }

    void useCounts(final long entries, final long tombstones)
    {
        counters.useCounts(entries, tombstones);
    }

    long mappedEntryCount()
    {
        return counters.mappedEntryCount();
    }

    long mappedTombstoneCount()
    {
        return counters.mappedTombstoneCount();
    }

    // ---------------------------------------------------------------- header state

    /**
     * @return the stored entry bound, 0 for none.
     */
    long maxEntries()
    {
        return header.getInt(TableDescriptor.MAX_ENTRIES_OFFSET) & TableDescriptor.MAX_MAX_ENTRIES;
    }

    void setMaxEntries(final long maxEntries)
    {
        header.putInt(TableDescriptor.MAX_ENTRIES_OFFSET, (int)maxEntries);
    }

    long migrationCursor()
    {
        return header.getLong(MIGRATION_CURSOR_OFFSET);
    }

    void setMigrationCursor(final long cursor)
    {
        header.putLong(MIGRATION_CURSOR_OFFSET, cursor);
    }

    int openState()
    {
        return header.getInt(OPEN_STATE_OFFSET);
    }

    /**
     * Set Open State; marking a table open starts a writer session on its Write Sequence, marking it closed
     * ends it (§3.4).
     */
    void setOpenState(final int state)
    {
        header.putIntVolatile(OPEN_STATE_OFFSET, state);
        sequence.setSessionSequence(TableDescriptor.OPEN_STATE_OPEN == state);
    }

    /**
     * Mark a table as fully migrated: clears the source generation and rewrites the header checksum.
     */
    void clearSource()
    {
        // Built in a heap copy and written with one positional write that stays inside the first page: a process
        // kill applies a write() call within one page whole or not at all, and the mapping shares the page
        // cache, so Source Generation, Source Capacity, Header Checksum and Migration Cursor change together. As
        // separate stores into the mapping, a kill between them would leave a header failing its checksum.
        final ByteBuffer copy = ByteBuffer.allocate(CLEAR_SOURCE_WRITE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer h = new UnsafeBuffer(copy);
        h.putBytes(0, header, 0, CLEAR_SOURCE_WRITE_LENGTH);
        h.putLong(SOURCE_GENERATION_OFFSET, TableDescriptor.NO_SOURCE);
        h.putLong(SOURCE_CAPACITY_OFFSET, 0);
        h.putInt(HEADER_CHECKSUM_OFFSET, TableHeader.headerChecksum(h, TableDescriptor.MAGIC));
        h.putLong(MIGRATION_CURSOR_OFFSET, 0);
        try
        {
            Storage.writeFully(channel, copy, 0);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot mark " + file.getFileName() + " as fully migrated: " +
                ex.getMessage(), ex);
        }
    }

    long headerSourceGeneration()
    {
        return header.getLong(SOURCE_GENERATION_OFFSET);
    }

    /**
     * Migration Cursor as the mapped header holds it now.
     */
    long mappedMigrationCursor()
    {
        return header.getLong(MIGRATION_CURSOR_OFFSET);
    }

    // ---------------------------------------------------------------- durability

    /**
     * Force every mapped page of this table to disk.
     */
    void force()
    {
        if (readOnly)
        {
            return;
        }
        FileEvents.Hook.forcing(file, 0, FileEvents.WHOLE_FILE);
        slots.forceWindows();
        headerMapping.force();
        FileEvents.Hook.forced(file, 0, FileEvents.WHOLE_FILE);
    }

    void forceHeader()
    {
        if (!readOnly)
        {
            FileEvents.Hook.forcing(file, 0, headerMapping.capacity());
            headerMapping.force();
            FileEvents.Hook.forced(file, 0, headerMapping.capacity());
        }
    }

    boolean isReadOnly()
    {
        return readOnly;
    }

    long fileLength()
    {
        return TableDescriptor.fileLength(headerLength, slotLength, capacity);
    }

    /**
     * @return null while the file is as mapped, else what another process did to it.
     */
    String changedFile()
    {
        return Storage.changedFile(file, fileKey, fileLength());
    }

    void close()
    {
        Storage.closeQuietly(channel);
    }

    void delete() throws IOException
    {
        close();
        Files.deleteIfExists(file);
    }

    @Override
    public String toString()
    {
        return file.getFileName() + "[capacity=" + capacity + ", entries=" + counters.entryCount() +
            ", tombstones=" + counters.tombstoneCount() + "]";
    }
}
