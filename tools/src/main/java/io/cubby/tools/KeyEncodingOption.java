package io.cubby.tools;

import picocli.CommandLine.Option;

/**
 * The {@code --encoding} option of the single-key commands: how KEY and VALUE arguments are given, and how a
 * value is printed.
 */
final class KeyEncodingOption
{
    @Option(names = "--encoding", paramLabel = "utf8|base64", defaultValue = "utf8",
        description = "How KEY (and VALUE) are given and values printed: utf8 text, or base64 of the bytes. " +
            "Default: ${DEFAULT-VALUE}.")
    Encoding encoding;
}
