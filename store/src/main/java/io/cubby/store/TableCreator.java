package io.cubby.store;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import static io.cubby.store.TableDescriptor.CAPACITY_OFFSET;
import static io.cubby.store.TableDescriptor.CREATED_OFFSET;
import static io.cubby.store.TableDescriptor.ENTRY_COUNT_OFFSET;
import static io.cubby.store.TableDescriptor.FLAGS_OFFSET;
import static io.cubby.store.TableDescriptor.GENERATION_OFFSET;
import static io.cubby.store.TableDescriptor.HASH_ALGORITHM_OFFSET;
import static io.cubby.store.TableDescriptor.HASH_SEED_OFFSET;
import static io.cubby.store.TableDescriptor.HEADER_CHECKSUM_OFFSET;
import static io.cubby.store.TableDescriptor.HEADER_LENGTH_OFFSET;
import static io.cubby.store.TableDescriptor.MAGIC_LENGTH;
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
import static io.cubby.store.TableDescriptor.UNDO_IMAGE_OFFSET;
import static io.cubby.store.TableDescriptor.UNDO_SLOT_INDEX_OFFSET;
import static io.cubby.store.TableDescriptor.WRITE_VERSION_OFFSET;

/**
 * Creation of a new table file: allocated in full under a temporary name, its header written with the magic
 * last, then renamed into place and opened as a {@link Table}.
 */
final class TableCreator
{
    private TableCreator()
    {
    }

    /**
     * Create a new table file, write its header and map it. The file is first fully allocated (zero-filled, or
     * taken from {@code prepared}), so a full disk shows here as an {@link IOException} and never later as a fault
     * on a mapped page. The header is written into a temporary file, magic last, which is then renamed into place:
     * a table file either has a complete header or does not exist.
     *
     * @param prepared a zero-filled file of exactly the table's length made by {@link Storage#preallocate}, or null.
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
                Storage.createSparse(tmp, fileLength);
            }
            else
            {
                Storage.preallocate(tmp, fileLength);
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
            final ByteBuffer body = h.byteBuffer().duplicate().clear().position(MAGIC_OFFSET + MAGIC_LENGTH);
            Storage.writeFully(channel, body, MAGIC_OFFSET + MAGIC_LENGTH);
            Storage.forceChannel(channel, tmp);
            CrashPoints.Hook.reached("table-create.header-written");
            final ByteBuffer magic = ByteBuffer.allocate(MAGIC_LENGTH).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, TableDescriptor.MAGIC);
            Storage.writeFully(channel, magic, MAGIC_OFFSET);
            Storage.forceChannel(channel, tmp);
            CrashPoints.Hook.reached("table-create.magic-written");
        }
        catch (final IOException | RuntimeException ex)
        {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        Storage.syncDirectory(file.getParent());
        return Table.open(file, false);
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
}
