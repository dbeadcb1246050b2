package io.cubby.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Label and value lines of a text report, with the values aligned in one column.
 */
final class Fields
{
    private final List<String[]> rows = new ArrayList<>();

    Fields add(final String label, final String value)
    {
        rows.add(new String[]{ label, value });
        return this;
    }

    void print(final PrintWriter out)
    {
        int width = 0;
        for (final String[] row : rows)
        {
            width = Math.max(width, row[0].length());
        }
        for (final String[] row : rows)
        {
            out.print(row[0]);
            for (int i = row[0].length(); i < width + 2; i++)
            {
                out.print(' ');
            }
            out.println(row[1]);
        }
    }
}
