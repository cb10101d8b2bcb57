package org.tessera.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the PyTorch reference scripts that sit beside the benchmark classes in the source
 * tree, under the first {@code python3} that imports {@code torch} ({@code TESSERA_PYTHON},
 * {@code python3}, {@code /usr/bin/python3}); the script prints one JSON object as its last line.
 */
final class TorchScript {
    private TorchScript() {
    }

    /** The parsed JSON and the interpreter, or null and why not. */
    record Outcome(JsonNode json, String python, String why) {
    }

    static Outcome run(String script, List<String> args, int seconds) {
        File file = locate(script);
        if (file == null) {
            return new Outcome(null, null, script + " not found beside the sources");
        }
        String python = python();
        if (python == null) {
            return new Outcome(null, null, "no python3 that imports torch");
        }
        List<String> cmd = new ArrayList<>(List.of(python, file.getPath()));
        cmd.addAll(args);
        List<String> lines = lines(cmd, java.util.Map.of(), seconds);
        if (lines == null || lines.isEmpty()) {
            return new Outcome(null, python, script + " failed under " + python);
        }
        try {
            return new Outcome(new ObjectMapper().readTree(lines.get(lines.size() - 1)), python, null);
        } catch (Exception e) {
            return new Outcome(null, python, script + " printed no JSON: " + lines.get(lines.size() - 1));
        }
    }

    /** The first interpreter that imports torch, or null. */
    static String python() {
        List<String> candidates = new ArrayList<>();
        if (System.getenv("TESSERA_PYTHON") != null) {
            candidates.add(System.getenv("TESSERA_PYTHON"));
        }
        candidates.add("python3");
        candidates.add("/usr/bin/python3");
        for (String c : candidates) {
            if (lines(List.of(c, "-c", "import torch"), java.util.Map.of(), 60) != null) {
                return c;
            }
        }
        return null;
    }

    /** {@code jobs/src/main/java/org/tessera/jobs/bench/<name>}, from the jar's folder or the working dir. */
    static File locate(String name) {
        String rel = "jobs/src/main/java/org/tessera/jobs/bench/" + name;
        List<File> roots = new ArrayList<>();
        try {
            File code = new File(TorchScript.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            roots.add(code.getParentFile().getParentFile().getParentFile()); // jobs/target/<jar> -> root
        } catch (Exception e) {
            // no code source location: the working directory only
        }
        roots.add(new File(System.getProperty("user.dir")));
        for (File r : roots) {
            File f = new File(r, rel);
            if (f.isFile()) {
                return f;
            }
        }
        return null;
    }

    /**
     * Runs a command with {@code env} added to its environment; its standard output lines, or null if
     * it failed or ran over {@code seconds}.
     */
    static List<String> lines(List<String> command, java.util.Map<String, String> env, int seconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(env);
            Process p = pb.start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                }
            }
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? lines : null;
        } catch (Exception e) {
            return null;
        }
    }
}
