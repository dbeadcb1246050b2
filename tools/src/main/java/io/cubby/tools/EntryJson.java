package io.cubby.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The line format of {@code dump} and {@code load}: one JSON object per entry,
 * {@code {"key":"...","value":"...","expiresAtMillis":...}}, through Jackson's streaming API. With the base64
 * encoding the members are {@code "keyBase64"} and {@code "valueBase64"}; a dump uses one encoding for every line
 * (its header says which, see {@link DumpHeader}). Set members have no value; {@code expiresAtMillis}, the
 * entry's expiry time in milliseconds since the epoch, is present only for an entry that expires.
 */
final class EntryJson
{
    static final String KEY = "key";
    static final String VALUE = "value";
    static final String BASE64_SUFFIX = "Base64";
    static final String EXPIRES_AT = "expiresAtMillis";

    /**
     * One parsed line.
     *
     * @param key             the key.
     * @param value           the value, or null if the line has none.
     * @param expiresAtMillis expiry time in epoch milliseconds, or 0 for never.
     * @param encoding        the encoding the line's members use, or null if they mix both.
     */
    record Entry(byte[] key, byte[] value, long expiresAtMillis, Encoding encoding)
    {
    }

    /** A JSON number as it was written, converted only where a number is expected. */
    record NumberText(String text, boolean integral)
    {
    }

    private EntryJson()
    {
    }

    /**
     * Write one entry as a JSON object.
     *
     * @param json            the generator.
     * @param key             key bytes.
     * @param value           value bytes, or null for a set member.
     * @param expiresAtMillis expiry time in epoch milliseconds, or 0 (not written) for never.
     * @param encoding        how to write the bytes.
     * @param fallback        with the UTF-8 encoding, write bytes that are not valid UTF-8 as base64 (for the
     *                        single entry of {@code get}); without it they are an error.
     * @throws InputException if the UTF-8 encoding was asked, without fallback, for bytes that are not UTF-8.
     */
    static void write(
        final JsonGenerator json,
        final byte[] key,
        final byte[] value,
        final long expiresAtMillis,
        final Encoding encoding,
        final boolean fallback) throws IOException
    {
        // both encoded before anything is written: a failure leaves no partial line
        final String keyText = text(KEY, key, encoding, fallback);
        final String valueText = null == value ? null : text(VALUE, value, encoding, fallback);
        json.writeStartObject();
        json.writeStringField(null == keyText ? KEY + BASE64_SUFFIX : KEY, null == keyText ?
            Encoding.toBase64(key) : keyText);
        if (null != value)
        {
            json.writeStringField(null == valueText ? VALUE + BASE64_SUFFIX : VALUE, null == valueText ?
                Encoding.toBase64(value) : valueText);
        }
        if (0 != expiresAtMillis)
        {
            json.writeNumberField(EXPIRES_AT, expiresAtMillis);
        }
        json.writeEndObject();
    }

    /**
     * @return the text to write, or null to write base64.
     */
    private static String text(final String name, final byte[] bytes, final Encoding encoding, final boolean fallback)
    {
        final String text = encoding.textOrNull(bytes);
        if (null == text && Encoding.UTF8 == encoding && !fallback)
        {
            throw new InputException("the " + name + " (base64) " + Encoding.toBase64(bytes) + " is not valid " +
                "UTF-8, so --encoding utf8 cannot write it; use --encoding base64 (the default)");
        }
        return text;
    }

    /**
     * Read the members of a flat JSON object: strings, numbers (as their text), booleans and nulls.
     *
     * @param parser positioned on the object's START_OBJECT.
     * @return the members in order; the parser is left on the END_OBJECT.
     * @throws InputException for a duplicate member or a nested object or array.
     */
    static Map<String, Object> members(final JsonParser parser) throws IOException
    {
        final Map<String, Object> members = new LinkedHashMap<>();
        for (JsonToken token = parser.nextToken(); JsonToken.END_OBJECT != token; token = parser.nextToken())
        {
            final String name = parser.currentName();
            final JsonToken value = parser.nextToken();
            final Object member = switch (value)
            {
                case VALUE_STRING -> parser.getText();
                case VALUE_NUMBER_INT -> new NumberText(parser.getText(), true);
                case VALUE_NUMBER_FLOAT -> new NumberText(parser.getText(), false);
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> JsonToken.VALUE_NULL;
                default -> throw new InputException("\"" + name + "\" must be a " + expected(name) + ", not " +
                    describe(value));
            };
            if (members.containsKey(name))
            {
                throw new InputException("duplicate member \"" + name + "\"");
            }
            members.put(name, member);
        }
        return members;
    }

