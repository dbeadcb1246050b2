package io.cubby.tools;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * One JSON document built in memory through Jackson's {@link JsonGenerator}, for the one-line reports of the
 * {@code --format json} options. The methods chain, so a report reads as its structure.
 */
final class JsonText
{
    private final StringWriter text = new StringWriter(256);
    private final JsonGenerator json;

    JsonText()
    {
        try
        {
            json = Json.FACTORY.createGenerator(text);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A step writing to the generator; a {@link StringWriter} target never fails. */
    private interface Step
    {
        void run() throws IOException;
    }

    private JsonText step(final Step step)
    {
        try
        {
            step.run();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return this;
    }

    JsonText beginObject()
    {
        return step(json::writeStartObject);
    }

    JsonText endObject()
    {
        return step(json::writeEndObject);
    }

    JsonText beginArray()
    {
        return step(json::writeStartArray);
    }

    JsonText endArray()
    {
        return step(json::writeEndArray);
    }

    JsonText name(final String name)
    {
        return step(() -> json.writeFieldName(name));
    }

    JsonText value(final String value)
    {
        return step(() -> json.writeString(value));
    }

    JsonText field(final String name, final String value)
    {
        return step(() -> json.writeStringField(name, value));
    }

    JsonText field(final String name, final long value)
    {
        return step(() -> json.writeNumberField(name, value));
    }

    JsonText field(final String name, final double value)
    {
        return step(() ->
        {
            json.writeFieldName(name);
            Json.number(json, value);
        });
    }

    JsonText field(final String name, final boolean value)
    {
        return step(() -> json.writeBooleanField(name, value));
    }

    JsonText field(final String name, final long[] values)
    {
        return step(() ->
        {
            json.writeFieldName(name);
            json.writeArray(values, 0, values.length);
        });
    }

    JsonText field(final String name, final double[] values)
    {
        return step(() ->
        {
            json.writeArrayFieldStart(name);
            for (final double value : values)
            {
                Json.number(json, value);
            }
            json.writeEndArray();
        });
    }

    JsonText field(final String name, final Iterable<String> values)
    {
        return step(() ->
        {
            json.writeArrayFieldStart(name);
            for (final String value : values)
            {
                json.writeString(value);
            }
            json.writeEndArray();
        });
    }

    /** Counts as an object, names in sorted order. */
    JsonText field(final String name, final Map<String, Integer> counts)
    {
        return step(() ->
        {
            json.writeObjectFieldStart(name);
            for (final Map.Entry<String, Integer> count : new TreeMap<>(counts).entrySet())
            {
                json.writeNumberField(count.getKey(), count.getValue());
            }
            json.writeEndObject();
        });
    }

    /**
     * @return the document written so far.
     */
    @Override
    public String toString()
    {
        step(json::flush);
        return text.toString();
    }
}
