package io.cubby.store;

/**
 * Told of entries the store removes by itself: expired entries as they are reclaimed, and entries evicted to
 * stay within {@link Cubby.Builder#maxEntries(long) maxEntries}. Removals asked for by the application
 * ({@code remove}, replacing a value) are not reported.
 * <p>
 * As with Caffeine's {@code RemovalListener}, notification is asynchronous: the store copies the entry and hands
 * it to a thread of its own after the removal, in removal order, so a slow listener never holds up a writer.
 * Notifications still queued when the store closes are delivered before {@link Cubby#close()} returns (for up to
 * 10 seconds). An exception thrown by the listener is logged and ignored.
 */
@FunctionalInterface
public interface RemovalListener
{
    /**
     * @param key   a copy of the removed entry's key.
     * @param value a copy of its value (the key again in set mode).
     * @param cause why it was removed.
     */
    void onRemoval(byte[] key, byte[] value, RemovalCause cause);
}