    /**
     * @param members the members of one line.
     * @return the entry; its value is null if the line has none.
     * @throws InputException if the members do not make an entry.
     */
    static Entry entry(final Map<String, Object> members)
    {
        for (final String name : members.keySet())
        {
            if (!KEY.equals(name) && !VALUE.equals(name) && !(KEY + BASE64_SUFFIX).equals(name) &&
                !(VALUE + BASE64_SUFFIX).equals(name) && !EXPIRES_AT.equals(name))
            {
                throw new InputException("unknown member \"" + name + "\"; expected key or keyBase64, value or " +
                    "valueBase64, and optionally " + EXPIRES_AT);
            }
        }
        final byte[] key = bytes(members, KEY);
        if (null == key)
        {
            throw new InputException("missing \"key\" (or \"keyBase64\")");
        }
        final Encoding keyEncoding = members.containsKey(KEY) ? Encoding.UTF8 : Encoding.BASE64;
        final byte[] value = bytes(members, VALUE);
        final Encoding valueEncoding = members.containsKey(VALUE) ? Encoding.UTF8 :
            members.containsKey(VALUE + BASE64_SUFFIX) ? Encoding.BASE64 : keyEncoding;
        final Object expires = members.get(EXPIRES_AT);
        return new Entry(key, value, null == expires ? 0 : millis(expires),
            keyEncoding == valueEncoding ? keyEncoding : null);
    }

    /**
     * Parse one line on its own (the lines of {@code get --format json}, and tests).
     *
     * @param line a JSON object as {@link #write} writes it.
     * @return the entry.
     * @throws InputException if the line is not such an object.
     */
    static Entry parse(final String line)
    {
        try (JsonParser parser = Json.FACTORY.createParser(line))
        {
            if (JsonToken.START_OBJECT != parser.nextToken())
            {
                throw new InputException("expected a JSON object like {\"key\":\"...\",\"value\":\"...\"}");
            }
            final Entry entry = entry(members(parser));
            if (null != parser.nextToken())
            {
                throw new InputException("unexpected text after the JSON object");
            }
            return entry;
        }
        catch (final IOException ex)
        {
            throw new InputException(ex.getMessage(), ex);
        }
    }

    private static long millis(final Object value)
    {
        if (value instanceof NumberText number && number.integral())
        {
            final long millis;
            try
            {
                millis = Long.parseLong(number.text());
            }
            catch (final NumberFormatException ex)
            {
                throw new InputException("\"" + EXPIRES_AT + "\" is out of range: " + number.text());
            }
            if (millis < 1)
            {
                throw new InputException("\"" + EXPIRES_AT + "\" must be positive: " + millis);
            }
            return millis;
        }
        throw new InputException("\"" + EXPIRES_AT + "\" must be an integer (milliseconds since the epoch), not " +
            describe(value));
    }

    private static byte[] bytes(final Map<String, Object> members, final String name)
    {
        final Object text = members.get(name);
        final Object base64 = members.get(name + BASE64_SUFFIX);
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
        throw new InputException("\"" + name + "\" must be a string, not " + describe(value));
    }

    private static String expected(final String name)
    {
        return EXPIRES_AT.equals(name) ? "number" : "string";
    }

    private static String describe(final Object value)
    {
        if (value instanceof NumberText)
        {
            return "a number";
        }
        if (value instanceof Boolean)
        {
            return "a boolean";
        }
        if (JsonToken.VALUE_NULL == value)
        {
            return "null";
        }
        if (JsonToken.START_OBJECT == value)
        {
            return "an object";
        }
        if (JsonToken.START_ARRAY == value)
        {
            return "an array";
        }
        return value instanceof String ? "a string" : String.valueOf(value);
    }
}
