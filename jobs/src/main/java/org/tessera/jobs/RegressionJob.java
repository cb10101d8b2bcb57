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
import org.tessera.jobs.cli.Outputs;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Cleaning;
import org.tessera.jobs.data.Datasets;
import org.tessera.jobs.data.Labels;
import org.tessera.jobs.data.Synthetic;
import org.tessera.jobs.data.Tensors;
import org.tessera.jobs.fit.Cholesky;
import org.tessera.jobs.fit.ClosedFormCheck;
import org.tessera.jobs.fit.Fit;
import org.tessera.jobs.fit.GradientDescent;
import org.tessera.jobs.fit.Model;
import org.tessera.jobs.fit.Moments;
import org.tessera.jobs.fit.Objective;
import org.tessera.jobs.fit.Solver;
import org.tessera.jobs.fit.Solvers;
import org.tessera.jobs.report.Json;
import org.tessera.jobs.report.LossPlot;
import org.tessera.jobs.report.Progress;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The main job: fits linear (or logistic) regression on a distributed tensor made from a DataFrame,
 * by default to the exact least-squares (or maximum-likelihood) solution: the normal equations from
 * the distributed {@code AᵀA} for a linear model, Newton's method with the distributed Hessian for a
 * logistic one, L-BFGS when there are too many features for a d×d matrix on the driver; gradients
 * come from autograd. Plain gradient descent stays available ({@code --solver gd}). A linear fit is
 * checked against the closed-form solution; the coefficients and fit statistics go to a JSON file,
 * the objective per iteration to a PNG.
 */
