package io.cubby.store;

/**
 * Another process, or another open instance in this process, holds the store's lock file.
 */
public final class StoreLockedException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public StoreLockedException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public StoreLockedException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
