package org.tessera.jobs.classify;



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
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.tessera.DType;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.Outputs;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Cleaning;
import org.tessera.jobs.data.Datasets;
import org.tessera.jobs.report.Json;
import org.tessera.jobs.report.LossPlot;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.io.DataFrames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Trains a classifier — softmax regression or a multilayer perceptron — on a DataFrame's feature
 * columns (or one array / ML Vector column) and a categorical label, on standardized features, with
 * Adam, SGD with momentum or full-batch L-BFGS; saves the model, the metrics and the loss curve.
 */
@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a classifier: softmax regression or a multilayer perceptron (ReLU).",
            "Input: a CSV/Parquet file with a categorical label, or generated Gaussian blobs.",
            "Features are standardized with the training data's mean and deviation. Writes",
            "model/ (model.json and one Arrow tensor file per parameter), metrics.json and",
            "loss.png to the output folder.",
            "Modes: barrier (one Spark barrier stage; tasks keep their rows and exchange",
            "gradients every step), driver (each step a distributed forward and backward pass",
            "through the driver's graph), local (the rows collected to one machine); auto:",
            "barrier for adam/sgd, driver for lbfgs."})
public final class ClassifyJob implements Callable<Integer> {
    @Option(names = "--input", paramLabel = "PATH", description = "CSV (with a header line) or Parquet training"
            + " data; default: generated Gaussian blobs")
    String input;

    @Option(names = "--test", paramLabel = "PATH", description = "CSV or Parquet test data with the same columns:"
            + " test accuracy and confusion matrix")
    String test;

    @Option(names = "--format", paramLabel = "csv|parquet", description = "input format (default: from the name)")
    String format;

    @Option(names = "--label", paramLabel = "COLUMN", defaultValue = "label",
            description = "label column, text or numbers; classes are its distinct values, sorted (default:"
                    + " ${DEFAULT-VALUE})")
    String label;

    @Option(names = "--features", paramLabel = "COLUMNS", split = ",",
            description = "numeric feature columns, comma-separated (default: every column but the label)")
    List<String> features = new ArrayList<>();

    @Option(names = "--features-column", paramLabel = "COLUMN",
            description = "one array<float|double> or ML Vector column holding the features (instead of --features)")
    String featuresColumn;

    @Option(names = "--drop-missing", description = "skip rows with an empty, NaN or infinite feature or an empty"
            + " label, and say how many (default: such a row is an error naming it)")
    boolean dropMissing;

    @Option(names = "--drop-malformed", description = "skip CSV lines with more or fewer fields than the header")
    boolean dropMalformed;

    @Option(names = "--model", paramLabel = "softmax|mlp", defaultValue = "softmax",
            description = "softmax regression or a multilayer perceptron (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--hidden", paramLabel = "SIZES", split = ",", description = "mlp: hidden layer sizes,"
            + " comma-separated (default: 256)")
    List<Integer> hidden = new ArrayList<>();

    @Option(names = "--optimizer", paramLabel = "adam|sgd|lbfgs", defaultValue = "adam",
            description = "adam or sgd (momentum) over mini-batches, or full-batch L-BFGS (default: ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--lr", paramLabel = "RATE", description = "adam, sgd: step size (default: 1e-3 for adam, 0.01"
            + " for sgd)")
    Double lr;

