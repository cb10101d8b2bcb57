package org.tessera.jobs.data;

import static org.tessera.spark.io.DataFrames.column;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.tessera.jobs.cli.JobException;

/**
 * Checks the chosen columns of an input file before any tensor is made, so that bad input ends
 * with one line that names the file, the line (or row), the column and the value, and says how to
 * skip such rows:
 *
 * <ul>
 *   <li>CSV lines with more or fewer fields than the header (an error, or skipped and counted with
 *       {@code dropMalformed});
 *   <li>empty cells, NaN and infinities in a chosen column (an error, or skipped and counted with
 *       {@code dropMissing});
 *   <li>text in a chosen column, and a file with a header but no data.
 * </ul>
 *
 * CSV files get one extra pass over their lines ({@link CsvScan}); Parquet files one aggregation
 * (and, only when something is wrong, a second pass to find the first bad row).
 */
public final class Cleaning {
    /**
     * A column to check and what it is for ("label", "feature", or "" for a plain column), which the
     * messages name.
     */
    public record Chosen(String name, String role) {
        String describe() {
            return (role.isEmpty() ? "column" : role + " column") + " '" + name + "'";
        }
    }

    /**
     * The checked data: only the chosen columns, every value finite.
     *
     * @param df the rows
     * @param malformedDropped CSV lines skipped for a wrong field count
     * @param missingDropped rows skipped for an empty, NaN or infinite value
     */
    public record Result(Dataset<Row> df, long malformedDropped, long missingDropped) {
        /** A one-line note of what was skipped, or null when nothing was. */
        public String note() {
            List<String> parts = new ArrayList<>();
            if (malformedDropped > 0) {
                parts.add(String.format(Locale.ROOT, "%,d malformed line%s", malformedDropped, malformedDropped == 1
                        ? "" : "s"));
            }
            if (missingDropped > 0) {
                parts.add(String.format(Locale.ROOT, "%,d row%s with missing values", missingDropped,
                        missingDropped == 1 ? "" : "s"));
            }
            return parts.isEmpty() ? null : "skipped " + String.join(" and ", parts);
        }
    }

    private Cleaning() {
    }

    /**
     * Checks {@code chosen} columns of {@code df}, read from {@code path} in {@code format} by
     * {@link Datasets#read}, and returns them, cleaned as the flags allow.
     */
    public static Result clean(SparkSession spark, String path, String format, Dataset<Row> df, List<Chosen> chosen,
            boolean dropMalformed, boolean dropMissing) {
        return clean(spark, path, format, df, chosen, List.of(), dropMalformed, dropMissing);
    }

    /**
     * As {@link #clean(SparkSession, String, String, Dataset, List, boolean, boolean)}, but the result
     * keeps every column of {@code df} (in its order), only the {@code chosen} ones checked: for jobs
     * that pass the other columns through, such as score.
     */
    public static Result cleanKeepingAllColumns(SparkSession spark, String path, String format, Dataset<Row> df,
            List<Chosen> chosen, boolean dropMalformed, boolean dropMissing) {
        String f = Datasets.formatOf(path, format);
        return f.equals("csv") ? csv(spark, path, df, chosen, null, dropMalformed, dropMissing)
                : parquet(path, df, chosen, null, dropMissing);
    }

    /**
     * As {@link #clean(SparkSession, String, String, Dataset, List, boolean, boolean)}, keeping also the
     * columns {@code carried} (after the chosen ones) without checking their values: a class label
     * may be text, and an array or Vector column is checked when it becomes a tensor.
     */
    public static Result clean(SparkSession spark, String path, String format, Dataset<Row> df, List<Chosen> chosen,
            List<String> carried, boolean dropMalformed, boolean dropMissing) {
        String f = Datasets.formatOf(path, format);
        Result r = f.equals("csv") ? csv(spark, path, df, chosen, carried, dropMalformed, dropMissing)
                : parquet(path, df, chosen, carried, dropMissing);
        return r;
    }

