package org.tessera.memory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a class's {@code main} in a fresh JVM with this JVM's class path and {@code --add-opens}
 * flags (not {@code --add-modules}: the child runs without the incubating Vector API), for
 * checks whose failure could be a crash of the JVM itself: a crash then fails the test that
 * asked for it (exit code and output are returned) instead of ending the test run, and its
 * error report is written to a temporary folder that is deleted afterwards.
 */
public final class ForkedJvm {
    /** What the child printed and how it ended. */
    public record Result(int exitCode, String output) {
    }

    private ForkedJvm() {
    }

    public static Result run(Class<?> main, String... args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("tessera-fork");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
                        || a.startsWith("-Dtessera.")) {
                    cmd.add(a);
                }
            }
            cmd.add("-Xmx512m");
            cmd.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
            cmd.add("-XX:-CreateCoredumpOnCrash");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(main.getName());
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, new String(out, StandardCharsets.UTF_8) + "\n(timed out)");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
