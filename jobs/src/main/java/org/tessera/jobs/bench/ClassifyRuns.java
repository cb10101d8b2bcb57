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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.jobs.classify.Classifier;
import org.tessera.spark.TesseraSession;

/**
 * The Tessera side of {@link ClassifyBenchmark}: the {@code classify} job on the same Parquet
 * files, each run in a child JVM of its own (same Java, class path and flags; an embedded Spark of
 * the benchmark's master), its figures read from the {@code metrics.json} it writes: the job from
 * files, load (Parquet to a standardised distributed tensor) and training. The comparison with MLlib
 * is {@link #onCachedRows}: the API on the DataFrame MLlib trains on.
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
    }

    /**
     * Tessera's side of the comparison with MLlib: the {@link Classifier} API on the same cached
     * DataFrames in the same session, timed from the cached rows to the trained model (labels indexed,
     * features read into a distributed tensor, moments, training), as MLlib's fit is timed from the
     * cached rows (assembling, scaling, training). Mode auto (barrier) for both models.
     */
    static void onCachedRows(TesseraSession ts, Dataset<Row> train, Dataset<Row> test, List<String> features,
                             int epochs, long seed, ClassifyBenchmark.Results r, List<String> summary,
                             PrintStream console) {
        for (String model : List.of("mlp", "softmax")) {
            Classifier c = new Classifier().model(model).optimizer("adam").lr(1e-3).batchSize(256).epochs(epochs)
                    .seed(seed).mode("auto");
            if (model.equals("mlp")) {
                c.hidden(256);
            }
            console.printf(Locale.ROOT, "Tessera: Classifier %s on the cached DataFrame ...%n", model);
            long t0 = System.nanoTime();
            Classifier.Fit fit = c.fit(ts, train, "label", features);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double acc = Classifier.evaluate(ts, fit.model(), test, "label").accuracy();
            console.printf(Locale.ROOT, "Tessera %s on the cached DataFrame (%s mode, %d row blocks): fit %.1f s (load"
                    + " %.1f s, train %.1f s, median %.2f s per epoch), test accuracy %.4f%n", model, fit.mode(),
                    fit.rowBlocks(), seconds, fit.loadSeconds(), fit.trainSeconds(), fit.medianEpochSeconds(), acc);
            summary.add(String.format(Locale.ROOT, "%-40s %8.1f s  accuracy %.4f  (load %.1f s, train %.1f s)",
                    "Tessera " + model + ", cached DataFrame", seconds, acc, fit.loadSeconds(), fit.trainSeconds()));
            if (model.equals("mlp")) {
                r.tesseraMlpSeconds = seconds;
                r.tesseraMlpAccuracy = acc;
            } else {
                r.tesseraSoftmaxSeconds = seconds;
                r.tesseraSoftmaxAccuracy = acc;
            }
        }
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
