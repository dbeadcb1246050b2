package io.cubby.tools;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place on stderr; silent unless enabled (the tool enables it only when it
 * runs on a terminal).
 */
final class ProgressBar
{
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private int shownPermille = -1;

    ProgressBar(final PrintWriter err, final String label, final long total, final boolean enabled)
    {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.enabled = enabled;
    }

    void update(final long done)
    {
        if (!enabled)
        {
            return;
        }
        final int permille = (int)Math.min(1000, done * 1000 / total);
        if (permille == shownPermille)
        {
            return;
        }
        shownPermille = permille;
        final int filled = permille * WIDTH / 1000;
        err.printf(Locale.ROOT, "\r%s [%s%s] %5.1f%% %s/%s", label, "#".repeat(filled), " ".repeat(WIDTH - filled),
            permille / 10.0, Text.count(Math.min(done, total)), Text.count(total));
        err.flush();
    }

    void finish()
    {
        if (enabled && shownPermille >= 0)
        {
            err.println();
            err.flush();
        }
    }
}
