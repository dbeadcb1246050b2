package io.cubby.store;

/**
 * An insert found no room: a segment of a format-version-2 store holds as many entries as its largest possible
 * file allows (2 GiB, one mapping). Nothing was changed; updates, removals and inserts into other segments go on.
 * A store created with more segments ({@link Cubby.Builder#segments(int)}, or a larger
 * {@link Cubby.Builder#expectedEntries(long)}) holds more.
 */
public class StoreFullException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message which segment is full, and what to do.
     */
    public StoreFullException(final String message)
    {
        super(message);
    }
}
