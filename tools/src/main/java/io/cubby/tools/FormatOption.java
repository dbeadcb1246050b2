package io.cubby.tools;

import picocli.CommandLine.Option;

/**
 * The {@code --format} option shared by every reporting command.
 */
final class FormatOption
{
    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
        description = "Output format: text for people, json (one line) for scripts. Default: ${DEFAULT-VALUE}.")
    Format format;

    boolean json()
    {
        return Format.JSON == format;
    }
}
