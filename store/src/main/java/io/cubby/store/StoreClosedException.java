package io.cubby.store;

/**
 * An operation was called on a closed store.
 */
public final class StoreClosedException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public StoreClosedException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public StoreClosedException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
