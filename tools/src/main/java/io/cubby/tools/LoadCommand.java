package io.cubby.tools;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
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

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code cubby load}: JSON lines, as {@code dump} writes them, into a new or existing store. The input is read by
 * one Jackson parser as a stream of JSON values, one object per line, under the read constraints of {@link Json},
 * so no line can make it buffer more than one key or value.
 */
@Command(name = "load", header = "Put JSON lines (as dump writes them) into a store.",
    description = {
        "Put entries read as JSON lines (the format of `cubby dump`) into a store: one object per line with \"key\" " +
            "or \"keyBase64\", \"value\" or \"valueBase64\" (no value for a set), and optionally \"expiresAtMillis\" " +
            "(expiry time in milliseconds since the epoch; the store needs expiry). Blank lines are skipped.",
        "A first line that is a dump header ({\"cubbyDump\":1,...}) gives the encoding every line must use and, with " +
            "--create, the parameters of a new store (max key and value size, set mode, expiry, probing, max " +
            "load); options given here win. Entries whose expiry time has passed are skipped and counted.",
        "Stops at the first bad line with exit code 8, naming it; the lines before it stay loaded. An existing key " +
            "is replaced."})
final class LoadCommand implements Callable<Integer>
{
    /** Jackson's note on where an unclosed object began: the line is already named. */
    private static final Pattern START_MARKER = Pattern.compile("\\s*\\(start marker at \\[[^]]*][^)]*\\)");
    private static final Pattern TABLE_FILE = Pattern.compile("table-[0-9a-f]{16}\\.cubby");

    @Mixin
    private StoreDirectory store;

    @Parameters(index = "1", paramLabel = "FILE", defaultValue = "-",
        description = "JSON lines to read, UTF-8; - (the default) reads standard input.")
    private String input;

    @Option(names = "--create", description = "Create the store if it does not exist.")
    private boolean create;

    @Option(names = "--max-key-size", paramLabel = "BYTES", description = "Largest key of a new store (default: " +
        "the dump header's, else 64).")
    private Integer maxKeySize;

    @Option(names = "--max-value-size", paramLabel = "BYTES",
        description = "Largest value of a new store; 0 makes a set (default: the dump header's, else 256).")
    private Integer maxValueSize;

    @Option(names = "--expected-entries", paramLabel = "N", description = "Size the first table of a new store for N " +
        "entries (default: 1024; it grows as needed).")
    private Long expectedEntries;

    @Option(names = "--probing", paramLabel = "linear|quadratic|double_hashing",
        description = "Probing of a new format-version-1 store (with --format-version 1; default: the dump " +
            "header's, else linear).")
    private Probing probing;

    @Option(names = "--expiry", negatable = true, description = "Create the store with per-entry time to live " +
        "(default: the dump header's, else no).")
    private Boolean expiry;

    @Option(names = "--format-version", paramLabel = "1|2", description = "Format version of a new store: 2 (the " +
        "default: segment files with their own write locks and tag groups; it has no probing choice) or 1 (one " +
        "table file, with --probing). An existing store keeps its own; a different one given here is refused.")
    private Integer formatVersion;

    @Mixin
    private FormatOption output;

    @Spec
    private CommandSpec spec;

    /** Where the parser is: the line of the current object, and the last line an object ended on. */
    private long line;
    private long lastObjectLine;

