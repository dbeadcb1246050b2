package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
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
import java.util.concurrent.ThreadLocalRandom;

import static io.cubby.store.SlotDescriptor.CHECKSUM_OFFSET;
import static io.cubby.store.SlotDescriptor.HASH_OFFSET;
import static io.cubby.store.SlotDescriptor.KEY_LENGTH_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_EMPTY;
import static io.cubby.store.SlotDescriptor.STATE_FULL;
import static io.cubby.store.SlotDescriptor.STATE_OFFSET;
import static io.cubby.store.SlotDescriptor.STATE_TOMBSTONE;
import static io.cubby.store.SlotDescriptor.VALUE_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.CAPACITY_OFFSET;
import static io.cubby.store.TableDescriptor.CREATED_OFFSET;
import static io.cubby.store.TableDescriptor.ENTRY_COUNT_OFFSET;
import static io.cubby.store.TableDescriptor.FLAGS_OFFSET;
import static io.cubby.store.TableDescriptor.GENERATION_OFFSET;
import static io.cubby.store.TableDescriptor.HASH_ALGORITHM_OFFSET;
import static io.cubby.store.TableDescriptor.HASH_SEED_OFFSET;
import static io.cubby.store.TableDescriptor.HEADER_CHECKSUM_OFFSET;
import static io.cubby.store.TableDescriptor.HEADER_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.MAGIC_OFFSET;
import static io.cubby.store.TableDescriptor.MAX_KEY_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.MAX_LOAD_OFFSET;
import static io.cubby.store.TableDescriptor.MAX_VALUE_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.MIGRATION_CURSOR_OFFSET;
import static io.cubby.store.TableDescriptor.NO_UNDO;
import static io.cubby.store.TableDescriptor.OPEN_STATE_OFFSET;
import static io.cubby.store.TableDescriptor.PROBING_OFFSET;
import static io.cubby.store.TableDescriptor.READ_VERSION_OFFSET;
import static io.cubby.store.TableDescriptor.SLOT_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.SOURCE_CAPACITY_OFFSET;
import static io.cubby.store.TableDescriptor.SOURCE_GENERATION_OFFSET;
import static io.cubby.store.TableDescriptor.TOMBSTONE_COUNT_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_CHECKSUM_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_IMAGE_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_SLOT_INDEX_OFFSET;
import static io.cubby.store.TableDescriptor.WRITE_SEQUENCE_OFFSET;
import static io.cubby.store.TableDescriptor.WRITE_VERSION_OFFSET;

/**
 * One table file: a validated header and a slot array mapped in windows of at most 1 GiB, each an Agrona
 * {@link UnsafeBuffer} so that every access is bounds-checked unless bounds checks are disabled.
 * <p>
 * Not thread-safe: the store serialises writers and validates optimistic readers. Mappings are never unmapped
 * explicitly; they are released by the garbage collector once no reader holds the table, so a reader that raced
 * with a rehash or close can never touch unmapped memory.
 */
final class Table
{
    static final long NOT_FOUND = -1;
    /** Bytes of the header rewritten at once by {@link #clearSource()}: everything up to the Open State. */
    private static final int CLEAR_SOURCE_WRITE_LENGTH = OPEN_STATE_OFFSET;
    private static final int MAX_WINDOW_BYTES = 1 << 30;

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
    private final long mask;
    private final int probingCode;
    private final Xxh3 hashFunction;
    private final FileChannel channel;
    private final boolean readOnly;
    private final MappedByteBuffer headerMapping;
    private final UnsafeBuffer header;
    private final MappedByteBuffer[] mappings;
    private final UnsafeBuffer[] windows;
    private final int windowShift;
    private final long windowMask;

    private long entryCount;
    private long tombstoneCount;
    /** Write Sequence value stored by the open write bracket ({@link #beginWrite}), or 0 outside one. */
    private int writeBegun;
    /** A write is held in progress across many (recovery, {@link #holdWriting}): brackets do not end it. */
    private boolean held;
    /** This table is a rehash source: its Write Sequence carries {@link TableDescriptor#SEQUENCE_SUPERSEDED}. */
    private boolean superseded;

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
        this.mask = capacity - 1;
        this.probingCode = params.probing.code();
        this.hashFunction = Xxh3.withSeed(params.seed);
        this.maxFill = Math.max(1, Math.min(capacity - 1, (long)(capacity * (params.maxLoadPpm / 1_000_000.0))));

        final FileChannel.MapMode mode = readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE;
        headerMapping = channel.map(mode, 0, headerLength);
        header = new UnsafeBuffer(headerMapping);

