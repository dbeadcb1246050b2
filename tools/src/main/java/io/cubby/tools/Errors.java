package io.cubby.tools;

import io.cubby.store.CorruptStoreException;
import io.cubby.store.CubbyException;
import io.cubby.store.EntryTooLargeException;
import io.cubby.store.IncompatibleStoreException;
import io.cubby.store.NotAStoreException;
import io.cubby.store.StoreLockedException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * The one place where failures become an exit code and a one-line message on stderr. A stack trace is printed
 * only with {@code --verbose}.
 */
final class Errors implements IExecutionExceptionHandler, IParameterExceptionHandler
{
    static final String VERBOSE_OPTION = "--verbose";

    /**
     * @param failure what went wrong.
     * @return its exit code.
     */
    static int exitCode(final Throwable failure)
    {
        if (failure instanceof CorruptStoreException)
        {
            return ExitCode.CORRUPT;
        }
        if (failure instanceof StoreLockedException)
        {
            return ExitCode.LOCKED;
        }
        if (failure instanceof NotAStoreException)
        {
            return ExitCode.NOT_A_STORE;
        }
        if (failure instanceof IncompatibleStoreException || failure instanceof UnsupportedOperationException)
        {
            // UnsupportedOperationException: what the store's format version cannot do (yet)
            return ExitCode.INCOMPATIBLE;
        }
        if (failure instanceof EntryTooLargeException || failure instanceof InputException)
        {
            return ExitCode.BAD_INPUT;
        }
        if (failure instanceof IllegalArgumentException)
        {
            return ExitCode.USAGE;
        }
        return ExitCode.ERROR;
    }

    /**
     * @param failure what went wrong.
     * @return one line saying so.
     */
    static String message(final Throwable failure)
    {
        final String text;
        if (failure instanceof StoreLockedException)
        {
            text = failure.getMessage() + "; close the other process first (`cubby inspect` works meanwhile)";
        }
        else if (failure instanceof NoSuchFileException)
        {
            text = "no such file: " + ((NoSuchFileException)failure).getFile();
        }
        else if (failure instanceof AccessDeniedException)
        {
            text = "permission denied: " + ((AccessDeniedException)failure).getFile();
        }
        else if (failure instanceof UncheckedIOException && null != failure.getCause())
        {
            return message(failure.getCause());
        }
        else if (failure instanceof IOException)
        {
            text = "I/O error: " + failure.getMessage();
        }
        else if (failure instanceof CubbyException || failure instanceof InputException ||
            failure instanceof IllegalArgumentException || failure instanceof UnsupportedOperationException)
        {
            text = failure.getMessage();
        }
        else
        {
            text = "internal error: " + failure + " (run with " + VERBOSE_OPTION + " for details)";
        }
        return null == text ? failure.getClass().getSimpleName() : text.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    @Override
    public int handleExecutionException(
        final Exception failure, final CommandLine commandLine, final ParseResult parseResult)
    {
        if (failure instanceof ParameterException usage)
        {
            return handleParseException(usage, new String[0]);
        }
        final PrintWriter err = commandLine.getErr();
        if (failure instanceof OutputClosedException)
        {
            // the reader has gone (`cubby dump | head`): stop quietly; CubbyCli.main reports a failed write to
            // a regular file
            return ExitCode.OK;
        }
        err.println(commandName(commandLine) + ": " + message(failure));
        if (verbose(parseResult))
        {
            failure.printStackTrace(err);
        }
        err.flush();
        return exitCode(failure);
    }

    @Override
    public int handleParseException(final ParameterException failure, final String[] args)
    {
        final CommandLine commandLine = failure.getCommandLine();
        final PrintWriter err = commandLine.getErr();
        err.println(commandName(commandLine) + ": " + failure.getMessage());
        UnmatchedArgumentException.printSuggestions(failure, err);
        err.println("Try '" + commandLine.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return ExitCode.USAGE;
    }

    private static String commandName(final CommandLine commandLine)
    {
        return commandLine.getCommandSpec().qualifiedName();
    }

    private static boolean verbose(final ParseResult parseResult)
    {
        for (ParseResult result = parseResult; null != result; result = result.subcommand())
        {
            if (result.hasMatchedOption(VERBOSE_OPTION))
            {
                return true;
            }
        }
        return false;
    }
}
