package io.cubby.store;

/**
 * Creation parameters shared by every table of a store. Immutable.
 */
final class TableParams
{
    final int maxKeyLength;
    final int maxValueLength;
    final Probing probing;
    final int maxLoadPpm;
    final long seed;
    final boolean setMode;
    final boolean expiry;

    TableParams(
        final int maxKeyLength,
        final int maxValueLength,
        final Probing probing,
        final int maxLoadPpm,
        final long seed,
        final boolean setMode,
        final boolean expiry)
    {
        this.maxKeyLength = maxKeyLength;
        this.maxValueLength = maxValueLength;
        this.probing = probing;
        this.maxLoadPpm = maxLoadPpm;
        this.seed = seed;
        this.setMode = setMode;
        this.expiry = expiry;
    }

    int flags()
    {
        return (setMode ? TableDescriptor.FLAG_SET_MODE : 0) | (expiry ? TableDescriptor.FLAG_EXPIRY : 0);
    }

    double maxLoad()
    {
        return maxLoadPpm / 1_000_000.0;
    }

    boolean sameShape(final TableParams other)
    {
        return maxKeyLength == other.maxKeyLength && maxValueLength == other.maxValueLength &&
            probing == other.probing && maxLoadPpm == other.maxLoadPpm && seed == other.seed &&
            setMode == other.setMode && expiry == other.expiry;
    }
}
