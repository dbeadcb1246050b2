package io.cubby.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import io.cubby.store.Cubby;
import io.cubby.store.CubbyStats;
import io.cubby.store.Probing;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The first line of a dump: {@code {"cubbyDump":1,"encoding":"base64","setMode":false,"expiry":true,...}}. It
 * states the one encoding every entry line of the dump uses, and the parameters of the store dumped, which
 * {@code load --create} uses for the store it creates (options given on its command line win).
 *
 * @param encoding     how keys and values are written in every entry line.
 * @param setMode      the store was a set: its lines have no value.
 * @param expiry       the store had per-entry time to live; lines of entries that expire carry
 *                     {@code expiresAtMillis}.
 * @param maxKeySize   largest key of the store.
 * @param maxValueSize largest value of the store (0 for a set).
 * @param probing      probing of the store; null (member absent) for a format-version-2 store, which has none.
 * @param maxLoad      maximum load of a version-1 store; NaN (member absent) for format version 2, whose loads
 *                     are its own.
 */
record DumpHeader(
    Encoding encoding, boolean setMode, boolean expiry, int maxKeySize, int maxValueSize, Probing probing,
    double maxLoad)
{
    static final String MARKER = "cubbyDump";
    static final int VERSION = 1;

    private static final Set<String> MEMBERS = Set.of(
        MARKER, "encoding", "setMode", "expiry", "maxKeySize", "maxValueSize", "probing", "maxLoad");

    /**
     * @param cubby    the store being dumped.
     * @param encoding the dump's encoding.
     * @return its header.
     */
    static DumpHeader of(final Cubby cubby, final Encoding encoding)
    {
        final CubbyStats stats = cubby.stats();
        final boolean version1 = null != stats.probing;
        return new DumpHeader(encoding, cubby.isSetMode(), cubby.hasExpiry(), cubby.maxKeySize(),
            cubby.maxValueSize(), stats.probing, version1 ? stats.maxLoad : Double.NaN);
    }

    void write(final JsonGenerator json) throws IOException
    {
        json.writeStartObject();
        json.writeNumberField(MARKER, VERSION);
        json.writeStringField("encoding", encoding.name().toLowerCase(Locale.ROOT));
        json.writeBooleanField("setMode", setMode);
        json.writeBooleanField("expiry", expiry);
        json.writeNumberField("maxKeySize", maxKeySize);
        json.writeNumberField("maxValueSize", maxValueSize);
        if (null != probing)
        {
            json.writeStringField("probing", probing.name().toLowerCase(Locale.ROOT));
        }
        if (!Double.isNaN(maxLoad))
        {
            json.writeNumberField("maxLoad", maxLoad);
        }
        json.writeEndObject();
    }

    /**
     * @param members the members of the first object of the input.
     * @return true if it is a dump header.
     */
    static boolean isHeader(final Map<String, Object> members)
    {
        return members.containsKey(MARKER);
    }

    /**
     * @param members the members of a header line.
     * @return the header.
     * @throws InputException if it is not a header this version reads.
     */
    static DumpHeader parse(final Map<String, Object> members)
    {
        final Object version = members.get(MARKER);
        if (!(version instanceof EntryJson.NumberText number) || !String.valueOf(VERSION).equals(number.text()))
        {
            throw new InputException("dump header version " + describe(version) + " is not supported; this cubby " +
                "reads version " + VERSION);
        }
        for (final String name : members.keySet())
        {
            if (!MEMBERS.contains(name))
            {
                throw new InputException("unknown member \"" + name + "\" in the dump header");
            }
        }
        final boolean setMode = bool(members, "setMode");
        final int maxValueSize = integer(members, "maxValueSize");
        if (setMode != (0 == maxValueSize))
        {
            throw new InputException("dump header: setMode " + setMode + " contradicts maxValueSize " + maxValueSize);
        }
        return new DumpHeader(
            enumValue(Encoding.class, members, "encoding"),
            setMode,
            bool(members, "expiry"),
            integer(members, "maxKeySize"),
            maxValueSize,
            members.containsKey("probing") ? enumValue(Probing.class, members, "probing") : null,
            members.containsKey("maxLoad") ? decimal(members, "maxLoad") : Double.NaN);
    }

    private static Object required(final Map<String, Object> members, final String name)
    {
        final Object value = members.get(name);
        if (null == value)
        {
            throw new InputException("dump header: missing \"" + name + "\"");
        }
        return value;
    }

    private static boolean bool(final Map<String, Object> members, final String name)
    {
        if (required(members, name) instanceof Boolean value)
        {
            return value;
        }
        throw new InputException("dump header: \"" + name + "\" must be true or false");
    }

    private static int integer(final Map<String, Object> members, final String name)
    {
        if (required(members, name) instanceof EntryJson.NumberText number && number.integral())
        {
            try
            {
                return Integer.parseInt(number.text());
            }
            catch (final NumberFormatException ex)
            {
                throw new InputException("dump header: \"" + name + "\" is out of range: " + number.text());
            }
        }
        throw new InputException("dump header: \"" + name + "\" must be an integer");
    }

    private static double decimal(final Map<String, Object> members, final String name)
    {
        if (required(members, name) instanceof EntryJson.NumberText number)
        {
            final double value = Double.parseDouble(number.text());
            if (Double.isFinite(value))
            {
                return value;
            }
            throw new InputException("dump header: \"" + name + "\" is out of range: " + number.text());
        }
        throw new InputException("dump header: \"" + name + "\" must be a number");
    }

    private static <E extends Enum<E>> E enumValue(
        final Class<E> type, final Map<String, Object> members, final String name)
    {
        final Object value = required(members, name);
        if (value instanceof String text)
        {
            for (final E constant : type.getEnumConstants())
            {
                if (constant.name().equalsIgnoreCase(text))
                {
                    return constant;
                }
            }
        }
        throw new InputException("dump header: invalid \"" + name + "\": " + describe(value));
    }

    private static String describe(final Object value)
    {
        return value instanceof EntryJson.NumberText number ? number.text() : String.valueOf(value);
    }
}
