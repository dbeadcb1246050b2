package io.cubby.tools;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest
{
    @Test
    void writerEscapesWhatJsonRequires()
    {
        final String json = new JsonWriter().beginObject()
            .field("s", "q\" b\\ n\n r\r t\t \u0000 \u001f \u2028 é \uD83D\uDE42 /")
            .field("n", -12L)
            .field("d", 0.5)
            .field("nan", Double.NaN)
            .field("b", true)
            .field("null", (String)null)
            .field("a", new long[]{ 1, 2 })
            .name("o").beginObject().endObject()
            .endObject()
            .toString();

        assertEquals("{\"s\":\"q\\\" b\\\\ n\\n r\\r t\\t \\u0000 \\u001f \\u2028 é \uD83D\uDE42 /\",\"n\":-12," +
            "\"d\":0.5,\"nan\":null,\"b\":true,\"null\":null,\"a\":[1,2],\"o\":{}}", json);
    }

    @Test
    void readerReadsWhatTheWriterWrites()
    {
        final String text = "q\" b\\ n\n r\r \u0000 \u2028 é \uD83D\uDE42";
        final String json = new JsonWriter().beginObject().field("s", text).field("n", 3L).endObject().toString();

        final Map<?, ?> parsed = (Map<?, ?>)JsonReader.parse(json);

        assertEquals(text, parsed.get("s"));
        assertEquals(new BigDecimal(3), parsed.get("n"));
    }

    @Test
    void readerHandlesEveryValueKind()
    {
        final Object value = JsonReader.parse(" {\"a\" : [1, -2.5e3, true, false, null, \"\\u00e9\\/\"], \"b\": {}} ");

        assertEquals(Map.of("a", java.util.Arrays.asList(new BigDecimal(1), new BigDecimal("-2.5e3"), true, false,
            null, "é/"), "b", Map.of()), value);
        assertNull(JsonReader.parse("null"));
        assertEquals(List.of(), JsonReader.parse("[]"));
    }

    @Test
    void readerRejectsMalformedJsonNamingTheColumn()
    {
        final String[][] cases = {
            { "{\"a\":1,}", "column 8" }, { "[1 2]", "column 4" }, { "\"a\nb\"", "control character" },
            { "{\"a\":1} x", "unexpected text" }, { "01", "unexpected text" }, { "\"\\x\"", "invalid escape" },
            { "{\"a\":1,\"a\":2}", "duplicate member" }, { "", "unexpected end" }, { "tru", "invalid literal" },
            { "[".repeat(40), "nested deeper" }, { "\"\\u12\"", "\\u escape" }, { "-", "invalid number" },
        };
        for (final String[] c : cases)
        {
            final InputException ex = assertThrows(InputException.class, () -> JsonReader.parse(c[0]), c[0]);
            assertTrue(ex.getMessage().contains(c[1]), c[0] + " -> " + ex.getMessage());
        }
    }
}
