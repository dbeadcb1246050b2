package io.cubby.tools;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON parser (RFC 8259) for the lines {@code cubby load} reads. Objects become
 * {@link LinkedHashMap}s, arrays {@link ArrayList}s, numbers {@link BigDecimal}s; duplicate names, trailing commas,
 * control characters in strings and trailing text are rejected with the column where parsing stopped.
 */
final class JsonReader
{
    private static final int MAX_DEPTH = 32;

    private final String text;
    private int position;
    private int depth;

    private JsonReader(final String text)
    {
        this.text = text;
    }

    /**
     * @param text one JSON document.
     * @return its value: a map, list, string, BigDecimal, Boolean or null.
     * @throws InputException naming the column of the first error.
     */
    static Object parse(final String text)
    {
        final JsonReader reader = new JsonReader(text);
        final Object value = reader.value();
        reader.skipWhitespace();
        if (reader.position != text.length())
        {
            throw reader.error("unexpected text after the JSON value");
        }
        return value;
    }

    private Object value()
    {
        skipWhitespace();
        if (position >= text.length())
        {
            throw error("unexpected end of input");
        }
        final char c = text.charAt(position);
        return switch (c)
        {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default ->
            {
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private Map<String, Object> object()
    {
        enter();
        position++;
        final Map<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}')
        {
            position++;
            depth--;
            return members;
        }
        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
            {
                throw error("expected a quoted member name");
            }
            final int nameAt = position;
            final String name = string();
            skipWhitespace();
            expect(':');
            final Object value = value();
            if (members.containsKey(name))
            {
                position = nameAt;
                throw error("duplicate member \"" + name + "\"");
            }
            members.put(name, value);
            skipWhitespace();
            if (peek() == ',')
            {
                position++;
                continue;
            }
            expect('}');
            depth--;
            return members;
        }
    }

    private List<Object> array()
    {
        enter();
        position++;
        final List<Object> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']')
        {
            position++;
            depth--;
            return elements;
        }
        while (true)
        {
            elements.add(value());
            skipWhitespace();
            if (peek() == ',')
            {
                position++;
                continue;
            }
            expect(']');
            depth--;
            return elements;
        }
    }

    private String string()
    {
        position++;
        final StringBuilder out = new StringBuilder();
        while (true)
        {
            if (position >= text.length())
            {
                throw error("unterminated string");
            }
            final char c = text.charAt(position++);
            if (c == '"')
            {
                return out.toString();
            }
            if (c < 0x20)
            {
                position--;
                throw error("control character U+" + String.format("%04X", (int)c) + " in a string must be escaped");
            }
            if (c != '\\')
            {
                out.append(c);
                continue;
            }
            if (position >= text.length())
            {
                throw error("unterminated escape");
            }
            final char escape = text.charAt(position++);
            switch (escape)
            {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> out.append(unicodeEscape());
                default ->
                {
                    position -= 2;
                    throw error("invalid escape \\" + escape);
                }
            }
        }
    }

    private char unicodeEscape()
    {
        if (position + 4 > text.length())
        {
            throw error("truncated \\u escape");
        }
        int code = 0;
        for (int i = 0; i < 4; i++)
        {
            final int digit = Character.digit(text.charAt(position + i), 16);
            if (digit < 0)
            {
                throw error("invalid \\u escape");
            }
            code = code << 4 | digit;
        }
        position += 4;
        return (char)code;
    }

    private BigDecimal number()
    {
        final int start = position;
        if (peek() == '-')
        {
            position++;
        }
        if (peek() == '0')
        {
            position++;
        }
        else if (!digits())
        {
            throw error("invalid number");
        }
        if (peek() == '.')
        {
            position++;
            if (!digits())
            {
                throw error("invalid number: digits expected after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E')
        {
            position++;
            if (peek() == '+' || peek() == '-')
            {
                position++;
            }
            if (!digits())
            {
                throw error("invalid number: digits expected in the exponent");
            }
        }
        return new BigDecimal(text.substring(start, position));
    }

    private boolean digits()
    {
        final int start = position;
        while (position < text.length() && text.charAt(position) >= '0' && text.charAt(position) <= '9')
        {
            position++;
        }
        return position > start;
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, position))
        {
            throw error("invalid literal");
        }
        position += word.length();
        return value;
    }

    private void enter()
    {
        if (++depth > MAX_DEPTH)
        {
            throw error("nested deeper than " + MAX_DEPTH);
        }
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error(position >= text.length() ? "unexpected end of input, expected '" + c + "'" :
                "expected '" + c + "' but found '" + text.charAt(position) + "'");
        }
        position++;
    }

    private char peek()
    {
        return position < text.length() ? text.charAt(position) : 0;
    }

    private void skipWhitespace()
    {
        while (position < text.length())
        {
            final char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            {
                return;
            }
            position++;
        }
    }

    private InputException error(final String message)
    {
        return new InputException("column " + (position + 1) + ": " + message);
    }
}
