package io.cubby.tools;

import io.cubby.store.Cubby;
import io.cubby.store.EntryTooLargeException;
import io.cubby.store.Probing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * {@code cubby load}: JSON lines, as {@code dump} writes them, into a new or existing store.
 */
@Command(name = "load", header = "Put JSON lines (as dump writes them) into a store.",
    description = {
        "Put entries read as JSON lines (the format of `cubby dump`) into a store: one object per line with \"key\" " +
            "or \"keyBase64\", and \"value\" or \"valueBase64\" (no value for a set). Blank lines are skipped.",
        "Stops at the first bad line with exit code 8; the lines before it stay loaded. An existing key is replaced."})
final class LoadCommand implements Callable<Integer>
{
    @Mixin
    private StoreDirectory store;

    @Parameters(index = "1", paramLabel = "FILE", defaultValue = "-",
        description = "JSON lines to read, UTF-8; - (the default) reads standard input.")
    private String input;

    @Option(names = "--create", description = "Create the store if it does not exist.")
    private boolean create;

    @Option(names = "--max-key-size", paramLabel = "BYTES", description = "Largest key of a new store (default 64).")
    private Integer maxKeySize;

    @Option(names = "--max-value-size", paramLabel = "BYTES",
        description = "Largest value of a new store; 0 makes a set (default 256).")
    private Integer maxValueSize;

    @Option(names = "--expected-entries", paramLabel = "N", description = "Size the first table of a new store for N " +
        "entries (default: 1024; it grows as needed).")
    private Long expectedEntries;

    @Option(names = "--probing", paramLabel = "linear|quadratic|double_hashing",
        description = "Probing of a new store (default linear).")
    private Probing probing;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws IOException
    {
        if (!create && (null != maxKeySize || null != maxValueSize || null != expectedEntries || null != probing))
        {
            throw new ParameterException(spec.commandLine(),
                "--max-key-size, --max-value-size, --expected-entries and --probing need --create");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Cubby.Builder builder = Cubby.builder(store.path).createIfMissing(create);
        if (null != maxKeySize)
        {
            builder.maxKeySize(maxKeySize);
        }
        if (null != maxValueSize)
        {
            builder.maxValueSize(maxValueSize);
        }
        if (null != expectedEntries)
        {
            builder.expectedEntries(expectedEntries);
        }
        if (null != probing)
        {
            builder.probing(probing);
        }

        final long start = System.nanoTime();
        long added = 0;
        long replaced = 0;
        long lineNumber = 0;
        try (InputStream in = "-".equals(input) ? System.in : Files.newInputStream(Path.of(input));
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
            Cubby cubby = Stores.openWritable(builder, err))
        {
            final boolean set = cubby.isSetMode();
            while (true)
            {
                final String line;
                try
                {
                    line = reader.readLine();
                }
                catch (final CharacterCodingException ex)
                {
                    throw new InputException(where(lineNumber + 1) + "input is not valid UTF-8" + loaded(added +
                        replaced));
                }
                if (null == line)
                {
                    break;
                }
                lineNumber++;
                if (line.isBlank())
                {
                    continue;
                }
                try
                {
                    final EntryJson.Entry entry = EntryJson.parse(line);
                    if (put(cubby, set, entry))
                    {
                        added++;
                    }
                    else
                    {
                        replaced++;
                    }
                }
                catch (final InputException | EntryTooLargeException ex)
                {
                    throw new InputException(where(lineNumber) + ex.getMessage() + loaded(added + replaced), ex);
                }
            }
        }
        final long millis = (System.nanoTime() - start) / 1_000_000;
        if (output.json())
        {
            out.println(new JsonWriter().beginObject()
                .field("store", store.path.toString())
                .field("lines", lineNumber)
                .field("added", added)
                .field("replaced", replaced)
                .field("millis", millis)
                .endObject());
        }
        else
        {
            out.println("loaded " + Text.count(added + replaced) + " entries into " + store.path + " (" +
                Text.count(added) + " new, " + Text.count(replaced) + " replaced) in " + millis + " ms");
        }
        return ExitCode.OK;
    }

    private static boolean put(final Cubby cubby, final boolean set, final EntryJson.Entry entry)
    {
        if (set)
        {
            if (null != entry.value() && 0 != entry.value().length && !Arrays.equals(entry.key(), entry.value()))
            {
                throw new InputException("the store is a set: a line may have no value (or the key itself)");
            }
            return cubby.add(entry.key());
        }
        if (null == entry.value())
        {
            throw new InputException("missing \"value\" (or \"valueBase64\")");
        }
        return cubby.put(entry.key(), entry.value());
    }

    private String where(final long lineNumber)
    {
        return ("-".equals(input) ? "stdin" : input) + " line " + lineNumber + ": ";
    }

    private static String loaded(final long entries)
    {
        return " (" + entries + " entries before it were loaded)";
    }
}
