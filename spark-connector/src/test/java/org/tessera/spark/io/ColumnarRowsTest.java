package org.tessera.spark.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.DataFrameOptions.Missing;
import org.tessera.spark.SharedSpark;
import org.tessera.spark.TesseraSession;

/**
 * {@code fromDataFrame} over columnar scans (Parquet files, Spark's cache), read from column batches:
 * the same values, rules and messages as the row path, for narrow and for wide (more columns than
 * {@code spark.sql.codegen.maxFields}) DataFrames, every numeric type, nulls and NaNs.
 */
class ColumnarRowsTest {
    private final TesseraSession ts = SharedSpark.session();

    @TempDir
    Path dir;

    private static final DataType[] TYPES = {DataTypes.IntegerType, DataTypes.DoubleType, DataTypes.LongType,
        DataTypes.FloatType, DataTypes.ShortType, DataTypes.ByteType};

    /** Value of row r, column c: exact in every type above. */
    private static double value(int r, int c) {
        return ((r * 31 + c * 7) % 200) - 100 + (TYPES[c % TYPES.length] == DataTypes.DoubleType ? 0.25 : 0);
    }

    private static Object typed(double v, DataType t) {
        if (t == DataTypes.IntegerType) {
            return (int) v;
        } else if (t == DataTypes.LongType) {
            return (long) v;
        } else if (t == DataTypes.FloatType) {
            return (float) v;
        } else if (t == DataTypes.ShortType) {
            return (short) v;
        } else if (t == DataTypes.ByteType) {
            return (byte) v;
        }
        return v;
    }

