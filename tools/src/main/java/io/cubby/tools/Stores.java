package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.RecoveryReport;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Opening stores the way every command does: read-only commands take no lock (they also read a store another
 * process is writing) and never recover or write;
 * writing commands never create a store unless asked, and say on stderr what recovery did.
 */
final class Stores
{
    private Stores()
    {
    }

    /**
     * Open read-only, warning on stderr if the store needs recovery (what is shown then lacks what only the log
     * holds).
     *
     * @param directory the store.
     * @param err       diagnostics.
     * @return the open store.
     */
    static Cubby openReadOnly(final Path directory, final PrintWriter err)
    {
        final Cubby store = Cubby.builder(directory).readOnly(true).open();
        if (store.hasLiveWriter())
        {
            err.println("cubby: note: " + directory + " is open for writing in another process; reading it live " +
                "(each entry as of one instant, no snapshot across entries)");
        }
        else if (!store.recoveryReport().cleanShutdown)
        {
            err.println("cubby: warning: " + directory + " was not shut down cleanly and has not been recovered; " +
                "shown as its table files stand, without operations only its log holds (`cubby recover` replays " +
                "them)");
        }
        return store;
    }

    /**
     * Open an existing store for writing, which runs recovery; a one-line note on stderr says what it did.
     *
     * @param builder the configured builder.
     * @param err     diagnostics.
     * @return the open store.
     */
    static Cubby openWritable(final Cubby.Builder builder, final PrintWriter err)
    {
        final Cubby store = builder.open();
        final RecoveryReport report = store.recoveryReport();
        if (report.didWork())
        {
            err.println("cubby: recovered " + store.directory() + ": " + report);
        }
        return store;
    }

    /**
     * @param directory the store.
     * @return a builder that opens an existing store for writing and never creates one.
     */
    static Cubby.Builder existing(final Path directory)
    {
        return Cubby.builder(directory).createIfMissing(false);
    }
}
