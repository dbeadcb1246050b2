package io.cubby.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import io.cubby.store.Cubby;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code cubby get}: the value of one key.
 */
@Command(name = "get", header = "Print the value of one key.",
    description = {
        "Print the value of KEY (for a set, the member itself). With --format text the value is printed as text, " +
            "or as base64 if it is not valid UTF-8 (or with --encoding base64); with --format json as a dump line " +
            "(UTF-8 text where valid, base64 otherwise).",
        "Exit code 6 if the key is absent. Opens the store read-only."})
final class GetCommand implements Callable<Integer>
{
    @Mixin
    private StoreDirectory store;

    @Parameters(index = "1", paramLabel = "KEY", description = "The key.")
    private String key;

    @Mixin
    private KeyEncodingOption keyEncoding;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws IOException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Encoding encoding = keyEncoding.encoding;
        final byte[] k = encoding.decode(key);
        // the key as text decoded from its checked bytes (the JVM's own decoding may have garbled it)
        final String shown = Encoding.UTF8 == encoding ? new String(k, StandardCharsets.UTF_8) : key;
        final byte[] value;
        final boolean set;
        final long expiresAt;
        try (Cubby cubby = Stores.openReadOnly(store.path, err))
        {
            value = cubby.get(k);
            set = cubby.isSetMode();
            expiresAt = null == value || !cubby.hasExpiry() ? 0 : Math.max(0, cubby.expiresAtMillis(k));
        }
        if (null == value)
        {
            err.println("cubby get: key not found: " + shown);
            return ExitCode.NOT_FOUND;
        }
        if (output.json())
        {
            final StringWriter line = new StringWriter();
            try (JsonGenerator json = Json.FACTORY.createGenerator(line))
            {
                EntryJson.write(json, k, set ? null : value, expiresAt, encoding, true);
            }
            out.println(line);
        }
        else
        {
            final String text = encoding.textOrNull(value);
            if (null == text && Encoding.UTF8 == encoding)
            {
                err.println("cubby get: the value is not valid UTF-8; printed as base64");
            }
            out.println(null == text ? Encoding.toBase64(value) : text);
        }
        return ExitCode.OK;
    }
}