    /** {@code rows} × {@code cols} values written as one Parquet file, rows in order. */
    private Dataset<Row> parquet(String name, int rows, int cols, int nullRow, int nanRow) {
        StructType schema = new StructType();
        for (int c = 0; c < cols; c++) {
            schema = schema.add("c" + c, TYPES[c % TYPES.length], true);
        }
        List<Row> data = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            Object[] v = new Object[cols];
            for (int c = 0; c < cols; c++) {
                v[c] = typed(value(r, c), TYPES[c % TYPES.length]);
            }
            if (r == nullRow) {
                v[7] = null;
            }
            if (r == nanRow) {
                v[1] = Double.NaN;
            }
            data.add(RowFactory.create(v));
        }
        String path = dir.resolve(name).toString();
        ts.spark().createDataFrame(data, schema).coalesce(1).write().parquet(path);
        // the schema given: inferring it runs a job whose result the shared session's Kryo does not know
        return ts.spark().read().schema(schema).parquet(path);
    }

    private static String[] names(int cols) {
        String[] n = new String[cols];
        for (int c = 0; c < cols; c++) {
            n[c] = "c" + c;
        }
        return n;
    }

    private static double[] expected(int rows, int cols, int skipRow) {
        double[] e = new double[(rows - (skipRow >= 0 ? 1 : 0)) * cols];
        int k = 0;
        for (int r = 0; r < rows; r++) {
            if (r == skipRow) {
                continue;
            }
            for (int c = 0; c < cols; c++) {
                e[k++] = value(r, c);
            }
        }
        return e;
    }

    @Test
    void wideAndNarrowParquetScansAreReadInColumnsWithTheRowPathsValues() {
        for (int cols : new int[] {12, 130}) {
            Dataset<Row> df = parquet("t" + cols, 5000, cols, -1, -1);
            String[] cs = names(cols);
            assertNotNull(ColumnarRows.batches(df.select(cs[0], java.util.Arrays.copyOfRange(cs, 1, cols)), cs),
                    cols + " columns: not read as a columnar scan");
            assertFalse(ts.spark().conf().contains("spark.sql.codegen.maxFields"),
                    "the session's limit was left changed");
            Tensor t = ts.fromDataFrame(df, cs);
            assertArrayEquals(new long[] {5000, cols}, t.shape().dims());
            assertArrayEquals(expected(5000, cols, -1), ts.collect(t).toDoubleArray(), cols + " columns");
            String key = org.tessera.spark.TesseraConf.DATAFRAME_COLUMNAR.name();
            ts.spark().conf().set(key, "false");   // Spark's rows: the same values
            try {
                assertArrayEquals(expected(5000, cols, -1), ts.collect(ts.fromDataFrame(df, cs)).toDoubleArray());
            } finally {
                ts.spark().conf().unset(key);
            }
            Tensor f = ts.fromDataFrame(df, DataFrameOptions.defaults().dtype(DType.FLOAT32), cs);
            assertEquals(DType.FLOAT32, f.dtype());
            double[] e = expected(5000, cols, -1);
            float[] got = ts.collect(f).toFloatArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals((float) e[i], got[i], 0, "element " + i);
            }
            // columns in another order than the file's: Spark projects them as rows, and the values agree
            String[] reversed = cs.clone();
            java.util.Collections.reverse(java.util.Arrays.asList(reversed));
            double[] r = ts.collect(ts.fromDataFrame(df, reversed)).toDoubleArray();
            assertEquals(value(1, cols - 1), r[cols], 0);
            ts.unpersist(t);
            ts.unpersist(f);
        }
    }

    @Test
    void aCachedDataFrameIsReadInColumnsToo() {
        Dataset<Row> df = parquet("cached", 3000, 110, -1, -1).cache();
        try {
            df.count();
            String[] cs = names(110);
            assertNotNull(ColumnarRows.batches(df.select(cs[0], java.util.Arrays.copyOfRange(cs, 1, 110)), cs));
            assertArrayEquals(expected(3000, 110, -1), ts.collect(ts.fromDataFrame(df, cs)).toDoubleArray());
        } finally {
            df.unpersist();
        }
    }

    @Test
    void nullsAndNaNsFollowTheOptionsAndNameTheRowAsTheRowPathDoes() {
        // one file: one partition, rows in order; the null is at row 2345 (1-based 2346) of column c7
        Dataset<Row> df = parquet("missing", 4000, 120, 2345, 3001);
        String[] cs = names(120);
        Exception e = assertThrows(Exception.class, () -> ts.collect(ts.fromDataFrame(df, cs)),
                "a null is an error by default");
        String m = rootMessage(e);
        assertTrue(m.contains("fromDataFrame: null in column 'c7' (partition 0, row 2346 of the partition)"), m);

        Tensor dropped = ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.DROP).onNaN(Missing.DROP), cs);
        double[] got = ts.collect(dropped).toDoubleArray();
        assertEquals(3998 * 120, got.length);
        List<Double> expect = new ArrayList<>();
        for (int r = 0; r < 4000; r++) {
            if (r != 2345 && r != 3001) {
                for (int c = 0; c < 120; c++) {
                    expect.add(value(r, c));
                }
            }
        }
        for (int i = 0; i < got.length; i++) {
            assertEquals(expect.get(i), got[i], 0, "element " + i);
        }

        Tensor filled = ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.FILL).onNaN(Missing.FILL)
                .fillValue(-7), cs);
        double[] f = ts.collect(filled).toDoubleArray();
        assertEquals(-7, f[2345 * 120 + 7], 0);
        assertEquals(-7, f[3001 * 120 + 1], 0);
        assertEquals(value(3001, 2), f[3001 * 120 + 2], 0);

        Tensor kept = ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.FILL).onNaN(Missing.KEEP), cs);
        assertTrue(Double.isNaN(ts.collect(kept).toDoubleArray()[3001 * 120 + 1]));
        Exception nan = assertThrows(Exception.class, () -> ts.collect(
                ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.FILL), cs)));
        assertTrue(rootMessage(nan).contains("NaN in column 'c1' (partition 0, row 3002 of the partition)"),
                rootMessage(nan));
    }

    @Test
    void aComputedColumnIsReadAsRows() {
        Dataset<Row> df = parquet("computed", 100, 12, -1, -1);
        Dataset<Row> plus = df.withColumn("d", df.col("c0").plus(1));
        assertNull(ColumnarRows.batches(plus.select("c1", "d"), new String[] {"c1", "d"}));
        double[] got = ts.collect(ts.fromDataFrame(plus, "c1", "d")).toDoubleArray();
        assertEquals(value(4, 1), got[8], 0);
        assertEquals(value(4, 0) + 1, got[9], 0);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        StringBuilder all = new StringBuilder();
        while (t != null) {
            all.append(t.getMessage()).append(" | ");
            t = t.getCause();
        }
        return all.toString();
    }
}
