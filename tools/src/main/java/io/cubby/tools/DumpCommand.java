package io.cubby.tools;

import io.cubby.store.CorruptStoreException;
import io.cubby.store.Cubby;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code cubby dump}: every entry as a JSON line, from a consistent read-only snapshot.
 */
@Command(name = "dump", header = "Write every entry as a JSON line.",
    description = {
        "Write every entry as one JSON object per line: {\"key\":\"...\",\"value\":\"...\"} (set members have no " +
            "value). Keys and values that are not valid UTF-8 (all of them with --encoding base64) are written as " +
            "\"keyBase64\"/\"valueBase64\" instead, so `cubby load` reads a dump back without options.",
        "Each entry is checked against its slot checksum first: a corrupt entry stops the dump with exit code 3, or " +
            "with --skip-corrupt is reported on stderr and left out (the exit code is still 3).",
        "Order is slot order. Opens the store read-only."})
final class DumpCommand implements Callable<Integer>
{
    private static final int CHECK_OUTPUT_EVERY = 1024;

    @Mixin
    private StoreDirectory store;

    @Option(names = "--encoding", paramLabel = "utf8|base64", defaultValue = "utf8",
        description = "utf8: text where the bytes are valid UTF-8, base64 otherwise; base64: always base64. " +
            "Default: ${DEFAULT-VALUE}.")
    private Encoding encoding;

    @Option(names = "--skip-corrupt", description = "Leave out corrupt entries (listed on stderr) instead of stopping.")
    private boolean skipCorrupt;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final JsonWriter json = new JsonWriter();
        final long[] counts = new long[2];
        try (Cubby cubby = Stores.openReadOnly(store.path, err))
        {
            final boolean set = cubby.isSetMode();
            cubby.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
            {
                final byte[] k = new byte[keyLength];
                key.getBytes(keyOffset, k);
                final byte[] v = new byte[valueLength];
                value.getBytes(valueOffset, v);
                final String problem = check(cubby, k, v);
                if (null != problem)
                {
                    skipOrStop(err, problem, counts);
                    return;
                }
                emit(out, json, k, set ? null : v, counts);
            }, (key, keyOffset, keyLength, problem) ->
            {
                final byte[] k = new byte[keyLength];
                key.getBytes(keyOffset, k);
                skipOrStop(err, "key " + describe(k) + ": " + problem.getMessage(), counts);
            });
        }
        out.flush();
        if (counts[1] > 0)
        {
            err.println("cubby dump: " + counts[1] + " corrupt entr" + (counts[1] == 1 ? "y" : "ies") +
                " left out; " + counts[0] + " written");
            return ExitCode.CORRUPT;
        }
        return ExitCode.OK;
    }

    private void emit(final PrintWriter out, final JsonWriter json, final byte[] k, final byte[] v, final long[] counts)
    {
        EntryJson.write(json.reset(), k, v, encoding);
        out.append(json.text()).append('\n');
        if (++counts[0] % CHECK_OUTPUT_EVERY == 0 && out.checkError())
        {
            throw new OutputClosedException();
        }
    }

    private void skipOrStop(final PrintWriter err, final String problem, final long[] counts)
    {
        counts[1]++;
        if (!skipCorrupt)
        {
            throw new CorruptStoreException(problem + "; stopped after " + counts[0] + " entries " +
                "(--skip-corrupt leaves out corrupt entries)");
        }
        err.println("cubby dump: skipped: " + problem);
    }

    /**
     * Iteration checks slot checksums (failures reach the handler); a lookup through the key also proves the key
     * reachable from its home slot and the value the one stored.
     *
     * @return null if the entry reads back intact, else what is wrong with it.
     */
    private static String check(final Cubby cubby, final byte[] key, final byte[] value)
    {
        final byte[] stored;
        try
        {
            stored = cubby.get(key);
        }
        catch (final CorruptStoreException ex)
        {
            return "key " + describe(key) + ": " + ex.getMessage();
        }
        if (null == stored)
        {
            return "key " + describe(key) + " is in a slot but a lookup does not find it (corrupt key or hash)";
        }
        return Arrays.equals(stored, value) ? null : "key " + describe(key) + " reads back another value";
    }

    private static String describe(final byte[] key)
    {
        final String text = Encoding.decodeUtf8(key);
        return null == text ? "(base64) " + Encoding.toBase64(key) : '"' + text + '"';
    }
}
