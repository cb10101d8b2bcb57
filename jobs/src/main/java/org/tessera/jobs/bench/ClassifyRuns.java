package org.tessera.jobs.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Tessera side of {@link ClassifyBenchmark}: the {@code classify} job on the same Parquet
 * files, each run in a child JVM of its own (same Java, class path and flags; an embedded Spark of
 * the benchmark's master), its figures read from the {@code metrics.json} it writes. Times are the
 * job's own load (rows to a standardised distributed tensor) and training time, as MLlib's fit time
 * covers assembling, scaling and training.
 */
final class ClassifyRuns {
    private ClassifyRuns() {
    }

    /** The figures of one run. */
    record Run(String label, double medianEpochSeconds, double loadSeconds, double trainSeconds, double testAccuracy,
               String mode) {
        double totalSeconds() {
            return loadSeconds + trainSeconds;
        }
    }

    static void run(String master, String train, String test, int epochs, long seed, List<String> modes,
                    ClassifyBenchmark.Results r, List<String> summary, PrintStream console) {
        Run barrier = null;
        Run local = null;
        for (String mode : modes) {
            Run mlp = classify(master, train, test, "mlp", mode, epochs, seed, console);
            summary.add(String.format(Locale.ROOT, "%-40s %8.2f s per epoch  accuracy %.4f  (load %.1f s, train %.1f s)",
                    "Tessera MLP, " + mlp.mode() + " mode", mlp.medianEpochSeconds(), mlp.testAccuracy(),
                    mlp.loadSeconds(), mlp.trainSeconds()));
            if (mode.equals("local")) {
                local = mlp;
            } else if (barrier == null) {
                barrier = mlp;
            }
        }
        Run forMllib = barrier != null ? barrier : local;
        if (forMllib != null) {
            r.tesseraMlpSeconds = forMllib.totalSeconds();
            r.tesseraMlpAccuracy = forMllib.testAccuracy();
        }
        if (barrier != null && !Double.isNaN(r.torchEpochSeconds)) {
            summary.add(String.format(Locale.ROOT, "Tessera %s / PyTorch time per epoch: %.2f (target <= 1.5)",
                    barrier.mode(), barrier.medianEpochSeconds() / r.torchEpochSeconds));
        }
        if (barrier != null && local != null) {
            summary.add(String.format(Locale.ROOT, "Tessera %s / single-node engine time per epoch: %.2f (target <= 1.2)",
                    barrier.mode(), barrier.medianEpochSeconds() / local.medianEpochSeconds()));
        }
        String softmaxMode = modes.contains("barrier") ? "barrier" : modes.get(0);
        Run soft = classify(master, train, test, "softmax", softmaxMode, epochs, seed, console);
        summary.add(String.format(Locale.ROOT, "%-40s %8.2f s per epoch  accuracy %.4f  (load %.1f s, train %.1f s)",
                "Tessera softmax, " + soft.mode() + " mode", soft.medianEpochSeconds(), soft.testAccuracy(),
                soft.loadSeconds(), soft.trainSeconds()));
        r.tesseraSoftmaxSeconds = soft.totalSeconds();
        r.tesseraSoftmaxAccuracy = soft.testAccuracy();
    }

    private static Run classify(String master, String train, String test, String model, String mode, int epochs,
                                long seed, PrintStream console) {
        Path out;
        try {
            out = Files.createTempDirectory("bench-classify-" + model + "-" + mode);
        } catch (IOException e) {
            throw new IllegalStateException("bench-classify: cannot make a temporary folder: " + e.getMessage(), e);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("org.tessera.jobs.Main");
        cmd.addAll(List.of("classify", "--input", train, "--test", test, "--label", "label", "--model", model,
                "--optimizer", "adam", "--lr", "1e-3", "--batch-size", "256", "--epochs", Integer.toString(epochs),
                "--seed", Long.toString(seed), "--mode", mode, "--master", master, "--out", out.toString()));
        if (model.equals("mlp")) {
            cmd.addAll(List.of("--hidden", "256"));
        }
        console.printf(Locale.ROOT, "Tessera: classify --model %s --mode %s --epochs %d on %s ...%n", model, mode, epochs,
                master);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(out.resolve("console.txt").toFile()).start();
            int code = p.waitFor();
            if (code != 0) {
                List<String> lines = Files.readAllLines(out.resolve("console.txt"));
                throw new IllegalStateException("bench-classify: the classify job (" + model + ", " + mode
                        + ") ended with code " + code + ": "
                        + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
            }
            JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
            Run run = new Run(model, m.get("medianEpochSeconds").asDouble(), m.get("loadSeconds").asDouble(),
                    m.get("trainSeconds").asDouble(), m.get("testAccuracy").asDouble(), m.get("mode").asText());
            StringBuilder epochsLine = new StringBuilder();
            for (JsonNode e : m.get("epochs")) {
                epochsLine.append(String.format(Locale.ROOT, " %.2f", e.get("seconds").asDouble()));
            }
            console.printf(Locale.ROOT, "Tessera %s (%s mode): seconds per epoch%s; median %.2f s; load %.1f s, train"
                    + " %.1f s; test accuracy %.4f%n", model, run.mode(), epochsLine, run.medianEpochSeconds(),
                    run.loadSeconds(), run.trainSeconds(), run.testAccuracy());
            return run;
        } catch (IOException e) {
            throw new IllegalStateException("bench-classify: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench-classify: interrupted", e);
        }
    }
}
