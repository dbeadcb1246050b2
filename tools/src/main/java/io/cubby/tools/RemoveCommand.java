package io.cubby.tools;

import io.cubby.store.Cubby;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code cubby remove}: remove one key.
 */
@Command(name = "remove", header = "Remove one key.",
    description = {
        "Remove KEY. Exit code 6 if it is absent. Opening the store for writing runs recovery if needed."})
final class RemoveCommand implements Callable<Integer>
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
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final byte[] k = keyEncoding.encoding.decode(key);
        // the key as text decoded from its checked bytes (the JVM's own decoding may have garbled it)
        final String shown = Encoding.UTF8 == keyEncoding.encoding ? new String(k, StandardCharsets.UTF_8) : key;
        final boolean removed;
        try (Cubby cubby = Stores.openWritable(Stores.existing(store.path), err))
        {
            removed = cubby.remove(k);
        }
        if (!removed)
        {
            err.println("cubby remove: key not found: " + shown);
            return ExitCode.NOT_FOUND;
        }
        if (output.json())
        {
            out.println(new JsonText().beginObject().field("key", shown).field("removed", true).endObject());
        }
        else
        {
            out.println("removed " + shown);
        }
        return ExitCode.OK;
    }
}