@Command(name = "regression", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit linear or logistic regression (the main job).",
            "Input: a CSV/Parquet file, or generated data with known coefficients.",
            "The default solver reaches the least-squares (linear) or maximum-likelihood",
            "(logistic) solution; a linear fit is checked against the closed-form",
            "solution from XᵀX. coefficients.json and loss.png go to the output folder."})
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

    @Option(names = "--drop-missing", description = "skip rows with an empty, NaN or infinite value in a chosen"
            + " column, and say how many (default: such a row is an error naming its line)")
    boolean dropMissing;

    @Option(names = "--drop-malformed", description = "skip CSV lines with more or fewer fields than the header,"
            + " and say how many (default: such a line is an error naming it)")
    boolean dropMalformed;

    @Option(names = "--model", paramLabel = "linear|logistic", defaultValue = "linear",
            converter = ModelConverter.class, description = "model (default: ${DEFAULT-VALUE}); logistic needs a"
                    + " label with two values (0/1, or two others mapped to 0 and 1)")
    Model model;

    @Option(names = "--solver", paramLabel = "auto|normal|newton|lbfgs|gd", defaultValue = "auto",
            description = "auto (default): normal equations (linear) or Newton's method (logistic) up to "
                    + Solver.DENSE_LIMIT + " features, L-BFGS beyond; gd: plain gradient descent with --lr for"
                    + " --epochs")
    String solver;

    @Option(names = "--l2", paramLabel = "LAMBDA", defaultValue = "0", description = "L2 penalty as Spark MLlib's"
            + " regParam with elasticNetParam 0 and standardization (default: ${DEFAULT-VALUE})")
    double l2;

    @Option(names = "--max-iter", paramLabel = "N", defaultValue = "200", description = "newton, lbfgs: most"
            + " iterations (default: ${DEFAULT-VALUE})")
    int maxIterations;

    @Option(names = "--tol", paramLabel = "T", defaultValue = "1e-10", description = "newton, lbfgs: stop when the"
            + " gradient norm is at most T times the start's (default: ${DEFAULT-VALUE})")
    double tol;

    @Option(names = "--epochs", defaultValue = "20", description = "gd: epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--lr", paramLabel = "RATE", description = "gd: step size in standardized units"
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

    @Option(names = "--tolerance", description = "closed-form check (linear): largest difference of a standardized"
            + " coefficient (label standard deviations per feature standard deviation) from the normal equations'"
            + " (default: 1e-6; 1e-4 with --dtype float32, whose each rounding is 6e-8)")
    Double toleranceOption;

    /** --tolerance, or its default for the dtype. */
    double tolerance;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "regression-out",
            description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    SparkOptions spark;

    private final PrintStream console;
    private double startSeconds;

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
        if (maxIterations < 1) {
            throw new JobException("--max-iter: expected at least 1, got " + maxIterations);
        }
        if (!(tol > 0 && tol < 1)) {
            throw new JobException("--tol: expected a number between 0 and 1, got " + tol);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new JobException("--l2: expected a finite number at least 0, got " + l2);
        }
        tolerance = toleranceOption != null ? toleranceOption : parseDtype(dtype) == DType.FLOAT32 ? 1e-4 : 1e-6;
        if (!(tolerance > 0)) {
            throw new JobException("--tolerance: expected a number above 0, got " + tolerance);
        }
        if (learningRate != null && !(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new JobException("--lr: expected a finite number above 0, got " + learningRate);
        }
        Solver requested;
        try {
            requested = Solver.parse(solver);
        } catch (IllegalArgumentException e) {
            throw new JobException("--solver: " + e.getMessage());
        }
        if (requested == Solver.NORMAL && model == Model.LOGISTIC) {
            throw new JobException("--solver normal solves linear regression only; for --model logistic use auto,"
                    + " newton, lbfgs or gd");
        }
        DType dt = parseDtype(dtype);
        if (input != null) {
            Datasets.requireExists(input, "input file");
        }
        Outputs.requireWritable(out);
        try (TesseraSession ts = spark.open("regression")) {
            // from the JVM's start to a working Spark session: what every run pays before reading data
            startSeconds = (System.currentTimeMillis()
                    - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime()) / 1e3;
            return run(ts, dt, requested);
        }
    }

    private int run(TesseraSession ts, DType dt, Solver requested) throws IOException {
        long t0 = System.nanoTime();
        Dataset<Row> df;
        boolean generated = input == null;
        List<String> cols;
        String skipped = null;
        if (generated) {
            int parts = partitions != null ? partitions : ts.sparkContext().defaultParallelism();
            df = Synthetic.regression(ts.spark(), rows, numFeatures, parts, noise, seed, model == Model.LOGISTIC);
            console.printf(Locale.ROOT, "data: generated, %,d rows x %d features, %d partitions, noise %.3g%n", rows,
                    numFeatures, parts, noise);
            cols = Datasets.features(df, features, label);
        } else {
            df = Datasets.read(ts.spark(), input, format);
            Datasets.requireColumn(df, label, "label");
            cols = Datasets.features(df, features, label);
            List<Cleaning.Chosen> chosen = new ArrayList<>();
            cols.forEach(c -> chosen.add(new Cleaning.Chosen(c, "feature")));
            chosen.add(new Cleaning.Chosen(label, "label"));
            long tc = System.nanoTime();
            Cleaning.Result cleaned = Cleaning.clean(ts.spark(), input, format, df, chosen, dropMalformed, dropMissing);
            df = cleaned.df();
            skipped = cleaned.note();
            console.printf(Locale.ROOT, "data: %s (checked in %.1fs%s)%n", input, (System.nanoTime() - tc) / 1e9,
                    skipped == null ? "" : "; " + skipped);
        }
        if (cols.contains(label)) {
            throw new JobException("the label column '" + label + "' is also among the --features");
        }
        List<String> all = new ArrayList<>(cols);
        all.add(label);
        df = df.select(all.stream().map(org.tessera.spark.io.DataFrames::column).toArray(org.apache.spark.sql.Column[]::new));
        Labels.Binary classes = null;
        if (model == Model.LOGISTIC) {
            classes = Labels.binary(df, label);
            df = classes.apply(df);
            if (classes.mapped()) {
                console.printf(Locale.ROOT, "label: %s mapped to 0 and %s to 1%n", Labels.format(classes.low()),
                        Labels.format(classes.high()));
            }
        }
        Tensors data = Tensors.of(ts, df, cols, label, dt);
        double loadSecs = (System.nanoTime() - t0) / 1e9;
        console.printf(Locale.ROOT, "tensors: [X, 1, y] %s on %s (%.1fs)%n", data.augmented().shape(),
                data.augmented().device(), loadSecs);

        Moments m = Moments.ofAugmented(data.augmented());
        if (m.n() < 2) {
            throw new JobException("regression needs at least 2 rows; got " + m.n());
        }
        Objective objective = new Objective(model, data, m, cols, l2);
        Solver chosen = requested.resolve(model, cols.size());
        long t1 = System.nanoTime();
        Fit fit;
        try {
            fit = fit(objective, m, chosen);
        } catch (Cholesky.NotPositiveDefinite e) {
            throw collinear(cols, e);
        }
        double fitSecs = (System.nanoTime() - t1) / 1e9;

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.toString());
        result.put("solver", fit.solver().toString());
        result.put("solverRequested", requested.toString());
        result.put("iterations", fit.iterations());
        result.put("evaluations", fit.evaluations());
        result.put("converged", fit.converged());
        result.put("criterion", fit.criterion());
        result.put("relativeGradient", fit.relativeGradient());
        result.put("l2", l2);
        result.put("rows", m.n());
        if (skipped != null) {
            result.put("skipped", skipped);
        }
        result.put("features", cols);
        result.put("label", label);
        if (classes != null) {
            result.put("labelValues", List.of(classes.low(), classes.high()));
        }
        result.put("weights", fit.weights());
        result.put("bias", fit.bias());
        result.put("objective", fit.last().value());
        String failure = null;
        Map<String, Object> check = null;
        double accuracy = Double.NaN;
        if (model == Model.LINEAR) {
            // float32 data: the float32 sum of squared residuals is off by about 1e-7 of itself (it could
            // report less than the least-squares minimum); the float64 moments give the same quantity exactly
            double mse = dt == DType.FLOAT64 ? fit.last().loss() : m.meanSquaredError(fit.weights(), fit.bias());
            double var = m.labelVariance();
            result.put("mse", mse);
            result.put("r2", var > 0 ? 1 - mse / var : Double.NaN);
            ClosedFormCheck cf = ClosedFormCheck.of(objective, fit, tolerance);
            check = cf.toMap();
            result.put("closedForm", check);
            if (!cf.passed()) {
                failure = cf.failure(fit);
            }
        } else {
            accuracy = accuracy(data, fit);
            result.put("logLoss", fit.last().loss());
            result.put("accuracy", accuracy);
            if (l2 == 0 && accuracy == 1.0) {
                failure = "the two classes of '" + label + "' are linearly separable in the training data (accuracy"
                        + " 1.0): no maximum-likelihood fit exists, the coefficients grow without bound; add --l2"
                        + " (e.g. --l2 0.01)";
            } else if (fit.solver() != Solver.GD && !fit.converged()) {
                failure = "logistic regression did not converge: " + fit.criterion() + "; raise --max-iter, or"
                        + " add --l2 if the classes are nearly separable";
            }
        }
        if (fit.solver() == Solver.GD) {
            result.put("epochs", epochs);
            result.put("learningRate", fit.learningRate());
        }
        if (cols.size() <= 200) {
            result.put("conditionNumber", m.conditionNumber());
        }
        result.put("losses", fit.losses());
        result.put("relativeGradients", fit.gradients());
        if (generated) {
            result.put("trueWeights", Synthetic.trueWeights(numFeatures));
            result.put("trueBias", Synthetic.TRUE_BIAS);
        }
        result.put("master", ts.spark().sparkContext().master());
        result.put("executors", Math.max(0, ts.spark().sparkContext().getExecutorMemoryStatus().size() - 1));
        result.put("startSeconds", startSeconds);
        result.put("loadSeconds", loadSecs);
        result.put("fitSeconds", fitSecs);

        Files.createDirectories(out);
        Files.writeString(out.resolve("coefficients.json"), Json.write(result), StandardCharsets.UTF_8);
        boolean gd = fit.solver() == Solver.GD;
        LossPlot.write(fit.losses(), fit.gradients(), gd ? 1 : fit.solver() == Solver.NORMAL ? 1 : 0, gd ? "epoch" : "iteration",
                model + " regression (" + fit.solver() + "): objective per " + (gd ? "epoch" : "iteration"),
                out.resolve("loss.png"), 800, 500);
        printTable(cols, fit, check, generated ? Synthetic.trueWeights(numFeatures) : null);
        console.printf(Locale.ROOT, "solver %s: %d %s, %d evaluations on the data, %.2fs; %s%n", fit.solver(),
                fit.iterations(), (gd ? "epoch" : "iteration") + (fit.iterations() == 1 ? "" : "s"),
                fit.evaluations(), fitSecs, fit.criterion());
        if (model == Model.LOGISTIC) {
            console.printf(Locale.ROOT, "log-loss %.10g, training accuracy %.4f%n", fit.last().loss(), accuracy);
        } else {
            console.printf(Locale.ROOT, "MSE %.10g, R² %.6f%n", (double) result.get("mse"), (double) result.get("r2"));
            console.printf(Locale.ROOT, "closed-form check (normal equations from XᵀX): largest standardized"
                    + " difference %.2e, allowed %.2e: %s%n", (double) check.get("maxDifference"), tolerance,
                    (boolean) check.get("passed") ? "PASSED" : "FAILED");
        }
        console.printf(Locale.ROOT, "time: JVM and Spark start %.1fs (in this process so far), load %.1fs, fit %.1fs%n",
                startSeconds, loadSecs, fitSecs);
        console.printf("wrote %s and %s%n", out.resolve("coefficients.json"), out.resolve("loss.png"));
        data.release(ts);
        if (failure != null) {
            throw new JobException(failure);
        }
        return 0;
    }

    private Fit fit(Objective objective, Moments m, Solver chosen) {
        String unit = chosen == Solver.GD ? "epoch" : "iteration";
        int total = switch (chosen) {
            case GD -> epochs;
            default -> 0;
        };
        String l2Text = l2 > 0 ? String.format(Locale.ROOT, ", L2 %.3g", l2) : "";
        Progress progress = Progress.forConsole(console, total, unit);
        Fit fit;
        switch (chosen) {
            case GD -> {
                double lr = learningRate != null ? learningRate
                        : GradientDescent.defaultLearningRate(model, m, objective.penaltyScale());
                console.printf(Locale.ROOT, "fitting %s regression: gradient descent, %d epochs, step %.4g%s%n", model,
                        epochs, lr, l2Text);
                fit = GradientDescent.fit(objective, epochs, lr, progress::update);
            }
            case NORMAL -> {
                console.printf(Locale.ROOT, "fitting %s regression: normal equations%s%n", model, l2Text);
                fit = Solvers.normal(objective, progress::update);
            }
            default -> {
                console.printf(Locale.ROOT, "fitting %s regression: %s, at most %d iterations, tolerance %.3g%s%n",
                        model, chosen == Solver.NEWTON ? "Newton's method" : "L-BFGS", maxIterations, tol, l2Text);
                Solvers.Settings s = new Solvers.Settings(maxIterations, tol);
                fit = chosen == Solver.NEWTON ? Solvers.newton(objective, s, progress::update)
                        : Solvers.lbfgs(objective, s, progress::update);
            }
        }
        progress.finish();
        return fit;
    }

    private JobException collinear(List<String> cols, Cholesky.NotPositiveDefinite e) {
        int j = e.pivot();
        String which = j < cols.size() ? "feature column '" + cols.get(j) + "'" : "the intercept";
        return new JobException(which + " is (up to rounding) a linear combination of "
                + (j == 0 ? "nothing: it is constant" : "the features before it (" + String.join(", ",
                        cols.subList(0, Math.min(j, cols.size()))) + ")") + ", so the least-squares coefficients are"
                + " not unique; leave it out with --features, or add --l2");
    }

    private static double accuracy(Tensors data, Fit fit) {
        int d = fit.weights().length;
        double[] wb = java.util.Arrays.copyOf(fit.weights(), d + 1);
        wb[d] = fit.bias();
        Tensor z = data.x().matmul(org.tessera.Tessera.fromArray(wb, d + 1, 1).to(data.x().dtype()));
        return z.gt(0).to(data.y().dtype()).eq(data.y()).to(DType.FLOAT64).mean().item();
    }

    private void printTable(List<String> cols, Fit fit, Map<String, Object> check, double[] truth) {
        double[] cf = null;
        if (check != null) {
            double[] w = (double[]) check.get("weights");
            cf = java.util.Arrays.copyOf(w, w.length + 1);
            cf[w.length] = (double) check.get("bias");
        }
        int width = Math.min(32, Math.max(9, cols.stream().mapToInt(String::length).max().orElse(0)));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %16s", "", "fitted"));
        if (cf != null) {
            head.append(String.format(Locale.ROOT, " %16s", "closed form"));
        }
        if (truth != null) {
            head.append(String.format(Locale.ROOT, " %12s", "true"));
        }
        console.println(head);
        int rowsShown = Math.min(cols.size(), 20);
        for (int j = 0; j <= rowsShown; j++) {
            boolean bias = j == rowsShown;
            int k = bias ? cols.size() : j;
            String name = bias ? "intercept" : cols.get(j);
            if (name.length() > width) {
                name = name.substring(0, width - 1) + "~";
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %16.10g", name,
                    bias ? fit.bias() : fit.weights()[j]));
            if (cf != null) {
                line.append(String.format(Locale.ROOT, " %16.10g", cf[k]));
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
