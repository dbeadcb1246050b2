package io.cubby.tools;

import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/**
 * The store directory argument, first of every store command.
 */
final class StoreDirectory
{
    @Parameters(index = "0", paramLabel = "STORE", description = "The store directory.")
    Path path;
}
