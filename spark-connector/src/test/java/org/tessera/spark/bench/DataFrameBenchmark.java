package org.tessera.spark.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.rand;

import java.util.Locale;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.tessera.Tensor;
import org.tessera.spark.TesseraSession;

/**
 * DataFrame → tensor conversion of {@code rows} × {@code cols} double columns on local[2], in rows
 * per second, from Spark's column batches and through its rows, next to VectorAssembler plus a count
 * over the same cached DataFrame.
 */
public final class DataFrameBenchmark {
    private DataFrameBenchmark() {
    }

    /** Arguments: rows (10,000,000), columns (32), partitions (16), repetitions (5; the median is printed). */
    public static void main(String[] args) {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int parts = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        try (TesseraSession ts = TesseraSession.builder().master("local[2]").appName("dataframe-benchmark")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            ts.sparkContext().setLogLevel("WARN");
            Column[] c = new Column[cols];
            String[] names = new String[cols];
            for (int i = 0; i < cols; i++) {
                names[i] = "c" + i;
                c[i] = rand(i).as(names[i]);
            }
            Dataset<Row> df = ts.spark().range(0, rows, 1, parts).select(c).cache();
            df.count();

            VectorAssembler va = new VectorAssembler().setInputCols(names).setOutputCol("features");
            double[] assemblerRuns = new double[reps];
            double[] tesseraRuns = new double[reps];
            double[] rowRuns = new double[reps];
            String columnar = org.tessera.spark.TesseraConf.DATAFRAME_COLUMNAR.name();
            for (int rep = 0; rep < reps; rep++) {
                long t0 = System.nanoTime();
                va.transform(df).select(count(col("features"))).first();
                assemblerRuns[rep] = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                Tensor t = ts.fromDataFrame(df, names);
                tesseraRuns[rep] = (System.nanoTime() - t0) / 1e9;
                check(t, rows, cols);
                ts.unpersist(t);
                // the same through Spark's rows, as before column batches were read
                ts.spark().conf().set(columnar, "false");
                try {
                    t0 = System.nanoTime();
                    t = ts.fromDataFrame(df, names);
                    rowRuns[rep] = (System.nanoTime() - t0) / 1e9;
                    check(t, rows, cols);
                    ts.unpersist(t);
                } finally {
                    ts.spark().conf().unset(columnar);
                }
            }
            System.out.println("runs, VectorAssembler: " + java.util.Arrays.toString(assemblerRuns) + "; Tessera: "
                    + java.util.Arrays.toString(tesseraRuns) + "; Tessera through rows: "
                    + java.util.Arrays.toString(rowRuns));
            double assembler = Stats.median(assemblerRuns);
            double tessera = Stats.median(tesseraRuns);
            double throughRows = Stats.median(rowRuns);
            System.out.println();
            System.out.printf(Locale.ROOT, "DataFrame -> tensor, %d rows x %d double columns, %d partitions, local[2],"
                    + " median of %d%n", rows, cols, parts, reps);
            System.out.println("| run | seconds | rows/s |");
            System.out.println("|---|---|---|");
            System.out.printf(Locale.ROOT, "| Tessera fromDataFrame | %.2f | %.3e |%n", tessera, rows / tessera);
            System.out.printf(Locale.ROOT, "| Tessera fromDataFrame through Spark's rows (%s=false) | %.2f | %.3e |%n",
                    columnar, throughRows, rows / throughRows);
            System.out.printf(Locale.ROOT, "| VectorAssembler + count (reference) | %.2f | %.3e |%n", assembler,
                    rows / assembler);
            System.out.printf(Locale.ROOT, "Tessera / VectorAssembler throughput = %.2fx; column batches / rows = %.2fx%n",
                    assembler / tessera, throughRows / tessera);
        }
    }

    private static void check(Tensor t, long rows, int cols) {
        if (t.size(0) != rows || t.size(1) != cols) {
            throw new IllegalStateException("unexpected shape " + t.shape());
        }
    }
}
