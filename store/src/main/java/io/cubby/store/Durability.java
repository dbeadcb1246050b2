package io.cubby.store;

/**
 * How much of the write-ahead log is written and forced to disk, chosen each time a store is opened.
 */
public enum Durability
{
    /**
     * Only structural records (rehash steps, checkpoints) are logged. After a process crash every completed
     * operation is present, because the table lives in the OS page cache; after a power loss, changes since the
     * last checkpoint may be lost.
     */
    NONE,
    /**
     * Every operation is logged; the log is forced to disk in the background at a configurable interval. After a
     * power loss at most that interval of acknowledged operations may be lost.
     */
    ASYNC,
    /**
     * An operation returns only after its log record is on disk. Concurrent writers share one force of the log
     * (group commit).
     */
    SYNC
}
