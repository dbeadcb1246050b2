package io.cubby.store;

import java.nio.file.Path;

/**
 * The tables a lookup reads: the current one and, during a rehash, its source.
 */
final class LiveView
{
    final Table current;
    final Table source;
    final Path nextTable;
    /**
     * Flags the current table's word had when this view was mapped while no newer table existed: stale (a
     * writer sets Superseded only after the newer file is in place), so they do not call for a new view.
     */
    final int acceptedCurrentFlags;
    /** A writer session was seen on the current table (its word was non-zero). */
    volatile boolean sawSession;
    volatile long nextDirectoryCheck;
    /** An odd word a dead writer left in the current / source table, read without waiting (0: none). */
    volatile int deadCurrentWord;
    volatile int deadSourceWord;

    LiveView(final Table current, final Table source, final int acceptedCurrentFlags)
    {
        this.current = current;
        this.source = source;
        this.acceptedCurrentFlags = acceptedCurrentFlags;
        this.nextTable = current.file.resolveSibling(TableDescriptor.fileName(current.generation + 1));
        this.sawSession = 0 != current.writeSequence();
    }
}
