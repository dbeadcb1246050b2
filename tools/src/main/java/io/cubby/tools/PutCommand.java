package io.cubby.tools;

import io.cubby.store.Cubby;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code cubby put}: insert or replace one entry of an existing store.
 */
@Command(name = "put", header = "Insert or replace one entry.",
    description = {
        "Insert or replace one entry; for a set, add KEY (give no VALUE). The store must exist (see `cubby load " +
            "--create`); opening it for writing runs recovery if needed."})
final class PutCommand implements Callable<Integer>
{
    @Mixin
    private StoreDirectory store;

    @Parameters(index = "1", paramLabel = "KEY", description = "The key.")
    private String key;

    @Parameters(index = "2", arity = "0..1", paramLabel = "VALUE", description = "The value; none for a set.")
    private String value;

    @Mixin
    private KeyEncodingOption keyEncoding;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final Encoding encoding = keyEncoding.encoding;
        final byte[] k = encoding.decode(key);
        // the key as text decoded from its checked bytes (the JVM's own decoding may have garbled it)
        final String shown = Encoding.UTF8 == encoding ? new String(k, StandardCharsets.UTF_8) : key;
        final byte[] v = null == value ? null : encoding.decode(value);
        final boolean added;
        try (Cubby cubby = Stores.openWritable(Stores.existing(store.path), spec.commandLine().getErr()))
        {
            if (cubby.isSetMode() != (null == v))
            {
                throw new ParameterException(spec.commandLine(), cubby.isSetMode() ?
                    "the store is a set: give KEY only" : "missing VALUE");
            }
            added = cubby.isSetMode() ? cubby.add(k) : cubby.put(k, v);
        }
        if (output.json())
        {
            out.println(new JsonText().beginObject().field("key", shown).field("added", added).endObject());
        }
        else
        {
            out.println((added ? "added " : "replaced ") + shown);
        }
        return ExitCode.OK;
    }
}
