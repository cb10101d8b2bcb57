package org.tessera.jobs.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.tessera.DType;
import org.tessera.jobs.ScoreJob;
import org.tessera.jobs.classify.ClassifierModel;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.memory.Memory;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The score job against Spark MLlib's {@code PipelineModel.transform} (VectorAssembler,
 * StandardScaler, MultilayerPerceptronClassificationModel) on the same Parquet input of N rows of
 * pixels, both writing Parquet with every input column, the prediction and the probabilities
 * (MLlib through Spark's writer, the score job through {@code TesseraSession.writeParquet});
 * rows/s of each and their ratio, and each one's floor: the same input read and written back by
 * each writer with nothing computed.
 *
 * <p>Both models have layers [784, 256, 10] and the same weights, standardization and inputs;
 * MLlib's hidden layer is a sigmoid and Tessera's a relu, so their predictions differ, but the work
 * (two dense layers per row) is the same.
 */
@Command(name = "bench-score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark: the score job against MLlib's PipelineModel.transform.",
            "Both read the same generated Parquet pixels and write Parquet (default local[2]);",
            "prints rows/s of each and their ratio."})
public final class ScoreBenchmark implements Callable<Integer> {
    @Option(names = "--rows", defaultValue = "1000000", description = "rows (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = "--files", defaultValue = "16", description = "Parquet files of input (default: ${DEFAULT-VALUE})")
    int files;

    @Option(names = "--features", defaultValue = "784", description = "pixels per row (default: ${DEFAULT-VALUE})")
    int features;

    @Option(names = "--hidden", defaultValue = "256", description = "hidden units (default: ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--classes", defaultValue = "10", description = "classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--dtype", paramLabel = "float64|float32", defaultValue = "float64",
            description = "Tessera's compute dtype (MLlib computes in float64) (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--batch-rows", defaultValue = "4096", description = "Tessera rows per batch (default: ${DEFAULT-VALUE})")
    int batchRows;

    @Option(names = "--reps", defaultValue = "1", description = "timed runs of each; the median is reported"
            + " (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--dir", defaultValue = "target/bench-score", description = "work folder for the input and"
            + " both outputs (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--keep-input", description = "reuse the input folder of an earlier run when it holds --rows"
            + " rows (default: generate it again)")
    boolean keepInput;

    @Mixin
    SparkOptions spark;

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        spark.defaultMaster("local[2]");
        DType dt = dtype.equalsIgnoreCase("float32") ? DType.FLOAT32 : DType.FLOAT64;
        try (TesseraSession ts = spark.open("bench-score")) {
            String input = dir.resolve("input").toString();
            String[] names = IntStream.range(0, features).mapToObj(j -> "p" + j).toArray(String[]::new);
            long g0 = System.nanoTime();
            boolean reuse = keepInput && java.nio.file.Files.exists(dir.resolve("input").resolve("_SUCCESS"))
                    && ts.spark().read().parquet(input).count() == rows;
            if (!reuse) {
                ts.spark().range(0, rows, 1, files).selectExpr(IntStream.range(0, features)
                        .mapToObj(j -> "cast(floor(rand(" + j + ") * 256) as double) as p" + j).toArray(String[]::new))
                        .write().mode("overwrite").parquet(input);
            }
            console.printf(Locale.ROOT, "input: %,d rows x %d pixels (0..255 as double), %d Parquet files, %s in"
                    + " %.1fs; master %s%n", rows, features, files, reuse ? "kept from an earlier run, checked" : "written", (System.nanoTime() - g0) / 1e9,
                    ts.spark().sparkContext().master());

            // MLlib's model: fitted for one iteration on a small sample, to get a model of the right shape
            Dataset<Row> sample = ts.spark().read().parquet(input).limit(1000)
                    .withColumn("label", functions.floor(functions.rand(7).multiply(classes)).cast("double"));
            VectorAssembler assembler = new VectorAssembler().setInputCols(names).setOutputCol("raw");
            StandardScaler scaler = new StandardScaler().setInputCol("raw").setOutputCol("features").setWithMean(true)
                    .setWithStd(true);
            MultilayerPerceptronClassifier mlp = new MultilayerPerceptronClassifier()
                    .setLayers(new int[] {features, hidden, classes}).setMaxIter(1).setSeed(3);
            PipelineModel mllib = new Pipeline().setStages(new PipelineStage[] {assembler, scaler, mlp}).fit(sample);
            StandardScalerModel sm = (StandardScalerModel) mllib.stages()[1];
            MultilayerPerceptronClassificationModel mm = (MultilayerPerceptronClassificationModel) mllib.stages()[2];

            // Tessera's model: the same weights and standardization
            double[] all = mm.weights().toArray();
            int[] layers = {features, hidden, classes};
            double[][] w = new double[2][];
            double[][] b = new double[2][];
            int at = 0;
            for (int i = 0; i < 2; i++) {
                int n = layers[i] * layers[i + 1];
                w[i] = java.util.Arrays.copyOfRange(all, at, at + n);
                at += n;
                b[i] = java.util.Arrays.copyOfRange(all, at, at + layers[i + 1]);
                at += layers[i + 1];
            }
            double[] std = sm.std().toArray();
            for (int j = 0; j < std.length; j++) {
                std[j] = std[j] == 0 ? 1 : std[j];
            }
            List<String> labels = new ArrayList<>();
            for (int k = 0; k < classes; k++) {
                labels.add(Double.toString(k));
            }
            ClassifierModel model = ClassifierModel.ofArrays(layers, dt, List.of(names), null, labels, "numeric",
                    sm.mean().toArray(), std, w, b);

            Column[] kept = new Column[features + 2];
            for (int j = 0; j < features; j++) {
                kept[j] = functions.col(names[j]);
            }
            kept[features] = functions.col("prediction");
            kept[features + 1] = functions.col("probability");
            String mllibOut = dir.resolve("mllib-out").toString();
            double[] mllibSecs = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                mllib.transform(ts.spark().read().parquet(input)).select(kept).write().mode("overwrite")
                        .parquet(mllibOut);
                mllibSecs[r] = (System.nanoTime() - t0) / 1e9;
                console.printf(Locale.ROOT, "MLlib PipelineModel.transform + write, run %d: %.2fs%n", r + 1,
                        mllibSecs[r]);
            }
            double[] tesseraSecs = new double[reps];
            ScoreJob.Result last = null;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                last = ScoreJob.scoreToParquet(ts, model, ts.spark().read().parquet(input),
                        ScoreJob.Output.PROBABILITIES, batchRows, dir.resolve("tessera-out"));
                tesseraSecs[r] = (System.nanoTime() - t0) / 1e9;
                console.printf(Locale.ROOT, "Tessera score (mapBatches) + write, run %d: %.2fs, %,d rows, %s%n", r + 1,
                        tesseraSecs[r], last.rows(), last.metrics().devices());
            }
            // the floor each pays: reading the input and writing its columns back, nothing computed, by
            // Spark's writer (as MLlib's pipeline writes) and by the column-wise one (as the score job writes)
            double[] copySecs = new double[reps];
            double[] columnwiseSecs = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                ts.spark().read().parquet(input).write().mode("overwrite").parquet(dir.resolve("copy-out").toString());
                copySecs[r] = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                ts.writeParquet(ts.spark().read().parquet(input), dir.resolve("copy-columnwise-out").toString());
                columnwiseSecs[r] = (System.nanoTime() - t0) / 1e9;
                console.printf(Locale.ROOT, "read + write of the input columns only, run %d: Spark's writer %.2fs,"
                        + " column-wise writer %.2fs%n", r + 1, copySecs[r], columnwiseSecs[r]);
            }
            double c = Timing.median(copySecs);
            double cc = Timing.median(columnwiseSecs);
            double m = Timing.median(mllibSecs);
            double t = Timing.median(tesseraSecs);
            console.printf(Locale.ROOT, "%n| %,d rows x %d, MLP %s, median of %d | seconds | rows/s |%n|---|---|---|%n",
                    rows, features, java.util.Arrays.toString(layers), reps);
            console.printf(Locale.ROOT, "| MLlib VectorAssembler + StandardScaler + MLP, transform + write | %.2f | %,.0f |%n",
                    m, rows / m);
            console.printf(Locale.ROOT, "| Tessera score (%s, batches of %d) + column-wise write | %.2f | %,.0f |%n", dt,
                    batchRows, t, rows / t);
            console.printf(Locale.ROOT, "| read + write of the input columns only, Spark's writer (MLlib's floor) | %.2f"
                    + " | %,.0f |%n", c, rows / c);
            console.printf(Locale.ROOT, "| read + write of the input columns only, column-wise writer (Tessera's floor)"
                    + " | %.2f | %,.0f |%n", cc, rows / cc);
            console.printf(Locale.ROOT, "Tessera / MLlib throughput: %.2fx%n", m / t);
            if (m > c && t > cc) {
                console.printf(Locale.ROOT, "above each one's floor: MLlib %.2fs, Tessera %.2fs (%.2fx)%n", m - c,
                        t - cc, (m - c) / (t - cc));
            } else {
                // a plain copy is not a strict floor: its run may be slower within the noise
                console.printf(Locale.ROOT, "above each one's floor: not measurable in this run (MLlib %.2fs against"
                        + " %.2fs, Tessera %.2fs against %.2fs)%n", m, c, t, cc);
            }
            console.printf(Locale.ROOT, "Tessera: at most %,d off-heap bytes per batch (one batch's input: %,d bytes);"
                    + " allocator peak of the whole run (this JVM: driver and executor) %,d bytes%n",
                    last.metrics().peakBatchBytes(), (long) batchRows * features * dt.byteSize(),
                    Memory.root().getPeakMemoryAllocation());
        }
        return 0;
    }
}