    @Override
    public Integer call() throws IOException
    {
        if (!create && (null != maxKeySize || null != maxValueSize || null != expectedEntries || null != probing ||
            null != expiry || null != formatVersion))
        {
            throw new ParameterException(spec.commandLine(), "--max-key-size, --max-value-size, --expected-entries, " +
                "--probing, --expiry and --format-version need --create");
        }
        if (null != formatVersion && 1 != formatVersion && 2 != formatVersion)
        {
            throw new ParameterException(spec.commandLine(), "--format-version must be 1 or 2: " + formatVersion);
        }
        if (null != probing && !Integer.valueOf(1).equals(formatVersion))
        {
            throw new ParameterException(spec.commandLine(), "--probing needs --format-version 1: a new store is " +
                "created in format version 2, which has tag groups and no probing choice");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final long start = System.nanoTime();
        final long[] counts = new long[3]; // added, replaced, expired
        long lines;
        try (InputStream in = "-".equals(input) ? System.in : Files.newInputStream(Path.of(input));
            Reader reader = new StrictUtf8Reader(in);
            JsonParser parser = Json.FACTORY.createParser(reader))
        {
            Map<String, Object> first = read(parser, counts);
            final DumpHeader header = null != first && DumpHeader.isHeader(first) ? header(first, counts) : null;
            if (null != header)
            {
                first = null;
            }
            try (Cubby cubby = Stores.openWritable(builder(header), err))
            {
                final boolean set = cubby.isSetMode();
                for (Map<String, Object> members = null != first ? first : read(parser, counts); null != members;
                    members = read(parser, counts))
                {
                    try
                    {
                        final EntryJson.Entry entry = EntryJson.entry(members);
                        if (null != header && entry.encoding() != header.encoding())
                        {
                            throw new InputException("the dump header says every line is " +
                                header.encoding().name().toLowerCase(Locale.ROOT) + ", but this one is not");
                        }
                        counts[put(cubby, set, entry)]++;
                    }
                    catch (final InputException | EntryTooLargeException ex)
                    {
                        throw new InputException(where(line) + ex.getMessage() + loaded(counts), ex);
                    }
                }
            }
            final JsonLocation end = parser.currentLocation();
            lines = end.getLineNr() - (end.getColumnNr() <= 1 ? 1 : 0);
        }
        final long millis = (System.nanoTime() - start) / 1_000_000;
        if (output.json())
        {
            out.println(new JsonText().beginObject()
                .field("store", store.path.toString())
                .field("lines", lines)
                .field("added", counts[ADDED])
                .field("replaced", counts[REPLACED])
                .field("expired", counts[EXPIRED])
                .field("millis", millis)
                .endObject());
        }
        else
        {
            out.println("loaded " + Text.count(counts[ADDED] + counts[REPLACED]) + " entries into " + store.path +
                " (" + Text.count(counts[ADDED]) + " new, " + Text.count(counts[REPLACED]) + " replaced" +
                (counts[EXPIRED] > 0 ? ", " + Text.count(counts[EXPIRED]) + " expired left out" : "") + ") in " +
                millis + " ms");
        }
        return ExitCode.OK;
    }

    private static final int ADDED = 0;
    private static final int REPLACED = 1;
    private static final int EXPIRED = 2;

    private DumpHeader header(final Map<String, Object> members, final long[] counts)
    {
        try
        {
            return DumpHeader.parse(members);
        }
        catch (final InputException ex)
        {
            throw new InputException(where(line) + ex.getMessage() + loaded(counts), ex);
        }
    }

    /**
     * The builder: the options given, then for a store this load creates the dump header's parameters.
     */
    private Cubby.Builder builder(final DumpHeader header) throws IOException
    {
        final Cubby.Builder builder = Cubby.builder(store.path).createIfMissing(create);
        final boolean creating = create && null != header && !exists(store.path);
        final boolean version2 = null == formatVersion || 2 == formatVersion;
        if (null != formatVersion)
        {
            builder.formatVersion(formatVersion);
        }
        if (null != maxKeySize || creating)
        {
            builder.maxKeySize(null != maxKeySize ? maxKeySize : header.maxKeySize());
        }
        if (null != maxValueSize || creating)
        {
            builder.maxValueSize(null != maxValueSize ? maxValueSize : header.maxValueSize());
        }
        if (null != expectedEntries)
        {
            builder.expectedEntries(expectedEntries);
        }
        // version 2 takes no probing or version-1 max load from a dump header (it has tag groups, its own loads)
        if (null != probing || creating && !version2 && null != header.probing())
        {
            builder.probing(null != probing ? probing : header.probing());
        }
        if (null != expiry || creating && (!version2 || header.expiry()))
        {
            builder.expiry(null != expiry ? expiry : header.expiry());
        }
        if (creating && !version2 && !Double.isNaN(header.maxLoad()))
        {
            builder.maxLoad(header.maxLoad());
        }
        return builder;
    }

    private static boolean exists(final Path directory) throws IOException
    {
        if (!Files.isDirectory(directory))
        {
            return false;
        }
        try (Stream<Path> files = Files.list(directory))
        {
            return files.anyMatch(file -> TABLE_FILE.matcher(file.getFileName().toString()).matches() ||
                "manifest.cubby".equals(file.getFileName().toString()));
        }
    }

    /**
     * @return the members of the next object, one per line, or null at the end of the input.
     * @throws InputException naming the line of anything else.
     */
    private Map<String, Object> read(final JsonParser parser, final long[] counts) throws IOException
    {
        try
        {
            final JsonToken token = parser.nextToken();
            if (null == token)
            {
                return null;
            }
            line = parser.currentTokenLocation().getLineNr();
            if (line <= lastObjectLine)
            {
                throw new InputException("a second JSON value on the line; one object per line");
            }
            if (JsonToken.START_OBJECT != token)
            {
                throw new InputException("expected a JSON object like {\"key\":\"...\",\"value\":\"...\"}");
            }
            final Map<String, Object> members = EntryJson.members(parser);
            lastObjectLine = parser.currentTokenLocation().getLineNr();
            if (lastObjectLine != line)
            {
                throw new InputException("the object continues to line " + lastObjectLine + "; one object per line");
            }
            return members;
        }
        catch (final InputException ex)
        {
            throw new InputException(where(line) + ex.getMessage() + loaded(counts), ex);
        }
        catch (final StrictUtf8Reader.MalformedException ex)
        {
            throw new InputException(where(ex.line) + "input is not valid UTF-8" + loaded(counts), ex);
        }
        catch (final JsonProcessingException ex)
        {
            final JsonLocation at = null == ex.getLocation() ? parser.currentLocation() : ex.getLocation();
            // an object is on one line, so an error inside it (its input ending, say) is on the line it began
            final long errorLine = parser.isExpectedStartObjectToken() || null == parser.getParsingContext() ||
                parser.getParsingContext().inRoot() ? at.getLineNr() : line;
            throw new InputException(where(errorLine) + (errorLine == at.getLineNr() ? "column " +
                at.getColumnNr() + ": " : "") + START_MARKER.matcher(ex.getOriginalMessage()).replaceAll("") +
                loaded(counts), ex);
        }
    }

    /**
     * @return the index of the count to increment: added, replaced, or expired (left out).
     */
    private static int put(final Cubby cubby, final boolean set, final EntryJson.Entry entry)
    {
        final byte[] value;
        if (set)
        {
            if (null != entry.value() && 0 != entry.value().length && !Arrays.equals(entry.key(), entry.value()))
            {
                throw new InputException("the store is a set: a line may have no value (or the key itself)");
            }
            value = new byte[0];
        }
        else
        {
            if (null == entry.value())
            {
                throw new InputException("missing \"value\" (or \"valueBase64\")");
            }
            value = entry.value();
        }
        if (0 == entry.expiresAtMillis())
        {
            return cubby.put(entry.key(), value) ? ADDED : REPLACED;
        }
        if (!cubby.hasExpiry())
        {
            throw new InputException("the entry expires (\"" + EntryJson.EXPIRES_AT + "\") but the store was " +
                "created without expiry; create it with `cubby load --create --expiry`");
        }
        final long ttl = entry.expiresAtMillis() - System.currentTimeMillis();
        if (ttl < 1)
        {
            return EXPIRED;
        }
        return cubby.put(entry.key(), value, Duration.ofMillis(ttl)) ? ADDED : REPLACED;
    }

    private String where(final long lineNumber)
    {
        return ("-".equals(input) ? "stdin" : input) + " line " + lineNumber + ": ";
    }

    private static String loaded(final long[] counts)
    {
        return " (" + (counts[ADDED] + counts[REPLACED]) + " entries before it were loaded)";
    }
}
