package io.cubby.tools;

import java.math.BigDecimal;
import java.util.Map;

/**
 * The line format of {@code dump} and {@code load}: one JSON object per entry,
 * {@code {"key":"...","value":"..."}}. A key or value that is not valid UTF-8, or any key or value when dumping
 * with {@code --encoding base64}, is written as {@code "keyBase64"} or {@code "valueBase64"} instead, so every
 * line says how to read itself and a dump loads back without options. Set-mode stores have no value.
 */
final class EntryJson
{
    static final String KEY = "key";
    static final String VALUE = "value";
    static final String BASE64_SUFFIX = "Base64";

    /** One parsed line. */
    record Entry(byte[] key, byte[] value)
    {
    }

    private EntryJson()
    {
    }

    /**
     * Write one entry as a JSON object.
     *
     * @param json     the writer.
     * @param key      key bytes.
     * @param value    value bytes, or null for a set member.
     * @param encoding how to write them.
     */
    static void write(final JsonWriter json, final byte[] key, final byte[] value, final Encoding encoding)
    {
        json.beginObject();
        field(json, KEY, key, encoding);
        if (null != value)
        {
            field(json, VALUE, value, encoding);
        }
        json.endObject();
    }

    /**
     * Write one byte string as a text field, or as a base64 field if the encoding asks or the bytes are not UTF-8.
     */
    static void field(final JsonWriter json, final String name, final byte[] bytes, final Encoding encoding)
    {
        final String text = encoding.textOrNull(bytes);
        if (null != text)
        {
            json.field(name, text);
        }
        else
        {
            json.field(name + BASE64_SUFFIX, Encoding.toBase64(bytes));
        }
    }

    /**
     * Parse one line.
     *
     * @param line a JSON object with {@code key} or {@code keyBase64}, and optionally {@code value} or
     *             {@code valueBase64}.
     * @return the entry; its value is null if the line has none.
     * @throws InputException if the line is not such an object.
     */
    static Entry parse(final String line)
    {
        if (!(JsonReader.parse(line) instanceof Map<?, ?> object))
        {
            throw new InputException("expected a JSON object like {\"key\":\"...\",\"value\":\"...\"}");
        }
        for (final Object name : object.keySet())
        {
            if (!KEY.equals(name) && !VALUE.equals(name) && !(KEY + BASE64_SUFFIX).equals(name) &&
                !(VALUE + BASE64_SUFFIX).equals(name))
            {
                throw new InputException("unknown member \"" + name + "\"; expected key or keyBase64, and value " +
                    "or valueBase64");
            }
        }
        final byte[] key = bytes(object, KEY);
        if (null == key)
        {
            throw new InputException("missing \"key\" (or \"keyBase64\")");
        }
        return new Entry(key, bytes(object, VALUE));
    }

    private static byte[] bytes(final Map<?, ?> object, final String name)
    {
        final Object text = object.get(name);
        final Object base64 = object.get(name + BASE64_SUFFIX);
        if (null != text && null != base64)
        {
            throw new InputException("both \"" + name + "\" and \"" + name + BASE64_SUFFIX + "\" given");
        }
        if (null != text)
        {
            return Encoding.utf8(string(text, name));
        }
        return null == base64 ? null : Encoding.base64(string(base64, name + BASE64_SUFFIX));
    }

    private static String string(final Object value, final String name)
    {
        if (value instanceof String text)
        {
            return text;
        }
        throw new InputException("\"" + name + "\" must be a string, not " +
            (value instanceof BigDecimal ? "a number" : value instanceof Map ? "an object" :
            value instanceof Boolean ? "a boolean" : "an array"));
    }
}
