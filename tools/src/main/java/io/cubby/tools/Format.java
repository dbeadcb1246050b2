package io.cubby.tools;

/**
 * Output format of a reporting command.
 */
enum Format
{
    /** Aligned, human-readable text. */
    TEXT,
    /** One JSON document on one line, for scripts. */
    JSON
}
