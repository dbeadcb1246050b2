package io.cubby.tools;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Horizontal bar charts in plain ASCII, for terminals and logs alike.
 */
final class Bars
{
    static final int WIDTH = 40;
    private static final String SHADES = " .:-=+*#%@";

    private Bars()
    {
    }

    /**
     * Print one bar per row, scaled so the largest count fills {@link #WIDTH} columns; a non-zero count always
     * shows at least one mark.
     *
     * @param out    where to print.
     * @param labels row labels.
     * @param counts row values.
     */
    static void chart(final PrintWriter out, final String[] labels, final long[] counts)
    {
        long max = 1;
        int labelWidth = 0;
        int countWidth = 1;
        for (int i = 0; i < counts.length; i++)
        {
            max = Math.max(max, counts[i]);
            labelWidth = Math.max(labelWidth, labels[i].length());
            countWidth = Math.max(countWidth, Text.count(counts[i]).length());
        }
        for (int i = 0; i < counts.length; i++)
        {
            final int length = counts[i] == 0 ? 0 : (int)Math.max(1, Math.round(counts[i] * (double)WIDTH / max));
            out.printf(Locale.ROOT, "  %" + labelWidth + "s |%-" + WIDTH + "s %" + countWidth + "s%n", labels[i],
                "#".repeat(length), Text.count(counts[i]));
        }
    }

    /**
     * @param fractions values in [0, 1].
     * @return one character per value, from ' ' (empty) to '@' (full).
     */
    static String strip(final double[] fractions)
    {
        final StringBuilder strip = new StringBuilder(fractions.length);
        for (final double fraction : fractions)
        {
            final double clamped = Math.max(0, Math.min(1, fraction));
            strip.append(SHADES.charAt((int)Math.round(clamped * (SHADES.length() - 1))));
        }
        return strip.toString();
    }

    /**
     * @return the legend of {@link #strip(double[])}.
     */
    static String stripLegend()
    {
        return "'" + SHADES.charAt(0) + "' empty ... '" + SHADES.charAt(SHADES.length() - 1) + "' full";
    }
}
