package io.cubby.store;

/**
 * An I/O operation failed, for example because the disk is full. Data acknowledged before the failure is kept.
 */
public final class StoreIOException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public StoreIOException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public StoreIOException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
