package io.cubby.store;

import java.util.concurrent.TimeUnit;

/**
 * For the child processes the crash and cross-process tests start: a daemon thread that halts the child once the
 * process that started it is gone. A test JVM killed for its time limit (surefire's fork timeout) or by hand
 * would otherwise leave children that write forever, loading the machine for the runs after it.
 */
final class ParentWatch
{
    private static final long POLL_MILLIS = 200;

    private ParentWatch()
    {
    }

    /** Start watching the parent of this process (no-op when it has none). */
    static void haltWhenParentDies()
    {
        // the handle of the parent as it is now: once it dies, the child is adopted by another process, which a
        // later parent() would return
        final ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (null == parent)
        {
            return;
        }
        final Thread watch = new Thread(() ->
        {
            while (parent.isAlive())
            {
                try
                {
                    TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watch");
        watch.setDaemon(true);
        watch.start();
    }
}
