package io.cubby.tools;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes of command-line arguments, so that a key or value given as UTF-8 text is checked strictly.
 * <p>
 * The JVM decodes {@code argv} with the platform charset ({@code sun.jnu.encoding}) and replaces what it cannot
 * decode with U+FFFD, so the {@code String} alone cannot tell invalid bytes from a U+FFFD typed on purpose. When
 * {@link #capture} runs (from {@code main}), it recovers each argument's bytes: on Linux from
 * {@code /proc/self/cmdline}, whose last entries are the arguments of {@code main}, used only if each one decodes
 * to the argument the JVM passed; elsewhere by encoding the argument back with {@code sun.jnu.encoding}, used only
 * if that round trip is exact and the argument has no U+FFFD. {@link #utf8(String)} then decodes those bytes as
 * strict UTF-8. An argument without recovered bytes (and every argument of a run that did not go through
 * {@code main}, such as the tests' in-process runs) is taken as the text it is, and rejected if it holds U+FFFD.
 */
final class Arguments
{
    private static final char REPLACEMENT = '\uFFFD';
    private static final Path CMDLINE = Path.of("/proc/self/cmdline");

    /** Bytes of each argument whose bytes were recovered, by the text the JVM made of them. */
    private static volatile Map<String, List<byte[]>> raw = Map.of();

    private Arguments()
    {
    }

    /**
     * Recover the bytes of the arguments of {@code main}.
     *
     * @param args the arguments as the JVM decoded them.
     */
    static void capture(final String[] args)
    {
        final Charset platform = platformCharset();
        final List<byte[]> fromProc = fromProc(args.length);
        final Map<String, List<byte[]>> bytes = new HashMap<>();
        for (int i = 0; i < args.length; i++)
        {
            final byte[] candidate = null != fromProc ? fromProc.get(i) : args[i].getBytes(platform);
            final boolean exact = null != fromProc ? new String(candidate, platform).equals(args[i]) :
                args[i].indexOf(REPLACEMENT) < 0 && new String(candidate, platform).equals(args[i]);
            if (exact)
            {
                bytes.computeIfAbsent(args[i], k -> new ArrayList<>()).add(candidate);
            }
        }
        raw = bytes;
    }

    /**
     * @param argument a key or value given as UTF-8 text.
     * @return its UTF-8 bytes.
     * @throws InputException if the argument's bytes are not valid UTF-8, or (bytes unknown) it holds U+FFFD, or
     *                        it has an unpaired surrogate.
     */
    static byte[] utf8(final String argument)
    {
        final List<byte[]> variants = raw.get(argument);
        if (null != variants)
        {
            for (final byte[] bytes : variants)
            {
                if (null == Encoding.decodeUtf8(bytes))
                {
                    throw notUtf8(bytes);
                }
            }
            return variants.get(0).clone(); // all valid, so all equal: strict UTF-8 decoding is one-to-one
        }
        if (argument.indexOf(REPLACEMENT) >= 0)
        {
            throw new InputException("argument \"" + argument + "\" holds U+FFFD, which the JVM puts in place of " +
                "bytes that are not valid UTF-8; give the bytes with --encoding base64");
        }
        return Encoding.utf8(argument);
    }

    private static InputException notUtf8(final byte[] bytes)
    {
        return new InputException("argument is not valid UTF-8 (bytes, in base64: " + Encoding.toBase64(bytes) +
            "); give such keys and values with --encoding base64");
    }

    private static Charset platformCharset()
    {
        final String name = System.getProperty("sun.jnu.encoding");
        try
        {
            return null == name ? Charset.defaultCharset() : Charset.forName(name);
        }
        catch (final IllegalArgumentException ex)
        {
            return Charset.defaultCharset();
        }
    }

    /**
     * @return the last {@code count} entries of {@code /proc/self/cmdline}, or null where it is unavailable.
     */
    private static List<byte[]> fromProc(final int count)
    {
        final byte[] cmdline;
        try
        {
            if (!Files.isReadable(CMDLINE))
            {
                return null;
            }
            cmdline = Files.readAllBytes(CMDLINE);
        }
        catch (final IOException | SecurityException ex)
        {
            return null;
        }
        final List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < cmdline.length; i++)
        {
            if (0 == cmdline[i])
            {
                final byte[] entry = new byte[i - start];
                System.arraycopy(cmdline, start, entry, 0, entry.length);
                entries.add(entry);
                start = i + 1;
            }
        }
        return entries.size() < count ? null : entries.subList(entries.size() - count, entries.size());
    }
}