    private static Result csv(SparkSession spark, String path, Dataset<Row> df, List<Chosen> chosen,
            List<String> carried, boolean dropMalformed, boolean dropMissing) {
        List<String> header = Arrays.asList(df.columns());
        int[] indices = chosen.stream().mapToInt(c -> header.indexOf(c.name())).toArray();
        long dataLines = 0;
        long malformed = 0;
        long badRows = 0;
        for (String file : files(spark, path)) {
            CsvScan.Result r = CsvScan.scan(spark, file, header.size(), indices);
            dataLines += r.dataLines();
            malformed += r.malformed().count();
            badRows += r.badRows();
            if (r.malformed().found() && !dropMalformed) {
                throw new JobException(String.format(Locale.ROOT, "%s line %d has %s field%s, the header has %d; %,d"
                        + " such line%s in all (--drop-malformed skips them)", file, r.malformed().firstLine(),
                        r.malformed().firstValue(), r.malformed().firstValue().equals("1") ? "" : "s", header.size(),
                        r.malformed().count(), r.malformed().count() == 1 ? "" : "s"));
            }
            firstCellProblem(r, chosen, dropMissing);
        }
        if (dataLines == 0) {
            throw new JobException("input file " + path + " has a header line but no data rows");
        }
        if (dataLines == malformed) {
            throw new JobException("input file " + path + ": every one of its " + dataLines + " data lines has a"
                    + " different number of fields than the header (" + header.size() + ")");
        }
        Dataset<Row> data = df;
        if (malformed > 0) {
            // Spark pads or truncates such lines; parse only the well-formed ones
            int fields = header.size();
            Dataset<String> lines = spark.read().textFile(path).filter(
                    (org.apache.spark.api.java.function.FilterFunction<String>) l -> l.isBlank()
                            || CsvScan.split(l).size() == fields);
            data = spark.read().schema(df.schema()).option("header", "true").csv(lines);
        }
        for (Chosen c : chosen) {
            requireNumeric(data, c);
        }
        if (carried != null) {
            data = data.select(columns(chosen, carried));
        }
        if (badRows > 0) {
            data = data.filter(finite(data, chosen));
        }
        return new Result(data, malformed, badRows);
    }

    /** Throws for the earliest text cell, and for the earliest missing value unless they may be dropped. */
    private static void firstCellProblem(CsvScan.Result r, List<Chosen> chosen, boolean dropMissing) {
        CsvScan.Finding first = null;
        int column = -1;
        CsvScan.Problem problem = null;
        for (int c = 0; c < chosen.size(); c++) {
            for (CsvScan.Problem p : CsvScan.Problem.values()) {
                CsvScan.Finding f = r.cells()[c][p.ordinal()];
                boolean fatal = p == CsvScan.Problem.TEXT || !dropMissing;
                if (fatal && f.found() && (first == null || f.firstLine() < first.firstLine())) {
                    first = f;
                    column = c;
                    problem = p;
                }
            }
        }
        if (first == null) {
            return;
        }
        Chosen c = chosen.get(column);
        if (problem == CsvScan.Problem.TEXT) {
            throw new JobException(String.format(Locale.ROOT, "%s is not numeric: %s line %d has '%s'%s",
                    c.describe(), r.file(), first.firstLine(), first.firstValue(), c.role().equals("feature")
                            ? " (choose the feature columns with --features)" : ""));
        }
        String what = switch (problem) {
            case EMPTY -> "an empty cell";
            case NAN -> "NaN";
            default -> "an infinite value ('" + first.firstValue().trim() + "')";
        };
        throw new JobException(String.format(Locale.ROOT, "%s has %s at %s line %d; %,d row%s empty, NaN or"
                + " infinite values in the chosen columns (--drop-missing skips them)", c.describe(), what, r.file(),
                first.firstLine(), r.badRows(), r.badRows() == 1 ? " has" : "s have"));
    }

    private static Column[] columns(List<Chosen> chosen, List<String> carried) {
        return java.util.stream.Stream.concat(chosen.stream().map(Chosen::name), carried.stream())
                .map(org.tessera.spark.io.DataFrames::column).toArray(Column[]::new);
    }

