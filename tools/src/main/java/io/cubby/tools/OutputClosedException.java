package io.cubby.tools;

/**
 * Writing to standard output failed, usually because its reader closed it (for example
 * {@code cubby dump STORE | head}); the command stops quietly. {@link CubbyCli#main} tells a failed write to a
 * regular file (a full disk) apart and reports it.
 */
final class OutputClosedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    OutputClosedException()
    {
        super("standard output closed", null, false, false);
    }
}