        long slotsPerWindow = Long.highestOneBit(Math.max(1, MAX_WINDOW_BYTES / slotLength));
        slotsPerWindow = Math.min(slotsPerWindow, capacity);
        windowShift = Long.numberOfTrailingZeros(slotsPerWindow);
        windowMask = slotsPerWindow - 1;
        final int windowCount = (int)((capacity + slotsPerWindow - 1) / slotsPerWindow);
        mappings = new MappedByteBuffer[windowCount];
        windows = new UnsafeBuffer[windowCount];
        for (int i = 0; i < windowCount; i++)
        {
            final long firstSlot = (long)i << windowShift;
            final long slots = Math.min(slotsPerWindow, capacity - firstSlot);
            mappings[i] = channel.map(mode, headerLength + firstSlot * slotLength, slots * slotLength);
            windows[i] = new UnsafeBuffer(mappings[i]);
        }
        entryCount = header.getLong(ENTRY_COUNT_OFFSET);
        tombstoneCount = header.getLong(TOMBSTONE_COUNT_OFFSET);
    }

    /**
     * Create a new table file, write its header and map it. The file is first fully allocated (zero-filled, or
     * taken from {@code prepared}), so a full disk shows here as an {@link IOException} and never later as a fault
     * on a mapped page. The header is written into a temporary file, magic last, which is then renamed into place:
     * a table file either has a complete header or does not exist.
     *
     * @param prepared a zero-filled file of exactly the table's length made by {@link #preallocate}, or null.
     * @param sparse   when no file is prepared, create a sparse file after checking the free space instead of
     *                 writing zeros: faster, but a disk filled by another process meanwhile can then fault a
     *                 mapped page.
     */
    static Table create(
        final Path file,
        final TableParams params,
        final long capacity,
        final long generation,
        final long sourceGeneration,
        final long sourceCapacity,
        final Path prepared,
        final boolean sparse) throws IOException
    {
        return create(file, params, capacity, generation, sourceGeneration, sourceCapacity, prepared, sparse,
            TableDescriptor.OPEN_STATE_OPEN);
    }

    /**
     * {@link #create(Path, TableParams, long, long, long, long, Path, boolean)} with the Open State to write: a
     * store's first table is created closed, since it holds nothing a crash before its log exists could lose.
     */
    static Table create(
        final Path file,
        final TableParams params,
        final long capacity,
        final long generation,
        final long sourceGeneration,
        final long sourceCapacity,
        final Path prepared,
        final boolean sparse,
        final int openState) throws IOException
    {
        if (!TableDescriptor.isPowerOfTwo(capacity) || capacity < TableDescriptor.MIN_CAPACITY ||
            capacity > TableDescriptor.MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be a power of two in [" +
                TableDescriptor.MIN_CAPACITY + ", " + TableDescriptor.MAX_CAPACITY + "]: " + capacity);
        }
        final long fileLength = fileLength(params, capacity);
        final int slotLength = SlotDescriptor.slotLength(params.maxKeyLength, params.maxValueLength, params.expiry);
        final int headerLength = TableDescriptor.headerLength(slotLength);
        final Path tmp = null != prepared ? prepared : preparedPath(file);
        if (null == prepared)
        {
            if (sparse)
            {
                createSparse(tmp, fileLength);
            }
            else
            {
                preallocate(tmp, fileLength);
            }
        }
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            if (channel.size() != fileLength)
            {
                throw new IOException("prepared file " + tmp + " has " + channel.size() + " bytes, expected " +
                    fileLength);
            }
            final UnsafeBuffer h = new UnsafeBuffer(ByteBuffer.allocate(UNDO_IMAGE_OFFSET).order(ByteOrder.LITTLE_ENDIAN));
            h.putInt(READ_VERSION_OFFSET, TableDescriptor.READ_VERSION);
            h.putInt(WRITE_VERSION_OFFSET, TableDescriptor.WRITE_VERSION);
            h.putInt(HEADER_LENGTH_OFFSET, headerLength);
            h.putInt(SLOT_LENGTH_OFFSET, slotLength);
            h.putInt(MAX_KEY_LENGTH_OFFSET, params.maxKeyLength);
            h.putInt(MAX_VALUE_LENGTH_OFFSET, params.maxValueLength);
            h.putLong(CAPACITY_OFFSET, capacity);
            h.putInt(PROBING_OFFSET, params.probing.code());
            h.putInt(HASH_ALGORITHM_OFFSET, TableDescriptor.HASH_ALGORITHM_XXH3);
            h.putLong(HASH_SEED_OFFSET, params.seed);
            h.putLong(GENERATION_OFFSET, generation);
            h.putLong(SOURCE_GENERATION_OFFSET, sourceGeneration);
            h.putLong(SOURCE_CAPACITY_OFFSET, sourceCapacity);
            h.putInt(MAX_LOAD_OFFSET, params.maxLoadPpm);
            h.putInt(FLAGS_OFFSET, params.flags());
            h.putLong(CREATED_OFFSET, System.currentTimeMillis());
            h.putLong(ENTRY_COUNT_OFFSET, 0);
            h.putLong(TOMBSTONE_COUNT_OFFSET, 0);
            h.putLong(MIGRATION_CURSOR_OFFSET, 0);
            h.putInt(OPEN_STATE_OFFSET, openState);
            h.putLong(UNDO_SLOT_INDEX_OFFSET, NO_UNDO);
            h.putInt(HEADER_CHECKSUM_OFFSET, TableHeader.headerChecksum(h, TableDescriptor.MAGIC));

            // Everything but the magic first, forced, then the magic: a torn header reads as "not initialised".
            CrashPoints.Hook.reached("table-create.allocated");
            final ByteBuffer body = h.byteBuffer().duplicate().clear().position(MAGIC_OFFSET + 8);
            writeFully(channel, body, MAGIC_OFFSET + 8);
            forceChannel(channel, tmp);
            CrashPoints.Hook.reached("table-create.header-written");
            final ByteBuffer magic = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, TableDescriptor.MAGIC);
            writeFully(channel, magic, MAGIC_OFFSET);
            forceChannel(channel, tmp);
            CrashPoints.Hook.reached("table-create.magic-written");
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        Storage.syncDirectory(file.getParent());
        return open(file, false);
    }

    /**
     * Length of a table file.
     */
    static long fileLength(final TableParams params, final long capacity)
    {
        final int slotLength = SlotDescriptor.slotLength(params.maxKeyLength, params.maxValueLength, params.expiry);
        return TableDescriptor.fileLength(TableDescriptor.headerLength(slotLength), slotLength, capacity);
    }

    /**
     * Temporary name of a table file while it is allocated and its header written.
     */
    static Path preparedPath(final Path tableFile)
    {
        return tableFile.resolveSibling(tableFile.getFileName() + TableDescriptor.PREPARED_SUFFIX);
    }

    /**
     * Create a sparse file of the given length after checking that the file system has room for all of it.
     */
    static void createSparse(final Path file, final long length) throws IOException
    {
        final long usable = Files.getFileStore(file.getParent()).getUsableSpace();
        if (usable < length)
        {
            throw new IOException("No space left on device: " + length + " bytes needed for " + file.getFileName() +
                ", " + usable + " usable");
        }
        Files.deleteIfExists(file);
        try (FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.allocate(1), length - 1);
        }
    }

    /**
     * Create a file of the given length whose blocks are allocated (unlike a sparse file): with {@code fallocate}
     * where the system has it (no data written, nothing in the page cache), else by writing zeros. Deletes the
     * file and throws if the disk is full.
     */
    static void preallocate(final Path file, final long length) throws IOException
    {
        Files.deleteIfExists(file);
        if (allocateBlocks(file, length))
        {
            return;
        }
        try (FileChannel channel = FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            long position = 0;
            while (position < length)
            {
                zeros.clear().limit((int)Math.min(zeros.capacity(), length - position));
                position += channel.write(zeros, position);
            }
            forceChannel(channel, file);
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(file);
            throw ex;
        }
    }

    /**
     * {@link Fallocate#allocate}, or false where it cannot be loaded (JNA missing from the class or module path).
     */
    private static boolean allocateBlocks(final Path file, final long length) throws IOException
    {
        try
        {
            return Fallocate.allocate(file, length);
        }
        catch (final LinkageError ex)
        {
            Files.deleteIfExists(file);
            return false;
        }
    }

    /**
     * Force a file written through a channel, telling the {@link FileEvents} hook.
     */
    static void forceChannel(final FileChannel channel, final Path file) throws IOException
    {
        FileEvents.Hook.forcing(file, 0, FileEvents.WHOLE_FILE);
        channel.force(true);
        FileEvents.Hook.forced(file, 0, FileEvents.WHOLE_FILE);
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
            closeQuietly(channel);
            throw ex;
        }
    }

    private static Table open(final Path file, final FileChannel channel, final boolean readOnly) throws IOException
    {
        final TableHeader h = TableHeader.read(file, channel);
        return new Table(file, channel, readOnly, h);
    }

    static void writeFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long p = position;
        while (buffer.hasRemaining())
        {
            p += channel.write(buffer, p);
        }
    }

    static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignore)
        {
            // best effort while already failing
        }
    }

    // ---------------------------------------------------------------- hashing and probing

    long hash(final DirectBuffer key, final int offset, final int length)
    {
        return Hashing.hash(hashFunction, key, offset, length);
    }

    long homeIndex(final long hash)
    {
        return hash & mask;
    }

    long nextIndex(final long index, final long probe, final long hash)
    {
        switch (probingCode)
        {
            case 2:
                return (index + probe) & mask;
            case 3:
                return (index + ((hash >>> 32) | 1)) & mask;
            default:
                return (index + 1) & mask;
        }
    }

    /**
     * Find the slot holding a key.
     *
     * @return the slot index, or {@link #NOT_FOUND}.
     */
    long find(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        long index = hash & mask;
        for (long probe = 1; probe <= capacity; probe++)
        {
            final UnsafeBuffer window = windows[(int)(index >>> windowShift)];
            final int slot = (int)((index & windowMask) * slotLength);
            final int state = window.getIntAcquire(slot + STATE_OFFSET);
            if (STATE_EMPTY == state)
            {
                return NOT_FOUND;
            }
            if (STATE_FULL == state)
            {
                if (matches(window, slot, index, hash, key, offset, length))
                {
                    return index;
                }
            }
            else
            {
                checkState(state, index);
            }
            index = nextIndex(index, probe, hash);
        }
        throw noEmptySlot();
    }

    /**
     * Find the slot holding a key, or where it would be inserted.
     *
     * @return the slot index if found, else {@code -2 - insertIndex}.
     */
    long findForInsert(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        long index = hash & mask;
        long firstTombstone = -1;
        for (long probe = 1; probe <= capacity; probe++)
        {
            final UnsafeBuffer window = windows[(int)(index >>> windowShift)];
            final int slot = (int)((index & windowMask) * slotLength);
            final int state = window.getInt(slot + STATE_OFFSET);
            if (STATE_EMPTY == state)
            {
                return -2 - (firstTombstone >= 0 ? firstTombstone : index);
            }
            if (STATE_FULL == state)
            {
                if (matches(window, slot, index, hash, key, offset, length))
                {
                    return index;
                }
            }
            else if (STATE_TOMBSTONE == state)
            {
                if (firstTombstone < 0)
                {
                    firstTombstone = index;
                }
            }
            else
            {
                checkState(state, index);
            }
            index = nextIndex(index, probe, hash);
        }
        if (firstTombstone >= 0)
        {
            return -2 - firstTombstone;
        }
        throw noEmptySlot();
    }

    /**
     * Whether a full slot crossed by a probe holds the key, validating what the probe reads so that damage is
     * reported rather than read as "another key" (which would answer "absent"): a key length out of range, the
     * key stored under another hash, or the key's hash with other key bytes or length in a slot failing its
     * checksum. All of it is in the slot's first bytes, which the probe reads anyway; the checksum is computed
     * only on an equal hash, i.e. almost only for the key looked up.
     *
     * @throws CorruptStoreException if the slot fails validation.
     */
    private boolean matches(
        final UnsafeBuffer window,
        final int slot,
        final long index,
        final long hash,
        final DirectBuffer key,
        final int offset,
        final int length)
    {
        final int slotKeyLength = window.getInt(slot + KEY_LENGTH_OFFSET);
        if (Integer.compareUnsigned(slotKeyLength, maxKeyLength) > 0)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() + " has key length " +
                slotKeyLength + " outside [0, " + maxKeyLength + "]; run `cubby verify` for a full report");
        }
        final boolean sameKey = slotKeyLength == length && equalBytes(window, slot + keyOffset, key, offset, length);
        if (window.getLong(slot + HASH_OFFSET) == hash)
        {
            if (sameKey)
            {
                return true;
            }
            if (!slotIntact(index))
            {
                throw new CorruptStoreException("slot " + index + " of " + file.getFileName() + " holds the key's " +
                    "hash but fails its checksum (damaged key or key length); run `cubby verify` for a full report");
            }
            return false;
        }
        if (sameKey)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() + " holds the key under " +
                "another hash (damaged hash); run `cubby verify` for a full report");
        }
        return false;
    }

    /**
     * Number of probes from a key's home slot to the slot it sits in, 1 for the home slot itself.
     */
    long probeLength(final long hash, final long targetIndex)
    {
        long index = hash & mask;
        for (long probe = 1; probe <= capacity; probe++)
        {
            if (index == targetIndex)
            {
                return probe;
            }
            if (STATE_EMPTY == state(index))
            {
                return -1;
            }
            index = nextIndex(index, probe, hash);
        }
        return -1;
    }

    private CorruptStoreException noEmptySlot()
    {
        return new CorruptStoreException("no empty slot reachable in " + file.getFileName() +
            ": the table is overfull or its slot states are corrupt; run `cubby verify`");
    }

    private void checkState(final int state, final long index)
    {
        if (!SlotDescriptor.isValidState(state))
        {
            throw new CorruptStoreException(
                "slot " + index + " of " + file.getFileName() + " has invalid state " + state);
        }
    }

    private static boolean equalBytes(
        final UnsafeBuffer window, final int slotKeyOffset, final DirectBuffer key, final int offset, final int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            if (window.getLong(slotKeyOffset + i) != key.getLong(offset + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (window.getByte(slotKeyOffset + i) != key.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- slot access

    UnsafeBuffer window(final long index)
    {
        return windows[(int)(index >>> windowShift)];
    }

    int slotOffset(final long index)
    {
        return (int)((index & windowMask) * slotLength);
    }

    int state(final long index)
    {
        return window(index).getIntAcquire(slotOffset(index) + STATE_OFFSET);
    }

    long slotHash(final long index)
    {
        return window(index).getLong(slotOffset(index) + HASH_OFFSET);
    }

    /**
     * Key length of a full slot, validated against the maximum.
     */
    int keyLength(final long index)
    {
        final int length = window(index).getInt(slotOffset(index) + KEY_LENGTH_OFFSET);
        if (length < 0 || length > maxKeyLength)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() +
                " has key length " + length + " outside [0, " + maxKeyLength + "]");
        }
        return length;
    }

    /**
     * Value length of a full slot, validated against the maximum.
     */
    int valueLength(final long index)
    {
        final int length = window(index).getInt(slotOffset(index) + VALUE_LENGTH_OFFSET);
        if (length < 0 || length > maxValueLength)
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() +
                " has value length " + length + " outside [0, " + maxValueLength + "]");
        }
        return length;
    }

    int keyOffsetInWindow(final long index)
    {
        return slotOffset(index) + keyOffset;
    }

    int valueOffsetInWindow(final long index)
    {
        return slotOffset(index) + valueOffset;
    }

    /**
     * Whether the checksum of a full slot matches its contents. Lengths are validated first.
     */
    boolean checksumMatches(final long index)
    {
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int stored = window.getInt(slot + CHECKSUM_OFFSET);
        return stored == computeChecksum(window, slot, keyLength(index), valueLength(index));
    }

    private int computeChecksum(
        final UnsafeBuffer window, final int slot, final int keyLength, final int valueLength)
    {
        final int length = keyOffset - HASH_OFFSET + keyLength;
        window.boundsCheck(slot + HASH_OFFSET, length);
        window.boundsCheck(slot + valueOffset, valueLength);
        final long address = window.addressOffset() + slot;
        return Hashing.slotChecksum(address + HASH_OFFSET, length, address + valueOffset, valueLength);
    }

    void verifyChecksum(final long index)
    {
        if (!checksumMatches(index))
        {
            throw new CorruptStoreException("slot " + index + " of " + file.getFileName() +
                " fails its checksum; run `cubby verify` for a full report");
        }
    }

    // ---------------------------------------------------------------- write sequence (FORMAT.md §3.4)

    /**
     * Start a write of this table's slots: the Write Sequence becomes odd before any slot byte changes (a
     * release store, then a store-store fence so no later slot store can become visible before it). Brackets do
     * not nest; every mutating method below opens and closes its own. A read-only table is never written.
     */
    private void beginWrite()
    {
        if (held)
        {
            return;
        }
        // flags come from what the writer knows, not from the stored word (a stale or damaged value)
        final int begun = (TableDescriptor.sequenceBegin(header.getInt(WRITE_SEQUENCE_OFFSET)) &
            TableDescriptor.SEQUENCE_COUNTER) | (superseded ? TableDescriptor.SEQUENCE_SUPERSEDED : 0);
        header.putIntRelease(WRITE_SEQUENCE_OFFSET, begun);
        VarHandle.storeStoreFence();
        writeBegun = begun;
    }

    /**
     * End a write: the Write Sequence becomes the next even value with release ordering, after every slot store
     * of the write. A memory store only: never forced, so never a durability event.
     */
    private void endWrite()
    {
        if (held)
        {
            return;
        }
        header.putIntRelease(WRITE_SEQUENCE_OFFSET, TableDescriptor.sequenceEnd(writeBegun));
        writeBegun = 0;
    }

    /**
     * The Write Sequence with acquire ordering, for a reader about to read slots.
     */
    int writeSequence()
    {
        return header.getIntAcquire(WRITE_SEQUENCE_OFFSET);
    }

    /**
     * The Write Sequence again after reading slots: a load-load fence keeps the slot reads before it.
     */
    int writeSequenceAfterRead()
    {
        VarHandle.loadLoadFence();
        return header.getIntVolatile(WRITE_SEQUENCE_OFFSET);
    }

    /**
     * Set a flag of the Write Sequence ({@link TableDescriptor#SEQUENCE_SUPERSEDED} when this table becomes a rehash
     * source, {@link TableDescriptor#SEQUENCE_RETIRED} when the rehash out of it completes), as a write of its
     * own, so that a reader validating this table sees a change and looks at the table set again.
     */
    void markSequence(final int flag)
    {
        if (readOnly)
        {
            return;
        }
        beginWrite();
        writeBegun |= flag;
        endWrite();
    }

    /**
     * This table has become the source of a rehash (a newer table file is in place): every later write carries
     * {@link TableDescriptor#SEQUENCE_SUPERSEDED}, and with {@code announce} the flag is stored now, before any
     * write to the source, so that a reader still taking this table for the current one looks for the newer one.
     */
    void becomeSource(final boolean announce)
    {
        superseded = true;
        if (announce)
        {
            markSequence(TableDescriptor.SEQUENCE_SUPERSEDED);
        }
    }

    /**
     * Keep the Write Sequence odd from now until the table is marked open ({@link #setOpenState}): recovery
     * (FORMAT.md §6 phase 2 and the replay) runs as one write, so readers in other processes wait for its end
     * instead of seeing keys pass through older values during the replay.
     */
    void holdWriting()
    {
        if (readOnly || held)
        {
            return;
        }
        beginWrite();
        held = true;
    }

    /**
     * Start or end a writer session on this table's Write Sequence: a random even counter at open (so values of
     * an earlier session are not met again by a reader that slept across both), keeping the SUPERSEDED flag of a
     * rehash source; 0 at a clean close, the value format version 1 readers expect in these bytes.
     */
    private void setSessionSequence(final boolean open)
    {
        held = false;
        writeBegun = 0;
        final int word;
        if (open)
        {
            int counter = ThreadLocalRandom.current().nextInt() & TableDescriptor.SEQUENCE_COUNTER &
                ~TableDescriptor.SEQUENCE_WRITING;
            if (0 == counter)
            {
                counter = 2;
            }
            word = counter | (superseded ? TableDescriptor.SEQUENCE_SUPERSEDED : 0);
        }
        else
        {
            word = 0;
        }
        header.putIntVolatile(WRITE_SEQUENCE_OFFSET, word);
    }

    // ---------------------------------------------------------------- mutation (writer holds the lock)

    /**
     * Write a new entry into an empty or tombstone slot. The body is written first and the state last, so a
     * crash part way leaves the slot as it was.
     */
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
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int previous = window.getInt(slot + STATE_OFFSET);
        beginWrite();
        try
        {
            writeBody(window, slot, hash, key, keyOffset, keyLength, value, valueOffsetInBuffer, valueLength,
                expiresAt, writtenAt);
            CrashPoints.Hook.reached("insert.body-written");
            window.putIntRelease(slot + STATE_OFFSET, STATE_FULL);
        }
        finally
        {
            endWrite();
        }
        CrashPoints.Hook.reached("insert.slot-full");
        if (STATE_TOMBSTONE == previous)
        {
            setTombstoneCount(tombstoneCount - 1);
        }
        setEntryCount(entryCount + 1);
    }

    /**
     * Copy a full slot of another table (same key and value limits) into an empty or tombstone slot.
     */
    void insertCopy(final long index, final Table source, final long sourceIndex)
    {
        final int keyLength = source.keyLength(sourceIndex);
        final int valueLength = source.valueLength(sourceIndex);
        final UnsafeBuffer from = source.window(sourceIndex);
        final int fromSlot = source.slotOffset(sourceIndex);
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int previous = window.getInt(slot + STATE_OFFSET);
        beginWrite();
        try
        {
            window.putBytes(slot + CHECKSUM_OFFSET, from, fromSlot + CHECKSUM_OFFSET,
                keyOffset - CHECKSUM_OFFSET + keyLength);
            if (valueLength > 0)
            {
                window.putBytes(slot + valueOffset, from, fromSlot + source.valueOffset, valueLength);
            }
            CrashPoints.Hook.reached("migrate.body-copied");
            window.putIntRelease(slot + STATE_OFFSET, STATE_FULL);
        }
        finally
        {
            endWrite();
        }
        CrashPoints.Hook.reached("migrate.slot-copied");
        if (STATE_TOMBSTONE == previous)
        {
            setTombstoneCount(tombstoneCount - 1);
        }
        setEntryCount(entryCount + 1);
    }

    /**
     * Copy the undo image of another table (same key and value limits, checked by {@link #undoImageProblem})
     * into an empty or tombstone slot.
     */
    void insertUndoImage(final long index, final Table from)
    {
        final UnsafeBuffer image = from.header;
        final int keyLength = image.getInt(UNDO_IMAGE_OFFSET + KEY_LENGTH_OFFSET);
        final int valueLength = image.getInt(UNDO_IMAGE_OFFSET + VALUE_LENGTH_OFFSET);
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int previous = window.getInt(slot + STATE_OFFSET);
        beginWrite();
        try
        {
            window.putBytes(slot + CHECKSUM_OFFSET, image, UNDO_IMAGE_OFFSET + CHECKSUM_OFFSET,
                keyOffset - CHECKSUM_OFFSET + keyLength);
            if (valueLength > 0)
            {
                window.putBytes(slot + valueOffset, image, UNDO_IMAGE_OFFSET + from.valueOffset, valueLength);
            }
            window.putIntRelease(slot + STATE_OFFSET, STATE_FULL);
        }
        finally
        {
            endWrite();
        }
        if (STATE_TOMBSTONE == previous)
        {
            setTombstoneCount(tombstoneCount - 1);
        }
        setEntryCount(entryCount + 1);
    }

    /**
     * Replace the value of a full slot in place. The slot image is saved to the header's undo area first, so a
     * crash part way can be rolled back by recovery.
     */
    void update(
        final long index,
        final DirectBuffer value,
        final int offset,
        final int length,
        final long expiresAt,
        final long writtenAt)
    {
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        saveUndo(index, window, slot);
        CrashPoints.Hook.reached("update.undo-saved");
        final int keyLength = keyLength(index);
        beginWrite();
        try
        {
            if (expiry)
            {
                window.putLong(slot + SlotDescriptor.EXPIRES_AT_OFFSET, expiresAt);
                window.putLong(slot + SlotDescriptor.WRITTEN_AT_OFFSET, writtenAt);
            }
            if (length > 0)
            {
                window.putBytes(slot + valueOffset, value, offset, length);
            }
            window.putInt(slot + VALUE_LENGTH_OFFSET, length);
            CrashPoints.Hook.reached("update.value-written");
            window.putInt(slot + CHECKSUM_OFFSET, computeChecksum(window, slot, keyLength, length));
        }
        finally
        {
            endWrite();
        }
        CrashPoints.Hook.reached("update.checksum-written");
        header.putLongRelease(UNDO_SLOT_INDEX_OFFSET, NO_UNDO);
        CrashPoints.Hook.reached("update.undo-cleared");
    }

    private void saveUndo(final long index, final UnsafeBuffer window, final int slot)
    {
        header.putBytes(UNDO_IMAGE_OFFSET, window, slot, slotLength);
        header.putInt(UNDO_CHECKSUM_OFFSET, Hashing.checksum(header.addressOffset() + UNDO_IMAGE_OFFSET, slotLength));
        header.putLongRelease(UNDO_SLOT_INDEX_OFFSET, index);
    }

    private void writeBody(
        final UnsafeBuffer window,
        final int slot,
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
        window.putLong(slot + HASH_OFFSET, hash);
        window.putInt(slot + KEY_LENGTH_OFFSET, keyLength);
        window.putInt(slot + VALUE_LENGTH_OFFSET, valueLength);
        if (expiry)
        {
            window.putLong(slot + SlotDescriptor.EXPIRES_AT_OFFSET, expiresAt);
            window.putLong(slot + SlotDescriptor.WRITTEN_AT_OFFSET, writtenAt);
        }
        window.putBytes(slot + this.keyOffset, key, keyOffset, keyLength);
        if (valueLength > 0)
        {
            window.putBytes(slot + valueOffset, value, valueOffsetInBuffer, valueLength);
        }
        window.putInt(slot + CHECKSUM_OFFSET, computeChecksum(window, slot, keyLength, valueLength));
    }

    /**
     * Turn a full slot into a tombstone with one aligned 4-byte store.
     */
    void remove(final long index, final boolean countedAsEntry)
    {
        beginWrite();
        window(index).putIntRelease(slotOffset(index) + STATE_OFFSET, STATE_TOMBSTONE);
        endWrite();
        setTombstoneCount(tombstoneCount + 1);
        if (countedAsEntry)
        {
            setEntryCount(entryCount - 1);
        }
    }

    // ---------------------------------------------------------------- reads into caller buffers

    /**
     * Expiry time of a full slot in epoch milliseconds, 0 for never; always 0 in a store without expiry.
     */
    long expiresAt(final long index)
    {
        return expiry ? window(index).getLong(slotOffset(index) + SlotDescriptor.EXPIRES_AT_OFFSET) : 0;
    }

    /**
     * Last write time of a full slot in epoch milliseconds; 0 in a store without expiry.
     */
    long writtenAt(final long index)
    {
        return expiry ? window(index).getLong(slotOffset(index) + SlotDescriptor.WRITTEN_AT_OFFSET) : 0;
    }

    /**
     * Whether a full slot has expired at the given time.
     */
    boolean isExpired(final long index, final long nowMillis)
    {
        if (!expiry)
        {
            return false;
        }
        final long expiresAt = window(index).getLong(slotOffset(index) + SlotDescriptor.EXPIRES_AT_OFFSET);
        return expiresAt != 0 && expiresAt <= nowMillis;
    }

    void copyKey(final long index, final MutableDirectBuffer dst, final int dstOffset, final int keyLength)
    {
        dst.putBytes(dstOffset, window(index), keyOffsetInWindow(index), keyLength);
    }

    /**
     * Copy a slot's value (its key in set mode), {@code length} bytes, into {@code dst}, which must have room for
     * it unless it is expandable.
     */
    void copyOut(
        final long index, final boolean setMode, final int length, final MutableDirectBuffer dst, final int dstOffset)
    {
        if (!dst.isExpandable() && (dstOffset < 0 || (long)dstOffset + length > dst.capacity()))
        {
            throw new IndexOutOfBoundsException("destination has " + (dst.capacity() - dstOffset) +
                " bytes from offset " + dstOffset + " but the value has " + length);
        }
        if (setMode)
        {
            copyKey(index, dst, dstOffset, length);
        }
        else
        {
            copyValue(index, dst, dstOffset, length);
        }
    }

    void copyValue(final long index, final MutableDirectBuffer dst, final int dstOffset, final int valueLength)
    {
        if (valueLength > 0)
        {
            dst.putBytes(dstOffset, window(index), valueOffsetInWindow(index), valueLength);
        }
    }

    boolean valueEquals(final long index, final DirectBuffer expected, final int offset, final int length)
    {
        return valueLength(index) == length && equalBytes(window(index), valueOffsetInWindow(index),
            expected, offset, length);
    }

    // ---------------------------------------------------------------- header state

    long entryCount()
    {
        return entryCount;
    }

    long tombstoneCount()
    {
        return tombstoneCount;
    }

    void setEntryCount(final long count)
    {
        // bounded, so that a counter damaged on disk cannot go negative or past the table (recovery recounts)
        entryCount = Math.max(0, Math.min(capacity, count));
        header.putLong(ENTRY_COUNT_OFFSET, entryCount);
    }

    void setTombstoneCount(final long count)
    {
        tombstoneCount = Math.max(0, Math.min(capacity, count));
        header.putLong(TOMBSTONE_COUNT_OFFSET, tombstoneCount);
    }

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
        setSessionSequence(TableDescriptor.OPEN_STATE_OPEN == state);
    }

    long undoSlotIndex()
    {
        return header.getLong(UNDO_SLOT_INDEX_OFFSET);
    }

    /**
     * Whether the undo area holds an image that can roll back slot {@code index}: the Undo Checksum matches, the
     * image is a full slot with valid lengths and checksum, and the slot holds the same key (an in-place update
     * never writes the hash, the key length or the key). Reads only.
     *
     * @return null if it can, else why the image is not applicable.
     */
    String undoImageProblem(final long index)
    {
        if (index < 0 || index >= capacity)
        {
            return "undo slot index " + index + " outside the table";
        }
        if (header.getInt(UNDO_CHECKSUM_OFFSET) !=
            Hashing.checksum(header.addressOffset() + UNDO_IMAGE_OFFSET, slotLength))
        {
            return "undo image checksum mismatch";
        }
        final int image = UNDO_IMAGE_OFFSET;
        final int keyLength = header.getInt(image + KEY_LENGTH_OFFSET);
        final int valueLength = header.getInt(image + VALUE_LENGTH_OFFSET);
        if (header.getInt(image + STATE_OFFSET) != STATE_FULL || keyLength < 0 || keyLength > maxKeyLength ||
            valueLength < 0 || valueLength > maxValueLength ||
            header.getInt(image + CHECKSUM_OFFSET) != computeChecksum(header, image, keyLength, valueLength))
        {
            return "undo image is not an intact full slot";
        }
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        if (window.getInt(slot + STATE_OFFSET) != STATE_FULL ||
            window.getLong(slot + HASH_OFFSET) != header.getLong(image + HASH_OFFSET) ||
            window.getInt(slot + KEY_LENGTH_OFFSET) != keyLength ||
            !equalBytes(window, slot + this.keyOffset, header, image + this.keyOffset, keyLength))
        {
            return "slot " + index + " does not hold the key of the undo image";
        }
        return null;
    }

    /**
     * Whether the undo image, read as a slot, has valid lengths and checksum.
     */
    boolean undoImageIntact()
    {
        final int keyLength = header.getInt(UNDO_IMAGE_OFFSET + KEY_LENGTH_OFFSET);
        final int valueLength = header.getInt(UNDO_IMAGE_OFFSET + VALUE_LENGTH_OFFSET);
        return keyLength >= 0 && keyLength <= maxKeyLength && valueLength >= 0 && valueLength <= maxValueLength &&
            header.getInt(UNDO_IMAGE_OFFSET + CHECKSUM_OFFSET) ==
            computeChecksum(header, UNDO_IMAGE_OFFSET, keyLength, valueLength);
    }

    /**
     * Copy the undo image back into slot {@code index} (checked by {@link #undoImageProblem(long)}) and clear
     * the undo area.
     */
    void restoreUndo(final long index)
    {
        beginWrite();
        window(index).putBytes(slotOffset(index), header, UNDO_IMAGE_OFFSET, slotLength);
        endWrite();
        clearUndo();
    }

    void clearUndo()
    {
        header.putLongRelease(UNDO_SLOT_INDEX_OFFSET, NO_UNDO);
    }

    /**
     * Replace the in-memory counters without writing them (a read-only store recounted after an unclean
     * shutdown).
     */
    void useCounts(final long entries, final long tombstones)
    {
        entryCount = entries;
        tombstoneCount = tombstones;
    }

    /**
     * Whether a full slot has valid lengths and checksum, without throwing.
     */
    boolean slotIntact(final long index)
    {
        final UnsafeBuffer window = window(index);
        final int slot = slotOffset(index);
        final int keyLength = window.getInt(slot + KEY_LENGTH_OFFSET);
        final int valueLength = window.getInt(slot + VALUE_LENGTH_OFFSET);
        if (keyLength < 0 || keyLength > maxKeyLength || valueLength < 0 || valueLength > maxValueLength)
        {
            return false;
        }
        return window.getInt(slot + CHECKSUM_OFFSET) == computeChecksum(window, slot, keyLength, valueLength);
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
            writeFully(channel, copy, 0);
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
     * Entry Count as the mapped header holds it now (a reader in another process; may be mid-change).
     */
    long mappedEntryCount()
    {
        return header.getLong(ENTRY_COUNT_OFFSET);
    }

    /**
     * Tombstone Count as the mapped header holds it now.
     */
    long mappedTombstoneCount()
    {
        return header.getLong(TOMBSTONE_COUNT_OFFSET);
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
        for (final MappedByteBuffer mapping : mappings)
        {
            mapping.force();
        }
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
        closeQuietly(channel);
    }

    void delete() throws IOException
    {
        close();
        Files.deleteIfExists(file);
    }

    @Override
    public String toString()
    {
        return file.getFileName() + "[capacity=" + capacity + ", entries=" + entryCount +
            ", tombstones=" + tombstoneCount + "]";
    }
}
