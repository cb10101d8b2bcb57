package org.tessera.jobs;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Cleaning;
import org.tessera.jobs.data.Datasets;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.MatmulStrategy;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Multiplies two distributed matrices and prints the time, the GFLOP/s and the strategy chosen. */
@Command(name = "matmul", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Multiply two distributed matrices; print the time, GFLOP/s and strategy.",
            "The matrices are generated (standard normal) or loaded from CSV/Parquet (every numeric column)."})
public final class MatmulJob implements Callable<Integer> {
    @Option(names = {"-n", "--rows"}, defaultValue = "2048", description = "rows of A (default: ${DEFAULT-VALUE})")
    long n;

    @Option(names = {"-k", "--inner"}, defaultValue = "2048", description = "columns of A, rows of B"
            + " (default: ${DEFAULT-VALUE})")
    long k;

    @Option(names = {"-m", "--cols"}, defaultValue = "2048", description = "columns of B (default: ${DEFAULT-VALUE})")
    long m;

    @Option(names = "--a", paramLabel = "PATH", description = "load A from this CSV/Parquet file instead")
    String pathA;

    @Option(names = "--b", paramLabel = "PATH", description = "load B from this CSV/Parquet file instead")
    String pathB;

    @Option(names = "--block", paramLabel = "ROWS", description = "rows per block of generated matrices"
            + " (default: chosen by size)")
    Long block;

    @Option(names = "--strategy", paramLabel = "auto|broadcast|selfProduct|shuffle", defaultValue = "auto",
            description = "matmul strategy (default: ${DEFAULT-VALUE}, chosen by size)")
    String strategy;

    @Option(names = "--dtype", paramLabel = "float64|float32", defaultValue = "float64",
            description = "dtype (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--reps", defaultValue = "3", description = "timed repetitions; the median is printed"
            + " (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--seed", defaultValue = "42", description = "seed of generated matrices (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--check", description = "also multiply on the driver with the single-node engine and print"
            + " the largest difference (the operands must fit under spark.tessera.collect.maxBytes)")
    boolean check;

    @Mixin
    SparkOptions spark;

    private final PrintStream console = System.out;

    @Override
    public Integer call() {
        DType dt = RegressionJob.parseDtype(dtype);
        MatmulStrategy s;
        try {
            s = MatmulStrategy.parse(strategy);
        } catch (IllegalArgumentException e) {
            throw new JobException("--strategy: " + e.getMessage());
        }
        if (reps < 1 || n < 1 || k < 1 || m < 1) {
            throw new JobException("sizes and --reps must be at least 1; got n=" + n + ", k=" + k + ", m=" + m
                    + ", reps=" + reps);
        }
        for (String p : new String[] {pathA, pathB}) {
            if (p != null) {
                Datasets.requireExists(p, "input file");
            }
        }
        try (TesseraSession ts = spark.open("matmul")) {
            Tessera.manualSeed(seed);
            Tensor a = keep(ts, pathA != null ? load(ts, pathA, "A", dt) : ts.randn(dt, new long[] {n, k}, blocks(n, k)));
            Tensor b = keep(ts, pathB != null ? load(ts, pathB, "B", dt) : ts.randn(dt, new long[] {k, m}, blocks(k, m)));
            if (a.shape().get(1) != b.shape().get(0)) {
                throw new JobException("matmul: inner dimensions differ: A is " + a.shape() + ", B is " + b.shape());
            }
            ts.matmulStrategy(s);
            Tensor probe = a.matmul(b);
            String plan = ts.explain(probe);
            String chosen = plan.lines().filter(l -> l.contains("strategy")).findFirst().orElse("(no matmul step)")
                    .trim();
            double[] secs = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                Tensor c = a.matmul(b);
                compute(ts, c);
                secs[r] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(secs);
            double median = reps % 2 == 1 ? secs[reps / 2] : (secs[reps / 2 - 1] + secs[reps / 2]) / 2;
            double flops = 2.0 * a.shape().get(0) * a.shape().get(1) * b.shape().get(1);
            console.println(chosen);
            console.printf(Locale.ROOT, "%s @ %s %s on %s: median %.3fs over %d runs (best %.3fs), %.2f GFLOP/s%n",
                    a.shape(), b.shape(), dt, ts.spark().sparkContext().master(), median, reps, secs[0],
                    flops / median / 1e9);
            if (check) {
                Tensor local = a.cpu().matmul(b.cpu());
                double diff = a.matmul(b).cpu().sub(local).abs().max().item();
                double scale = Math.max(1, local.abs().max().item());
                double tol = (dt == DType.FLOAT32 ? 1e-4 : 1e-10) * scale;
                boolean ok = diff <= tol;
                console.printf(Locale.ROOT, "check against the single-node engine: largest difference %.3e (tolerance"
                        + " %.1e): %s%n", diff, tol, ok ? "passed" : "FAILED");
                if (!ok) {
                    return 1;
                }
            }
            return 0;
        }
    }

    private long[] blocks(long rows, long cols) {
        return block == null ? new long[0] : new long[] {Math.min(block, rows), cols};
    }

    private static Tensor keep(TesseraSession ts, Tensor t) {
        ts.persist(t);
        compute(ts, t);
        return t;
    }

    /** Computes every block of {@code t} (a job) without collecting it. */
    static void compute(TesseraSession ts, Tensor t) {
        if (ts.blocks(t) != null) {
            ts.blocks(t).count();
        } else {
            t.realize();
        }
    }

    /**
     * Loads every numeric column of {@code path} as a matrix; text columns are left out with a
     * one-line notice naming them, and the numeric cells are checked as the regression job checks them.
     */
    private Tensor load(TesseraSession ts, String path, String name, DType dt) {
        Dataset<Row> df = Datasets.read(ts.spark(), path, null);
        String[] cols = Arrays.stream(df.schema().fields()).filter(f -> f.dataType() instanceof NumericType)
                .map(StructField::name).toArray(String[]::new);
        List<String> text = Arrays.stream(df.schema().fields()).filter(f -> !(f.dataType() instanceof NumericType))
                .map(StructField::name).toList();
        if (cols.length == 0) {
            throw new JobException(path + " has no numeric column; the columns are: " + String.join(", ", df.columns()));
        }
        if (!text.isEmpty()) {
            console.printf(Locale.ROOT, "%s (%s): %d text column%s left out: %s%n", name, path, text.size(),
                    text.size() == 1 ? "" : "s", String.join(", ", text));
        }
        Dataset<Row> checked = Cleaning.clean(ts.spark(), path, null, df,
                Arrays.stream(cols).map(c -> new Cleaning.Chosen(c, "")).toList(), false, false).df();
        return ts.fromDataFrame(checked, DataFrameOptions.defaults().dtype(dt), cols);
    }
}
