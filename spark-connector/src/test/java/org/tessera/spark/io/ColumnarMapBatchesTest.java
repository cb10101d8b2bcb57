package org.tessera.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.BatchOptions;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.SharedSpark;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.TesseraSession;

/**
 * mapBatches over a columnar scan (Parquet) reads the scan's column batches and lays out the rows
 * it passes on column by column: the result, row for row and column for column, and every error
 * are those of the row path ({@code spark.tessera.dataframe.columnar=false}), for wide and narrow
 * files, every fixed-width type passed through, nulls, NaNs, batches smaller and larger than
 * Spark's column batches.
 */
class ColumnarMapBatchesTest {
    private final TesseraSession ts = SharedSpark.session();

    @TempDir
    Path dir;

    private static final StructType OUT = new StructType()
            .add("s", DataTypes.DoubleType, false)
            .add("h", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("best", DataTypes.LongType, false);

    private static List<Tensor> outputs(Tensor x) {
        return List.of(x.square().sum(1), x.narrow(1, 0, 2).tanh(), x.argmax(1, false));
    }

    /** The rows of {@code df}'s partitions in order, as text. */
    private static List<String> rows(Dataset<Row> df) {
        return df.javaRDD().mapPartitionsWithIndex((p, it) -> {
            List<String> out = new ArrayList<>();
            it.forEachRemaining(r -> out.add(p + ": " + r.mkString(", ")));
            return out.iterator();
        }, true).collect();
    }

    /** {@code run} with the columnar path on and off: the same rows, or the same error. */
    private void sameBothWays(Supplier<Dataset<Row>> run) {
        Object columnar = outcome(run);
        ts.spark().conf().set(TesseraConf.DATAFRAME_COLUMNAR.name(), "false");
        Object rows;
        try {
            rows = outcome(run);
        } finally {
            ts.spark().conf().unset(TesseraConf.DATAFRAME_COLUMNAR.name());
        }
        assertEquals(rows, columnar);
    }

    private static Object outcome(Supplier<Dataset<Row>> run) {
        try {
            return rows(run.get());
        } catch (Exception e) { // Spark's task failures arrive as its checked SparkException
            String m = String.valueOf(e.getMessage());
            int at = m.indexOf("IllegalArgumentException: ");
            m = at < 0 ? m : m.substring(at);
            return "error: " + m.split("\n")[0];
        }
    }

    private final java.util.Map<String, StructType> schemas = new java.util.HashMap<>();

    private String parquet(String name, int rows, int files, String... exprs) {
        String path = dir.resolve(name).toString();
        Dataset<Row> df = ts.spark().range(0, rows, 1, files).selectExpr(exprs);
        df.write().parquet(path);
        schemas.put(path, df.schema());
        return path;
    }

    /**
     * The Parquet files at {@code path}, read with the schema they were written with (this suite's
     * session requires Kryo registration, which Spark's schema inference does not pass for some types).
     */
    private Dataset<Row> read(String path) {
        return ts.spark().read().schema(schemas.get(path).asNullable()).parquet(path);
    }

    @Test
    void wideFileOfEveryFixedWidthTypeGivesTheRowPathsResult() {
        List<String> exprs = new ArrayList<>(List.of("id", "cast(id % 7 as int) as i", "cast(id % 3 as short) as sh",
                "cast(id % 5 as byte) as by", "cast(id / 3 as float) as f", "id % 2 = 0 as flag",
                "date_add(date'2026-01-01', cast(id % 40 as int)) as day", "timestamp_seconds(id * 37) as at"));
        for (int j = 0; j < 150; j++) {
            exprs.add("cast(pmod(hash(id, " + j + "), 256) as double) as p" + j);
        }
        String path = parquet("wide", 9000, 3, exprs.toArray(new String[0]));
        Dataset<Row> df = read(path);
        assertNotNull(ColumnarRows.scanBatches(df), "a Parquet scan of fixed-width columns is read in batches");
        List<String> inputs = List.of("p3", "i", "f", "p149", "by");
        for (int batchRows : new int[] {1000, 4096, 10000}) {
            sameBothWays(() -> ts.mapBatches(read(path), inputs,
                    ColumnarMapBatchesTest::outputs, OUT, BatchOptions.defaults().batchRows(batchRows)));
        }
        sameBothWays(() -> ts.mapBatches(read(path), inputs, ColumnarMapBatchesTest::outputs, OUT,
                BatchOptions.defaults().dataFrameOptions(DataFrameOptions.defaults().dtype(DType.FLOAT32))));
    }

    @Test
    void nullsAndNaNsAreReadByTheRowRules() {
        String path = parquet("holes", 5000, 1, "id", "if(id % 997 = 5, null, cast(id as double)) as x",
                "if(id % 1499 = 7, double('NaN'), id * 0.5) as y", "if(id % 3 = 0, null, id) as passed");
        for (DataFrameOptions o : List.of(DataFrameOptions.defaults(),
                DataFrameOptions.defaults().onNull(DataFrameOptions.Missing.FILL).fillValue(-1),
                DataFrameOptions.defaults().onNull(DataFrameOptions.Missing.DROP),
                DataFrameOptions.defaults().onNull(DataFrameOptions.Missing.DROP).onNaN(DataFrameOptions.Missing.DROP),
                DataFrameOptions.defaults().onNull(DataFrameOptions.Missing.FILL).onNaN(DataFrameOptions.Missing.KEEP))) {
            sameBothWays(() -> ts.mapBatches(read(path), List.of("x", "y"),
                    x -> List.of(x.sum(1), x.narrow(1, 0, 2), x.argmax(1, false)), OUT,
                    BatchOptions.defaults().batchRows(700).dataFrameOptions(o)));
        }
        Object error = outcome(() -> ts.mapBatches(read(path), List.of("x", "y"),
                x -> List.of(x.sum(1), x.narrow(1, 0, 2), x.argmax(1, false)), OUT));
        assertTrue(error.toString().startsWith("error: ") && error.toString().contains("'x'"), error.toString());
    }

    @Test
    void readerBatchesOfChangingSizesAreEachReadOnce() {
        // row groups of 100 rows read in batches of 64: the reader's batches hold 64, then 36, then 64
        // rows..., refilled in place by its hasNext(); a mapBatches batch that ends where a reader
        // batch ends must not read the next one's rows twice
        var hadoop = ts.spark().sparkContext().hadoopConfiguration();
        hadoop.setLong("parquet.block.size", 1);
        String path;
        try {
            path = parquet("groups", 1000, 1, "id", "cast(id as double) as x");
        } finally {
            hadoop.unset("parquet.block.size");
        }
        ts.spark().conf().set("spark.sql.parquet.columnarReaderBatchSize", "64");
        try {
            for (int batchRows : new int[] {1, 36, 100, 4096}) {
                sameBothWays(() -> ts.mapBatches(read(path), List.of("x"), x -> List.of(x.sum(1),
                        org.tessera.Tessera.cat(List.of(x, x), 1), x.argmax(1, false)), OUT,
                        BatchOptions.defaults().batchRows(batchRows)));
                assertEquals(1000, ts.mapBatches(read(path), List.of("x"), x -> List.of(x.sum(1),
                        org.tessera.Tessera.cat(List.of(x, x), 1), x.argmax(1, false)), OUT,
                        BatchOptions.defaults().batchRows(batchRows)).select("id").distinct().count());
            }
        } finally {
            ts.spark().conf().unset("spark.sql.parquet.columnarReaderBatchSize");
        }
    }

    @Test
    void otherPlansAndTypesAreReadAsRows() {
        String path = parquet("mixed", 100, 1, "id", "concat('r', id) as name", "id * 0.5 as x");
        assertNull(ColumnarRows.scanBatches(read(path)), "a string column is not laid out");
        assertNull(ColumnarRows.scanBatches(read(path).selectExpr("x * 2 as x")),
                "a computed column is not a scan");
        sameBothWays(() -> ts.mapBatches(read(path).drop("name"), List.of("x"),
                x -> List.of(x.sum(1), org.tessera.Tessera.cat(List.of(x, x), 1), x.argmax(1, false)), OUT));
        assertThrows(RuntimeException.class, () -> rows(ts.mapBatches(read(path),
                List.of("name"), x -> List.of(x), OUT)));
    }
}
