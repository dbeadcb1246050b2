package io.cubby.tools;

import java.util.Map;
import java.util.TreeMap;

/**
 * A small streaming JSON writer building one document in memory, for reports and dump lines. Strings are escaped
 * as RFC 8259 requires (quote, backslash, control characters) plus U+2028 and U+2029; other characters are written
 * as they are, so the output is UTF-8 once encoded. Non-finite numbers are written as {@code null}.
 */
final class JsonWriter
{
    private static final int MAX_DEPTH = 32;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder out = new StringBuilder(256);
    private final boolean[] hasElement = new boolean[MAX_DEPTH];
    private int depth;
    private boolean afterName;

    /**
     * Forget the document written so far.
     *
     * @return this.
     */
    JsonWriter reset()
    {
        out.setLength(0);
        depth = 0;
        hasElement[0] = false;
        afterName = false;
        return this;
    }

    JsonWriter beginObject()
    {
        beforeValue();
        out.append('{');
        push();
        return this;
    }

    JsonWriter endObject()
    {
        depth--;
        out.append('}');
        return this;
    }

    JsonWriter beginArray()
    {
        beforeValue();
        out.append('[');
        push();
        return this;
    }

    JsonWriter endArray()
    {
        depth--;
        out.append(']');
        return this;
    }

    JsonWriter name(final String name)
    {
        beforeValue();
        quote(name);
        out.append(':');
        afterName = true;
        return this;
    }

    JsonWriter value(final String value)
    {
        beforeValue();
        if (null == value)
        {
            out.append("null");
        }
        else
        {
            quote(value);
        }
        return this;
    }

    JsonWriter value(final long value)
    {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter value(final double value)
    {
        beforeValue();
        if (Double.isFinite(value))
        {
            out.append(value);
        }
        else
        {
            out.append("null");
        }
        return this;
    }

    JsonWriter value(final boolean value)
    {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter field(final String name, final String value)
    {
        return name(name).value(value);
    }

    JsonWriter field(final String name, final long value)
    {
        return name(name).value(value);
    }

    JsonWriter field(final String name, final double value)
    {
        return name(name).value(value);
    }

    JsonWriter field(final String name, final boolean value)
    {
        return name(name).value(value);
    }

    JsonWriter field(final String name, final long[] values)
    {
        name(name).beginArray();
        for (final long value : values)
        {
            value(value);
        }
        return endArray();
    }

    JsonWriter field(final String name, final double[] values)
    {
        name(name).beginArray();
        for (final double value : values)
        {
            value(value);
        }
        return endArray();
    }

    JsonWriter field(final String name, final Iterable<String> values)
    {
        name(name).beginArray();
        for (final String value : values)
        {
            value(value);
        }
        return endArray();
    }

    /** Write counts as an object, names in sorted order. */
    JsonWriter field(final String name, final Map<String, Integer> counts)
    {
        name(name).beginObject();
        for (final Map.Entry<String, Integer> count : new TreeMap<>(counts).entrySet())
        {
            field(count.getKey(), count.getValue());
        }
        return endObject();
    }

    @Override
    public String toString()
    {
        return out.toString();
    }

    /**
     * @return the document so far, without copying it.
     */
    CharSequence text()
    {
        return out;
    }

    private void push()
    {
        if (depth == MAX_DEPTH - 1)
        {
            throw new IllegalStateException("JSON nested deeper than " + MAX_DEPTH);
        }
        hasElement[++depth] = false;
    }

    private void beforeValue()
    {
        if (afterName)
        {
            afterName = false;
            return;
        }
        if (hasElement[depth])
        {
            out.append(',');
        }
        hasElement[depth] = true;
    }

    private void quote(final String text)
    {
        out.append('"');
        for (int i = 0, length = text.length(); i < length; i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default ->
                {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029')
                    {
                        out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
                            .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
