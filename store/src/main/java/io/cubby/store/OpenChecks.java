package io.cubby.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks of the table headers an open found, made before anything is changed: the stored parameters against
 * the builder's, whether the store was closed cleanly, and counters that a clean close makes exact.
 */
final class OpenChecks
{
    private OpenChecks()
    {
    }

    static void checkParameters(final Cubby.Builder builder, final Table table)
    {
        final TableParams params = table.params;
        final List<String> mismatches = new ArrayList<>();
        if (null != builder.maxKeySize && builder.maxKeySize != params.maxKeyLength)
        {
            mismatches.add("maxKeySize " + params.maxKeyLength + " (asked " + builder.maxKeySize + ")");
        }
        if (null != builder.maxValueSize && builder.maxValueSize != params.maxValueLength)
        {
            mismatches.add("maxValueSize " + params.maxValueLength + " (asked " + builder.maxValueSize + ")");
        }
        if (null != builder.probing && builder.probing != params.probing)
        {
            mismatches.add("probing " + params.probing + " (asked " + builder.probing + ")");
        }
        if (builder.expiry && !params.expiry)
        {
            mismatches.add("no expiry (asked expiry(true) or expireAfterWrite)");
        }
        if (null != builder.maxLoad && Math.round(builder.maxLoad * 1_000_000) != params.maxLoadPpm)
        {
            mismatches.add("maxLoad " + params.maxLoad() + " (asked " + builder.maxLoad + ")");
        }
        if (!mismatches.isEmpty())
        {
            throw new IncompatibleStoreException("store " + builder.directory + " was created with " +
                String.join(", ", mismatches) + "; open it without these settings or with the stored values");
        }
    }

    static boolean isClean(final Table current, final Table source)
    {
        return current.openState() == TableDescriptor.OPEN_STATE_CLEAN &&
            (null == source || source.openState() == TableDescriptor.OPEN_STATE_CLEAN);
    }

    static CorruptStoreException cleanCounterProblem(final Table table)
    {
        return new CorruptStoreException(table.counterProblem + ", although the store was closed cleanly (its " +
            "counters are then exact): the header is damaged. Nothing was changed. Open with salvage(true) " +
            "(`cubby recover --salvage`) to recount");
    }

    static List<Table> tables(final Table current, final Table source)
    {
        return null == source ? List.of(current) : List.of(current, source);
    }
}
