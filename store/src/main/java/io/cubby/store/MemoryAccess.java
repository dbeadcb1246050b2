package io.cubby.store;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Checks, before a store touches any file, that Agrona's buffers can reach {@code jdk.internal.misc.Unsafe}.
 * Without {@code --add-exports=java.base/jdk.internal.misc=...} their first use throws an
 * {@code IllegalAccessError} (and every later one a {@code NoClassDefFoundError}); a store failing that way halfway
 * through an open would leave its lock file and a half-made table behind.
 */
final class MemoryAccess
{
    private static final String INTERNAL_PACKAGE = "jdk.internal.misc";

    private MemoryAccess()
    {
    }

    /**
     * @throws CubbyException naming the missing JVM flag if Agrona's buffers cannot be used in this JVM.
     */
    static void checkUsable()
    {
        // UnsafeApi.class names the class without initialising it: its initialisation is what fails
        final Module agrona = UnsafeApi.class.getModule();
        if (!Object.class.getModule().isExported(INTERNAL_PACKAGE, agrona))
        {
            throw new CubbyException(message(agrona, "java.base does not export " + INTERNAL_PACKAGE + " to " +
                (agrona.isNamed() ? "module " + agrona.getName() : "the class path")));
        }
        try
        {
            new UnsafeBuffer(new byte[Long.BYTES]).getLong(0);
        }
        catch (final LinkageError ex)
        {
            throw new CubbyException(message(agrona, ex.toString()), ex);
        }
    }

    /**
     * @return the flag that lets Agrona, where it is loaded from, use {@code jdk.internal.misc.Unsafe}.
     */
    static String requiredFlag()
    {
        return requiredFlag(UnsafeApi.class.getModule());
    }

    private static String requiredFlag(final Module agrona)
    {
        return "--add-exports=java.base/" + INTERNAL_PACKAGE + "=" + (agrona.isNamed() ? agrona.getName() : "ALL-UNNAMED");
    }

    private static String message(final Module agrona, final String reason)
    {
        return "Cubby cannot use off-heap memory in this JVM (" + reason + "): run java with " +
            requiredFlag(agrona) + " (Agrona's buffers use jdk.internal.misc.Unsafe" + (agrona.isNamed() ? ")" :
            "; an executable jar can carry 'Add-Exports: java.base/" + INTERNAL_PACKAGE + "' in its manifest instead)");
    }
}
