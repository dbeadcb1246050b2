/**
 * Cubby: an off-heap persistent hash store.
 * <p>
 * Entry point: {@link io.cubby.store.Cubby#builder(java.nio.file.Path)}. The public types are few and final; all
 * layout and recovery code is package-private, with one descriptor class per on-disk structure
 * ({@code TableDescriptor}, {@code SlotDescriptor}, {@code WalDescriptor}, {@code WalRecordDescriptor}) matching
 * {@code store/FORMAT.md}.
 * <p>
 * <b>Thread safety.</b> {@link io.cubby.store.Cubby} and {@link io.cubby.store.CubbyMap} are safe for use by many
 * threads. Writes are serialised; reads are optimistic and lock-free unless they repeatedly race a writer. The
 * report classes are immutable snapshots.
 * <p>
 * <b>Exceptions.</b> Every failure the store detects is a {@link io.cubby.store.CubbyException} subclass naming
 * the file, slot or key involved: {@link io.cubby.store.CorruptStoreException},
 * {@link io.cubby.store.NotAStoreException}, {@link io.cubby.store.StoreLockedException},
 * {@link io.cubby.store.IncompatibleStoreException}, {@link io.cubby.store.EntryTooLargeException},
 * {@link io.cubby.store.StoreIOException}, {@link io.cubby.store.StoreClosedException},
 * {@link io.cubby.store.ReadOnlyStoreException}. Null arguments throw {@link java.lang.NullPointerException};
 * offsets outside a caller's buffer throw {@link java.lang.IndexOutOfBoundsException}; operations the store was
 * not created for (time-to-live without expiry) throw {@link java.lang.UnsupportedOperationException}.
 */
package io.cubby.store;
