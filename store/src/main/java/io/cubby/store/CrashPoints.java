package io.cubby.store;

/**
 * Test hook at every numbered step of every write protocol (FORMAT.md §5a): {@link #reached} is called with the
 * step's name just after the step's bytes are in the mapping, while the writer holds the store's write lock (or,
 * during recovery, before the store is published). A test that copies the store files at that moment gets
 * exactly what a process kill at that instant would leave, since mapped bytes live in the page cache.
 * <p>
 * Version-2 points carry the prefix {@code v2.} and are named in FORMAT-v2.md sections 8 and 9; they fire only
 * where the step's bytes are in the mapping (a segment file's, the manifest's or a file just created).
 * <p>
 * Unset in production: each step then costs one static field read and a null check.
 */
interface CrashPoints
{
    /**
     * @param point name of the step just completed, e.g. {@code "insert.new-copy"}.
     */
    void reached(String point);

    /**
     * A file's mapped bytes were just forced to the device (a power-loss simulator takes them as durable).
     */
    default void forced(java.nio.file.Path file)
    {
    }

    /**
     * Where the hook is installed; tests set it before opening a store and clear it afterwards.
     */
    final class Hook
    {
        static CrashPoints installed;

        private Hook()
        {
        }

        static void reached(final String point)
        {
            final CrashPoints hook = installed;
            if (null != hook)
            {
                hook.reached(point);
            }
        }

        static void forced(final java.nio.file.Path file)
        {
            final CrashPoints hook = installed;
            if (null != hook)
            {
                hook.forced(file);
            }
        }
    }
}
