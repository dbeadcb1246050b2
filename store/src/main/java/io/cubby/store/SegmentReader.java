package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The read side of a read-only open of a version-2 store: it takes no lock and writes no byte, and it follows a
 * writer in another process (or in this one) as that writer changes the files (FORMAT-v2.md section 3.2).
 * <p>
 * Each segment is read through a {@link Segment} view of the files the manifest names for it. Every read brackets
 * itself with the segment's sequence word, as the writer's own optimistic readers do, and checks the manifest's
 * entry for the segment inside that bracket: when a rehash has begun or ended since the view was made, the files the
 * entry names now are opened (read-only) and replace the view. The writer publishes an entry inside the bracket
 * and names only files whose header is complete, so a read that validates saw an entry and the files it names at
 * one instant. Files the writer deletes stay mapped for as long as a view holds them.
 * <p>
 * A writer that died inside a bracket leaves the sequence odd: after waiting {@link #DEAD_WRITER_WAIT_NANOS} a
 * reader checks the store's lock, and with no writer holding it reads the files as they stand (a slot caught in a
 * torn write fails its checksum and is reported as needing recovery). A new writer's recovery moves the odd word
 * and keeps it odd until it has repaired the segment: reads wait for it then, as for any live writer.
 */
final class SegmentReader implements AutoCloseable
{
    /** How long a read waits for an odd sequence word before it checks whether the writer is alive. */
    static final long DEAD_WRITER_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Attempts to open the files a validated entry names before the failure is reported. */
    private static final int OPEN_ATTEMPTS = 8;

    final Path directory;
    final Manifest manifest;
    final SegmentParams params;
    private final AtomicReferenceArray<Segment> views;
    /** Per segment, the Writer Epoch its view was opened under. */
    private final AtomicLongArray viewEpochs;
    /** Per segment, an odd sequence word left by a writer found dead, or 0. */
    private final AtomicLongArray deadSequence;
    private final Xxh3 hashFunction;
    private final ThreadLocal<SegmentLookup> lookups = ThreadLocal.withInitial(SegmentLookup::new);
    private volatile boolean closed;

    private SegmentReader(final Path directory, final Manifest manifest)
    {
        this.directory = directory;
        this.manifest = manifest;
        this.params = manifest.params;
        this.hashFunction = Xxh3.withSeed(params.seed);
        this.views = new AtomicReferenceArray<>(manifest.segmentCount);
        this.deadSequence = new AtomicLongArray(manifest.segmentCount);
        this.viewEpochs = new AtomicLongArray(manifest.segmentCount);
    }

    /**
     * Open the manifest and every segment's files read-only, each checked as a writable open checks them.
     *
     * @throws NotAStoreException    if the directory holds no manifest.
     * @throws CorruptStoreException if a file fails its checks at a stable instant.
     */
    static SegmentReader open(final Path directory) throws IOException
    {
        final Manifest manifest = Manifest.open(directory, true);
        final SegmentReader reader = new SegmentReader(directory, manifest);
        try
        {
            for (int s = 0; s < manifest.segmentCount; s++)
            {
                reader.currentView(s);
            }
            return reader;
        }
        catch (final RuntimeException ex)
        {
            reader.close();
            throw ex;
        }
    }

    /** The key's hash, by the function every segment file of the store shares (FORMAT-v2.md section 6.1). */
    private long hashOf(final DirectBuffer key, final int offset, final int length)
    {
        return Hashing.hash(hashFunction, key, offset, length);
    }

    int segmentCount()
    {
        return manifest.segmentCount;
    }

    boolean isClosed()
    {
        return closed;
    }

    void checkOpen()
    {
        if (closed)
        {
            throw new StoreClosedException(directory + " is closed");
        }
    }

    /** Whether a writer holds the store's lock now. */
    boolean hasLiveWriter()
    {
        return StoreLock.isLockedElsewhere(directory);
    }

    // ---------------------------------------------------------------- brackets

    /**
     * Begin a read of segment {@code s}: its sequence word once it is even, or the odd word a dead writer left.
     */
    long begin(final int s)
    {
        long sequence = manifest.readSequence(s);
        if ((sequence & 1) == 0 || sequence == deadSequence.get(s))
        {
            return sequence;
        }
        final long started = System.nanoTime();
        while (true)
        {
            for (int i = 0; i < 1024; i++)
            {
                Thread.onSpinWait();
                sequence = manifest.readSequence(s);
                if ((sequence & 1) == 0 || sequence == deadSequence.get(s))
                {
                    return sequence;
                }
            }
            checkOpen();
            if (System.nanoTime() - started >= DEAD_WRITER_WAIT_NANOS)
            {
                if (!hasLiveWriter() && manifest.readSequence(s) == sequence)
                {
                    deadSequence.set(s, sequence);
                    return sequence;
                }
                Thread.yield();
            }
        }
    }

