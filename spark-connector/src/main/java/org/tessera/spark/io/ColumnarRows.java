package org.tessera.spark.io;


import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.tessera.DType;
import org.tessera.spark.DataFrameOptions.Missing;
import org.tessera.spark.TesseraConf;

/**
 * Numeric columns read from Spark's column batches instead of its rows, where the DataFrame's plan
 * is a columnar scan (Parquet or ORC files read by Spark's vectorized readers, or a DataFrame in
 * Spark's in-memory cache) that Spark would turn into rows for us: the values of a batch are copied
 * column by column, a few rows at a time, into the row-major block, with none of the per-row work
 * (a generated projection over every column of every row, then one call per value) that dominates a
 * wide read. A batch that holds a null, or a NaN that the options do not keep, is read row by row
 * through {@link RowValues}, so the rules and messages are the row path's own.
 *
 * <p>Spark plans a scan of more columns than {@code spark.sql.codegen.maxFields} (100 by default)
 * as rows, and a file source reads that limit from its own session; for such a DataFrame the limit
 * is raised to the number of columns in the DataFrame's session while this one query is planned,
 * and set back at once. A query that another thread plans in that moment may be compiled whole for
 * more columns than usual, which Spark falls back from when the code grows too large: a matter of
 * speed, not of results.
 */
final class ColumnarRows {
    private ColumnarRows() {
    }

    /** Rows read per pass over the columns of a batch: their part of the block stays in cache. */
    private static final int ROWS = 16;

    /**
     * The column batches of {@code selected} (its columns exactly {@code cols}, all numeric), or null
     * when its plan is not a columnar scan of those columns.
     */
    static JavaRDD<ColumnarBatch> batches(Dataset<Row> selected, String[] cols) {
        for (String c : cols) {
            DataType t = selected.schema().apply(c).dataType();
            if (!(t == DataTypes.ByteType || t == DataTypes.ShortType || t == DataTypes.IntegerType
                    || t == DataTypes.LongType || t == DataTypes.FloatType || t == DataTypes.DoubleType)) {
                return null;
            }
        }
        try {
            return planned(selected, cols.length, () -> columnar(current(selected), cols));
        } catch (RuntimeException | LinkageError e) {
            // a plan this code does not know how to read in columns: the rows are read instead
            return null;
        }
    }

    /**
     * The column batches of all of {@code df}'s columns, or null when its plan is not a columnar
     * scan of exactly those columns, or a column is not of a type that {@link FixedRows} lays out
     * (numbers, booleans, dates, timestamps).
     */
    static JavaRDD<ColumnarBatch> scanBatches(Dataset<Row> df) {
        String[] cols = df.columns();
        for (org.apache.spark.sql.types.StructField f : df.schema().fields()) {
            if (!FixedRows.supports(f.dataType())) {
                return null;
            }
        }
        try {
            return planned(df, cols.length, () -> columnar(current(df), cols));
        } catch (RuntimeException | LinkageError e) {
            return null; // a plan this code does not know how to read in columns: the rows are read instead
        }
    }

    /** The executed plan of {@code selected}, planned afresh (under the settings {@link #planned} gives). */
    private static SparkPlan current(Dataset<Row> selected) {
        if (selected.sparkSession() instanceof org.apache.spark.sql.classic.SparkSession classic) {
            return org.apache.spark.sql.classic.Dataset$.MODULE$.ofRows(classic, selected.queryExecution().logical())
                    .queryExecution().executedPlan();
        }
        return selected.queryExecution().executedPlan();
    }

    /** The batches of {@code plan} when it is a columnar scan of exactly {@code cols}, else null. */
    private static JavaRDD<ColumnarBatch> columnar(SparkPlan plan, String[] cols) {
        if (plan instanceof WholeStageCodegenExec w) {
            plan = w.child();
        }
        // a scan whose batches Spark turns into rows, or (Spark's cache) one that can give either
        SparkPlan scan = plan instanceof ColumnarToRowExec c2r ? c2r.child() : plan;
        if (scan instanceof InputAdapter in) {
            scan = in.child();
        }
        if (!scan.supportsColumnar() || !sameColumns(scan.output(), cols)) {
            return null;
        }
        return scan.executeColumnar().toJavaRDD();
    }

    /**
     * Runs {@code planning} with {@code spark.sql.codegen.maxFields} at least {@code width} in the
     * DataFrame's session, then sets it back: a file source reads that limit from its relation's
     * session, and Spark's cache reads it each time it is asked whether it gives column batches, so
     * the plan is made and its batches' RDD created while the limit is raised.
     */
    private static <T> T planned(Dataset<Row> selected, int width, java.util.function.Supplier<T> planning) {
        org.apache.spark.sql.RuntimeConfig conf = selected.sparkSession().conf();
        String key = "spark.sql.codegen.maxFields";
        if (width <= Integer.parseInt(conf.get(key, "100"))) {
            return planning.get();
        }
        synchronized (ColumnarRows.class) {
            boolean wasSet = conf.contains(key);
            String was = wasSet ? conf.get(key) : null;
            conf.set(key, Integer.toString(width));
            try {
                return planning.get();
            } finally {
                if (wasSet) {
                    conf.set(key, was);
                } else {
                    conf.unset(key);
                }
            }
        }
    }

