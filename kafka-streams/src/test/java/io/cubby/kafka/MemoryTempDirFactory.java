package io.cubby.kafka;

import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temporary directories in /dev/shm where it exists. {@code TopologyTestDriver} commits, and so writes and forces
 * Kafka's checkpoint files, after every input record; on a memory file system those forces cost nothing, which
 * keeps the driver tests short. What they check does not depend on the file system.
 */
final class MemoryTempDirFactory implements TempDirFactory
{
    private static final Path SHM = Path.of("/dev/shm");

    @Override
    public Path createTempDirectory(final AnnotatedElementContext elementContext,
        final ExtensionContext extensionContext) throws Exception
    {
        if (Files.isDirectory(SHM) && Files.isWritable(SHM))
        {
            return Files.createTempDirectory(SHM, "cubby-kafka-");
        }
        return Files.createTempDirectory("cubby-kafka-");
    }
}