    /** Whether nothing changed segment {@code s} since {@link #begin} returned {@code sequence}. */
    boolean validate(final int s, final long sequence)
    {
        if ((sequence & 1) == 0)
        {
            return manifest.validate(s, sequence);
        }
        java.lang.invoke.VarHandle.loadLoadFence();
        return manifest.readSequence(s) == sequence;
    }

    // ---------------------------------------------------------------- views

    /**
     * The view of segment {@code s} the manifest's entry names now, opening its files if they changed. Called
     * inside a bracket: what it returns counts only if the bracket validates.
     *
     * @throws NotAStoreException    if a file the entry names is gone (a change the bracket will not validate,
     *                               or a damaged store).
     * @throws CorruptStoreException if a file fails its checks.
     */
    private Segment view(final int s) throws IOException
    {
        final long epoch = manifest.writerEpoch();
        final long current = manifest.currentGeneration(s);
        final long source = manifest.sourceGeneration(s);
        while (true)
        {
            final Segment view = views.get(s);
            final boolean sameWriter = epoch == viewEpochs.get(s);
            if (null != view && sameWriter && view.current().generation == current &&
                (null == view.source() ? 0 == source : view.source().generation == source))
            {
                return view;
            }
            checkOpen();
            // After a writer restart (Writer Epoch moved) no file is reused: a recovery may have replaced one.
            final Segment fresh = openView(s, sameWriter ? view : null, current, manifest.currentGroupCount(s),
                source, manifest.sourceGroupCount(s));
            if (views.compareAndSet(s, view, fresh))
            {
                viewEpochs.set(s, epoch);
                if (null != view)
                {
                    release(view, fresh);
                }
                return fresh;
            }
            // another reader replaced the view meanwhile: drop the files opened here, compare again
            release(fresh, view);
        }
    }

    /**
     * {@link #view} inside the bracket begun at {@code sequence}.
     *
     * @param failures how many times this read found the entry's files unopenable so far.
     * @return the view, or null to retry the bracket (the files changed, or could not be opened yet).
     */
    Segment viewIn(final int s, final long sequence, final int failures)
    {
        try
        {
            return view(s);
        }
        catch (final NotAStoreException | CorruptStoreException | IllegalArgumentException ex)
        {
            // A validated entry names files whose headers are complete, but the background retirer rewrites a
            // header's source fields outside the bracket: a few attempts before a failure counts.
            if (failures + 1 >= OPEN_ATTEMPTS && validate(s, sequence))
            {
                throw ex;
            }
            Thread.yield();
            return null;
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot read " + directory + ": " + ex, ex);
        }
    }

    /**
     * Open the files the manifest's entry names for segment {@code s} now, afresh (their counts as of this
     * instant), for the caller to use inside its bracket and close.
     */
    Segment openFresh(final int s)
    {
        try
        {
            return openView(s, null, manifest.currentGeneration(s), manifest.currentGroupCount(s),
                manifest.sourceGeneration(s), manifest.sourceGroupCount(s));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CorruptStoreException("segment " + s + ": " + ex.getMessage(), ex);
        }
        catch (final IOException ex)
        {
            throw new StoreIOException("cannot read " + directory + ": " + ex, ex);
        }
    }

    /** The view of segment {@code s} as of a validated instant (its files may change right after). */
    Segment currentView(final int s)
    {
        int failures = 0;
        while (true)
        {
            final long sequence = begin(s);
            final Segment view = viewIn(s, sequence, failures);
            if (null == view)
            {
                failures++;
            }
            else if (validate(s, sequence))
            {
                return view;
            }
        }
    }

    private Segment openView(final int s, final Segment previous, final long currentGeneration,
        final long currentGroups, final long sourceGeneration, final long sourceGroups) throws IOException
    {
        final SegmentTable current = reuse(previous, currentGeneration, s, currentGroups);
        SegmentTable source = null;
        try
        {
            if (0 != sourceGeneration)
            {
                source = reuse(previous, sourceGeneration, s, sourceGroups);
            }
            return new Segment(s, current, source);
        }
        catch (final IOException | RuntimeException ex)
        {
            closeUnlessIn(current, previous);
            if (null != source)
            {
                closeUnlessIn(source, previous);
            }
            throw ex;
        }
    }

