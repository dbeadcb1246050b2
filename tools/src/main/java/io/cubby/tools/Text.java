package io.cubby.tools;

import java.time.Instant;
import java.util.Locale;

/**
 * Number and size formatting for text reports, independent of the default locale.
 */
final class Text
{
    private Text()
    {
    }

    static String count(final long value)
    {
        return String.format(Locale.ROOT, "%,d", value);
    }

    static String bytes(final long value)
    {
        if (value < 1024)
        {
            return value + " B";
        }
        final String[] units = { "KiB", "MiB", "GiB", "TiB" };
        double scaled = value;
        int unit = -1;
        while (scaled >= 1024 && unit < units.length - 1)
        {
            scaled /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%,d B (%.1f %s)", value, scaled, units[unit]);
    }

    static String ratio(final double value)
    {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    static String percent(final double fraction)
    {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }

    static String time(final long epochMillis)
    {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    static String hex(final long value)
    {
        return String.format(Locale.ROOT, "0x%016x", value);
    }

    static String lowerName(final Enum<?> value)
    {
        return value.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
