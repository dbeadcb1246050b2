package io.cubby.tools;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The reports' JSON, written through Jackson, keeps the format the tool has always written: RFC 8259 escapes with
 * lower-case hex, U+2028 and U+2029 escaped, other characters as they are, non-finite numbers as null.
 */
class JsonTextTest
{
    @Test
    void escapesAsBeforeAndWritesOtherCharactersAsTheyAre()
    {
        final String json = new JsonText().beginObject()
            .field("s", "q\"b\\n\nt\tc\u0001\u001f/é✓\u2028\u2029\uD83D\uDE42")
            .field("n", 3L)
            .field("d", 0.5)
            .field("inf", Double.POSITIVE_INFINITY)
            .field("b", true)
            .field("none", (String)null)
            .field("a", new long[]{ 1, 2 })
            .field("f", new double[]{ 0.25, Double.NaN })
            .field("l", List.of("x", "y"))
            .field("m", Map.of("z", 2, "a", 1))
            .endObject()
            .toString();

        assertEquals("{\"s\":\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f/é✓\\u2028\\u2029\uD83D\uDE42\",\"n\":3,\"d\":0.5," +
            "\"inf\":null,\"b\":true,\"none\":null,\"a\":[1,2],\"f\":[0.25,null],\"l\":[\"x\",\"y\"]," +
            "\"m\":{\"a\":1,\"z\":2}}", json);
    }

    @Test
    void readsBackWhatItWrites()
    {
        final String text = "q\"b\\\n\u0000\u2028é\uD83D\uDE42";
        final Map<String, Object> parsed = Cli.json(new JsonText().beginObject().field("s", text).field("n", 3L)
            .endObject().toString());

        assertEquals(Map.of("s", text, "n", new BigDecimal(3)), parsed);
    }
}
