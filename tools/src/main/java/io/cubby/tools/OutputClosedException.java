package io.cubby.tools;

/**
 * Standard output was closed by its reader (for example {@code cubby dump STORE | head}); the command stops.
 */
final class OutputClosedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    OutputClosedException()
    {
        super("standard output closed", null, false, false);
    }
}
