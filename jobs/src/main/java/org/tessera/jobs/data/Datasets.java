package org.tessera.jobs.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.tessera.jobs.cli.JobException;

/** Reads the jobs' input files (CSV with a header, or Parquet) and checks the chosen columns. */
public final class Datasets {
    private Datasets() {
    }

    /**
     * Fails with a one-line message when a local path (no scheme, or {@code file:}) does not exist;
     * paths on other file systems are left for Spark to check.
     */
    public static void requireExists(String path, String what) {
        boolean fileScheme = path.startsWith("file:");
        if (!fileScheme && path.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*")) {
            return; // hdfs:, s3a:, … : Spark checks them
        }
        if (!Files.exists(Path.of(localPath(path)))) {
            throw new JobException(what + " not found: " + path);
        }
    }

    private static String localPath(String path) {
        return path.replaceFirst("^file:(//)?", "");
    }

    /** The format of {@code path}: {@code format} when given, else from the extension (.csv or .parquet). */
    public static String formatOf(String path, String format) {
        if (format != null) {
            String f = format.toLowerCase(Locale.ROOT);
            if (!f.equals("csv") && !f.equals("parquet")) {
                throw new JobException("unknown input format '" + format + "'; expected csv or parquet");
            }
            return f;
        }
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) {
            return "csv";
        }
        if (lower.endsWith(".parquet")) {
            return "parquet";
        }
        Path dir = Path.of(localPath(path));
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                List<String> names = files.map(f -> f.getFileName().toString()).toList();
                if (names.stream().anyMatch(n -> n.endsWith(".parquet"))) {
                    return "parquet";
                }
                if (names.stream().anyMatch(n -> n.endsWith(".csv"))) {
                    return "csv";
                }
            } catch (java.io.IOException e) {
                throw new JobException("cannot list input folder " + path + ": " + e.getMessage());
            }
        }
        throw new JobException("cannot tell the format of " + path + " from its name; add --format csv or"
                + " --format parquet");
    }

    /**
     * Reads a CSV file (header line, types inferred) or Parquet file or folder.
     *
     * @throws JobException when the file has no columns at all (an empty CSV file)
     */
    public static Dataset<Row> read(SparkSession spark, String path, String format) {
        requireExists(path, "input file");
        String f = formatOf(path, format);
        Dataset<Row> df = f.equals("csv")
                ? spark.read().option("header", "true").option("inferSchema", "true").csv(path)
                // the union of the files' columns: a column that only some files of a folder hold is
                // read (null in the others) rather than left out because the first file lacks it
                : spark.read().option("mergeSchema", "true").parquet(path);
        if (df.columns().length == 0) {
            throw new JobException("input file " + path + " is empty: no header line and no data");
        }
        return df;
    }

    /** Fails with a one-line message unless {@code df} has a column named {@code name}; {@code role} names its use. */
    public static void requireColumn(Dataset<Row> df, String name, String role) {
        field(df, name, role);
    }

    private static StructField field(Dataset<Row> df, String name, String role) {
        for (StructField f : df.schema().fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new JobException(role + " column '" + name + "' not found; the columns are: "
                + String.join(", ", df.columns()));
    }

    /**
     * The feature columns: {@code chosen} when not empty, else every column except {@code exclude};
     * each one checked to exist (their values are checked by {@link Cleaning}).
     */
    public static List<String> features(Dataset<Row> df, List<String> chosen, String exclude) {
        List<String> names = new ArrayList<>();
        if (chosen != null && !chosen.isEmpty()) {
            names.addAll(chosen);
        } else {
            Arrays.stream(df.columns()).filter(c -> !c.equals(exclude)).forEach(names::add);
        }
        if (names.isEmpty()) {
            throw new JobException("no feature columns: the input has only the column(s) " + String.join(", ",
                    df.columns()));
        }
        for (String n : names) {
            requireColumn(df, n, "feature");
        }
        return names;
    }
}