    private static Result parquet(String path, Dataset<Row> df, List<Chosen> chosen, List<String> carried,
            boolean dropMissing) {
        for (Chosen c : chosen) {
            requireNumeric(df, c);
        }
        Dataset<Row> data = df.select(chosen.stream().map(c -> column(c.name())).toArray(Column[]::new));
        Column good = finite(df, chosen);
        long rows;
        long bad;
        Long proven = rowsWithoutNulls(df, chosen, path);
        if (proven != null) {
            // the files' own statistics show every chosen value present, and none can be NaN
            rows = proven;
            bad = 0;
        } else {
            Row counts = data.agg(sum(lit(1L)).as("rows"), sum(when(good, 0L).otherwise(1L)).as("bad")).first();
            rows = counts.isNullAt(0) ? 0 : counts.getLong(0);
            bad = counts.isNullAt(1) ? 0 : counts.getLong(1);
        }
        if (rows == 0) {
            throw new JobException("input file " + path + " has no rows");
        }
        if (bad > 0 && !dropMissing) {
            // find the first bad row, in file order
            int k = chosen.size();
            scala.Tuple2<Row, Long> first = data.javaRDD().zipWithIndex().filter(t -> {
                for (int i = 0; i < k; i++) {
                    if (t._1().isNullAt(i) || !Double.isFinite(((Number) t._1().get(i)).doubleValue())) {
                        return true;
                    }
                }
                return false;
            }).first();
            for (int i = 0; i < k; i++) {
                Row row = first._1();
                if (row.isNullAt(i) || !Double.isFinite(((Number) row.get(i)).doubleValue())) {
                    String what = row.isNullAt(i) ? "a null" : Double.isNaN(((Number) row.get(i)).doubleValue())
                            ? "NaN" : "an infinite value";
                    throw new JobException(String.format(Locale.ROOT, "%s has %s at row %d of %s; %,d row%s"
                            + " null, NaN or infinite values in the chosen columns (--drop-missing skips them)",
                            chosen.get(i).describe(), what, first._2() + 1, path, bad, bad == 1 ? " has" : "s have"));
                }
            }
        }
        if (bad == rows) {
            throw new JobException("input file " + path + ": every one of its " + rows + " rows has a null, NaN or"
                    + " infinite value in the chosen columns");
        }
        Dataset<Row> kept = carried == null ? df : df.select(columns(chosen, carried));
        for (Chosen c : chosen) {
            if (df.schema().apply(c.name()).dataType() instanceof org.apache.spark.sql.types.DecimalType) {
                // tensors hold binary floating point: a decimal column is read as the nearest doubles
                kept = kept.withColumn(c.name(), column(c.name()).cast("double"));
            }
        }
        return new Result(bad > 0 ? kept.filter(good) : kept, 0, bad);
    }

