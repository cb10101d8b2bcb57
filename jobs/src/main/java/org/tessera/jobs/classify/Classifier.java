package org.tessera.jobs.classify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.TesseraSession;

/**
 * Trains a classifier — softmax regression or a multilayer perceptron with ReLU — on a DataFrame,
 * from Java: what the {@code classify} job does after reading and checking its files.
 *
 * <pre>{@code
 * Classifier.Fit fit = new Classifier().model("mlp").hidden(256).epochs(10).seed(1)
 *         .fit(ts, trainDf, "label", pixelColumns);
 * ClassifierModel model = fit.model();                       // save with model.save(dir)
 * Classifier.Evaluation e = Classifier.evaluate(ts, model, testDf, "label");   // e.accuracy()
 * }</pre>
 *
 * <p>The rows become one distributed tensor (the features and the class index, one block per
 * DataFrame partition; a Parquet file or a cached DataFrame is read in Spark's column batches); when
 * those blocks are uneven — a file of one Parquet row group is read
 * by one task — they are cut into even row blocks, one per task slot, so that every task shares
 * the work of the moments and of training. Features are standardized with the rows' mean and
 * population deviation. A null, NaN or infinite feature is an error (the job's
 * {@code --drop-missing} removes such rows before this). Settings are validated when set; their
 * defaults are the job's.
 */
public final class Classifier {
    private String model = "softmax";
    private List<Integer> hidden = List.of();
    private String optimizer = "adam";
    private Double lr;
    private double momentum = 0.9;
    private int batchSize = 256;
    private int epochs = 10;
    private int iterations = 100;
    private double l2;
    private long seed = 42;
    private DType dtype = DType.FLOAT32;
    private String mode = "auto";
    private Consumer<Training.Epoch> progress;
    private Consumer<String> log = s -> { };

    /** {@code "softmax"} (default) or {@code "mlp"}. */
    public Classifier model(String m) {
        if (!m.equals("softmax") && !m.equals("mlp")) {
            throw new IllegalArgumentException("classify: model: expected softmax or mlp, got '" + m + "'");
        }
        this.model = m;
        return this;
    }

    /** The hidden layer sizes of an MLP (default 256). */
    public Classifier hidden(int... sizes) {
        List<Integer> h = new ArrayList<>();
        for (int s : sizes) {
            if (s < 1) {
                throw new IllegalArgumentException("classify: hidden: layer sizes must be at least 1, got "
                        + Arrays.toString(sizes));
            }
            h.add(s);
        }
        this.hidden = List.copyOf(h);
        return this;
    }

    /** {@code "adam"} (default) or {@code "sgd"} over mini-batches, or full-batch {@code "lbfgs"}. */
    public Classifier optimizer(String o) {
        if (!List.of("adam", "sgd", "lbfgs").contains(o)) {
            throw new IllegalArgumentException("classify: optimizer: expected adam, sgd or lbfgs, got '" + o + "'");
        }
        this.optimizer = o;
        return this;
    }

    /** The step size of adam or sgd (default 1e-3 for adam, 0.01 for sgd). */
    public Classifier lr(double rate) {
        if (!(rate > 0) || !Double.isFinite(rate)) {
            throw new IllegalArgumentException("classify: lr: expected a finite number above 0, got " + rate);
        }
        this.lr = rate;
        return this;
    }

