package io.cubby.tools;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The store jar as a module: a tiny application whose {@code module-info} says {@code requires cubby.store} is
 * compiled against the built jar and run from the module path in a child JVM, with the one flag the README's
 * "JVM flags" section gives for it, and without it.
 * <p>
 * It needs the packaged store jar: {@code mvn verify} (or {@code package}) puts it on this module's test class
 * path; a run that only compiles the store (the {@code test} phase in a reactor) sees its classes directory and
 * skips.
 */
class ModulePathTest
{
    static final String MODULE_FLAG = "--add-exports=java.base/jdk.internal.misc=org.agrona";

    private static final String MODULE_INFO = "module cubby.example { requires cubby.store; }\n";
    private static final String MAIN = String.join("\n",
        "package example;",
        "import io.cubby.store.Cubby;",
        "import io.cubby.store.CubbyException;",
        "import java.nio.charset.StandardCharsets;",
        "import java.nio.file.Path;",
        "public final class Main {",
        "    public static void main(final String[] args) {",
        "        try (Cubby store = Cubby.builder(Path.of(args[0])).maxKeySize(16).maxValueSize(16).open()) {",
        "            store.put(\"key\".getBytes(StandardCharsets.UTF_8), \"value\".getBytes(StandardCharsets.UTF_8));",
        "            System.out.println(\"read \" + new String(store.get(\"key\".getBytes(StandardCharsets.UTF_8)),",
        "                StandardCharsets.UTF_8) + \" from module \" + Cubby.class.getModule().getName());",
        "        } catch (final CubbyException ex) {",
        "            System.out.println(\"CubbyException: \" + ex.getMessage());",
        "        }",
        "    }",
        "}",
        "");

    @TempDir
    static Path build;

    private static String modulePath;

    @BeforeAll
    static void compileTheApplication() throws Exception
    {
        final String storeJar = classPathEntry("cubby-store");
        assumeTrue(storeJar.endsWith(".jar"), "the store is not packaged yet (" + storeJar + "): run mvn verify");
        try (JarFile jar = new JarFile(storeJar))
        {
            assertEquals("cubby.store", jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
        }
        final Path source = build.resolve("src");
        Files.createDirectories(source.resolve("example"));
        Files.writeString(source.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(source.resolve("example").resolve("Main.java"), MAIN);
        final Path classes = build.resolve("classes");
        final String libraries = storeJar + File.pathSeparator + classPathEntry("agrona") + File.pathSeparator +
            classPathEntry("jna");

        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        final ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        final int status = javac.run(null, diagnostics, diagnostics, "--module-path", libraries, "-d",
            classes.toString(), source.resolve("module-info.java").toString(),
            source.resolve("example").resolve("Main.java").toString());
        assertEquals(0, status, () -> diagnostics.toString(StandardCharsets.UTF_8));
        modulePath = classes + File.pathSeparator + libraries;
    }

    @Test
    void anApplicationRequiringCubbyStoreRunsFromTheModulePathWithTheDocumentedFlag(@TempDir final Path tmp)
        throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Run run = run(tmp, dir, MODULE_FLAG);
        assertEquals(List.of("read value from module cubby.store"), run.out, run::toString);
        assertEquals("", run.err, () -> "no warning on this JDK (" + Runtime.version() + "): " + run);
        assertTrue(Files.exists(dir));
    }

    @Test
    void withoutTheFlagOpenFailsNamingItAndCreatesNothing(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("store");
        final Run run = run(tmp, dir);
        assertEquals(1, run.out.size(), run::toString);
        assertTrue(run.out.get(0).startsWith("CubbyException: "), run::toString);
        assertTrue(run.out.get(0).contains("run java with " + MODULE_FLAG), run::toString);
        assertFalse(Files.exists(dir), "nothing created");
    }

    private record Run(List<String> out, String err)
    {
        @Override
        public String toString()
        {
            return "--- stdout\n" + String.join("\n", out) + "\n--- stderr\n" + err;
        }
    }

    private static Run run(final Path tmp, final Path dir, final String... flags) throws Exception
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(flags));
        command.add("-Xmx64m");
        command.add("--module-path");
        command.add(modulePath);
        command.add("-m");
        command.add("cubby.example/example.Main");
        command.add(dir.toString());
        final Path out = tmp.resolve("child.out");
        final Path err = tmp.resolve("child.err");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
            .start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child finished");
        final Run run = new Run(Files.readAllLines(out), Files.readString(err));
        assertEquals(0, process.exitValue(), run::toString);
        return run;
    }

    private static String classPathEntry(final String name)
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (final String entry : classPath.split(File.pathSeparator))
        {
            final Path path = Path.of(entry);
            final String text = path.toString().replace(File.separatorChar, '/');
            final boolean matches = path.getFileName().toString().startsWith(name + "-") ||
                (text.contains("/" + name.substring(name.indexOf('-') + 1) + "/target/classes"));
            if (matches && !text.endsWith("-tests.jar") && !text.contains("test-classes"))
            {
                return entry;
            }
        }
        throw new AssertionError(name + " is not on the test class path: " + classPath);
    }
}
