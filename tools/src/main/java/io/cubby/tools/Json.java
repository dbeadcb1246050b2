package io.cubby.tools;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/**
 * The one Jackson {@link JsonFactory} of the tool, configured once: what the parser accepts (strict RFC 8259,
 * with read constraints that bound nesting, numbers and strings so that no input
 * line can exhaust memory or time) and how the generator escapes (RFC 8259 escapes with lower-case hex, plus
 * U+2028 and U+2029 so that a line stays one line for JavaScript readers; other characters as they are).
 */
final class Json
{
    /** Deepest nesting accepted; entry lines and dump headers are flat objects. */
    static final int MAX_DEPTH = 16;
    /**
     * Longest number accepted, in characters: an expiry time in epoch milliseconds needs at most 19 digits.
     * Numbers where a string belongs are rejected without being converted, whatever their length.
     */
    static final int MAX_NUMBER_LENGTH = 20;
    /**
     * Longest string accepted, in characters: the base64 form of the largest key or value the format allows
     * (1 MiB), so every entry a store can hold loads, and no line can make the tool buffer more.
     */
    static final int MAX_STRING_LENGTH = 4 * (((1 << 20) + 2) / 3);
    /** Longest member name accepted; the known names are short. */
    static final int MAX_NAME_LENGTH = 256;

    static final JsonFactory FACTORY = new JsonFactoryBuilder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .maxStringLength(MAX_STRING_LENGTH)
            .maxNameLength(MAX_NAME_LENGTH)
            .build())
        .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
        .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
        .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
        .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
        .characterEscapes(new LineSeparatorEscapes())
        .build();

    private Json()
    {
    }

    /**
     * Write a double as a JSON number, or as null if it is not finite (JSON has no NaN or infinity).
     */
    static void number(final JsonGenerator json, final double value) throws java.io.IOException
    {
        if (Double.isFinite(value))
        {
            json.writeNumber(value);
        }
        else
        {
            json.writeNull();
        }
    }

    /** The standard escapes, plus U+2028 and U+2029 (line terminators in JavaScript). */
    private static final class LineSeparatorEscapes extends CharacterEscapes
    {
        private static final long serialVersionUID = 1L;

        private static final SerializableString LINE_SEPARATOR = new SerializedString("\\u2028");
        private static final SerializableString PARAGRAPH_SEPARATOR = new SerializedString("\\u2029");
        private final int[] ascii = standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii()
        {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(final int ch)
        {
            return ch == '\u2028' ? LINE_SEPARATOR : ch == '\u2029' ? PARAGRAPH_SEPARATOR : null;
        }
    }
}
