package io.cubby.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BinaryOperator;

/**
 * The write path. A write takes the write lock, does the housekeeping due before it (log space, a migration
 * step, growth), looks the key up in the live tables, decides by its {@link Operation} whether it applies,
 * evicts if the store is at its entry bound, logs the record, and changes the tables by the rules of
 * {@link TableSet}; with {@link Durability#SYNC} it then waits, without the lock, for the record to be durable.
 * Allocates nothing: the writer's {@link TableSet.Lookup} is reused under the lock.
 */
final class Engine
{
    /** Returned by {@link #write} when the key was present but a conditional operation's expectation failed. */
    static final int NOT_APPLIED = -2;
    static final int MISSING = Cubby.MISSING;

    /** What a write does, and when it applies. */
    enum Operation
    {
        /** Insert or replace. */
        PUT(false),
        /** Insert only if the key is absent (or expired). */
        PUT_IF_ABSENT(false),
        /** Replace only if the key is present. */
        REPLACE(false),
        /** Replace only if the key is present with the expected value. */
        REPLACE_IF_EQUALS(false),
        /** Remove if present. */
        REMOVE(true),
        /** Remove only if present with the expected value. */
        REMOVE_IF_EQUALS(true);

        final boolean removal;

        Operation(final boolean removal)
        {
            this.removal = removal;
        }
    }

    private final Path directory;
    private final TableParams params;
    private final Options options;
    private final Guard guard;
    private final StampedLock lock;
    private final TableSet tables;
    private final LogWriter log;
    private final ReadPath readPath;
    private final Checkpointer checkpointer;
    private final Rehasher rehasher;
    private final Evictor evictor;
    private final Notifier notifier;
    private final FileWatch fileWatch;
    private final Arguments arguments;
    private final Xxh3 hashFunction;
    /** The writer's lookup, used only with the write lock held. */
    private final TableSet.Lookup lookup = new TableSet.Lookup();
    /** Highest log sequence written by the writes of the compute in progress. */
    private long computeSequence;

    Engine(
        final Options options,
        final Guard guard,
        final TableSet tables,
        final LogWriter log,
        final ReadPath readPath,
        final Checkpointer checkpointer,
        final Rehasher rehasher,
        final Evictor evictor,
        final Notifier notifier,
        final FileWatch fileWatch,
        final Arguments arguments,
        final Xxh3 hashFunction)
    {
        this.directory = options.directory;
        this.params = options.params;
        this.options = options;
        this.guard = guard;
        this.lock = guard.lock;
        this.tables = tables;
        this.log = log;
        this.readPath = readPath;
        this.checkpointer = checkpointer;
        this.rehasher = rehasher;
        this.evictor = evictor;
        this.notifier = notifier;
        this.fileWatch = fileWatch;
        this.arguments = arguments;
        this.hashFunction = hashFunction;
    }

    /**
     * Write one entry; arguments are checked. The previous value, if any and if {@code previous} is given, is
     * copied into it.
     *
     * @param expiresAt the new entry's expiry, 0 for none, or {@link Arguments#KEEP_EXPIRY}.
     * @return the previous value length, {@link #MISSING} if the key was absent, or {@link #NOT_APPLIED} if the
     * key was present but a conditional operation's expectation failed.
     */
    int write(
        final Operation op,
        final DirectBuffer key,
        final int keyOffset,
        final int keyLength,
        final DirectBuffer value,
        final int valueOffset,
        final int valueLength,
        final DirectBuffer expected,
        final int expectedOffset,
        final int expectedLength,
        final MutableDirectBuffer previous,
        final long expiresAt)
    {
        final long hash = Hashing.hash(hashFunction, key, keyOffset, keyLength);
        final long now = options.timeAware ? ExpiryClock.now() : 0;
        final long sequence;
        final int result;
        final boolean nested = guard.isComputing();
        final long stamp = nested ? 0 : lock.writeLock();
        try
        {
            guard.ensureWritable();
            final boolean removal = op.removal;
            beforeWrite(removal ? WalRecordDescriptor.entryRecordLength(keyLength, 0) :
                WalRecordDescriptor.entryRecordLength(keyLength, valueLength));

            final TableSet.Lookup lookup = this.lookup;
            tables.lookup(lookup, true, hash, key, keyOffset, keyLength);
            final Table found = lookup.table;
            final long foundIndex = lookup.index;
            final int previousLength = null == found || found.isExpired(foundIndex, now) ? MISSING :
                params.setMode ? found.keyLength(foundIndex) : found.valueLength(foundIndex);
            final boolean apply;
            switch (op)
            {
                case PUT_IF_ABSENT:
                    apply = previousLength < 0;
                    break;
                case REPLACE:
                case REMOVE:
                    apply = previousLength >= 0;
                    break;
                case REPLACE_IF_EQUALS:
                case REMOVE_IF_EQUALS:
                    apply = previousLength >= 0 && (params.setMode ?
                        expectedLength == 0 :
                        found.valueEquals(foundIndex, expected, expectedOffset, expectedLength));
                    break;
                default:
                    apply = true;
            }
            if (null != previous && previousLength >= 0)
            {
                if (params.setMode)
                {
                    found.copyKey(foundIndex, previous, 0, previousLength);
                }
                else
                {
                    found.copyValue(foundIndex, previous, 0, previousLength);
                }
            }
            if (!apply)
            {
                return previousLength >= 0 && (op == Operation.REPLACE_IF_EQUALS ||
                    op == Operation.REMOVE_IF_EQUALS) ?
                    NOT_APPLIED : (op == Operation.PUT_IF_ABSENT ? previousLength : MISSING);
            }
            if (!removal && null == found && rehasher.beforeInsert())
            {
                tables.lookup(lookup, true, hash, key, keyOffset, keyLength); // the insert position in the new table
            }
            if (!removal && null == found && options.maxEntries > 0 && tables.size() >= options.maxEntries)
            {
                evictor.evictOne(now);
            }
            if (null != notifier && null != found && previousLength < 0)
            {
                notifier.removed(found, foundIndex, params.setMode, RemovalCause.EXPIRED);
            }
            final long expiry = Arguments.KEEP_EXPIRY != expiresAt ? expiresAt :
                previousLength >= 0 ? found.expiresAt(foundIndex) : 0;
            sequence = log.logEntry(removal ? WalRecordDescriptor.TYPE_REMOVE : WalRecordDescriptor.TYPE_PUT,
                key, keyOffset, keyLength, value, valueOffset, valueLength, expiry);
            CrashPoints.Hook.reached("write.logged");
            if (removal)
            {
                tables.remove(lookup, hash, key, keyOffset, keyLength);
            }
            else
            {
                tables.put(lookup, hash, key, keyOffset, keyLength, value, valueOffset, valueLength, expiry, now);
            }
            result = op == Operation.PUT_IF_ABSENT ? MISSING : previousLength;
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            lookup.release();
            if (!nested)
            {
                lock.unlockWrite(stamp);
            }
        }
        if (nested)
        {
            computeSequence = Math.max(computeSequence, sequence);
        }
        else
        {
            afterWrite(sequence);
        }
        return result;
    }

