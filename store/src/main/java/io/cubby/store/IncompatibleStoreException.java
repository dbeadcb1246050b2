package io.cubby.store;

/**
 * The store exists but cannot be opened as asked: other creation parameters, or a format version this code cannot read or write.
 */
public final class IncompatibleStoreException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public IncompatibleStoreException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public IncompatibleStoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
