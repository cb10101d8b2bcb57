package org.tessera.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Datasets;
import org.tessera.jobs.data.Synthetic;
import org.tessera.jobs.data.Tensors;
import org.tessera.jobs.fit.GradientDescent;
import org.tessera.jobs.fit.Model;
import org.tessera.jobs.fit.Moments;
import org.tessera.jobs.report.Json;
import org.tessera.jobs.report.LossPlot;
import org.tessera.jobs.report.Progress;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job: fits linear (or logistic) regression by gradient descent with autograd on a
 * distributed tensor made from a DataFrame, checks a linear fit against the closed-form
 * least-squares solution, and writes the coefficients (JSON) and the loss curve (PNG).
 */
@Command(name = "regression", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit linear or logistic regression by gradient descent (the main job).",
            "Input: a CSV/Parquet file, or generated data with known coefficients. The linear fit is",
            "checked against the closed-form least-squares solution (XᵀX); coefficients.json and",
            "loss.png go to the output folder."})
public final class RegressionJob implements Callable<Integer> {
    @Option(names = "--input", paramLabel = "PATH", description = "CSV (with a header line) or Parquet input;"
            + " default: generated data")
    String input;

    @Option(names = "--format", paramLabel = "csv|parquet", description = "input format (default: from the name)")
    String format;

    @Option(names = "--label", paramLabel = "COLUMN", defaultValue = "label", description = "label column"
            + " (default: ${DEFAULT-VALUE})")
    String label;

    @Option(names = "--features", paramLabel = "COLUMNS", split = ",",
            description = "feature columns, comma-separated (default: every column but the label)")
    List<String> features = new ArrayList<>();

    @Option(names = "--drop-missing", description = "skip rows with a null or NaN in a chosen column"
            + " (default: such a row is an error)")
    boolean dropMissing;

    @Option(names = "--model", paramLabel = "linear|logistic", defaultValue = "linear",
            converter = ModelConverter.class, description = "model (default: ${DEFAULT-VALUE})")
    Model model;

    @Option(names = "--epochs", defaultValue = "20", description = "gradient descent epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--lr", paramLabel = "RATE", description = "step size in standardized units"
            + " (default: 1/L from the data's curvature)")
    Double learningRate;

    @Option(names = "--rows", defaultValue = "200000", description = "generated data: rows (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = {"--num-features", "-d"}, paramLabel = "N", defaultValue = "16",
            description = "generated data: features (default: ${DEFAULT-VALUE})")
    int numFeatures;

    @Option(names = "--noise", defaultValue = "0.1", description = "generated data: noise standard deviation"
            + " (default: ${DEFAULT-VALUE})")
    double noise;

    @Option(names = "--seed", defaultValue = "42", description = "generated data: seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--partitions", description = "generated data: partitions (default: Spark's parallelism)")
    Integer partitions;

    @Option(names = "--dtype", paramLabel = "float64|float32", defaultValue = "float64",
            description = "tensor dtype (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--tolerance", defaultValue = "1e-3", description = "closed-form check: largest coefficient"
            + " difference, relative to max(1, |largest coefficient|) (default: ${DEFAULT-VALUE})")
    double tolerance;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "regression-out",
            description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    SparkOptions spark;

    private final PrintStream console;

    /** A job that prints to standard output. */
    public RegressionJob() {
        this(System.out);
    }

    /** A job that prints to {@code console}. */
    public RegressionJob(PrintStream console) {
        this.console = console;
    }

    /** Converts the {@code --model} option. */
    static final class ModelConverter implements picocli.CommandLine.ITypeConverter<Model> {
        @Override
        public Model convert(String value) {
            return Model.parse(value);
        }
    }

