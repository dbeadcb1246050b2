package io.cubby.store;

import java.nio.file.Path;

/**
 * The parts of one open store, built once and wired with dependencies pointing one way: the tables, the log
 * writer and the lock at the bottom; the allocator, rehasher, checkpointer and evictor above them; the read path,
 * write path, compactor and iterators above those; the lifecycle on top. {@link Cubby} delegates to them;
 * {@link Opener} applies the log through {@link #applier}.
 */
final class Parts
{
    final Options options;
    final Arguments arguments;
    final Guard guard;
    final TableSet tables;
    final ReadPath reads;
    final Engine engine;
    final Checkpointer checkpointer;
    final Compactor compactor;
    final EntryIterators iterators;
    final Lifecycle lifecycle;
    final LogApplier applier;
    final FileWatch fileWatch;
    final LogWriter log;

    Parts(final Options options, final StoreLock fileLock, final Table current, final Table source, final long cursor,
        final Wal wal)
    {
        final Path directory = options.directory;
        final Xxh3 hashFunction = Xxh3.withSeed(options.params.seed);
        final Counters counters = options.recordStats ? new Counters() : null;
        final Notifier notifier = null == options.removalListener ? null :
            new Notifier(options.removalListener, directory);
        this.options = options;
        this.arguments = new Arguments(options);
        this.guard = new Guard(directory, options.readOnly);
        this.tables = new TableSet(current, source, cursor);
        final LogWriter log = new LogWriter(directory, options.durability, wal);
        this.log = log;
        final FileWatch fileWatch = new FileWatch(directory, tables, log);
        this.fileWatch = fileWatch;
        final Background background = new Background(directory);
        final TableAllocator allocator = new TableAllocator(options, guard, background);
        final Rehasher rehasher = new Rehasher(options, guard, tables, log, allocator, background, fileWatch,
            counters, notifier);
        this.checkpointer = new Checkpointer(options, guard, tables, log, rehasher, background, fileWatch);
        final Evictor evictor = new Evictor(options, tables, log, notifier, counters);
        this.reads = new ReadPath(options, guard, tables, log, rehasher, fileWatch, counters, hashFunction);
        this.engine = new Engine(options, guard, tables, log, reads, checkpointer, rehasher, evictor, notifier,
            fileWatch, arguments, hashFunction);
        this.compactor = new Compactor(guard, tables, rehasher, checkpointer, fileWatch);
        this.iterators = new EntryIterators(options, guard, tables, rehasher, engine, fileWatch);
        this.lifecycle = new Lifecycle(options, guard, tables, log, checkpointer, rehasher, engine, allocator,
            background, fileWatch, notifier, fileLock);
        this.applier = new LogApplier(options, tables, rehasher, evictor, notifier, fileWatch, hashFunction);
    }
}
