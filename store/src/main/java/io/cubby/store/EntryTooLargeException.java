package io.cubby.store;

/**
 * A key or value is longer than the maximum the store was created with, or a key is empty.
 */
public final class EntryTooLargeException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public EntryTooLargeException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public EntryTooLargeException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
