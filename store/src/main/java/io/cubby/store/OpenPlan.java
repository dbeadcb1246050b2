package io.cubby.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an open will change, decided before anything is changed: recovery first validates everything and
 * only then applies this plan, so a failed open leaves every file as it was.
 */
final class OpenPlan
{
    /** Proven leftovers (older tables of finished rehashes) and temporary files. */
    final List<Path> delete = new ArrayList<>();
    /** Salvage only: files whose role cannot be proven, renamed aside (never deleted). */
    final List<Path> setAside = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    /**
     * Milliseconds since an open started, for its report.
     */
    static long elapsedMillis(final long startNanos)
    {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