    @Option(names = "--momentum", defaultValue = "0.9", description = "sgd: momentum (default: ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256",
            description = "adam, sgd: rows per mini-batch; each epoch reshuffles the rows by a seeded permutation"
                    + " (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "10", description = "adam, sgd: passes over the"
            + " data (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "100",
            description = "lbfgs: iterations (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--l2", paramLabel = "LAMBDA", defaultValue = "0", description = "L2 penalty (λ/2)·Σw² on the"
            + " weights, not the biases (default: ${DEFAULT-VALUE})")
    double l2;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the initial weights, the epochs'"
            + " permutations and generated data; the same seed gives the same weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--dtype", paramLabel = "float32|float64", defaultValue = "float32",
            description = "the model's dtype (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--mode", paramLabel = "auto|barrier|driver|local", defaultValue = "auto",
            description = "where training runs (default: ${DEFAULT-VALUE}; see above)")
    String mode;

    @Option(names = "--rows", defaultValue = "20000", description = "generated data: rows (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = {"--num-features", "-d"}, paramLabel = "N", defaultValue = "20",
            description = "generated data: features (default: ${DEFAULT-VALUE})")
    int numFeatures;

    @Option(names = "--classes", paramLabel = "K", defaultValue = "4",
            description = "generated data: classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--partitions", description = "generated data: partitions (default: Spark's parallelism)")
    Integer partitions;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "classify-out",
            description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    SparkOptions spark;

    private final PrintStream console;

    /** A job that prints to standard output. */
    public ClassifyJob() {
        this(System.out);
    }

    /** A job that prints to {@code console}. */
    public ClassifyJob(PrintStream console) {
        this.console = console;
    }

    private void validate() {
        if (!model.equals("softmax") && !model.equals("mlp")) {
            throw new JobException("--model: expected softmax or mlp, got '" + model + "'");
        }
        if (model.equals("softmax") && !hidden.isEmpty()) {
            throw new JobException("--hidden " + hidden + " is for --model mlp; softmax regression has no hidden"
                    + " layer");
        }
        for (int h : hidden) {
            if (h < 1) {
                throw new JobException("--hidden: layer sizes must be at least 1, got " + hidden);
            }
        }
        if (!List.of("adam", "sgd", "lbfgs").contains(optimizer)) {
            throw new JobException("--optimizer: expected adam, sgd or lbfgs, got '" + optimizer + "'");
        }
        if (!List.of("auto", "barrier", "driver", "local").contains(mode)) {
            throw new JobException("--mode: expected auto, barrier, driver or local, got '" + mode + "'");
        }
        if (optimizer.equals("lbfgs") && mode.equals("barrier")) {
            throw new JobException("--mode barrier runs mini-batch optimizers (adam, sgd); L-BFGS runs in driver or"
                    + " local mode");
        }
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) {
            throw new JobException("--lr: expected a finite number above 0, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new JobException("--momentum: expected a number in [0, 1), got " + momentum);
        }
        if (batchSize < 1) {
            throw new JobException("--batch-size: expected at least 1, got " + batchSize);
        }
        if (epochs < 1) {
            throw new JobException("--epochs: expected at least 1, got " + epochs);
        }
        if (iterations < 1) {
            throw new JobException("--iterations: expected at least 1, got " + iterations);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new JobException("--l2: expected a finite number at least 0, got " + l2);
        }
        if (featuresColumn != null && !features.isEmpty()) {
            throw new JobException("--features and --features-column exclude each other: give the feature columns"
                    + " or the one array column");
        }
        if (input == null && (rows < 2 || numFeatures < 1 || classes < 2)) {
            throw new JobException("generated data: expected --rows at least 2, --num-features at least 1 and"
                    + " --classes at least 2; got " + rows + ", " + numFeatures + ", " + classes);
        }
    }

    static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "float64", "double" -> DType.FLOAT64;
            case "float32", "float" -> DType.FLOAT32;
            default -> throw new JobException("--dtype: expected float32 or float64, got '" + s + "'");
        };
    }

    @Override
    public Integer call() throws IOException {
        validate();
        DType dt = parseDtype(dtype);
        if (input != null) {
            Datasets.requireExists(input, "input file");
        }
        if (test != null) {
            Datasets.requireExists(test, "test file");
        }
        Outputs.requireWritable(out);
        try (TesseraSession ts = spark.open("classify")) {
            return run(ts, dt);
        }
    }

    /** The training (or test) rows: chosen columns checked, the label indexed. */
    private record Prepared(Dataset<Row> df, List<String> features, String skipped) {
    }

    private Prepared prepare(TesseraSession ts, String path, String what) {
        Dataset<Row> df = Datasets.read(ts.spark(), path, format);
        Datasets.requireColumn(df, label, "label");
        List<String> cols;
        if (featuresColumn != null) {
            Datasets.requireColumn(df, featuresColumn, "--features-column");
            if (featuresColumn.equals(label)) {
                throw new JobException("the label column '" + label + "' is also the --features-column");
            }
            cols = List.of();
        } else {
            List<String> chosen = new ArrayList<>(features);
            if (chosen.isEmpty()) {
                for (String c : df.columns()) {
                    if (!c.equals(label)) {
                        chosen.add(c);
                    }
                }
            }
            cols = Datasets.features(df, chosen, label);
            if (cols.contains(label)) {
                throw new JobException("the label column '" + label + "' is also among the --features");
            }
        }
        DataType labelType = df.schema().apply(label).dataType();
        boolean numericLabel = labelType instanceof NumericType;
        List<Cleaning.Chosen> chosen = new ArrayList<>();
        cols.forEach(c -> chosen.add(new Cleaning.Chosen(c, "feature")));
        List<String> carried = new ArrayList<>();
        if (numericLabel) {
            chosen.add(new Cleaning.Chosen(label, "label"));
        } else {
            carried.add(label);
        }
        if (featuresColumn != null) {
            carried.add(featuresColumn);
        }
        Cleaning.Result cleaned = Cleaning.clean(ts.spark(), path, format, df, chosen, carried, dropMalformed,
                dropMissing);
        Dataset<Row> data = cleaned.df();
        String skipped = cleaned.note();
        if (!numericLabel) {
            long nulls = data.filter(DataFrames.column(label).isNull()).count();
            if (nulls > 0) {
                if (!dropMissing) {
                    throw new JobException(what + " " + path + ": label column '" + label + "' is empty in " + nulls
                            + " row" + (nulls == 1 ? "" : "s") + " (--drop-missing skips them)");
                }
                data = data.filter(DataFrames.column(label).isNotNull());
                skipped = (skipped == null ? "skipped " : skipped + " and ") + nulls + " rows without a label";
            }
        }
        return new Prepared(data, cols, skipped);
    }

    private int run(TesseraSession ts, DType dt) throws IOException {
        long t0 = System.nanoTime();
        Dataset<Row> df;
        List<String> cols;
        String skipped = null;
        if (input == null) {
            int parts = partitions != null ? partitions : ts.sparkContext().defaultParallelism();
            df = Blobs.generate(ts.spark(), rows, numFeatures, classes, parts, seed);
            cols = Blobs.featureNames(numFeatures);
            console.printf(Locale.ROOT, "data: generated Gaussian blobs, %,d rows x %d features, %d classes, %d"
                    + " partitions%n", rows, numFeatures, classes, parts);
        } else {
            Prepared p = prepare(ts, input, "input file");
            df = p.df();
            cols = p.features();
            skipped = p.skipped();
            console.printf(Locale.ROOT, "data: %s%s%n", input, skipped == null ? "" : " (" + skipped + ")");
        }
        Classifier classifier = new Classifier().model(model).optimizer(optimizer).momentum(momentum)
                .batchSize(batchSize).epochs(epochs).iterations(iterations).l2(l2).seed(seed).dtype(dt).mode(mode)
                .hidden(hidden.stream().mapToInt(Integer::intValue).toArray()).log(console::println);
        if (lr != null) {
            classifier.lr(lr);
        }
        String chosenMode = classifier.resolvedMode(ts);
        boolean miniBatch = !optimizer.equals("lbfgs");
        Consumer<Training.Epoch> progress = e -> console.println("  " + (miniBatch ? e
                : e.toString().replace("epoch", "iteration")));
        classifier.progress(progress); // a barrier run reports its epochs when it ends
        double prepareSecs = (System.nanoTime() - t0) / 1e9;
        Classifier.Fit fit;
        try {
            fit = featuresColumn != null ? classifier.fitArrayColumn(ts, df, label, featuresColumn)
                    : classifier.fit(ts, df, label, cols);
        } catch (IllegalArgumentException e) {
            throw new JobException(e.getMessage());
        }
        ClassifierModel cm = fit.model();
        double loadSecs = prepareSecs + fit.loadSeconds();
        double trainSecs = fit.trainSeconds();
        long n = fit.rows();
        int[] layers = cm.layers();
        double rate = lr != null ? lr : optimizer.equals("sgd") ? 0.01 : 1e-3;
        // the test data is checked and scored before anything is written: a bad cell in it ends the
        // job with nothing in --out, as one in the training data does
        Map<String, Object> testMetrics = test != null ? evaluate(ts, cm) : null;
        Files.createDirectories(out);
        cm.save(out.resolve("model"));

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("model", model);
        metrics.put("layers", java.util.Arrays.stream(layers).boxed().toList());
        metrics.put("optimizer", optimizer);
        metrics.put("lr", miniBatch ? rate : null);
        if (optimizer.equals("sgd")) {
            metrics.put("momentum", momentum);
        }
        metrics.put("batchSize", miniBatch ? batchSize : null);
        metrics.put("l2", l2);
        metrics.put("seed", seed);
        metrics.put("dtype", dt.toString());
        metrics.put("mode", fit.mode());
        metrics.put("modeRequested", mode);
        metrics.put("master", ts.spark().sparkContext().master());
        metrics.put("rows", n);
        metrics.put("rowBlocks", fit.rowBlocks());
        metrics.put("features", cm.numFeatures());
        metrics.put("classes", cm.labels());
        if (skipped != null) {
            metrics.put("skipped", skipped);
        }
        if (!fit.constantFeatures().isEmpty()) {
            metrics.put("constantFeatures", fit.constantFeatures());
        }
        List<Object> perEpoch = new ArrayList<>();
        for (Training.Epoch e : fit.epochs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(miniBatch ? "epoch" : "iteration", e.epoch());
            m.put("loss", e.loss());
            m.put("trainingAccuracy", e.accuracy());
            m.put("seconds", e.seconds());
            perEpoch.add(m);
        }
        metrics.put(miniBatch ? "epochs" : "iterations", perEpoch);
        metrics.put("medianEpochSeconds", fit.medianEpochSeconds());
        metrics.put("loadSeconds", loadSecs);
        metrics.put("trainSeconds", trainSecs);
        Training.Epoch last = fit.epochs().get(fit.epochs().size() - 1);
        metrics.put("trainingAccuracy", last.accuracy());
        if (testMetrics != null) {
            metrics.putAll(testMetrics);
        }
        Files.writeString(out.resolve("metrics.json"), Json.write(metrics), StandardCharsets.UTF_8);
        double[] losses = fit.epochs().stream().mapToDouble(Training.Epoch::loss).toArray();
        String unit = miniBatch ? "epoch" : "iteration";
        LossPlot.write(losses, null, 1, unit, model + " (" + optimizer + ", " + chosenMode + " mode): cross-entropy"
                + " per " + unit, out.resolve("loss.png"), 800, 500);
        console.printf(Locale.ROOT, "trained in %.2fs (%s mode), median %.3fs per %s; training accuracy %.4f%n",
                trainSecs, chosenMode, fit.medianEpochSeconds(), unit, last.accuracy());
        if (test != null) {
            console.printf(Locale.ROOT, "test accuracy %.4f on %,d rows%n", (double) metrics.get("testAccuracy"),
                    (long) metrics.get("testRows"));
        }
        console.printf("wrote %s, %s and %s%n", out.resolve("model"), out.resolve("metrics.json"),
                out.resolve("loss.png"));
        return 0;
    }

    private Map<String, Object> evaluate(TesseraSession ts, ClassifierModel cm) {
        Prepared p = prepare(ts, test, "--test");
        if (featuresColumn == null && !p.features().equals(cm.featureColumns())) {
            List<String> missing = new ArrayList<>(cm.featureColumns());
            missing.removeAll(p.features());
            if (!missing.isEmpty()) {
                throw new JobException("--test " + test + ": feature column" + (missing.size() == 1 ? " '" : "s '")
                        + String.join("', '", missing) + "' not found");
            }
        }
        Classifier.Evaluation e;
        try {
            e = Classifier.evaluate(ts, cm, p.df(), label, "--test " + test);
        } catch (IllegalArgumentException ex) {
            throw new JobException(ex.getMessage());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("testRows", e.rows());
        m.put("testAccuracy", e.accuracy());
        List<Object> rowsOut = new ArrayList<>();
        for (long[] r : e.confusion()) {
            rowsOut.add(java.util.Arrays.stream(r).boxed().toList());
        }
        m.put("confusionMatrix", rowsOut);
        m.put("confusionMatrixNote", "rows: true class, columns: predicted class, in the order of \"classes\"");
        return m;
    }
}
