package org.tessera.jobs.bench;

import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Classification on Fashion-MNIST (the tables {@code tessera fashion-mnist} writes) in one run:
 * Spark MLlib's {@code MultilayerPerceptronClassifier} and multinomial {@code LogisticRegression}
 * on the same cached, standardised DataFrame, PyTorch's time per epoch for the same MLP
 * ({@code torch_classify.py} beside this class, when a {@code python3} with {@code torch} is
 * found), Tessera's {@code classify} job on the same files and Tessera's {@code Classifier} on the
 * same cached DataFrame as MLlib (see {@link ClassifyRuns}). Prints wall times, test accuracies and
 * ratios. Tessera's time against MLlib's is its whole fit from the cached rows (load and all
 * epochs), an upper bound on its time to reach its final accuracy.
 */
@Command(name = "bench-classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark: Tessera's classifier against Spark MLlib (MLP and multinomial logistic",
            "regression) and PyTorch on Fashion-MNIST, in one run (default local[2])."})
public final class ClassifyBenchmark implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", defaultValue = "data/fashion-mnist",
            description = "folder with train.parquet and test.parquet from 'tessera fashion-mnist'"
                    + " (default: ${DEFAULT-VALUE})")
    String data;

    @Option(names = "--idx", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "the IDX files, for the PyTorch script (default: ${DEFAULT-VALUE})")
    String idx;

    @Option(names = "--epochs", defaultValue = "10", description = "epochs of Tessera and PyTorch (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--mllib-iterations", defaultValue = "100",
            description = "maximum iterations of MLlib's L-BFGS (its default; default: ${DEFAULT-VALUE})")
    int mllibIterations;

    @Option(names = "--skip", split = ",", paramLabel = "PARTS",
            description = "parts not to run: mllib-mlp, mllib-lr, torch, tessera")
    List<String> skip = new ArrayList<>();

    @Option(names = "--modes", split = ",", paramLabel = "MODES", defaultValue = "barrier,local",
            description = "modes of Tessera's MLP runs: barrier, driver, local (default: ${DEFAULT-VALUE})")
    List<String> modes = new ArrayList<>();

    @Option(names = "--partitions", defaultValue = "2", description = "DataFrame partitions (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--seed", defaultValue = "1", description = "seed of every part (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    SparkOptions spark;

    private final PrintStream console = System.out;

    @Override
    public Integer call() {
        spark.defaultMaster("local[2]");
        for (String s : skip) {
            if (!List.of("mllib-mlp", "mllib-lr", "torch", "tessera").contains(s)) {
                throw new JobException("--skip " + s + ": expected mllib-mlp, mllib-lr, torch or tessera");
            }
        }
        for (String m : modes) {
            if (!List.of("barrier", "driver", "local").contains(m)) {
                throw new JobException("--modes " + m + ": expected barrier, driver or local");
            }
        }
        if (modes.isEmpty()) {
            throw new JobException("--modes: name at least one of barrier, driver, local");
        }
        File train = new File(data, "train.parquet");
        File test = new File(data, "test.parquet");
        if (!train.exists() || !test.exists()) {
            throw new JobException("--data " + data + ": train.parquet and test.parquet not found;"
                    + " write them with: ./tessera fashion-mnist --out " + data);
        }
        try (TesseraSession ts = spark.open("bench-classify")) {
            Dataset<Row> trainDf = ts.spark().read().parquet(train.getPath()).repartition(partitions).cache();
            Dataset<Row> testDf = ts.spark().read().parquet(test.getPath()).cache();
            long n = trainDf.count();
            long nt = testDf.count();
            String[] pixels = Arrays.stream(trainDf.columns()).filter(c -> !c.equals("label")).toArray(String[]::new);
            console.printf(Locale.ROOT, "data: %,d training and %,d test rows x %d features, cached in %d partitions;"
                    + " master %s%n", n, nt, pixels.length, trainDf.rdd().getNumPartitions(),
                    ts.spark().sparkContext().master());
            List<String> summary = new ArrayList<>();
            Results r = new Results();
            if (!skip.contains("torch")) {
                torch(r, summary);
            }
            if (!skip.contains("tessera")) {
                ClassifyRuns.run(spark.master(), train.getAbsolutePath(), test.getAbsolutePath(), epochs, seed, modes, r,
                        summary, console);
                ClassifyRuns.onCachedRows(ts, trainDf, testDf, Arrays.asList(pixels), epochs, seed, r, summary,
                        console);
            }
            if (!skip.contains("mllib-mlp")) {
                MultilayerPerceptronClassifier mlp = new MultilayerPerceptronClassifier()
                        .setLayers(new int[] {pixels.length, 256, 10}).setMaxIter(mllibIterations).setSeed(seed)
                        .setBlockSize(128).setFeaturesCol("scaled");
                mllib("MLlib MLP [784, 256, 10]", mlp, pixels, trainDf, testDf, r.tesseraMlpSeconds,
                        r.tesseraMlpAccuracy, summary);
            }
            if (!skip.contains("mllib-lr")) {
                LogisticRegression lr = new LogisticRegression().setFamily("multinomial").setMaxIter(mllibIterations)
                        .setRegParam(0).setFeaturesCol("scaled");
                mllib("MLlib LogisticRegression (multinomial)", lr, pixels, trainDf, testDf, r.tesseraSoftmaxSeconds,
                        r.tesseraSoftmaxAccuracy, summary);
            }
            console.println();
            summary.forEach(console::println);
        }
        return 0;
    }

    /** Figures of the Tessera runs that the MLlib comparisons need. */
    static final class Results {
        double tesseraMlpSeconds = Double.NaN;
        double tesseraMlpAccuracy = Double.NaN;
        double tesseraSoftmaxSeconds = Double.NaN;
        double tesseraSoftmaxAccuracy = Double.NaN;
        double torchEpochSeconds = Double.NaN;
    }

    private void mllib(String name, PipelineStage classifier, String[] pixels, Dataset<Row> train, Dataset<Row> test,
                       double tesseraSeconds, double tesseraAccuracy, List<String> summary) {
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {
            new VectorAssembler().setInputCols(pixels).setOutputCol("features"),
            new StandardScaler().setWithMean(true).setWithStd(true).setInputCol("features").setOutputCol("scaled"),
            classifier});
        Dataset<Row> labelled = train.withColumn("label", functions.col("label").cast("double"));
        long t0 = System.nanoTime();
        PipelineModel model = p.fit(labelled);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double acc = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(model.transform(test.withColumn("label", functions.col("label").cast("double"))));
        console.printf(Locale.ROOT, "%s: fit %.1f s (assembling, scaling and training the cached rows),"
                + " test accuracy %.4f%n", name, seconds, acc);
        String line = String.format(Locale.ROOT, "%-40s %8.1f s  accuracy %.4f", name, seconds, acc);
        if (!Double.isNaN(tesseraSeconds)) {
            line += String.format(Locale.ROOT, "  | Tessera %.1f s, accuracy %.4f: time ratio %.3f (target <= 0.33),"
                    + " accuracy difference %+.2f points (target within 0.5)", tesseraSeconds, tesseraAccuracy,
                    tesseraSeconds / seconds, 100 * (tesseraAccuracy - acc));
        }
        summary.add(line);
    }

    private void torch(Results r, List<String> summary) {
        TorchScript.Outcome o = TorchScript.run("torch_classify.py", List.of(idx, "2", Integer.toString(epochs), "256",
                "1e-3", "256", Long.toString(seed)), 3600);
        if (o.json() == null) {
            console.println("PyTorch reference: skipped (" + o.why() + ")");
            summary.add("PyTorch: skipped (" + o.why() + ")");
            return;
        }
        r.torchEpochSeconds = o.json().get("median_epoch_seconds").asDouble();
        double acc = o.json().get("test_accuracy").asDouble();
        console.printf(Locale.ROOT, "PyTorch %s (%s): MLP [784, 256, 10], Adam 1e-3, batch 256, %d epochs:"
                + " median %.2f s per epoch, test accuracy %.4f%n", o.json().get("torch").asText(), o.python(), epochs,
                r.torchEpochSeconds, acc);
        summary.add(String.format(Locale.ROOT, "%-40s %8.2f s per epoch  accuracy %.4f", "PyTorch MLP (same run)",
                r.torchEpochSeconds, acc));
    }
}
