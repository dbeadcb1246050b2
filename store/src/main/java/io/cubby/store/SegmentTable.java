package io.cubby.store;

import static io.cubby.store.SegmentDescriptor.ENTRY_COUNT_OFFSET;
import static io.cubby.store.SegmentDescriptor.GROUP_SLOTS;
import static io.cubby.store.SegmentDescriptor.MIGRATION_CURSOR_OFFSET;
import static io.cubby.store.SegmentDescriptor.NO_UNDO;
import static io.cubby.store.SegmentDescriptor.OPEN_STATE_OFFSET;
import static io.cubby.store.SegmentDescriptor.SLOT_CHECKSUM_OFFSET;
import static io.cubby.store.SegmentDescriptor.SLOT_KEY_LENGTH_OFFSET;
import static io.cubby.store.SegmentDescriptor.STALE_OVERFLOW_OFFSET;
import static io.cubby.store.SegmentDescriptor.TAG_EMPTY;
import static io.cubby.store.SegmentDescriptor.UNDO_CHECKSUM_OFFSET;
import static io.cubby.store.SegmentDescriptor.UNDO_IMAGE_OFFSET;
import static io.cubby.store.SegmentDescriptor.UNDO_SLOT_INDEX_OFFSET;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One version-2 segment file, mapped: open addressing over groups of 15 slots whose tag bytes sit in a separate,
 * cache-line aligned tag array (SwissTable/F14 style), probing linearly over groups, with overflow bits instead of
 * tombstones. See {@code store/FORMAT-v2.md}, sections 4 to 6 and 8.
 * <p>
 * Every position is a byte offset into one {@link UnsafeBuffer} over the mapping, computed from
 * {@link SegmentDescriptor}; the lookup and write paths allocate nothing. Slots are addressed by their index
 * ({@code 15 x group + position}); {@link #NOT_FOUND} means absent.
 * <p>
 * Not thread-safe: one writer at a time (the segment's write lock). Concurrent readers are made safe by the
 * segment's sequence word (FORMAT-v2.md section 3.2), which is the caller's job; this class only orders its own
 * stores so that a tag byte is published after the slot it describes. The tag array is {@link SegmentTags}'s;
 * the file's channel and mapping, and their life (force, retire, unmap), {@link SegmentMapping}'s. A retired
 * rehash source is unmapped ({@link #unmap}) once no lock-free reader can still be using it (the caller's job:
 * SegmentSet's per-segment reader counts). With assertions on, every read path checks that its table has not
 * been unmapped (or {@link #retire}d).
 */
final class SegmentTable implements AutoCloseable
{
    static final int NOT_FOUND = -1;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    final Path file;
    final SegmentParams params;
    final int segment;
    final long generation;
    final long groupCount;
    final int writeVersion;
    final int slotCount;
    final long maxEntries;

    private final SegmentMapping mapping;
    private final UnsafeBuffer buffer;
    /** The tag array: probing, overflow bits, which slots are full. */
    final SegmentTags tags;
    private final long address;
    private final int slotBase;
    private final int slotLength;
    private final int keyOffset;
    private final int valueOffset;
    private final int valueLengthOffset;
    private final int expiresAtOffset;
    private final int keyLengthWidth;
    private final int valueLengthWidth;
    private final Xxh3 hashFunction;

    /** Set by the retirer once the current file no longer names this source on disk (its clear forced). */
    private volatile boolean rehashEnded;
    /** Whether the header's mutable counters were out of range when opened (salvage: {@link #repairCounters}). */
    private final boolean countersDamaged;
    private long sourceGeneration;
    private long sourceGroupCount;
    private long entryCount;
    private long staleOverflow;

    /**
     * Map a segment file whose header {@link SegmentFile} has validated.
     *
     * @param fileKey the file's identity when it was opened ({@link Storage#fileKey}), or null if unknown.
     */
    SegmentTable(
        final Path file,
        final Object fileKey,
        final FileChannel channel,
        final boolean readOnly,
        final SegmentParams params,
        final int segment,
        final SegmentHeader h) throws IOException
    {
        this.file = file;
        this.params = params;
        this.segment = segment;
        this.generation = h.generation;
        this.groupCount = h.groupCount;
        this.sourceGeneration = h.sourceGeneration;
        this.sourceGroupCount = h.sourceGroupCount;
        this.writeVersion = h.writeVersion;
        this.slotCount = (int)(groupCount * GROUP_SLOTS);
        this.maxEntries = params.maxEntries(groupCount);
        this.slotLength = params.slotLength;
        this.keyOffset = params.keyOffset;
        this.valueOffset = params.valueOffset;
        this.valueLengthOffset = params.valueLengthOffset;
        this.expiresAtOffset = params.expiresAtOffset;
        this.keyLengthWidth = params.keyLengthWidth;
        this.valueLengthWidth = params.valueLengthWidth;
        this.slotBase = (int)SegmentDescriptor.slotArrayOffset(params.headerLength, groupCount);
        this.hashFunction = Xxh3.withSeed(params.seed);
        final long length = SegmentDescriptor.fileLength(params.headerLength, slotLength, groupCount);
        mapping = new SegmentMapping(file, fileKey, channel, readOnly, length);
        buffer = mapping.buffer;
        tags = new SegmentTags(buffer, (int)SegmentDescriptor.tagArrayOffset(params.headerLength), groupCount);
        address = buffer.addressOffset();
        countersDamaged = h.countersDamaged;
        // out of range only in a file a salvaging open accepted: its recovery recounts and rewrites them
        final long entries = buffer.getLong(ENTRY_COUNT_OFFSET, LE);
        entryCount = entries >= 0 && entries <= slotCount ? entries : 0;
        staleOverflow = Math.max(0, buffer.getLong(STALE_OVERFLOW_OFFSET, LE));
    }

    /**
     * Key hash with the store's seed.
     */
    long hash(final DirectBuffer key, final int offset, final int length)
    {
        return Hashing.hash(hashFunction, key, offset, length);
    }

    /**
     * Find the slot holding a key, reading the tags first or the preferred slot first as {@code hints} expects the
     * key to be absent or present, and record the outcome in {@code hints}.
     *
     * @return the slot index, or {@link #NOT_FOUND}.
     */
    int find(final long hash, final DirectBuffer key, final int offset, final int length, final SegmentLookup hints)
    {
        final int slot = hints.expectFound() ? findPreferredFirst(hash, key, offset, length) :
            find(hash, key, offset, length);
        hints.record(slot != NOT_FOUND);
        return slot;
    }

    /**
     * Find the slot holding a key, reading the slot at its preferred position before its tag is known: both reads
     * depend on the hash alone, so they are in flight together, and a key at its preferred position (about 56 %
     * of the entries at load 0.87) costs one memory read instead of two in a row. The price is that read for an
     * absent key too. The slot's bytes count only if its tag matches (an emptied slot keeps the removed key).
     *
     * @return the slot index, or {@link #NOT_FOUND}.
     */
    int findPreferredFirst(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        assert !mapping.retired() : file.getFileName() + " read after it was unmapped";
        final long home = SegmentDescriptor.homeGroup(hash, groupCount);
        final int preferred = SegmentDescriptor.preferredPosition(hash);
        final int preferredSlot = (int)home * GROUP_SLOTS + preferred;
        final int s = slotOffset(preferredSlot);
        // Load both before testing either; the non-short-circuit & keeps the slot load ahead of the tag test.
        final int storedKeyLength = keyLengthAt(s);
        final int storedTag = tags.tagAt(preferredSlot);
        if ((storedTag == SegmentDescriptor.tag(hash) & storedKeyLength == length) &&
            keyBytesEqual(s, key, offset, length))
        {
            return preferredSlot;
        }
        return find(hash, key, offset, length);
    }

    /**
     * Find the slot holding a key from its tags (FORMAT-v2.md 6.2, lookup): no slot is read unless its tag
     * matches, so an absent key usually costs only the tag line, a present one the tag line and then its slot.
     *
     * @return the slot index, or {@link #NOT_FOUND}.
     */
    int find(final long hash, final DirectBuffer key, final int offset, final int length)
    {
        assert !mapping.retired() : file.getFileName() + " read after it was unmapped";
        return tags.find(hash, this, key, offset, length);
    }

    /**
     * Insert a key known to be absent (FORMAT-v2.md 8.1).
     *
     * @return the slot written.
     * @throws CorruptStoreException if the segment already holds {@link #maxEntries} entries: the store grows a
     *                               segment before that, so its counts disagree with its slots.
     */
    int insert(
        final long hash,
        final DirectBuffer key,
        final int keyOffsetInKey,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffsetInValue,
        final int valueLength,
        final long expiresAt,
        final long writtenAt)
    {
        final int slot = claimSlot(hash);
        CrashPoints.Hook.reached("v2.insert.overflow-set");
        final int s = slotOffset(slot);
        putLength(s + SLOT_KEY_LENGTH_OFFSET, keyLengthWidth, keyLength);
        buffer.putBytes(s + keyOffset, key, keyOffsetInKey, keyLength);
        writeValue(s, value, valueOffsetInValue, valueLength, expiresAt, writtenAt);
        CrashPoints.Hook.reached("v2.insert.slot-written");
        commitInsert(slot, hash);
        return slot;
    }

    /**
     * Insert a copy of another segment's slot, whose key is known to be absent here (rehash). The slot bytes are
     * position-independent, so they are copied as they are, checksum included.
     *
     * @return the slot written.
     */
    int insertCopy(final long hash, final SegmentTable source, final int sourceSlot)
    {
        final int slot = claimSlot(hash);
        CrashPoints.Hook.reached("v2.insert.overflow-set");
        buffer.putBytes(slotOffset(slot), source.buffer, source.slotOffset(sourceSlot), slotLength);
        CrashPoints.Hook.reached("v2.insert.slot-written");
        commitInsert(slot, hash);
        return slot;
    }

    /** Step 1 of an insert: {@link SegmentTags#claim}. */
    private int claimSlot(final long hash)
    {
        if (entryCount >= maxEntries)
        {
            // The growth policy grows a segment before its file reaches Max Load, so a store never asks this:
            // its counts disagree with its slots (full slots no Entry Count accounts for), which damage to a file
            // that a clean close had vouched for leaves unnoticed until here.
            throw new CorruptStoreException(file.getFileName() + " holds " + entryCount + " entries, its Max Load, " +
                "and was asked for one more: its entry counts disagree with its slots, so a segment file is " +
                "damaged; run verify, or open with salvage(true), which recounts every segment");
        }
        final int slot = tags.claim(hash);
        if (NOT_FOUND == slot)
        {
            throw new CorruptStoreException(file.getFileName() + ": no empty slot although " + entryCount +
                " entries are below the limit of " + maxEntries + ": its entry count disagrees with its slots, so " +
                "the file is damaged; run verify, or open with salvage(true), which recounts every segment");
        }
        return slot;
    }

    /** Steps 3 and 4 of an insert: publish the tag after the slot body, then count the entry. */
    private void commitInsert(final int slot, final long hash)
    {
        VarHandle.releaseFence();
        tags.store(slot, SegmentDescriptor.tag(hash));
        CrashPoints.Hook.reached("v2.insert.tag-stored");
        entryCount++;
        buffer.putLong(ENTRY_COUNT_OFFSET, entryCount, LE);
        CrashPoints.Hook.reached("v2.insert.counted");
    }

    /**
     * Replace the value of a full slot in place, protected by the undo image (FORMAT-v2.md 8.2).
     */
    void update(
        final int slot,
        final DirectBuffer value,
        final int valueOffsetInValue,
        final int valueLength,
        final long expiresAt,
        final long writtenAt)
    {
        final int s = slotOffset(slot);
        buffer.putBytes(UNDO_IMAGE_OFFSET, buffer, s, slotLength);
        buffer.putInt(UNDO_CHECKSUM_OFFSET, Hashing.checksum(address + UNDO_IMAGE_OFFSET, slotLength), LE);
        VarHandle.releaseFence();
        buffer.putLong(UNDO_SLOT_INDEX_OFFSET, slot, LE);
        CrashPoints.Hook.reached("v2.update.undo-saved");
        VarHandle.storeStoreFence();
        writeValue(s, value, valueOffsetInValue, valueLength, expiresAt, writtenAt);
        CrashPoints.Hook.reached("v2.update.slot-written");
        VarHandle.releaseFence();
        buffer.putLong(UNDO_SLOT_INDEX_OFFSET, NO_UNDO, LE);
        CrashPoints.Hook.reached("v2.update.undo-cleared");
    }

    private void writeValue(
        final int s,
        final DirectBuffer value,
        final int valueOffsetInValue,
        final int valueLength,
        final long expiresAt,
        final long writtenAt)
    {
        putLength(s + valueLengthOffset, valueLengthWidth, valueLength);
        if (params.expiry)
        {
            buffer.putLong(s + expiresAtOffset, expiresAt, LE);
            buffer.putLong(s + expiresAtOffset + Long.BYTES, writtenAt, LE);
        }
        if (valueLength > 0)
        {
            buffer.putBytes(s + valueOffset, value, valueOffsetInValue, valueLength);
        }
        CrashPoints.Hook.reached("v2.slot.value-written");
        buffer.putInt(s + SLOT_CHECKSUM_OFFSET, computeChecksum(s, keyLengthAt(s), valueLength), LE);
    }

    /**
     * Empty a full slot (FORMAT-v2.md 8.3). No tombstone: lookups continue past a group by its overflow bits.
     */
    void remove(final int slot)
    {
        tags.store(slot, TAG_EMPTY);
        CrashPoints.Hook.reached("v2.remove.tag-cleared");
        decrementEntryCount();
        if (tags.overflowByte(slot / GROUP_SLOTS) != 0)
        {
            staleOverflow++;
            buffer.putLong(STALE_OVERFLOW_OFFSET, staleOverflow, LE);
        }
        CrashPoints.Hook.reached("v2.remove.counted");
    }

    /**
     * A source entry that migration copied into the current file, or that a put shadowed there, leaves Entry
     * Count; its tag stays (FORMAT-v2.md 9 step 5: only a removal clears a source tag, so a power loss cannot keep
     * the clear without the copy).
     */
    void discount()
    {
        decrementEntryCount();
    }

    /**
     * Entry Count − 1, never below 0: a full slot that no count accounts for (damage a clean close vouched for)
     * must not make the header invalid, which would refuse every later open, salvage included.
     */
    private void decrementEntryCount()
    {
        if (entryCount > 0)
        {
            entryCount--;
        }
        buffer.putLong(ENTRY_COUNT_OFFSET, entryCount, LE);
    }

    /**
     * Clear the tag of a source slot that is a dead copy (its key removed from the current file, which held it):
     * Entry Count does not count such a slot, so it is left as it is.
     */
    void clearCopy(final int slot)
    {
        tags.store(slot, TAG_EMPTY);
        CrashPoints.Hook.reached("v2.remove.copy-cleared");
    }

    /**
     * Whether full slot {@code slot} and {@code other}'s full slot {@code otherSlot} (the same key) hold the same
     * value and expiry: a copy migration made, not changed since by a put or an update.
     */
    boolean sameValue(final int slot, final SegmentTable other, final int otherSlot)
    {
        final int length = valueLength(slot);
        if (length != other.valueLength(otherSlot) || expiresAt(slot) != other.expiresAt(otherSlot))
        {
            return false;
        }
        final int from = slotOffset(slot) + valueOffset;
        final int otherFrom = other.slotOffset(otherSlot) + other.valueOffset;
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(from + i) != other.buffer.getByte(otherFrom + i))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether this file holds the key stored in {@code other}'s slot (migration of a source slot that a put may
     * have shadowed).
     */
    boolean containsKeyOf(final long hash, final SegmentTable other, final int otherSlot, final int keyLength)
    {
        return find(hash, other.buffer, other.slotOffset(otherSlot) + other.keyOffset, keyLength) != NOT_FOUND;
    }

    /** Whether the undo area names a slot: an in-place update was under way ({@link #rollBackTornUpdate}). */
    boolean undoPending()
    {
        return NO_UNDO != buffer.getLong(UNDO_SLOT_INDEX_OFFSET, LE);
    }

    /**
     * Recovery step for a torn in-place update: if the undo area names a slot whose checksum fails and the undo
     * image is intact, copy the image back; then clear the undo area.
     *
     * @return whether a slot was rolled back.
     */
    boolean rollBackTornUpdate()
    {
        final long undo = buffer.getLong(UNDO_SLOT_INDEX_OFFSET, LE);
        if (NO_UNDO == undo)
        {
            return false;
        }
        boolean rolledBack = false;
        if (undo >= 0 && undo < slotCount &&
            buffer.getInt(UNDO_CHECKSUM_OFFSET, LE) == Hashing.checksum(address + UNDO_IMAGE_OFFSET, slotLength) &&
            !checksumMatches((int)undo))
        {
            buffer.putBytes(slotOffset((int)undo), buffer, UNDO_IMAGE_OFFSET, slotLength);
            rolledBack = true;
        }
        buffer.putLong(UNDO_SLOT_INDEX_OFFSET, NO_UNDO, LE);
        return rolledBack;
    }

    /**
     * The slot {@link #rollBackTornUpdate} would restore, read only: the undo area names an in-range slot that
     * fails its checksum and the undo image is intact.
     *
     * @return the slot index, or {@link #NOT_FOUND}.
     */
    int tornUpdateSlot()
    {
        final long undo = buffer.getLong(UNDO_SLOT_INDEX_OFFSET, LE);
        if (undo >= 0 && undo < slotCount &&
            buffer.getInt(UNDO_CHECKSUM_OFFSET, LE) == Hashing.checksum(address + UNDO_IMAGE_OFFSET, slotLength) &&
            tags.isFull((int)undo) && !checksumMatches((int)undo))
        {
            return (int)undo;
        }
        return NOT_FOUND;
    }

    /**
     * Recovery: empty a slot whose bytes cannot be trusted (its tag set to 0). Entry Count is the caller's to
     * recount afterwards.
     */
    void clearDamaged(final int slot)
    {
        tags.store(slot, TAG_EMPTY);
    }

    /**
     * Recount the full slots into Entry Count (recovery).
     *
     * @return the count.
     */
    long recount()
    {
        final long count = tags.countFull();
        entryCount = count;
        buffer.putLong(ENTRY_COUNT_OFFSET, count, LE);
        return count;
    }

    /**
     * Full slots whose key sits at its preferred position in its home group, the ones {@link #find} reaches with
     * one memory read (a diagnostic: it hashes every key).
     *
     * @return the count.
     */
    long countAtPreferredPosition()
    {
        long count = 0;
        for (int slot = tags.nextFull(0); slot != NOT_FOUND; slot = tags.nextFull(slot + 1))
        {
            final int keyLength = keyLength(slot);
            if (keyLength >= 0 && keyLength <= params.maxKeyLength)
            {
                final long hash = slotHash(slot, keyLength);
                if (slot == (int)SegmentDescriptor.homeGroup(hash, groupCount) * GROUP_SLOTS +
                    SegmentDescriptor.preferredPosition(hash))
                {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * Key length of a full slot as stored; may exceed the maximum in a damaged file (see {@link #checksumMatches}).
     */
    int keyLength(final int slot)
    {
        return keyLengthAt(slotOffset(slot));
    }

    /**
     * Value length of a full slot as stored; may exceed the maximum in a damaged file.
     */
    int valueLength(final int slot)
    {
        assert !mapping.retired() : file.getFileName() + " read after it was unmapped";
        return getLength(slotOffset(slot) + valueLengthOffset, valueLengthWidth);
    }

    /** Expires At of a full slot: epoch ms, 0 for never (always 0 in a store without expiry). */
    long expiresAt(final int slot)
    {
        return params.expiry ? buffer.getLong(slotOffset(slot) + expiresAtOffset, LE) : 0;
    }

    /** Written At of a full slot: epoch ms of its last write, 0 in a store without expiry (none is kept). */
    long writtenAt(final int slot)
    {
        return params.expiry ? buffer.getLong(slotOffset(slot) + expiresAtOffset + Long.BYTES, LE) : 0;
    }

    /** Whether a full slot's entry has expired at {@code now} (never in a store without expiry). */
    boolean isExpired(final int slot, final long now)
    {
        return params.expiry && ExpiryClock.expired(buffer.getLong(slotOffset(slot) + expiresAtOffset, LE), now);
    }

    /**
     * Whether a full slot's lengths are in range and its checksum matches its bytes.
     */
    boolean checksumMatches(final int slot)
    {
        assert !mapping.retired() : file.getFileName() + " read after it was unmapped";
        final int s = slotOffset(slot);
        final int keyLength = keyLengthAt(s);
        final int valueLength = getLength(s + valueLengthOffset, valueLengthWidth);
        if (keyLength < 0 || keyLength > params.maxKeyLength || valueLength < 0 ||
            valueLength > params.maxValueLength)
        {
            return false;
        }
        return buffer.getInt(s + SLOT_CHECKSUM_OFFSET, LE) == computeChecksum(s, keyLength, valueLength);
    }

    /** What {@link #readFound} returns for a slot failing its checksum. */
    static final int DAMAGED = -2;

    /**
     * The value of the slot a lookup found, for an optimistic reader whose bracket decides whether it counts: its
     * Expires At is left in {@code lookup} (0 in a store without expiry), and its value is copied if the slot's
     * checksum matches and it has not expired at {@code now}.
     *
     * @return the value length; -1 if the entry has expired; {@link #DAMAGED} if the slot fails its checksum.
     */
    int readFound(final SegmentLookup lookup, final MutableDirectBuffer dst, final int dstOffset, final long now)
    {
        final int slot = lookup.slot;
        final int valueLength = valueLength(slot);
        if (!checksumMatches(slot))
        {
            return DAMAGED;
        }
        lookup.expiresAt = expiresAt(slot);
        if (ExpiryClock.expired(lookup.expiresAt, now))
        {
            return -1;
        }
        copyValue(slot, dst, dstOffset, valueLength);
        return valueLength;
    }

    /**
     * Copy the value of a full slot whose length was checked by the caller.
     */
    void copyValue(final int slot, final MutableDirectBuffer dst, final int dstOffset, final int valueLength)
    {
        assert !mapping.retired() : file.getFileName() + " read after it was unmapped";
        Arguments.checkFits(dst, dstOffset, valueLength);
        dst.putBytes(dstOffset, buffer, slotOffset(slot) + valueOffset, valueLength);
        assert !mapping.retired() : file.getFileName() + " unmapped while a value was copied";
    }

    void copyKey(final int slot, final MutableDirectBuffer dst, final int dstOffset, final int keyLength)
    {
        dst.putBytes(dstOffset, buffer, slotOffset(slot) + keyOffset, keyLength);
    }

    /**
     * Hash of the key held in a full slot whose key length was checked by the caller.
     */
    long slotHash(final int slot, final int keyLength)
    {
        return Hashing.hash(hashFunction, buffer, slotOffset(slot) + keyOffset, keyLength);
    }

    /**
     * Whether a full slot holds this key, its stored length compared before any byte.
     */
    boolean keyEquals(final int slot, final DirectBuffer key, final int offset, final int length)
    {
        final int s = slotOffset(slot);
        return keyLengthAt(s) == length && keyBytesEqual(s, key, offset, length);
    }

    private boolean keyBytesEqual(final int s, final DirectBuffer key, final int offset, final int length)
    {
        final int k = s + keyOffset;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            if (buffer.getLong(k + i) != key.getLong(offset + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (buffer.getByte(k + i) != key.getByte(offset + i))
            {
                return false;
            }
        }
        return true;
    }

    long sourceGeneration()
    {
        return sourceGeneration;
    }

    long sourceGroupCount()
    {
        return sourceGroupCount;
    }

    /**
     * Rehash completion (FORMAT-v2.md section 9 step 6): clear Source Generation and Source Group Count, rewrite
     * the header checksum, then clear the Migration Cursor, and force the file. The caller has forced the migrated
     * slots before.
     * <p>
     * The three checksummed fields are built in a heap copy and written with one positional write inside the
     * first page: a process kill applies a {@code write()} within one page whole or not at all, and the mapping
     * shares the page cache, so no instant shows a header failing its checksum (as separate stores into the
     * mapping would between the fields and the checksum). The write leaves the mutable part alone, which writers
     * may be changing meanwhile (the background retirer does not hold the segment's lock); the Migration Cursor
     * follows as its own store, and a header with no source ignores it (FORMAT-v2.md section 4).
     */
    void clearSource()
    {
        final int from = SegmentDescriptor.SOURCE_GENERATION_OFFSET;
        final int to = SegmentDescriptor.HEADER_CHECKSUM_OFFSET + Integer.BYTES;
        final byte[] image = new byte[to];
        buffer.getBytes(0, image);
        final UnsafeBuffer h = new UnsafeBuffer(image);
        h.putLong(SegmentDescriptor.SOURCE_GENERATION_OFFSET, 0, LE);
        h.putLong(SegmentDescriptor.SOURCE_GROUP_COUNT_OFFSET, 0, LE);
        h.putInt(SegmentDescriptor.HEADER_CHECKSUM_OFFSET, SegmentHeader.checksum(h), LE);
        try
        {
            mapping.write(java.nio.ByteBuffer.wrap(image, from, to - from), from);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot mark " + file.getFileName() + " as fully migrated: " +
                ex.getMessage(), ex);
        }
        CrashPoints.Hook.reached("v2.rehash-end.header-rewritten");
        buffer.putLong(MIGRATION_CURSOR_OFFSET, 0, LE);
        sourceGeneration = 0;
        sourceGroupCount = 0;
        CrashPoints.Hook.reached("v2.rehash-end.source-cleared");
        force();
    }

    long entryCount()
    {
        return entryCount;
    }

    /** Entry Count as the mapped header holds it now: a reader's view of a file another process writes. */
    long liveEntryCount()
    {
        return buffer.getLongVolatile(ENTRY_COUNT_OFFSET);
    }

    long staleOverflow()
    {
        return staleOverflow;
    }

    /**
     * The Migration Cursor (ignored with no source); with a source, 0 if out of range (a damaged file a salvaging
     * open accepted: migrated again from the start).
     */
    long migrationCursor()
    {
        final long cursor = buffer.getLong(MIGRATION_CURSOR_OFFSET, LE);
        return 0 == sourceGeneration || cursor >= 0 && cursor <= sourceGroupCount ? cursor : 0;
    }

    /**
     * A salvaging recovery, in the segment's bracket, before it recounts: rewrite the mutable counters a damaged
     * header held out of range with the values this table has used since it was opened (Entry Count 0 until the
     * recount, Stale Overflow 0, Migration Cursor 0: migrated again, Open State 0; an Undo Slot Index out of range
     * is cleared by the roll-back step).
     *
     * @return whether anything was rewritten.
     */
    boolean repairCounters()
    {
        if (!countersDamaged)
        {
            return false;
        }
        buffer.putLong(ENTRY_COUNT_OFFSET, entryCount, LE);
        buffer.putLong(STALE_OVERFLOW_OFFSET, staleOverflow, LE);
        buffer.putLong(MIGRATION_CURSOR_OFFSET, migrationCursor(), LE);
        final int openState = buffer.getInt(OPEN_STATE_OFFSET, LE);
        if (openState != SegmentDescriptor.OPEN_STATE_OPEN && openState != SegmentDescriptor.OPEN_STATE_CLOSED)
        {
            buffer.putInt(OPEN_STATE_OFFSET, SegmentDescriptor.OPEN_STATE_CLOSED, LE);
        }
        return true;
    }

    void migrationCursor(final long groups)
    {
        buffer.putLong(MIGRATION_CURSOR_OFFSET, groups, LE);
    }

    long undoSlotIndex()
    {
        return buffer.getLong(UNDO_SLOT_INDEX_OFFSET, LE);
    }

    void openState(final int state)
    {
        buffer.putInt(OPEN_STATE_OFFSET, state, LE);
    }

    /** {@link SegmentMapping#prefault}. */
    void prefault(final int page)
    {
        mapping.prefault(page);
    }

    long fileLength()
    {
        return mapping.length();
    }

    /** What another process did to this file (truncated, replaced, deleted), or null: {@link Storage#changedFile}. */
    String changedFile()
    {
        return mapping.changedFile();
    }

    void force()
    {
        mapping.force();
    }

    /** {@link SegmentMapping#unmap}: nothing may read this table afterwards. */
    void unmap()
    {
        mapping.unmap();
    }

    /**
     * The retirer, once the file that migrated this source has its Source Generation cleared and forced: from now
     * on recovery deletes this file as stale, so removals need no longer clear copies in it (FORMAT-v2.md 9 step 6).
     */
    void markRehashEnded()
    {
        rehashEnded = true;
    }

    boolean rehashEnded()
    {
        return rehashEnded;
    }

    /** Mark the table as no longer readable (assertions on) without unmapping it: the tests' stand-in. */
    void retire()
    {
        mapping.retire();
    }

    boolean retired()
    {
        return mapping.retired();
    }

    /** Close the channel; the mapping stays valid. */
    @Override
    public void close()
    {
        mapping.close();
    }

    private int slotOffset(final int slot)
    {
        return slotBase + slot * slotLength;
    }

    private int keyLengthAt(final int s)
    {
        return getLength(s + SLOT_KEY_LENGTH_OFFSET, keyLengthWidth);
    }

    private int computeChecksum(final int s, final int keyLength, final int valueLength)
    {
        return Hashing.slotChecksum(
            address + s + SLOT_KEY_LENGTH_OFFSET, keyOffset - SLOT_KEY_LENGTH_OFFSET + keyLength,
            address + s + valueOffset, valueLength);
    }

    private int getLength(final int offset, final int width)
    {
        switch (width)
        {
            case Byte.BYTES:
                return buffer.getByte(offset) & 0xFF;
            case Short.BYTES:
                return buffer.getShort(offset, LE) & 0xFFFF;
            default:
                return buffer.getInt(offset, LE);
        }
    }

    private void putLength(final int offset, final int width, final int length)
    {
        switch (width)
        {
            case Byte.BYTES:
                buffer.putByte(offset, (byte)length);
                break;
            case Short.BYTES:
                buffer.putShort(offset, (short)length, LE);
                break;
            default:
                buffer.putInt(offset, length, LE);
                break;
        }
    }
}