    /** The previous view's table of this generation, or the file opened and checked against the entry. */
    private SegmentTable reuse(final Segment previous, final long generation, final int s, final long groups)
        throws IOException
    {
        if (null != previous)
        {
            if (previous.current().generation == generation)
            {
                return previous.current();
            }
            if (null != previous.source() && previous.source().generation == generation)
            {
                return previous.source();
            }
        }
        final Path file = directory.resolve(SegmentDescriptor.fileName(s, generation));
        final SegmentTable table;
        try
        {
            table = SegmentFile.open(file, params, s, generation, true);
        }
        catch (final NoSuchFileException ex)
        {
            throw new NotAStoreException("segment file not found: " + file, ex);
        }
        if (table.groupCount != groups)
        {
            table.close();
            throw new CorruptStoreException(file.getFileName() + " has " + table.groupCount + " groups; the " +
                "manifest names it with " + groups);
        }
        return table;
    }

    /** Close the channels of a replaced view's files the new view does not use (their mappings stay valid). */
    private static void release(final Segment old, final Segment kept)
    {
        closeUnlessIn(old.current(), kept);
        if (null != old.source())
        {
            closeUnlessIn(old.source(), kept);
        }
    }

    private static void closeUnlessIn(final SegmentTable table, final Segment view)
    {
        if (null == view || (table != view.current() && table != view.source()))
        {
            table.close();
        }
    }

    // ---------------------------------------------------------------- reads

    /**
     * Find a key and copy its value, following the writer's changes.
     *
     * @param dst room for Max Value Length bytes at {@code dstOffset}.
     * @return the value length, or -1 if absent.
     * @throws CorruptStoreException if the key's slot fails its checksum at a stable instant.
     */
    int get(final DirectBuffer key, final int offset, final int length, final MutableDirectBuffer dst,
        final int dstOffset)
    {
        checkOpen();
        final long hash = hashOf(key, offset, length);
        final int s = SegmentDescriptor.segmentOf(hash, params.segmentBits);
        final SegmentLookup lookup = lookups.get();
        final long now = params.expiry ? ExpiryClock.now() : 0;
        int failures = 0;
        while (true)
        {
            final long sequence = begin(s);
            final Segment view = viewIn(s, sequence, failures);
            if (null == view)
            {
                failures++;
                continue;
            }
            int result = -1;
            try
            {
                if (view.find(hash, key, offset, length, lookup))
                {
                    result = lookup.table.readFound(lookup, dst, dstOffset, now);
                }
            }
            catch (final IndexOutOfBoundsException ex)
            {
                if (validate(s, sequence))
                {
                    throw new CorruptStoreException(view.current().file.getFileName() + ": a lookup read out of " +
                        "bounds (" + ex.getMessage() + ")", ex);
                }
                continue;
            }
            if (validate(s, sequence))
            {
                if (SegmentTable.DAMAGED == result)
                {
                    throw new CorruptStoreException(lookup.table.file.getFileName() + ": slot " + lookup.slot +
                        " fails its checksum" + damageNote(sequence));
                }
                return result;
            }
        }
    }

    /**
     * What a damaged slot read against {@code sequence} (validated) means: after a writer died inside the segment's
     * bracket (an odd sequence), a torn write the next writable open recovers; else nothing to add (damage).
     */
    static String damageNote(final long sequence)
    {
        return (sequence & 1) != 0 ? ": the store needs recovery (its writer died while changing the segment; the " +
            "next writable open recovers it)" : "";
    }

    /** The Expires At of the entry the calling thread's last {@link #get} found (0 for none or never). */
    long lastReadExpiresAt()
    {
        return lookups.get().expiresAt;
    }

    /**
     * Entries of the segment's files as their headers count them now (may be a write behind; expired entries
     * included until the writer reclaims them).
     */
    long entryCount(final int s)
    {
        int failures = 0;
        while (true)
        {
            final long sequence = begin(s);
            final Segment view = viewIn(s, sequence, failures);
            if (null == view)
            {
                failures++;
                continue;
            }
            final long count = view.current().liveEntryCount() +
                (null == view.source() ? 0 : view.source().liveEntryCount());
            if (validate(s, sequence))
            {
                return count;
            }
        }
    }

    /** Close the manifest and the files' channels; the mappings are released once nothing references them. */
    @Override
    public void close()
    {
        closed = true;
        for (int s = 0; s < views.length(); s++)
        {
            final Segment view = views.getAndSet(s, null);
            if (null != view)
            {
                release(view, null);
            }
        }
        manifest.close();
    }
}
