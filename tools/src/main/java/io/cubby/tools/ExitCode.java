package io.cubby.tools;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of every {@code cubby} command. They are part of the tool's interface: scripts test them, so a
 * code never changes meaning once released. Shown by {@code --help}.
 */
final class ExitCode
{
    /** The command did what was asked. */
    static final int OK = 0;
    /** An error without a code of its own: an I/O failure, a full disk, an internal error. */
    static final int ERROR = 1;
    /** The command line is invalid: unknown command or option, missing or malformed argument. */
    static final int USAGE = 2;
    /** Corruption: {@code verify} or {@code stats} found problems, or a store file is damaged. */
    static final int CORRUPT = 3;
    /** The store is open in another process (or another instance of this one). */
    static final int LOCKED = 4;
    /** The path does not exist, or it is not a Cubby store. */
    static final int NOT_A_STORE = 5;
    /** The key is not in the store ({@code get}, {@code remove}). */
    static final int NOT_FOUND = 6;
    /** The store needs a newer format version, or was created with other parameters than those given. */
    static final int INCOMPATIBLE = 7;
    /** Input rejected: a malformed {@code load} line or argument, or an entry larger than the store allows. */
    static final int BAD_INPUT = 8;

    private ExitCode()
    {
    }

    /**
     * @return code and meaning of each exit code, for the usage help.
     */
    static Map<String, String> descriptions()
    {
        final Map<String, String> codes = new LinkedHashMap<>();
        codes.put(" " + OK, "OK");
        codes.put(" " + ERROR, "error: I/O failure, full disk or other problem");
        codes.put(" " + USAGE, "usage: invalid command line");
        codes.put(" " + CORRUPT, "corrupt: verify found problems, or a store file is damaged");
        codes.put(" " + LOCKED, "locked: the store is open in another process");
        codes.put(" " + NOT_A_STORE, "not a store: the path is missing or holds no Cubby store");
        codes.put(" " + NOT_FOUND, "not found: the key is absent (get, remove)");
        codes.put(" " + INCOMPATIBLE, "incompatible: newer format, or other creation parameters");
        codes.put(" " + BAD_INPUT, "bad input: malformed load line or argument, entry too large");
        return codes;
    }
}
