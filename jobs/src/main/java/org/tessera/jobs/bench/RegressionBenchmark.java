package org.tessera.jobs.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.regression.LinearRegression;
import org.apache.spark.ml.regression.LinearRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.DType;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Synthetic;
import org.tessera.jobs.data.Tensors;
import org.tessera.jobs.fit.Fit;
import org.tessera.jobs.fit.GradientDescent;
import org.tessera.jobs.fit.Model;
import org.tessera.jobs.fit.Moments;
import org.tessera.jobs.fit.Objective;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Tessera's regression job against Spark MLlib's {@code LinearRegression} on the same cached
 * DataFrame in one run: both timed from the cached rows to fitted coefficients, medians of
 * repeated runs, and their ratio.
 */
@Command(name = "bench-regression", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark: Tessera's regression against Spark MLlib's LinearRegression.",
            "Both run on the same cached DataFrame in one run (default local[2]); prints both medians",
            "and their ratio."})
public final class RegressionBenchmark implements Callable<Integer> {
    @Option(names = "--rows", defaultValue = "1000000", description = "rows (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = {"--num-features", "-d"}, paramLabel = "N", defaultValue = "32",
            description = "features (default: ${DEFAULT-VALUE})")
    int features;

    @Option(names = "--epochs", defaultValue = "20", description = "Tessera epochs and MLlib iterations"
            + " (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--solver", defaultValue = "l-bfgs", description = "MLlib solver, l-bfgs or normal"
            + " (default: ${DEFAULT-VALUE})")
    String solver;

    @Option(names = "--reps", defaultValue = "3", description = "timed runs of each (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs of each first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--partitions", defaultValue = "2", description = "DataFrame partitions (default: ${DEFAULT-VALUE})")
    int partitions;

    @Mixin
    SparkOptions spark;

    private final PrintStream console = System.out;

    @Override
    public Integer call() {
        spark.defaultMaster("local[2]");
        try (TesseraSession ts = spark.open("bench-regression")) {
            List<String> names = Synthetic.featureNames(features);
            Dataset<Row> generated = Synthetic.regression(ts.spark(), rows, features, partitions, 0.1, 42, false);
            Dataset<Row> df = new VectorAssembler().setInputCols(names.toArray(new String[0]))
                    .setOutputCol("features").transform(generated).cache();
            long count = df.count();
            console.printf(Locale.ROOT, "data: %,d rows x %d features in %d partitions, cached; master %s%n", count,
                    features, df.rdd().getNumPartitions(), ts.spark().sparkContext().master());

            java.util.concurrent.atomic.AtomicInteger jobs = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger stages = new java.util.concurrent.atomic.AtomicInteger();
            ts.sparkContext().sc().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
                @Override
                public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart e) {
                    jobs.incrementAndGet();
                }

                @Override
                public void onStageCompleted(org.apache.spark.scheduler.SparkListenerStageCompleted e) {
                    stages.incrementAndGet();
                }
            });
            double[][] tessera = new double[1][];
            double[][] mllib = new double[1][];
            double tT = median(warmup, reps, "Tessera", () -> {
                long t0 = System.nanoTime();
                Tensors data = Tensors.of(ts, df, names, "label", DType.FLOAT64);
                long t1 = System.nanoTime();
                Moments m = Moments.ofAugmented(data.augmented());
                long t2 = System.nanoTime();
                int j0 = jobs.get();
                int s0 = stages.get();
                Objective objective = new Objective(Model.LINEAR, data, m, names, 0);
                Fit fit = GradientDescent.fit(objective, epochs,
                        GradientDescent.defaultLearningRate(Model.LINEAR, m, 0), (e, l, g) -> { });
                long t3 = System.nanoTime();
                data.release(ts);
                console.printf(Locale.ROOT, "  Tessera phases: DataFrame to tensors %.2fs, moments (AᵀA)"
                        + " %.2fs, %d epochs %.2fs (%d Spark jobs, %d stages)%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                        epochs, (t3 - t2) / 1e9, jobs.get() - j0, stages.get() - s0);
                tessera[0] = append(fit.weights(), fit.bias());
            });
            console.println(shareNativeBlas());
            int[] iterations = new int[1];
            double tM = median(warmup, reps, "MLlib", () -> {
                LinearRegressionModel model = new LinearRegression().setMaxIter(epochs).setSolver(solver)
                        .setRegParam(0).fit(df);
                iterations[0] = model.summary().totalIterations();
                mllib[0] = append(model.coefficients().toArray(), model.intercept());
            });
            double[] truth = append(Synthetic.trueWeights(features), Synthetic.TRUE_BIAS);
            console.printf(Locale.ROOT, "largest difference from the true coefficients: Tessera %.3g, MLlib %.3g%n",
                    maxDiff(tessera[0], truth), maxDiff(mllib[0], truth));
            double diff = 0;
            for (int j = 0; j < tessera[0].length; j++) {
                diff = Math.max(diff, Math.abs(tessera[0][j] - mllib[0][j]));
            }
            console.println();
            console.printf(Locale.ROOT, "%-44s %10s%n", "linear regression, from the cached DataFrame", "median");
            console.printf(Locale.ROOT, "%-44s %9.2fs%n", "Tessera: gradient descent, " + epochs + " epochs", tT);
            console.printf(Locale.ROOT, "%-44s %9.2fs%n", "MLlib LinearRegression, " + solver + ", maxIter " + epochs
                    + " (" + iterations[0] + " run)", tM);
            console.printf(Locale.ROOT, "%-44s %9.2fx%n", "ratio MLlib / Tessera", tM / tT);
            console.printf(Locale.ROOT, "largest coefficient difference between the two fits: %.3g%n", diff);
            df.unpersist();
            return 0;
        }
    }

    /**
     * Which BLAS MLlib uses: the engine points netlib's BLAS at Tessera's OpenBLAS when it loads it
     * (see {@link org.tessera.backend.cpu.Blas}), unless the application configured netlib itself.
     */
    static String shareNativeBlas() {
        String lib = org.tessera.backend.cpu.Blas.library();
        String configured = System.getProperty("dev.ludovic.netlib.blas.nativeLibPath");
        return "MLlib BLAS: " + (configured == null ? "netlib's default" : configured)
                + (lib != null && lib.equals(configured) ? " (the OpenBLAS Tessera uses); LAPACK: "
                + System.getProperty("dev.ludovic.netlib.lapack.nativeLib", "netlib's default") : "");
    }

    private static double maxDiff(double[] a, double[] b) {
        double d = 0;
        for (int j = 0; j < a.length; j++) {
            d = Math.max(d, Math.abs(a[j] - b[j]));
        }
        return d;
    }

    private static double[] append(double[] w, double b) {
        double[] a = Arrays.copyOf(w, w.length + 1);
        a[w.length] = b;
        return a;
    }

    private double median(int warm, int n, String what, Runnable r) {
        for (int i = 0; i < warm; i++) {
            r.run();
        }
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e9;
            console.printf(Locale.ROOT, "  %s run %d: %.2fs%n", what, i + 1, t[i]);
        }
        return Timing.median(t);
    }
}
