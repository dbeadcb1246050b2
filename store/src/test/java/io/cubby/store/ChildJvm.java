package io.cubby.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a main class of the test classpath in a new JVM, with the flags the store needs.
 */
final class ChildJvm
{
    private ChildJvm()
    {
    }

    static ProcessBuilder builder(final Class<?> mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
            Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    static Process start(final Class<?> mainClass, final Path output, final String... args) throws IOException
    {
        return builder(mainClass, args).redirectOutput(output.toFile()).start();
    }
}
