package io.cubby.tools;

import com.fasterxml.jackson.core.JsonGenerator;
import io.cubby.store.CorruptStoreException;
import io.cubby.store.Cubby;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code cubby dump}: a header line, then every entry as a JSON line, from a consistent read-only snapshot.
 */
@Command(name = "dump", header = "Write every entry as a JSON line.",
    description = {
        "Write a header line, then every entry as one JSON object per line (JSON Lines). The header, " +
            "{\"cubbyDump\":1,\"encoding\":...,\"setMode\":...,\"expiry\":...,\"maxKeySize\":...,...}, states the " +
            "encoding of every line and the store's parameters, which `cubby load --create` gives the store it " +
            "creates.",
        "With --encoding base64 (the default) every line is {\"keyBase64\":\"...\",\"valueBase64\":\"...\"}; with " +
            "--encoding utf8 every line is {\"key\":\"...\",\"value\":\"...\"}, and a key or value that is not valid " +
            "UTF-8 stops the dump with exit code 8. Set members have no value. An entry that expires also has " +
            "\"expiresAtMillis\", its expiry time in milliseconds since the epoch.",
        "--format json (the default, and the only format) is accepted like the other commands' option: the dump " +
            "is always JSON Lines.",
        "Each entry is checked against its slot checksum first: a corrupt entry stops the dump with exit code 3, or " +
            "with --skip-corrupt is reported on stderr and left out (the exit code is still 3).",
        "Order is slot order. Opens the store read-only. A reader that closes the output early (`| head`) stops " +
            "the dump quietly, with exit code 0."})
final class DumpCommand implements Callable<Integer>
{
    private static final int CHECK_OUTPUT_EVERY = 256;

    @Mixin
    private StoreDirectory store;

    @Option(names = "--encoding", paramLabel = "utf8|base64", defaultValue = "base64",
        description = "How every key and value is written: base64 of the bytes, or utf8 text (fails on bytes " +
            "that are not UTF-8). Default: ${DEFAULT-VALUE}.")
    private Encoding encoding;

    @Option(names = "--format", paramLabel = "json", defaultValue = "json",
        description = "Output format: json, the JSON Lines described above (the default and only format).")
    private Format format;

    @Option(names = "--skip-corrupt", description = "Leave out corrupt entries (listed on stderr) instead of stopping.")
    private boolean skipCorrupt;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws IOException
    {
        if (Format.JSON != format)
        {
            throw new ParameterException(spec.commandLine(), "dump writes JSON lines only; --format json is the " +
                "default");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final long[] counts = new long[2];
        try (Cubby cubby = Stores.openReadOnly(store.path, err);
            JsonGenerator json = Json.FACTORY.createGenerator(out).setRootValueSeparator(null))
        {
            final boolean set = cubby.isSetMode();
            // with a writer active, a key read back may have changed since the scan read it: not a problem
            final boolean live = cubby.hasLiveWriter();
            final boolean expiry = cubby.hasExpiry();
            DumpHeader.of(cubby, encoding).write(json);
            json.writeRaw('\n');
            final IOException[] failure = new IOException[1];
            cubby.forEach((key, keyOffset, keyLength, value, valueOffset, valueLength) ->
            {
                if (null != failure[0])
                {
                    return;
                }
                final byte[] k = new byte[keyLength];
                key.getBytes(keyOffset, k);
                final byte[] v = new byte[valueLength];
                value.getBytes(valueOffset, v);
                final String problem = check(cubby, k, v, live);
                if (null != problem)
                {
                    skipOrStop(err, problem, counts);
                    return;
                }
                final long expiresAt = expiry ? cubby.expiresAtMillis(k) : 0;
                if (Cubby.MISSING == expiresAt)
                {
                    return; // expired since the scan reached it
                }
                try
                {
                    emit(out, json, k, set ? null : v, expiresAt, counts);
                }
                catch (final IOException ex)
                {
                    failure[0] = ex;
                }
            }, (key, keyOffset, keyLength, problem) ->
            {
                final byte[] k = new byte[keyLength];
                key.getBytes(keyOffset, k);
                skipOrStop(err, "key " + describe(k) + ": " + problem.getMessage(), counts);
            });
            if (null != failure[0])
            {
                throw failure[0];
            }
            json.flush();
        }
        if (out.checkError())
        {
            throw new OutputClosedException();
        }
        if (counts[1] > 0)
        {
            err.println("cubby dump: " + counts[1] + " corrupt entr" + (counts[1] == 1 ? "y" : "ies") +
                " left out; " + counts[0] + " written");
            return ExitCode.CORRUPT;
        }
        return ExitCode.OK;
    }

    private void emit(
        final PrintWriter out, final JsonGenerator json, final byte[] k, final byte[] v, final long expiresAt,
        final long[] counts) throws IOException
    {
        EntryJson.write(json, k, v, expiresAt, encoding, false);
        json.writeRaw('\n');
        if (++counts[0] % CHECK_OUTPUT_EVERY == 0)
        {
            json.flush();
            if (out.checkError())
            {
                throw new OutputClosedException();
            }
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
    private static String check(final Cubby cubby, final byte[] key, final byte[] value, final boolean live)
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
        if (live)
        {
            return null;
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
