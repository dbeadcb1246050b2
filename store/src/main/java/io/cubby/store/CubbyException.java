package io.cubby.store;

/**
 * Base class of every exception the store throws on purpose. Each failure class has its own subclass.
 */
public class CubbyException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file or key involved.
     */
    public CubbyException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file or key involved.
     * @param cause   the underlying failure.
     */
    public CubbyException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
