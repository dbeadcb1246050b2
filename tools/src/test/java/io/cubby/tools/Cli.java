package io.cubby.tools;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.cubby.store.GoldenFiles;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the tool in-process with captured streams, and gives tests copies of {@code testdata/}.
 */
final class Cli
{
    /** What one run printed and returned. */
    record Result(int exitCode, String out, String err)
    {
        List<String> outLines()
        {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }

        List<String> errLines()
        {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }

        Result assertExit(final int expected)
        {
            assertEquals(expected, exitCode, this::toString);
            return this;
        }

        /** The error is one line, names the command, and carries no stack trace. */
        Result assertOneLineError(final String command)
        {
            assertEquals(1, errLines().size(), this::toString);
            assertTrue(err.startsWith("cubby " + command + ": "), this::toString);
            assertFalse(err.contains("Exception") || err.contains("\tat "), this::toString);
            return this;
        }

        @Override
        public String toString()
        {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli()
    {
    }

    static Result run(final Object... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final String[] strings = new String[args.length];
        for (int i = 0; i < args.length; i++)
        {
            strings[i] = String.valueOf(args[i]);
        }
        final int exitCode = CubbyCli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(strings);
        return new Result(exitCode, out.toString(), err.toString());
    }

    /**
     * @param store   the store directory, passed right after the command name.
     * @param command the command name and its other arguments.
     * @return the result.
     */
    static Result runOn(final Path store, final String... command)
    {
        final Object[] args = new Object[command.length + 1];
        args[0] = command[0];
        args[1] = store;
        System.arraycopy(command, 1, args, 2, command.length - 1);
        return run(args);
    }

    static Path testdata()
    {
        final String configured = System.getProperty("cubby.testdata");
        assertTrue(null != configured, "system property cubby.testdata is not set");
        final Path path = Path.of(configured).toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(path.resolve("v" + GoldenFiles.FORMAT_VERSION)), "no golden files in " + path);
        return path;
    }

    /**
     * @param relative a sample under testdata, such as {@code v1/small} or {@code corrupt/not-a-store.txt}.
     * @param tmp      a temporary directory.
     * @return a copy of the sample in it, never the original.
     */
    static Path copy(final String relative, final Path tmp)
    {
        final Path from = testdata().resolve(relative);
        final Path to = tmp.resolve(from.getFileName().toString());
        try
        {
            if (Files.isDirectory(from))
            {
                Files.createDirectories(to);
                try (Stream<Path> files = Files.list(from))
                {
                    for (final Path file : (Iterable<Path>)files::iterator)
                    {
                        Files.copy(file, to.resolve(file.getFileName()));
                    }
                }
            }
            else
            {
                Files.copy(from, to);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return to;
    }

    static Path golden(final String name, final Path tmp)
    {
        return copy("v" + GoldenFiles.FORMAT_VERSION + "/" + name, tmp);
    }

    static Path corrupt(final String name, final Path tmp)
    {
        return copy("corrupt/" + name, tmp);
    }

    /**
     * @param dumpOutput lines of {@code cubby dump}.
     * @return the entries they describe; a set member maps to itself.
     */
    static Map<ByteBuffer, ByteBuffer> entries(final Result dumpOutput)
    {
        final Map<ByteBuffer, ByteBuffer> entries = new HashMap<>();
        for (final String line : dumpOutput.outLines())
        {
            if (line.startsWith("{\"" + DumpHeader.MARKER + "\""))
            {
                continue;
            }
            final EntryJson.Entry entry = EntryJson.parse(line);
            final byte[] value = null == entry.value() ? entry.key() : entry.value();
            assertNull(entries.put(ByteBuffer.wrap(entry.key()), ByteBuffer.wrap(value)), "duplicate key: " + line);
        }
        return entries;
    }

    /**
     * @param output one JSON object.
     * @return its members.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> json(final String output)
    {
        try (JsonParser parser = Json.FACTORY.createParser(output.trim()))
        {
            final Object value = value(parser, parser.nextToken());
            assertNull(parser.nextToken(), "one JSON value: " + output);
            return (Map<String, Object>)value;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A JSON value as maps, lists, strings, BigDecimals, Booleans and nulls. */
    private static Object value(final JsonParser parser, final JsonToken token) throws IOException
    {
        switch (token)
        {
            case START_OBJECT:
            {
                final Map<String, Object> members = new LinkedHashMap<>();
                while (JsonToken.FIELD_NAME == parser.nextToken())
                {
                    final String name = parser.currentName();
                    members.put(name, value(parser, parser.nextToken()));
                }
                return members;
            }
            case START_ARRAY:
            {
                final List<Object> elements = new ArrayList<>();
                for (JsonToken t = parser.nextToken(); JsonToken.END_ARRAY != t; t = parser.nextToken())
                {
                    elements.add(value(parser, t));
                }
                return elements;
            }
            case VALUE_STRING:
                return parser.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return parser.getDecimalValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            default:
                return null;
        }
    }

    /**
     * Run the tool as its own JVM through {@code /bin/sh -c}, so that arguments can be raw bytes and standard output
     * a real pipe.
     *
     * @param script shell text; the function {@code cubby} runs the tool.
     * @return exit code and output of the shell.
     */
    static Result shell(final String script)
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final String cubby = "'" + java + "' --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED " +
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '" +
            System.getProperty("java.class.path") + "' " + CubbyCli.class.getName();
        final ProcessBuilder builder = new ProcessBuilder("/bin/bash", "-c",
            "cubby() { " + cubby + " \"$@\"; }; " + script);
        builder.environment().put("LC_ALL", "C.UTF-8");
        try
        {
            final Path out = Files.createTempFile("cubby-out", ".txt");
            final Path err = Files.createTempFile("cubby-err", ".txt");
            try
            {
                final Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                final int exit = process.waitFor();
                return new Result(exit, Files.readString(out), Files.readString(err));
            }
            finally
            {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @param dir a directory.
     * @return each file's name and bytes, to show that a command changed nothing.
     */
    static Map<String, ByteBuffer> snapshot(final Path dir)
    {
        final Map<String, ByteBuffer> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)list::iterator)
            {
                if (!file.getFileName().toString().equals("cubby.lock"))
                {
                    files.put(file.getFileName().toString(), ByteBuffer.wrap(Files.readAllBytes(file)));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return files;
    }
}