    static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "float64", "double" -> DType.FLOAT64;
            case "float32", "float" -> DType.FLOAT32;
            default -> throw new JobException("--dtype: expected float64 or float32, got '" + s + "'");
        };
    }

    @Override
    public Integer call() throws IOException {
        if (epochs < 1) {
            throw new JobException("--epochs: expected at least 1, got " + epochs);
        }
        DType dt = parseDtype(dtype);
        if (input != null) {
            Datasets.requireExists(input, "input file");
        }
        try (TesseraSession ts = spark.open("regression")) {
            return run(ts, dt);
        }
    }

    private int run(TesseraSession ts, DType dt) throws IOException {
        long t0 = System.nanoTime();
        Dataset<Row> df;
        boolean generated = input == null;
        if (generated) {
            int parts = partitions != null ? partitions : ts.sparkContext().defaultParallelism();
            df = Synthetic.regression(ts.spark(), rows, numFeatures, parts, noise, seed, model == Model.LOGISTIC);
            console.printf(Locale.ROOT, "data: generated, %,d rows x %d features, %d partitions, noise %.3g%n", rows,
                    numFeatures, parts, noise);
        } else {
            df = Datasets.read(ts.spark(), input, format);
            console.printf("data: %s%n", input);
        }
        Datasets.requireNumeric(df, label, "label");
        List<String> cols = Datasets.features(df, features, label);
        List<String> all = new ArrayList<>(cols);
        all.add(label);
        df = df.select(all.stream().map(org.apache.spark.sql.functions::col).toArray(org.apache.spark.sql.Column[]::new));
        if (dropMissing) {
            df = df.na().drop();
        }
        Tensors data = Tensors.of(ts, df, cols, label, dt);
        double loadSecs = (System.nanoTime() - t0) / 1e9;
        console.printf(Locale.ROOT, "tensors: [X, 1, y] %s on %s (%.1fs)%n", data.augmented().shape(),
                data.augmented().device(), loadSecs);

        Moments m = Moments.ofAugmented(data.augmented());
        double lr = learningRate != null ? learningRate : GradientDescent.defaultLearningRate(model, m);
        console.printf(Locale.ROOT, "fitting %s regression: %d epochs, step %.4g%n", model, epochs, lr);
        Progress progress = Progress.forConsole(console, epochs);
        long t1 = System.nanoTime();
        GradientDescent.Fit fit = GradientDescent.fit(model, data, m, epochs, lr, progress::update);
        double fitSecs = (System.nanoTime() - t1) / 1e9;

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.toString());
        result.put("rows", m.n());
        result.put("features", cols);
        result.put("label", label);
        result.put("weights", fit.weights());
        result.put("bias", fit.bias());
        result.put("epochs", epochs);
        result.put("learningRate", lr);
        result.put("losses", fit.losses());
        boolean passed = true;
        double[] cf = null;
        if (model == Model.LINEAR) {
            cf = m.leastSquares();
            double diff = Math.abs(cf[cols.size()] - fit.bias());
            double scale = Math.abs(cf[cols.size()]);
            for (int j = 0; j < cols.size(); j++) {
                diff = Math.max(diff, Math.abs(cf[j] - fit.weights()[j]));
                scale = Math.max(scale, Math.abs(cf[j]));
            }
            double allowed = tolerance * Math.max(1, scale);
            passed = diff <= allowed;
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("weights", java.util.Arrays.copyOf(cf, cols.size()));
            check.put("bias", cf[cols.size()]);
            check.put("maxAbsDifference", diff);
            check.put("allowed", allowed);
            check.put("passed", passed);
            result.put("closedForm", check);
        } else {
            result.put("accuracy", accuracy(data, fit));
        }
        if (generated) {
            result.put("trueWeights", Synthetic.trueWeights(numFeatures));
            result.put("trueBias", Synthetic.TRUE_BIAS);
        }
        result.put("master", ts.spark().sparkContext().master());
        result.put("executors", Math.max(0, ts.spark().sparkContext().getExecutorMemoryStatus().size() - 1));
        result.put("loadSeconds", loadSecs);
        result.put("fitSeconds", fitSecs);

        Files.createDirectories(out);
        Files.writeString(out.resolve("coefficients.json"), Json.write(result), StandardCharsets.UTF_8);
        LossPlot.write(fit.losses(), model + " regression: loss per epoch", out.resolve("loss.png"), 800, 500);
        printTable(cols, fit, cf, generated ? Synthetic.trueWeights(numFeatures) : null);
        console.printf(Locale.ROOT, "fit: %.2fs for %d epochs (%.3fs per epoch); wrote %s and %s%n", fitSecs, epochs,
                fitSecs / epochs, out.resolve("coefficients.json"), out.resolve("loss.png"));
        if (model == Model.LOGISTIC) {
            console.printf(Locale.ROOT, "training accuracy: %.4f%n", (double) result.get("accuracy"));
        } else {
            @SuppressWarnings("unchecked")
            Map<String, Object> check = (Map<String, Object>) result.get("closedForm");
            console.printf(Locale.ROOT, "closed-form check (XᵀX): largest difference %.3g, allowed %.3g: %s%n",
                    (double) check.get("maxAbsDifference"), (double) check.get("allowed"), passed ? "PASSED" : "FAILED");
            if (!passed) {
                throw new JobException("the gradient-descent fit differs from the closed-form solution by more than"
                        + " allowed; try more --epochs or a smaller --lr");
            }
        }
        data.release(ts);
        return 0;
    }

    private static double accuracy(Tensors data, GradientDescent.Fit fit) {
        int d = fit.weights().length;
        double[] wb = java.util.Arrays.copyOf(fit.weights(), d + 1);
        wb[d] = fit.bias();
        Tensor z = data.x().matmul(org.tessera.Tessera.fromArray(wb, d + 1, 1).to(data.x().dtype()));
        return z.gt(0).to(data.y().dtype()).eq(data.y()).to(DType.FLOAT64).mean().item();
    }

    private void printTable(List<String> cols, GradientDescent.Fit fit, double[] cf, double[] truth) {
        int width = Math.max(9, cols.stream().mapToInt(String::length).max().orElse(0));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %12s", "", "fitted"));
        if (cf != null) {
            head.append(String.format(Locale.ROOT, " %12s", "closed form"));
        }
        if (truth != null) {
            head.append(String.format(Locale.ROOT, " %12s", "true"));
        }
        console.println(head);
        int rowsShown = Math.min(cols.size(), 20);
        for (int j = 0; j <= rowsShown; j++) {
            boolean bias = j == rowsShown;
            int k = bias ? cols.size() : j;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %12.6f",
                    bias ? "intercept" : cols.get(j), bias ? fit.bias() : fit.weights()[j]));
            if (cf != null) {
                line.append(String.format(Locale.ROOT, " %12.6f", cf[k]));
            }
            if (truth != null) {
                line.append(String.format(Locale.ROOT, " %12.6f", bias ? Synthetic.TRUE_BIAS : truth[j]));
            }
            if (bias && rowsShown < cols.size()) {
                console.printf("%s (%d more features in coefficients.json)%n", "...", cols.size() - rowsShown);
            }
            console.println(line);
        }
    }
}
