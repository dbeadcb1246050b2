package io.cubby.store;

/**
 * The path does not hold a Cubby store: it is a regular file, or a directory whose files are not store files.
 */
public final class NotAStoreException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public NotAStoreException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public NotAStoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