    private static void atLeastOne(String setting, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("classify: " + setting + ": expected at least 1, got " + n);
        }
    }

    /** The momentum of sgd, in [0, 1) (default 0.9). */
    public Classifier momentum(double m) {
        if (!(m >= 0 && m < 1)) {
            throw new IllegalArgumentException("classify: momentum: expected a number in [0, 1), got " + m);
        }
        this.momentum = m;
        return this;
    }

    /** Rows per mini-batch (default 256). */
    public Classifier batchSize(int n) {
        atLeastOne("batchSize", n);
        this.batchSize = n;
        return this;
    }

    /** Passes over the data of adam or sgd (default 10). */
    public Classifier epochs(int n) {
        atLeastOne("epochs", n);
        this.epochs = n;
        return this;
    }

    /** L-BFGS iterations (default 100). */
    public Classifier iterations(int n) {
        atLeastOne("iterations", n);
        this.iterations = n;
        return this;
    }

    /** The penalty {@code (λ/2)·Σw²} on the weights, not the biases (default 0). */
    public Classifier l2(double lambda) {
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("classify: l2: expected a finite number at least 0, got " + lambda);
        }
        this.l2 = lambda;
        return this;
    }

    /** The seed of the initial weights and of each epoch's permutation (default 42). */
    public Classifier seed(long s) {
        this.seed = s;
        return this;
    }

    /** The model's dtype, float32 (default) or float64. */
    public Classifier dtype(DType d) {
        if (d != DType.FLOAT32 && d != DType.FLOAT64) {
            throw new IllegalArgumentException("classify: dtype: expected FLOAT32 or FLOAT64, got " + d);
        }
        this.dtype = d;
        return this;
    }

    /** Where training runs: {@code "auto"} (default), {@code "barrier"}, {@code "driver"} or {@code "local"}. */
    public Classifier mode(String m) {
        if (!List.of("auto", "barrier", "driver", "local").contains(m)) {
            throw new IllegalArgumentException("classify: mode: expected auto, barrier, driver or local, got '" + m
                    + "'");
        }
        this.mode = m;
        return this;
    }

    /** Called after each epoch (or L-BFGS iteration) of the driver and local modes, and for every epoch after a barrier run. */
    public Classifier progress(Consumer<Training.Epoch> p) {
        this.progress = p;
        return this;
    }

    /** Receives one line for each stage of a fit (data read, training started); default: nothing. */
    public Classifier log(Consumer<String> l) {
        this.log = l == null ? s -> { } : l;
        return this;
    }

    /** The mode that {@code fit} would run in {@code ts}. */
    public String resolvedMode(TesseraSession ts) {
        return resolvedMode(ts.spark().conf().get("spark.dynamicAllocation.enabled", "false").equals("true"),
                ts.sparkContext().getConf().getBoolean("spark.network.crypto.enabled", false));
    }

    /** The mode that {@code fit} would run in, under dynamic allocation or not, with Spark's network encryption or not. */
    String resolvedMode(boolean dynamic, boolean encrypted) {
        if (optimizer.equals("lbfgs") && mode.equals("barrier")) {
            throw new IllegalArgumentException("classify: mode barrier runs mini-batch optimizers (adam, sgd); L-BFGS"
                    + " runs in driver or local mode");
        }
        // barrier mode's gradient exchange is not encrypted (SocketExchange): not where Spark's network encryption is on
        if (mode.equals("barrier") && encrypted) {
            throw new IllegalArgumentException("classify: mode barrier exchanges gradients between tasks over"
                    + " unencrypted TCP, and spark.network.crypto.enabled is true; use mode driver (or auto)");
        }
        if (!mode.equals("auto")) {
            return mode;
        }
        if (optimizer.equals("lbfgs")) {
            return "driver";
        }
        return dynamic || encrypted ? "driver" : "barrier";
    }

    /**
     * What a fit made and measured.
     *
     * @param model the trained model (standardization and label mapping included)
     * @param epochs one entry per epoch (or L-BFGS iteration)
     * @param mode the mode that ran
     * @param rows the training rows
     * @param rowBlocks the row blocks training ran on (after evening them out)
     * @param constantFeatures features constant in the rows, standardized with deviation 1
     * @param loadSeconds rows to a standardized distributed tensor: labels indexed, features read, moments
     * @param trainSeconds training
     */
    public record Fit(ClassifierModel model, List<Training.Epoch> epochs, String mode, long rows, int rowBlocks,
                      List<String> constantFeatures, double loadSeconds, double trainSeconds) {
        /** The median seconds of an epoch (or iteration). */
        public double medianEpochSeconds() {
            double[] s = epochs.stream().mapToDouble(Training.Epoch::seconds).sorted().toArray();
            int h = s.length / 2;
            return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
        }
    }

    /**
     * Trains on the numeric {@code featureColumns} of {@code df} (every column but the label when
     * empty) and its categorical {@code label} (text or numbers; the classes are its distinct values,
     * sorted).
     */
    public Fit fit(TesseraSession ts, Dataset<Row> df, String label, List<String> featureColumns) {
        List<String> cols = new ArrayList<>(featureColumns);
        if (cols.isEmpty()) {
            for (String c : df.columns()) {
                if (!c.equals(label)) {
                    cols.add(c);
                }
            }
        }
        if (cols.contains(label)) {
            throw new IllegalArgumentException("classify: the label column '" + label + "' is also a feature column");
        }
        return fit(ts, df, label, cols, null);
    }

    /** Trains on one {@code array<float|double>} or ML {@code Vector} column of {@code df} and its {@code label}. */
    public Fit fitArrayColumn(TesseraSession ts, Dataset<Row> df, String label, String featuresColumn) {
        if (featuresColumn.equals(label)) {
            throw new IllegalArgumentException("classify: the label column '" + label + "' is also the features"
                    + " column");
        }
        return fit(ts, df, label, List.of(), featuresColumn);
    }

    private Fit fit(TesseraSession ts, Dataset<Row> input, String label, List<String> cols, String featuresColumn) {
        String chosenMode = resolvedMode(ts);
        long t0 = System.nanoTime();
        ClassLabels classLabels = ClassLabels.of(input, label);
        Dataset<Row> df = classLabels.index(input, "input");
        int slots = ts.sparkContext().defaultParallelism();
        List<Tensor> parts;
        DataFrameOptions o = DataFrameOptions.defaults().dtype(dtype);
        if (featuresColumn == null) {
            // the features from the input itself (a file or cached DataFrame is read in column batches),
            // the class index (one computed column) beside them: the same rows, in the same blocks
            parts = List.of(ts.fromDataFrame(input, o, cols.toArray(new String[0])),
                    ts.fromDataFrame(df, o, ClassLabels.CLASS));
        } else {
            // an array or Vector column: two conversions of the same cached rows
            df = df.persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
            parts = List.of(ts.fromDataFrame(df, o, featuresColumn), ts.fromDataFrame(df, o, ClassLabels.CLASS));
        }
        Tensor read = Tessera.cat(parts, 1);
        Tensor kept = evenRows(ts, read, slots);
        int features = (int) parts.get(0).size(1);
        Tensor x = kept.narrow(1, 0, features);
        Tensor y = kept.narrow(1, features, 1);
        long n = x.size(0);
        int d = (int) x.size(1);
        int k = classLabels.labels().size();

        // distributed moments, in float64
        Tensor x64 = x.to(DType.FLOAT64);
        double[] mean = x64.mean(0).toDoubleArray();
        Tensor mu = Tessera.fromArray(mean, 1, d);
        double[] std = x64.sub(mu).square().mean(0).sqrt().toDoubleArray();
        if (kept != read) {
            parts.forEach(ts::unpersist); // the even blocks, computed by the moments, are kept instead
        }
        List<String> constant = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            if (!(std[j] > 0)) {
                std[j] = 1;
                constant.add(featuresColumn != null ? featuresColumn + "[" + j + "]" : cols.get(j));
            }
        }
        double loadSecs = (System.nanoTime() - t0) / 1e9;
        int rowBlocks = ts.grid(x).numChunks(0);
        log.accept(String.format(Locale.ROOT, "tensors: X %s in %d row block%s, %d classes (%s), on %s (%.1fs)",
                x.shape(), rowBlocks, rowBlocks == 1 ? "" : "s", k, abbreviate(classLabels.labels()), x.device(),
                loadSecs));
        if (!constant.isEmpty()) {
            log.accept(String.format(Locale.ROOT, "note: %d feature%s constant in the training data (%s), standardized"
                    + " with std 1", constant.size(), constant.size() == 1 ? " is" : "s are", abbreviate(constant)));
        }

        int[] layers = layers(d, k);
        Network net = new Network(layers, dtype);
        double rate = lr != null ? lr : optimizer.equals("sgd") ? 0.01 : 1e-3;
        Training.Settings settings = new Training.Settings(optimizer, rate, momentum, batchSize, epochs, iterations,
                l2, seed);
        Tensor xs = ClassifierModel.standardize(x, mean, std, dtype);
        log.accept(String.format(Locale.ROOT, "training %s %s: %d parameters, %s, mode %s%s", model,
                Arrays.toString(layers), net.size(), describe(settings), chosenMode,
                chosenMode.equals("barrier") ? " (" + Math.min(slots, rowBlocks) + " tasks)" : ""));
        long t1 = System.nanoTime();
        Training.Result result = train(ts, chosenMode, net, settings, xs, y, k, slots, progress);
        double trainSecs = (System.nanoTime() - t1) / 1e9;
        if (chosenMode.equals("barrier") && progress != null) {
            result.epochs().forEach(progress);
        }
        if (kept != null) {
            ts.unpersist(kept);
            parts.forEach(ts::unpersist);
        } else {
            ts.unpersist(x);
            ts.unpersist(y);
            df.unpersist(false);
        }
        ClassifierModel cm = ClassifierModel.ofArrays(layers, dtype, featuresColumn != null ? null : List.copyOf(cols),
                featuresColumn, classLabels.labels(), classLabels.numeric() ? "numeric" : "string", mean, std,
                weights(net, result.params()), biases(net, result.params()));
        return new Fit(cm, result.epochs(), chosenMode, n, rowBlocks, List.copyOf(constant), loadSecs, trainSecs);
    }

    /**
     * {@code t}'s rows in even blocks, one per task slot (more when a slot's share would pass
     * {@code spark.tessera.block.maxBytes}), when its blocks are uneven enough to leave a slot idle or
     * to give one task much more than its share (the largest block above 1.25 times an even share):
     * one shuffle of the blocks, kept. Otherwise {@code t} itself.
     */
    static Tensor evenRows(TesseraSession ts, Tensor t, int slots) {
        BlockGrid g = ts.grid(t);
        long n = t.size(0);
        if (n == 0) {
            return t;
        }
        long rowBytes = Math.max(1, t.size(1) * t.dtype().byteSize());
        long maxRows = Math.max(1, TesseraConf.BLOCK_MAX_BYTES.get(ts.spark()) / rowBytes);
        long parts = Math.max(Math.min(slots, n), (n + maxRows - 1) / maxRows);
        long share = (n + parts - 1) / parts;
        long largest = 0;
        for (int c = 0; c < g.numChunks(0); c++) {
            largest = Math.max(largest, g.chunk(0, c));
        }
        if (largest <= share + share / 4) {
            return t;
        }
        return ts.persist(ts.rechunk(t, share, t.size(1)));
    }

    private int[] layers(int d, int k) {
        List<Integer> h = hidden.isEmpty() && model.equals("mlp") ? List.of(256) : model.equals("mlp") ? hidden
                : List.of();
        int[] layers = new int[h.size() + 2];
        layers[0] = d;
        for (int i = 0; i < h.size(); i++) {
            layers[i + 1] = h.get(i);
        }
        layers[layers.length - 1] = k;
        return layers;
    }

    private static Training.Result train(TesseraSession ts, String m, Network net, Training.Settings s, Tensor xs,
                                         Tensor y, int k, int slots, Consumer<Training.Epoch> progress) {
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

    /**
     * How a model does on labelled rows.
     *
     * @param rows the rows scored
     * @param accuracy the share predicted right (NaN for no rows)
     * @param confusion counts by true class (rows) and predicted class (columns), in the model's class order
     */
    public record Evaluation(long rows, double accuracy, long[][] confusion) {
    }

    /**
     * Scores {@code df}'s rows with {@code model} and compares the predictions with its {@code label}
     * column; a label that is not one of the model's classes is an error naming it.
     */
    public static Evaluation evaluate(TesseraSession ts, ClassifierModel model, Dataset<Row> df, String label) {
        return evaluate(ts, model, df, label, "evaluate");
    }

    /** {@link #evaluate(TesseraSession, ClassifierModel, Dataset, String)}, naming the rows {@code what} in errors. */
    static Evaluation evaluate(TesseraSession ts, ClassifierModel model, Dataset<Row> df, String label, String what) {
        ClassLabels classLabels = new ClassLabels(label, model.labels(), model.labelType().equals("numeric"));
        Dataset<Row> indexed = classLabels.index(df, what);
        List<String> names = model.featureColumns() != null ? model.featureColumns()
                : List.of(model.featureArrayColumn());
        Tensor x = ts.fromDataFrame(indexed, DataFrameOptions.defaults().dtype(model.dtype()),
                names.toArray(new String[0]));
        Tensor y = ts.fromDataFrame(indexed, DataFrameOptions.defaults(), ClassLabels.CLASS);
        long[] pred = model.predict(ts.collect(x)).toLongArray();
        double[] truth = ts.collect(y).toDoubleArray();
        ts.unpersist(x);
        ts.unpersist(y);
        int k = model.numClasses();
        long[][] confusion = new long[k][k];
        long right = 0;
        for (int i = 0; i < pred.length; i++) {
            int t = (int) truth[i];
            confusion[t][(int) pred[i]]++;
            right += t == pred[i] ? 1 : 0;
        }
        return new Evaluation(pred.length, pred.length == 0 ? Double.NaN : (double) right / pred.length, confusion);
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

    private static String describe(Training.Settings s) {
        return switch (s.optimizer()) {
            case "lbfgs" -> "L-BFGS, " + s.iterations() + " iterations";
            case "sgd" -> String.format(Locale.ROOT, "SGD lr %.3g momentum %.2f, batch %d, %d epochs", s.lr(),
                    s.momentum(), s.batchSize(), s.epochs());
            default -> String.format(Locale.ROOT, "Adam lr %.3g, batch %d, %d epochs", s.lr(), s.batchSize(),
                    s.epochs());
        } + (s.l2() > 0 ? String.format(Locale.ROOT, ", L2 %.3g", s.l2()) : "");
    }

    static String abbreviate(List<String> names) {
        return names.size() <= 10 ? String.join(", ", names) : String.join(", ", names.subList(0, 10)) + ", ...";
    }
}