    private static boolean sameColumns(scala.collection.immutable.Seq<Attribute> output, String[] cols) {
        if (output.size() != cols.length) {
            return false;
        }
        for (int i = 0; i < cols.length; i++) {
            if (!output.apply(i).name().equals(cols[i])) {
                return false;
            }
        }
        return true;
    }

    /** Growable row-major values of one partition. */
    static final class Values {
        double[] data = new double[1 << 12];
        int size;

        void add(double v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, data.length * 2);
            }
            data[size++] = v;
        }

        void reserve(long more) {
            long need = size + more;
            if (need > data.length) {
                if (need > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException("fromDataFrame: a partition holds more than " + (Integer.MAX_VALUE
                            - 8) + " values; repartition the DataFrame into more partitions");
                }
                data = Arrays.copyOf(data, (int) Math.max(need, Math.min(Integer.MAX_VALUE - 8L, 2L * data.length)));
            }
        }
    }

    /**
     * Reads a partition's batches into {@code out}, row-major; returns the rows read (rows the
     * options drop are not counted). {@code blockMax} bounds the bytes of {@code elementBytes}-byte
     * values, as the row path does.
     */
    static long read(int p, Iterator<ColumnarBatch> it, RowValues reader, Values out, long blockMax, int elementBytes) {
        int w = reader.fixedWidth();
        boolean checkNaN = reader.options().onNaN() != Missing.KEEP;
        double[] scratch = new double[w];
        long rows = 0;
        long seen = 0;
        while (it.hasNext()) {
            ColumnarBatch b = it.next();
            int n = b.numRows();
            boolean plain = true;
            for (int c = 0; c < w && plain; c++) {
                plain = !b.column(c).hasNull();
            }
            int start = out.size;
            if (plain) {
                out.reserve((long) n * w);
                plain = copy(b, null, 0, n, out.data, start, checkNaN, reader.options().dtype() == DType.FLOAT32);
            }
            if (plain) {
                out.size = start + n * w;
                rows += n;
            } else {
                out.size = start;
                for (int i = 0; i < n; i++) {
                    double[] v = reader.read(b.getRow(i), scratch, p, seen + i + 1);
                    if (v != null) {
                        for (double x : v) {
                            out.add(x);
                        }
                        rows++;
                    }
                }
            }
            seen += n;
            if ((long) out.size * elementBytes > blockMax) {
                throw new IllegalArgumentException("fromDataFrame: partition " + p + " holds more than " + blockMax
                        + " bytes, above " + TesseraConf.BLOCK_MAX_BYTES.name() + "; repartition the DataFrame into"
                        + " more partitions or raise " + TesseraConf.BLOCK_MAX_BYTES.name());
            }
        }
        return rows;
    }

    /**
     * Copies rows {@code [from, from + n)} of a batch without nulls in {@code cols} (its column
     * ordinals; null: every column) into {@code dst} from {@code at}, row-major; false (the copy to be
     * discarded, the rows read one by one by {@link RowValues}, which names the value) when
     * {@code checkNaN} and a float column holds a NaN, or a value would not convert exactly: an
     * integer that the dtype ({@code f32}: float32, else float64) would round, or a double beyond
     * float32's range.
     */
    static boolean copy(ColumnarBatch b, int[] cols, int from, int n, double[] dst, int at, boolean checkNaN,
                        boolean f32) {
        int w = cols == null ? b.numCols() : cols.length;
        for (int r0 = from; r0 < from + n; r0 += ROWS) {
            int r1 = Math.min(from + n, r0 + ROWS);
            for (int c = 0; c < w; c++) {
                ColumnVector v = b.column(cols == null ? c : cols[c]);
                DataType t = v.dataType();
                int o = at + (r0 - from) * w + c;
                if (t == DataTypes.IntegerType) {
                    for (int r = r0; r < r1; r++, o += w) {
                        int x = v.getInt(r);
                        if (f32 && !RowValues.exact(x, true)) {
                            return false;
                        }
                        dst[o] = x;
                    }
                } else if (t == DataTypes.DoubleType) {
                    for (int r = r0; r < r1; r++, o += w) {
                        double x = v.getDouble(r);
                        if ((checkNaN && x != x) || !RowValues.fits(x, f32)) {
                            return false;
                        }
                        dst[o] = x;
                    }
                } else if (t == DataTypes.FloatType) {
                    for (int r = r0; r < r1; r++, o += w) {
                        float x = v.getFloat(r);
                        if (checkNaN && x != x) {
                            return false;
                        }
                        dst[o] = x;
                    }
                } else if (t == DataTypes.LongType) {
                    for (int r = r0; r < r1; r++, o += w) {
                        long x = v.getLong(r);
                        if (!RowValues.exact(x, f32)) {
                            return false;
                        }
                        dst[o] = x;
                    }
                } else if (t == DataTypes.ShortType) {
                    for (int r = r0; r < r1; r++, o += w) {
                        dst[o] = v.getShort(r);
                    }
                } else {
                    for (int r = r0; r < r1; r++, o += w) {
                        dst[o] = v.getByte(r);
                    }
                }
            }
        }
        return true;
    }
}
