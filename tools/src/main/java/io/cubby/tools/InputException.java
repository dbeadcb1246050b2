package io.cubby.tools;

/**
 * Input the command cannot use: a malformed {@code load} line, a key that is not valid base64. Exit code
 * {@link ExitCode#BAD_INPUT}.
 */
final class InputException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    InputException(final String message)
    {
        super(message);
    }

    InputException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
