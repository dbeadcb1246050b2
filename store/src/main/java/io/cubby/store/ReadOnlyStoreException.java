package io.cubby.store;

/**
 * A write was attempted on a store opened read-only.
 */
public final class ReadOnlyStoreException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public ReadOnlyStoreException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public ReadOnlyStoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
