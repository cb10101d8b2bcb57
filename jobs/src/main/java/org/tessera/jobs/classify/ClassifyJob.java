package org.tessera.jobs.classify;

import static org.apache.spark.sql.functions.col;

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
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.Outputs;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Cleaning;
import org.tessera.jobs.data.Datasets;
import org.tessera.jobs.report.Json;
import org.tessera.jobs.report.LossPlot;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraSession;
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
            long nulls = data.filter(col(label).isNull()).count();
            if (nulls > 0) {
                if (!dropMissing) {
                    throw new JobException(what + " " + path + ": label column '" + label + "' is empty in " + nulls
                            + " row" + (nulls == 1 ? "" : "s") + " (--drop-missing skips them)");
                }
                data = data.filter(col(label).isNotNull());
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
        ClassLabels classLabels = ClassLabels.of(df, label);
        df = classLabels.index(df, "input");
        Tensor x;
        Tensor y;
        if (!cols.isEmpty()) {
            // features and class index in one pass over the input, kept as the tensor's blocks: no
            // cache of the (wide) rows in Spark, whose columnar cache costs more than the read itself
            List<String> both = new ArrayList<>(cols);
            both.add(ClassLabels.CLASS);
            Tensor xy = features(ts, df, both, dt);
            x = xy.narrow(1, 0, cols.size());
            y = xy.narrow(1, cols.size(), 1);
        } else {
            // an array or Vector column: two conversions of the same cached rows
            df = df.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
            x = features(ts, df, cols, dt);
            y = ts.fromDataFrame(df, DataFrameOptions.defaults().dtype(dt), ClassLabels.CLASS);
        }
        long n = x.size(0);
        int d = (int) x.size(1);
        int k = classLabels.labels().size();

        // distributed moments, in float64
        Tensor x64 = x.to(DType.FLOAT64);
        double[] mean = x64.mean(0).toDoubleArray();
        Tensor mu = Tessera.fromArray(mean, 1, d);
        double[] std = x64.sub(mu).square().mean(0).sqrt().toDoubleArray();
        List<String> constant = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            if (!(std[j] > 0)) {
                std[j] = 1;
                constant.add(cols.isEmpty() ? featuresColumn + "[" + j + "]" : cols.get(j));
            }
        }
        double loadSecs = (System.nanoTime() - t0) / 1e9;
        console.printf(Locale.ROOT, "tensors: X %s, %d classes (%s), on %s (%.1fs)%n", x.shape(), k,
                abbreviate(classLabels.labels()), x.device(), loadSecs);
        if (!constant.isEmpty()) {
            console.printf("note: %d feature%s constant in the training data (%s), standardized with std 1%n",
                    constant.size(), constant.size() == 1 ? " is" : "s are", abbreviate(constant));
        }

        int[] layers = new int[hidden.isEmpty() && model.equals("mlp") ? 3 : hidden.size() + 2];
        layers[0] = d;
        List<Integer> h = hidden.isEmpty() && model.equals("mlp") ? List.of(256) : hidden;
        for (int i = 0; i < h.size(); i++) {
            layers[i + 1] = h.get(i);
        }
        layers[layers.length - 1] = k;
        Network net = new Network(layers, dt);
        double rate = lr != null ? lr : optimizer.equals("sgd") ? 0.01 : 1e-3;
        Training.Settings settings = new Training.Settings(optimizer, rate, momentum, batchSize, epochs, iterations,
                l2, seed);
        Tensor xs = ClassifierModel.standardize(x, mean, std, dt);
        String chosenMode = resolveMode(ts, settings);
        int slots = ts.sparkContext().defaultParallelism();
        console.printf(Locale.ROOT, "training %s %s: %d parameters, %s, mode %s%s%n", model,
                java.util.Arrays.toString(layers), net.size(), describe(settings), chosenMode,
                chosenMode.equals("barrier") ? " (" + Math.min(slots, ts.blocks(x).getNumPartitions()) + " tasks)" : "");
        long t1 = System.nanoTime();
        Consumer<Training.Epoch> progress = e -> console.println("  " + (settings.miniBatch() ? e
                : e.toString().replace("epoch", "iteration")));
        Training.Result result = train(ts, chosenMode, net, settings, xs, y, k, slots, progress);
        double trainSecs = (System.nanoTime() - t1) / 1e9;
        if (chosenMode.equals("barrier")) {
            result.epochs().forEach(progress);
        }

        ClassifierModel cm = ClassifierModel.ofArrays(layers, dt, cols.isEmpty() ? null : cols, featuresColumn,
                classLabels.labels(), classLabels.numeric() ? "numeric" : "string", mean, std,
                weights(net, result.params()), biases(net, result.params()));
        Files.createDirectories(out);
        cm.save(out.resolve("model"));

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("model", model);
        metrics.put("layers", java.util.Arrays.stream(layers).boxed().toList());
        metrics.put("optimizer", optimizer);
        metrics.put("lr", settings.miniBatch() ? rate : null);
        if (optimizer.equals("sgd")) {
            metrics.put("momentum", momentum);
        }
        metrics.put("batchSize", settings.miniBatch() ? batchSize : null);
        metrics.put("l2", l2);
        metrics.put("seed", seed);
        metrics.put("dtype", dt.toString());
        metrics.put("mode", chosenMode);
        metrics.put("modeRequested", mode);
        metrics.put("master", ts.spark().sparkContext().master());
        metrics.put("rows", n);
        metrics.put("features", d);
        metrics.put("classes", classLabels.labels());
        if (skipped != null) {
            metrics.put("skipped", skipped);
        }
        if (!constant.isEmpty()) {
            metrics.put("constantFeatures", constant);
        }
        List<Object> perEpoch = new ArrayList<>();
        for (Training.Epoch e : result.epochs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(settings.miniBatch() ? "epoch" : "iteration", e.epoch());
            m.put("loss", e.loss());
            m.put("trainingAccuracy", e.accuracy());
            m.put("seconds", e.seconds());
            perEpoch.add(m);
        }
        metrics.put(settings.miniBatch() ? "epochs" : "iterations", perEpoch);
        double[] secs = result.epochs().stream().mapToDouble(Training.Epoch::seconds).toArray();
        metrics.put("medianEpochSeconds", median(secs));
        metrics.put("loadSeconds", loadSecs);
        metrics.put("trainSeconds", trainSecs);
        Training.Epoch last = result.epochs().get(result.epochs().size() - 1);
        metrics.put("trainingAccuracy", last.accuracy());
        if (test != null) {
            Map<String, Object> t = evaluate(ts, cm, classLabels);
            metrics.putAll(t);
        }
        Files.writeString(out.resolve("metrics.json"), Json.write(metrics), StandardCharsets.UTF_8);
        double[] losses = result.epochs().stream().mapToDouble(Training.Epoch::loss).toArray();
        String unit = settings.miniBatch() ? "epoch" : "iteration";
        LossPlot.write(losses, null, 1, unit, model + " (" + optimizer + ", " + chosenMode + " mode): cross-entropy"
                + " per " + unit, out.resolve("loss.png"), 800, 500);
        console.printf(Locale.ROOT, "trained in %.2fs (%s mode), median %.3fs per %s; training accuracy %.4f%n",
                trainSecs, chosenMode, median(secs), unit, last.accuracy());
        if (test != null) {
            console.printf(Locale.ROOT, "test accuracy %.4f on %,d rows%n", (double) metrics.get("testAccuracy"),
                    (long) metrics.get("testRows"));
        }
        console.printf("wrote %s, %s and %s%n", out.resolve("model"), out.resolve("metrics.json"),
                out.resolve("loss.png"));
        return 0;
    }

    private Tensor features(TesseraSession ts, Dataset<Row> df, List<String> cols, DType dt) {
        DataFrameOptions o = DataFrameOptions.defaults().dtype(dt);
        try {
            return cols.isEmpty() ? ts.fromDataFrame(df, o, featuresColumn)
                    : ts.fromDataFrame(df, o, cols.toArray(new String[0]));
        } catch (IllegalArgumentException e) {
            throw new JobException(e.getMessage());
        }
    }

    private String resolveMode(TesseraSession ts, Training.Settings s) {
        if (!mode.equals("auto")) {
            return mode;
        }
        if (!s.miniBatch()) {
            return "driver";
        }
        boolean dynamic = ts.spark().conf().get("spark.dynamicAllocation.enabled", "false").equals("true");
        return dynamic ? "driver" : "barrier";
    }

    private Training.Result train(TesseraSession ts, String m, Network net, Training.Settings s, Tensor xs, Tensor y,
            int k, int slots, Consumer<Training.Epoch> progress) {
        switch (m) {
            case "driver" -> {
                Tensor px = ts.persist(xs);
                Tensor classes = Tessera.arange(0, k, 1, net.dtype()).reshape(1, k);
                Tensor onehot = ts.persist(y.eq(classes).to(net.dtype()));
                try {
                    return s.miniBatch() ? DriverTraining.miniBatch(ts, net, px, onehot, s, progress)
                            : DriverTraining.lbfgs(net, px, onehot, s, progress);
                } finally {
                    ts.unpersist(px);
                    ts.unpersist(onehot);
                }
            }
            case "barrier" -> {
                Tensor data = ts.persist(Tessera.cat(List.of(xs, y), 1));
                try {
                    return BarrierTraining.miniBatch(ts, net, data, s, slots);
                } finally {
                    ts.unpersist(data);
                }
            }
            default -> {
                Tensor data = Tessera.cat(List.of(xs, y), 1);
                Rows rows = Rows.fromBlocks(ts.blocks(data).collect().iterator(), ts.grid(data), net.dtype());
                return s.miniBatch() ? LocalTraining.miniBatch(net, rows, s, progress)
                        : LocalTraining.lbfgs(net, rows, s, progress);
            }
        }
    }

    private Map<String, Object> evaluate(TesseraSession ts, ClassifierModel cm, ClassLabels classLabels) {
        Prepared p = prepare(ts, test, "--test");
        if (featuresColumn == null && !p.features().equals(cm.featureColumns())) {
            List<String> missing = new ArrayList<>(cm.featureColumns());
            missing.removeAll(p.features());
            if (!missing.isEmpty()) {
                throw new JobException("--test " + test + ": feature column" + (missing.size() == 1 ? " '" : "s '")
                        + String.join("', '", missing) + "' not found");
            }
        }
        Dataset<Row> df = classLabels.index(p.df(), "--test " + test);
        Tensor x = features(ts, df.select(featureSelection(cm)), cm.featureColumns() == null ? List.of()
                : cm.featureColumns(), cm.dtype());
        Tensor y = ts.fromDataFrame(df, DataFrameOptions.defaults(), ClassLabels.CLASS);
        long[] pred = cm.predict(ts.collect(x)).toLongArray();
        double[] truth = ts.collect(y).toDoubleArray();
        int k = cm.numClasses();
        long[][] confusion = new long[k][k];
        long right = 0;
        for (int i = 0; i < pred.length; i++) {
            int t = (int) truth[i];
            confusion[t][(int) pred[i]]++;
            right += t == pred[i] ? 1 : 0;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("testRows", (long) pred.length);
        m.put("testAccuracy", pred.length == 0 ? Double.NaN : (double) right / pred.length);
        List<Object> rowsOut = new ArrayList<>();
        for (long[] r : confusion) {
            rowsOut.add(java.util.Arrays.stream(r).boxed().toList());
        }
        m.put("confusionMatrix", rowsOut);
        m.put("confusionMatrixNote", "rows: true class, columns: predicted class, in the order of \"classes\"");
        return m;
    }

    private Column[] featureSelection(ClassifierModel cm) {
        List<String> names = cm.featureColumns() != null ? cm.featureColumns() : List.of(cm.featureArrayColumn());
        return names.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
    }

    private static double[][] weights(Network net, double[] flat) {
        double[][] w = new double[net.layers().length - 1][];
        for (int i = 0; i < w.length; i++) {
            w[i] = net.weights(flat, i);
        }
        return w;
    }

    private static double[][] biases(Network net, double[] flat) {
        double[][] b = new double[net.layers().length - 1][];
        for (int i = 0; i < b.length; i++) {
            b[i] = net.biases(flat, i);
        }
        return b;
    }

    private String describe(Training.Settings s) {
        return switch (s.optimizer()) {
            case "lbfgs" -> "L-BFGS, " + s.iterations() + " iterations";
            case "sgd" -> String.format(Locale.ROOT, "SGD lr %.3g momentum %.2f, batch %d, %d epochs", s.lr(),
                    s.momentum(), s.batchSize(), s.epochs());
            default -> String.format(Locale.ROOT, "Adam lr %.3g, batch %d, %d epochs", s.lr(), s.batchSize(),
                    s.epochs());
        } + (s.l2() > 0 ? String.format(Locale.ROOT, ", L2 %.3g", s.l2()) : "");
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 10 ? String.join(", ", names) : String.join(", ", names.subList(0, 10)) + ", ...";
    }
}