    /**
     * The number of rows of the Parquet input when its footers prove that no chosen value is missing:
     * every chosen column an integer or decimal (so no NaN or infinity is possible), found in every
     * row group of every file with a null count of zero. Null when the footers cannot tell (a float
     * column, statistics not written, a column not in a file, partition folders): then the values
     * are checked by a pass over the data. Reading the footers costs milliseconds, where the pass
     * over hundreds of integer columns (an image's pixels) costs seconds.
     */
    static Long rowsWithoutNulls(Dataset<Row> df, List<Chosen> chosen, String path) {
        for (Chosen c : chosen) {
            DataType t = df.schema().apply(c.name()).dataType();
            if (!(t instanceof org.apache.spark.sql.types.IntegralType
                    || t instanceof org.apache.spark.sql.types.DecimalType)) {
                return null;
            }
        }
        SparkSession spark = df.sparkSession();
        List<String> files = files(spark, path);
        if (files.isEmpty()) {
            return null;
        }
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        long rows = 0;
        for (String f : files) {
            try (org.apache.parquet.hadoop.ParquetFileReader reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f), conf))) {
                for (org.apache.parquet.hadoop.metadata.BlockMetaData block : reader.getFooter().getBlocks()) {
                    java.util.Map<String, org.apache.parquet.hadoop.metadata.ColumnChunkMetaData> byName =
                            new java.util.HashMap<>();
                    for (org.apache.parquet.hadoop.metadata.ColumnChunkMetaData col : block.getColumns()) {
                        byName.put(col.getPath().toDotString(), col);
                    }
                    for (Chosen c : chosen) {
                        org.apache.parquet.hadoop.metadata.ColumnChunkMetaData col = byName.get(c.name());
                        org.apache.parquet.column.statistics.Statistics<?> st = col == null ? null : col.getStatistics();
                        if (st == null || !st.isNumNullsSet() || st.getNumNulls() != 0) {
                            return null;
                        }
                    }
                    rows += block.getRowCount();
                }
            } catch (IOException | RuntimeException e) {
                // not a Parquet file Tessera can read the footer of: let the pass over the data decide
                return null;
            }
        }
        return rows;
    }

    /**
     * True where every chosen column of {@code df} holds a finite number: the per-column tests joined
     * as a balanced tree of ANDs, so that hundreds of columns (an image's pixels) do not make an
     * expression so deep that Spark's recursive analysis overflows the stack. An integer or decimal
     * column can hold no NaN or infinity, so its test is only that it is not null (and a column that
     * Spark knows cannot be null needs none): for wide integer data (pixels) this is most of the
     * cost of the check.
     */
    private static Column finite(Dataset<Row> df, List<Chosen> chosen) {
        List<Column> tests = new java.util.ArrayList<>();
        for (Chosen c : chosen) {
            StructField f = df.schema().apply(c.name());
            DataType t = f.dataType();
            boolean exact = t instanceof org.apache.spark.sql.types.IntegralType
                    || t instanceof org.apache.spark.sql.types.DecimalType;
            if (exact) {
                if (f.nullable()) {
                    tests.add(column(c.name()).isNotNull());
                }
                continue;
            }
            Column v = column(c.name()).cast("double");
            tests.add(v.isNotNull().and(isnan(v).unary_$bang()).and(v.notEqual(Double.POSITIVE_INFINITY))
                    .and(v.notEqual(Double.NEGATIVE_INFINITY)));
        }
        if (tests.isEmpty()) {
            return lit(true);
        }
        while (tests.size() > 1) {
            List<Column> joined = new java.util.ArrayList<>();
            for (int i = 0; i < tests.size(); i += 2) {
                joined.add(i + 1 < tests.size() ? tests.get(i).and(tests.get(i + 1)) : tests.get(i));
            }
            tests = joined;
        }
        return tests.get(0);
    }

    private static void requireNumeric(Dataset<Row> df, Chosen c) {
        for (StructField f : df.schema().fields()) {
            if (f.name().equals(c.name())) {
                DataType t = f.dataType();
                if (!(t instanceof NumericType)) {
                    throw new JobException(c.describe() + " has type " + t.simpleString() + "; it must be numeric"
                            + (c.role().equals("feature") ? " (choose the feature columns with --features)" : ""));
                }
                return;
            }
        }
        throw new JobException(c.describe() + " not found; the columns are: " + String.join(", ", df.columns()));
    }

    /** The data files of {@code path}: itself, or the visible files of a folder or glob. */
    static List<String> files(SparkSession spark, String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            List<String> out = new ArrayList<>();
            FileStatus[] matches = fs.globStatus(p);
            if (matches == null) {
                return List.of(path);
            }
            for (FileStatus st : matches) {
                if (st.isDirectory()) {
                    for (FileStatus child : fs.listStatus(st.getPath())) {
                        String name = child.getPath().getName();
                        if (child.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
                            out.add(child.getPath().toString());
                        }
                    }
                } else {
                    out.add(matches.length == 1 ? path : st.getPath().toString());
                }
            }
            out.sort(null);
            return out;
        } catch (IOException e) {
            throw new JobException("cannot list input " + path + ": " + e.getMessage());
        }
    }
}