    /**
     * Housekeeping before each write, with the write lock held: log space, one migration step, growth.
     */
    private void beforeWrite(final int recordLength)
    {
        checkpointer.beforeWrite(recordLength);
        rehasher.beforeWrite();
    }

    /**
     * Run a compute function with the write lock held; the key is checked.
     *
     * @param ttlMillis time to live of the new value, or 0 for the default expiry.
     */
    byte[] compute(
        final byte[] key, final UnsafeBuffer k, final BinaryOperator<byte[]> remapping, final long ttlMillis)
    {
        final long hash = Hashing.hash(hashFunction, k, 0, key.length);
        if (guard.isComputing())
        {
            throw new IllegalStateException("compute called from inside a compute function of " + directory);
        }
        final byte[] result;
        final long sequence;
        final long stamp = lock.writeLock();
        try
        {
            guard.ensureWritable();
            guard.computeOwner(Thread.currentThread());
            computeSequence = 0;
            try
            {
                final UnsafeBuffer present = arguments.scratch();
                final int length = readPath.readLocked(lookup, hash, k, 0, key.length, present, 0);
                final byte[] before = length < 0 ? null : Arrays.copyOf(present.byteArray(), length);
                result = remapping.apply(key, before);
                if (null == result)
                {
                    if (null != before)
                    {
                        write(Operation.REMOVE, k, 0, key.length, null, 0, 0, null, 0, 0, null, 0L);
                    }
                }
                else
                {
                    write(Operation.PUT, k, 0, key.length, arguments.wrapValue(result), 0, result.length, null, 0,
                        0, null, ttlMillis > 0 ? arguments.expiresAt(ttlMillis) : arguments.defaultExpiry());
                }
            }
            finally
            {
                guard.computeOwner(null);
            }
            sequence = computeSequence;
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
        finally
        {
            lock.unlockWrite(stamp);
        }
        afterWrite(sequence);
        return result;
    }

    /**
     * The log's part after a write, outside the lock (SYNC: wait for the force covering {@code sequence}). A fault
     * on a mapped page (a log another process truncated) surfaces as an {@link InternalError} at the JVM's next
     * check, which may be in here, after the access that raised it: the same {@link StoreIOException} as inside.
     */
    private void afterWrite(final long sequence)
    {
        try
        {
            log.afterWrite(sequence);
        }
        catch (final InternalError ex)
        {
            throw fileWatch.mappedFault(ex);
        }
    }

    /**
     * At open, with the write lock held: store the entry bound in force if it changed, and evict down to a
     * smaller one, as writes would.
     */
    void applyEntryBound()
    {
        final long maxEntries = options.maxEntries;
        if (tables.current.maxEntries() != maxEntries)
        {
            tables.current.setMaxEntries(maxEntries);
            final long now = ExpiryClock.now();
            boolean evicted = false;
            while (maxEntries > 0 && tables.size() > maxEntries)
            {
                beforeWrite(WalRecordDescriptor.entryRecordLength(params.maxKeyLength, 0));
                if (!evictor.evictOne(now))
                {
                    break;
                }
                evicted = true;
            }
            if (evicted)
            {
                checkpointer.checkpointLocked();
            }
        }
    }
}
