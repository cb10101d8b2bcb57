package org.tessera.jobs;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.tessera.jobs.data.Datasets;
import org.tessera.jobs.data.Synthetic;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Means, standard deviations and the correlation matrix of DataFrame columns, computed through
 * tensors: the column sums, then the product {@code XcᵀXc} of the centered columns.
 */
@Command(name = "stats", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Means, standard deviations and correlations of DataFrame columns.",
            "Computed through distributed tensors (sample standard deviation, n-1); printed as a table",
            "and written as stats.csv."})
public final class StatsJob implements Callable<Integer> {
    @Option(names = "--input", paramLabel = "PATH", description = "CSV (with a header line) or Parquet input;"
            + " default: generated regression data")
    String input;

    @Option(names = "--format", paramLabel = "csv|parquet", description = "input format (default: from the name)")
    String format;

    @Option(names = "--columns", paramLabel = "COLUMNS", split = ",",
            description = "columns, comma-separated (default: every numeric column)")
    List<String> columns = new ArrayList<>();

    @Option(names = "--drop-missing", description = "skip rows with a null or NaN in a chosen column"
            + " (default: such a row is an error)")
    boolean dropMissing;

    @Option(names = "--rows", defaultValue = "100000", description = "generated data: rows (default: ${DEFAULT-VALUE})")
    long rows;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "stats-out",
            description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    SparkOptions spark;

    private final PrintStream console = System.out;

    @Override
    public Integer call() throws IOException {
        if (input != null) {
            Datasets.requireExists(input, "input file");
        }
        try (TesseraSession ts = spark.open("stats")) {
            Dataset<Row> df = input == null
                    ? Synthetic.regression(ts.spark(), rows, 4, ts.sparkContext().defaultParallelism(), 0.5, 7, false)
                    : Datasets.read(ts.spark(), input, format);
            List<String> cols = new ArrayList<>(columns);
            if (cols.isEmpty()) {
                Arrays.stream(df.schema().fields()).filter(f -> f.dataType() instanceof NumericType)
                        .map(StructField::name).forEach(cols::add);
                if (cols.isEmpty()) {
                    throw new JobException("no numeric columns; the columns are: " + String.join(", ", df.columns()));
                }
            }
            for (String c : cols) {
                Datasets.requireNumeric(df, c, "column");
            }
            if (dropMissing) {
                df = df.na().drop(cols.toArray(new String[0]));
            }
            Tensor x = ts.persist(ts.fromDataFrame(df, DataFrameOptions.defaults(), cols.toArray(new String[0])));
            long n = x.shape().get(0);
            if (n < 2) {
                throw new JobException("stats need at least 2 rows; got " + n);
            }
            int d = cols.size();
            double[] mean = x.sum(0, true).div(n).toDoubleArray();
            Tensor xc = x.sub(Tessera.fromArray(mean, 1, d).to(DType.FLOAT64));
            double[] cov = xc.t().matmul(xc).div(n - 1).toDoubleArray();
            ts.unpersist(x);
            double[] std = new double[d];
            for (int j = 0; j < d; j++) {
                std[j] = Math.sqrt(cov[j * d + j]);
            }
            double[] corr = new double[d * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    corr[i * d + j] = cov[i * d + j] / (std[i] * std[j]);
                }
            }
            print(cols, n, mean, std, corr);
            write(cols, mean, std, corr);
            return 0;
        }
    }

    private void print(List<String> cols, long n, double[] mean, double[] std, double[] corr) {
        int d = cols.size();
        int w = Math.max(8, cols.stream().mapToInt(String::length).max().orElse(0));
        console.printf(Locale.ROOT, "%,d rows%n", n);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s %12s %12s  |", "column", "mean",
                "std"));
        for (String c : cols) {
            head.append(String.format(Locale.ROOT, " %" + Math.max(7, Math.min(w, 10)) + "s", abbreviate(c, 10)));
        }
        console.println(head);
        for (int i = 0; i < d; i++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s %12.5g %12.5g  |",
                    cols.get(i), mean[i], std[i]));
            for (int j = 0; j < d; j++) {
                line.append(String.format(Locale.ROOT, " %" + Math.max(7, Math.min(w, 10)) + ".4f", corr[i * d + j]));
            }
            console.println(line);
        }
        console.println("(right of |: the correlation matrix)");
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "~";
    }

    private void write(List<String> cols, double[] mean, double[] std, double[] corr) throws IOException {
        int d = cols.size();
        StringBuilder csv = new StringBuilder("column,mean,std");
        for (String c : cols) {
            csv.append(",corr_").append(csvField(c));
        }
        csv.append('\n');
        for (int i = 0; i < d; i++) {
            csv.append(csvField(cols.get(i))).append(',').append(mean[i]).append(',').append(std[i]);
            for (int j = 0; j < d; j++) {
                csv.append(',').append(corr[i * d + j]);
            }
            csv.append('\n');
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("stats.csv"), csv, StandardCharsets.UTF_8);
        console.println("wrote " + out.resolve("stats.csv"));
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
