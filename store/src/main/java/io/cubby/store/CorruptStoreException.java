package io.cubby.store;

/**
 * A store or log file fails validation: bad magic, checksum, length or offset. Nothing was modified.
 */
public final class CorruptStoreException extends CubbyException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public CorruptStoreException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public CorruptStoreException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
