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
import org.tessera.jobs.cli.Outputs;
import org.tessera.jobs.cli.SparkOptions;
import org.tessera.jobs.data.Cleaning;
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

    @Option(names = "--drop-missing", description = "skip rows with an empty, NaN or infinite value in a chosen"
            + " column, and say how many (default: such a row is an error naming its line)")
    boolean dropMissing;

    @Option(names = "--drop-malformed", description = "skip CSV lines with more or fewer fields than the header,"
            + " and say how many (default: such a line is an error naming it)")
    boolean dropMalformed;

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
        Outputs.requireWritable(out);
        try (TesseraSession ts = spark.open("stats")) {
            Dataset<Row> df = input == null
                    ? Synthetic.regression(ts.spark(), rows, 4, ts.sparkContext().defaultParallelism(), 0.5, 7, false)
                    : Datasets.read(ts.spark(), input, format);
            List<String> cols = new ArrayList<>(columns);
            if (cols.isEmpty()) {
                Arrays.stream(df.schema().fields()).filter(f -> f.dataType() instanceof NumericType)
                        .map(StructField::name).forEach(cols::add);
                if (cols.isEmpty() && input != null) {
                    // say why: no data rows, or the first text cell
                    Cleaning.clean(ts.spark(), input, format, df, Arrays.stream(df.columns())
                            .map(c -> new Cleaning.Chosen(c, "")).toList(), dropMalformed, dropMissing);
                }
                if (cols.isEmpty()) {
                    throw new JobException("no numeric columns; the columns are: " + String.join(", ", df.columns()));
                }
                List<String> left = Arrays.stream(df.columns()).filter(c -> !cols.contains(c)).toList();
                if (!left.isEmpty()) {
                    // a column Spark read as text (one cell such as 'NA' is enough) is not silently dropped
                    console.printf(Locale.ROOT, "left out %d column%s that %s not numeric: %s (--columns names the"
                            + " ones to use; a text cell in one makes it an error naming the line)%n", left.size(),
                            left.size() == 1 ? "" : "s", left.size() == 1 ? "is" : "are",
                            String.join(", ", left.subList(0, Math.min(20, left.size()))) + (left.size() > 20 ? ", ..."
                                    : ""));
                }
            }
            for (String c : cols) {
                Datasets.requireColumn(df, c, "input");
            }
            if (input != null) {
                Cleaning.Result cleaned = Cleaning.clean(ts.spark(), input, format, df,
                        cols.stream().map(c -> new Cleaning.Chosen(c, "")).toList(), dropMalformed, dropMissing);
                df = cleaned.df();
                if (cleaned.note() != null) {
                    console.println(cleaned.note());
                }
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

    /** Columns up to which the whole correlation matrix is printed; wider tables go to stats.csv only. */
    static final int PRINTED_MATRIX = 12;
    /** Rows of means and standard deviations printed for a wide table. */
    static final int PRINTED_ROWS = 20;

    private void print(List<String> cols, long n, double[] mean, double[] std, double[] corr) {
        int d = cols.size();
        int w = Math.min(24, Math.max(8, cols.stream().mapToInt(String::length).max().orElse(0)));
        boolean matrix = d <= PRINTED_MATRIX;
        console.printf(Locale.ROOT, "%,d rows, %d columns%n", n, d);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s %12s %12s", "column", "mean",
                "std"));
        if (matrix) {
            head.append("  |");
            for (String c : cols) {
                head.append(String.format(Locale.ROOT, " %10s", abbreviate(c, 10)));
            }
        }
        console.println(head);
        int shown = matrix ? d : Math.min(d, PRINTED_ROWS);
        for (int i = 0; i < shown; i++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s %12.5g %12.5g",
                    abbreviate(cols.get(i), w), mean[i], std[i]));
            if (matrix) {
                line.append("  |");
                for (int j = 0; j < d; j++) {
                    line.append(String.format(Locale.ROOT, " %10.4f", corr[i * d + j]));
                }
            }
            console.println(line);
        }
        if (matrix) {
            console.println("(right of |: the correlation matrix)");
            return;
        }
        if (shown < d) {
            console.printf(Locale.ROOT, "... %d more columns in stats.csv%n", d - shown);
        }
        // the strongest correlations between distinct columns, instead of a d×d matrix
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                if (Double.isFinite(corr[i * d + j])) {
                    pairs.add(new int[] {i, j});
                }
            }
        }
        pairs.sort((a, b) -> Double.compare(Math.abs(corr[b[0] * d + b[1]]), Math.abs(corr[a[0] * d + a[1]])));
        console.printf(Locale.ROOT, "the %d×%d correlation matrix is in stats.csv; the strongest correlations:%n", d, d);
        for (int[] p : pairs.subList(0, Math.min(5, pairs.size()))) {
            console.printf(Locale.ROOT, "  %s ~ %s: %.4f%n", abbreviate(cols.get(p[0]), 30),
                    abbreviate(cols.get(p[1]), 30), corr[p[0] * d + p[1]]);
        }
        long constant = Arrays.stream(std).filter(v -> !(v > 0)).count();
        if (constant > 0) {
            console.printf(Locale.ROOT, "%d constant column%s (no correlation defined: NaN in stats.csv)%n", constant,
                    constant == 1 ? "" : "s");
        }
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "~";
    }

    private void write(List<String> cols, double[] mean, double[] std, double[] corr) throws IOException {
        int d = cols.size();
        StringBuilder csv = new StringBuilder("column,mean,std");
        for (String c : cols) {
            csv.append(',').append(csvField("corr_" + c));
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
