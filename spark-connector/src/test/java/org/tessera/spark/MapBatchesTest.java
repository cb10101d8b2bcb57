package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.cuda.Cuda;
import org.tessera.spark.ml.TesseraTransformer;

/**
 * mapBatches and TesseraTransformer: outputs against the same function applied by the local engine
 * to the collected rows, rows and columns kept in order, batching, errors, devices and memory.
 */
class MapBatchesTest {
    private static final double[][] W = {{0.5, -1.0}, {0.25, 2.0}, {-0.75, 0.5}};

    private final TesseraSession ts = SharedSpark.session();

    /** A row-wise function with three outputs: tanh(x W) (array), sum of squares (double), argmax of x W (bigint). */
    static List<Tensor> threeOutputs(Tensor x) {
        Tensor w = Tessera.tensor(W, x.dtype());
        Tensor h = x.matmul(w);
        return List.of(h.tanh(), x.square().sum(1), h.argmax(1, false));
    }

    private static final StructType THREE = new StructType()
            .add("h", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("ss", DataTypes.DoubleType, false)
            .add("best", DataTypes.LongType, false);

    /** id (string), a (int), b (long), c (double); rows in {@code slices} partitions, some possibly empty. */
    private Dataset<Row> numeric(int n, int slices, long seed) {
        return ts.spark().range(0, n, 1, slices).selectExpr("concat('r', id) as id",
                "cast(pmod(hash(id, " + seed + "), 21) - 10 as int) as a",
                "pmod(hash(id, " + (seed + 1) + "), 7) as b", "randn(" + seed + ") as c",
                "spark_partition_id() as pid");
    }

    /** The input as a local [rows, 3] float64 tensor, from the collected rows. */
    private static Tensor localInput(List<Row> rows, String... cols) {
        double[] v = new double[rows.size() * cols.length];
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            for (int j = 0; j < cols.length; j++) {
                v[i * cols.length + j] = ((Number) row.get(row.fieldIndex(cols[j]))).doubleValue();
            }
        }
        return Tessera.fromArray(v, rows.size(), cols.length);
    }

    /** Checks every input column kept (same values, same order, same partition) and the outputs against the local engine. */
    private static void checkThreeOutputs(List<Row> in, List<Row> out, Tensor local, String what) {
        assertEquals(in.size(), out.size(), what + ": rows");
        List<Tensor> expected = threeOutputs(local);
        double[] h = expected.get(0).toDoubleArray();
        double[] ss = expected.get(1).toDoubleArray();
        long[] best = expected.get(2).toLongArray();
        int inCols = in.isEmpty() ? 0 : in.get(0).length();
        for (int i = 0; i < in.size(); i++) {
            Row a = in.get(i);
            Row b = out.get(i);
            for (int c = 0; c < inCols; c++) {
                assertEquals(a.get(c), b.get(c), what + ": row " + i + ", input column " + c);
            }
            assertEquals(a.getInt(a.fieldIndex("pid")), b.getInt(b.fieldIndex("pid_after")), what + ": row " + i
                    + " changed partition");
            List<Double> hv = b.getList(inCols);
            assertEquals(2, hv.size());
            for (int k = 0; k < 2; k++) {
                assertEquals(h[i * 2 + k], hv.get(k), 1e-12, what + ": h of row " + i);
            }
            assertEquals(ss[i], b.getDouble(inCols + 1), 1e-12, what + ": ss of row " + i);
            assertEquals(best[i], b.getLong(inCols + 2), what + ": best of row " + i);
        }
    }

    @Test
    void numericColumnsGiveTheLocalEnginesOutputsForEveryBatchSize() {
        Dataset<Row> df = numeric(53, 4, 1);
        List<Row> in = df.collectAsList();
        Tensor local = localInput(in, "a", "b", "c");
        for (int rows : new int[] {1, 7, 0}) {
            BatchMetrics m = BatchMetrics.register(ts.spark(), "test");
            Dataset<Row> out = ts.mapBatches(df, List.of("a", "b", "c"), MapBatchesTest::threeOutputs, THREE,
                    BatchOptions.defaults().batchRows(rows).metrics(m));
            assertEquals(List.of("id", "a", "b", "c", "pid", "h", "ss", "best"), Arrays.asList(out.columns()));
            List<Row> got = out.withColumn("pid_after", functions.spark_partition_id()).collectAsList();
            checkThreeOutputs(in, got, local, "batch rows " + rows);
            BatchMetrics.Totals t = m.value();
            assertEquals(53, t.rows());
            assertEquals(4, t.tasks());
            if (rows == 1) {
                assertEquals(53, t.batches());
            } else if (rows == 0) {
                assertEquals(4, t.batches(), "the default batch (4096 rows) holds a whole partition");
            }
        }
    }

    @Test
    void emptyPartitionsGiveNoRowsAndNoCalls() {
        Dataset<Row> df = numeric(3, 6, 2);
        List<Row> in = df.collectAsList();
        BatchMetrics m = BatchMetrics.register(ts.spark(), "test");
        List<Row> got = ts.mapBatches(df, List.of("a", "b", "c"), MapBatchesTest::threeOutputs, THREE,
                        BatchOptions.defaults().batchRows(2).metrics(m))
                .withColumn("pid_after", functions.spark_partition_id()).collectAsList();
        checkThreeOutputs(in, got, localInput(in, "a", "b", "c"), "3 rows in 6 partitions");
        assertEquals(6, m.value().tasks());
        assertEquals(3, m.value().batches(), "one batch per non-empty partition");
        Dataset<Row> none = ts.mapBatches(df.filter("a > 1000"), List.of("a", "b", "c"),
                MapBatchesTest::threeOutputs, THREE);
        assertEquals(0, none.count());
    }

    @Test
    void anArrayColumnAndAVectorColumnGiveTheLocalEnginesOutputs() {
        Dataset<Row> base = ts.spark().range(0, 31, 1, 3).selectExpr("cast(id as int) as i",
                "if(id % 3 = 0, 0.0, randn(1)) as x0", "if(id % 3 = 0, 0.0, randn(2)) as x1", "if(id % 3 = 0, 0.0, randn(3)) as x2");
        Dataset<Row> df = new VectorAssembler().setInputCols(new String[] {"x0", "x1", "x2"}).setOutputCol("vec")
                .transform(base).selectExpr("i", "array(x0, x1, x2) as arr", "vec", "spark_partition_id() as pid");
        assertTrue(df.collectAsList().get(0).get(2) instanceof org.apache.spark.ml.linalg.SparseVector,
                "the first row is a sparse vector");
        List<Row> in = df.collectAsList();
        double[] flat = new double[31 * 3];
        for (int i = 0; i < 31; i++) {
            for (int k = 0; k < 3; k++) {
                flat[i * 3 + k] = in.get(i).<Double>getList(1).get(k);
            }
        }
        Tensor local = Tessera.fromArray(flat, 31, 3);
        for (String col : new String[] {"arr", "vec"}) {
            List<Row> got = ts.mapBatches(df, List.of(col), MapBatchesTest::threeOutputs, THREE,
                    BatchOptions.defaults().batchRows(7)).withColumn("pid_after", functions.spark_partition_id())
                    .collectAsList();
            checkThreeOutputs(in, got, local, col);
        }
    }

    @Test
    void float32InputFillsFloatColumns() {
        Dataset<Row> df = numeric(20, 2, 4);
        List<Row> in = df.collectAsList();
        StructType out = new StructType().add("half", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        List<Row> got = ts.mapBatches(df, List.of("c", "a"), x -> List.of(x.mul(0.5)), out,
                BatchOptions.defaults().batchRows(3).dataFrameOptions(DataFrameOptions.defaults().dtype(DType.FLOAT32)))
                .collectAsList();
        for (int i = 0; i < in.size(); i++) {
            List<Float> h = got.get(i).getList(5);
            assertEquals((float) in.get(i).getDouble(3) * 0.5f, h.get(0), "row " + i);
            assertEquals(in.get(i).getInt(1) * 0.5f, h.get(1), "row " + i);
        }
    }

    @Test
    void aNullNamesItsColumnAndRowUnlessTheOptionsFillIt() {
        List<Row> rows = List.of(RowFactory.create(1.0, 2.0), RowFactory.create(3.0, null), RowFactory.create(5.0, 6.0));
        StructType schema = new StructType().add("x", DataTypes.DoubleType).add("y", DataTypes.DoubleType);
        Dataset<Row> df = ts.spark().createDataFrame(rows, schema).coalesce(1);
        StructType out = new StructType().add("s", DataTypes.DoubleType, false);
        Exception e = assertThrows(Exception.class,
                () -> ts.mapBatches(df, List.of("x", "y"), x -> List.of(x.sum(1)), out).collectAsList());
        String chain = messages(e);
        assertTrue(chain.contains("mapBatches: null in column 'y' (partition 0, row 2 of the partition)"), chain);
        List<Row> filled = ts.mapBatches(df, List.of("x", "y"), x -> List.of(x.sum(1)), out,
                BatchOptions.defaults().dataFrameOptions(DataFrameOptions.defaults()
                        .onNull(DataFrameOptions.Missing.FILL).fillValue(-1))).collectAsList();
        assertEquals(List.of(3.0, 2.0, 11.0), filled.stream().map(r -> r.getDouble(2)).toList());
        List<Row> dropped = ts.mapBatches(df, List.of("x", "y"), x -> List.of(x.sum(1)), out,
                BatchOptions.defaults().dataFrameOptions(DataFrameOptions.defaults()
                        .onNull(DataFrameOptions.Missing.DROP))).collectAsList();
        assertEquals(List.of(3.0, 11.0), dropped.stream().map(r -> r.getDouble(2)).toList());
    }

    @Test
    void badColumnsAndOutputsAreClearErrors() {
        Dataset<Row> df = numeric(10, 2, 5);
        StructType one = new StructType().add("s", DataTypes.DoubleType, false);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ts.mapBatches(df, List.of("a", "nope"), x -> List.of(x.sum(1)), one));
        assertTrue(missing.getMessage().contains("no column 'nope'"), missing.getMessage());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> ts.mapBatches(df, List.of("id"), x -> List.of(x.sum(1)), one));
        assertTrue(text.getMessage().contains("column 'id' has type string"), text.getMessage());
        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class, () -> ts.mapBatches(df,
                List.of("a"), x -> List.of(x.sum(1)), new StructType().add("c", DataTypes.DoubleType)));
        assertTrue(exists.getMessage().contains("output column 'c' already exists"), exists.getMessage());
        Exception dtype = assertThrows(Exception.class, () -> ts.mapBatches(df, List.of("a"),
                x -> List.of(x.sum(1).to(DType.FLOAT32)), one).collectAsList());
        assertTrue(messages(dtype).contains("output 's' (double, from a [rows] tensor of float64) got a tensor of"
                + " float32"), messages(dtype));
        Exception shape = assertThrows(Exception.class, () -> ts.mapBatches(df, List.of("a", "b"),
                x -> List.of(x), one).collectAsList());
        assertTrue(messages(shape).contains("got a tensor of shape [5, 2] for a batch of 5 rows; expected [5]"),
                messages(shape));
        assertTrue(messages(shape).matches("(?s).*batch 1 of partition [01], its rows 1 to 5 of those kept.*"),
                messages(shape));
        // Spark does not tell names apart by case: an output 'C' next to an input 'c' could not be selected
        IllegalArgumentException caseOnly = assertThrows(IllegalArgumentException.class, () -> ts.mapBatches(df,
                List.of("a"), x -> List.of(x.sum(1)), new StructType().add("C", DataTypes.DoubleType)));
        assertTrue(caseOnly.getMessage().contains("output column 'C' already exists, or another differs from it only in"
                + " case"), caseOnly.getMessage());
        // an exception in the function, and a wrong count of results, name the batch and its rows
        Exception thrown = assertThrows(Exception.class, () -> ts.mapBatches(df, List.of("a"), x -> {
            if (x.shape().get(0) > 0 && x.get(0, 0).item() > 1e9) {
                return List.of(x.sum(1));
            }
            throw new IllegalStateException("boom");
        }, one).collectAsList());
        assertTrue(messages(thrown).matches("(?s).*the function failed on batch 1 of partition [01], its rows 1 to 5 of"
                + " those kept: java.lang.IllegalStateException: boom.*"), messages(thrown));
        Exception two = assertThrows(Exception.class, () -> ts.mapBatches(df, List.of("a"),
                x -> List.of(x.sum(1), x.sum(1)), one).collectAsList());
        assertTrue(messages(two).matches("(?s).*returned 2 tensors for 1 output columns \\[s\\] \\(batch 1 of partition [01].*"),
                messages(two));
    }

    @Test
    void aBatchSizeFarAboveAPartitionsRowsCostsOnlyTheRowsRead() {
        // 10 rows of 100 values: batches of a hundred million rows must not be allocated up front
        Dataset<Row> df = ts.spark().range(0, 10, 1, 2).selectExpr(java.util.stream.IntStream.range(0, 100)
                .mapToObj(j -> "cast(id * " + j + " as double) as c" + j).toArray(String[]::new));
        List<String> cols = java.util.stream.IntStream.range(0, 100).mapToObj(j -> "c" + j).toList();
        StructType one = new StructType().add("s", DataTypes.DoubleType, false);
        List<Row> out = ts.mapBatches(df, cols, x -> List.of(x.sum(1)), one,
                org.tessera.spark.BatchOptions.defaults().batchRows(100_000_000)).collectAsList();
        assertEquals(10, out.size());
        for (Row r : out) {
            long id = Math.round(r.getDouble(1)); // c1 = id
            assertEquals(id * 4950.0, r.getDouble(100), 0);
        }
    }

    @Test
    void aDataFrameWithoutPartitionsIsAnEmptyTensor() {
        StructType xy = new StructType().add("x", DataTypes.DoubleType).add("y", DataTypes.DoubleType);
        Tensor t = ts.fromDataFrame(ts.spark().createDataFrame(new ArrayList<Row>(), xy), "x", "y");
        assertArrayEquals(new long[] {0, 2}, t.shape().dims());
        assertEquals(0.0, t.sum().item());
        Tensor limited = ts.fromDataFrame(ts.spark().range(10).selectExpr("cast(id as double) x", "cast(id as double) y")
                .limit(0), "x", "y");
        assertArrayEquals(new long[] {0, 2}, limited.shape().dims());
    }

    @Test
    void aPipelineOfVectorAssemblerAndTesseraTransformer() {
        Dataset<Row> df = numeric(40, 3, 6);
        TesseraTransformer tt = new TesseraTransformer().setInputCols("features").setOutputCol("ss")
                .setBatchRows(7).setFunction(x -> List.of(threeOutputs(x).get(1)), DataTypes.DoubleType);
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {
            new VectorAssembler().setInputCols(new String[] {"a", "b", "c"}).setOutputCol("features"), tt});
        Dataset<Row> out = p.fit(df).transform(df);
        assertEquals(List.of("id", "a", "b", "c", "pid", "features", "ss"), Arrays.asList(out.columns()));
        StructType predicted = p.fit(df).transformSchema(df.schema());
        assertArrayEquals(out.schema().fieldNames(), predicted.fieldNames());
        assertEquals(out.schema().apply("ss"), predicted.apply("ss"));
        List<Row> in = df.collectAsList();
        List<Row> got = out.collectAsList();
        double[] ss = threeOutputs(localInput(in, "a", "b", "c")).get(1).toDoubleArray();
        for (int i = 0; i < in.size(); i++) {
            assertEquals(in.get(i).getString(0), got.get(i).getString(0), "row order");
            assertEquals(ss[i], got.get(i).getDouble(6), 1e-12, "row " + i);
        }
        TesseraTransformer copy = tt.copy(new org.apache.spark.ml.param.ParamMap());
        assertEquals(tt.uid(), copy.uid());
        assertArrayEquals(tt.getInputCols(), copy.getInputCols());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new TesseraTransformer().setInputCols("a", "zz").setOutputCol("o")
                        .setFunction(x -> List.of(x.sum(1)), DataTypes.DoubleType).transformSchema(df.schema()));
        assertTrue(bad.getMessage().contains("no column 'zz'"), bad.getMessage());
    }

    /** Runs {@code body} with spark.tessera.device set to {@code mode} in the executors' configuration (local mode: this JVM's). */
    private static <T> T withDeviceMode(String mode, Supplier<T> body) {
        SparkConf conf = SparkEnv.get().conf();
        String key = TesseraConf.DEVICE.name();
        String before = conf.contains(key) ? conf.get(key) : null;
        conf.set(key, mode);
        try {
            return body.get();
        } finally {
            if (before == null) {
                conf.remove(key);
            } else {
                conf.set(key, before);
            }
        }
    }

    private BatchMetrics.Totals runOn(String mode, Dataset<Row> df, List<List<Row>> results) {
        BatchMetrics m = BatchMetrics.register(ts.spark(), "test");
        results.add(withDeviceMode(mode, () -> ts.mapBatches(df, List.of("a", "b", "c"), MapBatchesTest::threeOutputs,
                THREE, BatchOptions.defaults().batchRows(5).metrics(m))
                .withColumn("pid_after", functions.spark_partition_id()).collectAsList()));
        return m.value();
    }

    @Test
    void cpuForcedAndAutoWithoutAGpuReportTheCpu() {
        Assumptions.assumeFalse(Tessera.isCudaAvailable(), "a usable GPU is present: auto would choose it");
        Dataset<Row> df = numeric(30, 3, 7);
        List<Row> in = df.collectAsList();
        List<List<Row>> results = new ArrayList<>();
        assertEquals("cpu (3 tasks)", runOn("cpu", df, results).devices());
        assertEquals("cpu (3 tasks)", runOn("auto", df, results).devices());
        for (List<Row> got : results) {
            checkThreeOutputs(in, got, localInput(in, "a", "b", "c"), "cpu");
        }
    }

    @Test
    void cudaWithoutAGpuIsAClearError() {
        Assumptions.assumeFalse(Tessera.isCudaAvailable(), "a usable GPU is present");
        Dataset<Row> df = numeric(5, 1, 8);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> withDeviceMode("cuda",
                () -> ts.mapBatches(df, List.of("a"), x -> List.of(x.sum(1)),
                        new StructType().add("s", DataTypes.DoubleType))));
        assertTrue(e.getMessage().contains("spark.tessera.device=cuda but CUDA cannot be used here"), e.getMessage());
    }

    @Tag("gpu")
    @Test
    void underCudaTheTasksComputeOnTheGpuWithTheCpusValues() {
        Assumptions.assumeTrue(Tessera.isCudaAvailable(), () -> "CUDA is not usable here: " + Cuda.unavailableReason());
        Dataset<Row> df = numeric(300, 3, 9);
        List<Row> in = df.collectAsList();
        List<List<Row>> results = new ArrayList<>();
        BatchMetrics.Totals t = runOn("cuda", df, results);
        assertEquals("cuda:0 (3 tasks)", t.devices());
        checkThreeOutputs(in, results.get(0), localInput(in, "a", "b", "c"), "cuda");
    }

    @Test
    void aLongPartitionIsComputedInMemoryBoundedByTheBatch() {
        int n = 50_000;
        int cols = 16;
        Dataset<Row> df = ts.spark().range(0, n, 1, 1).selectExpr(java.util.stream.IntStream.range(0, cols)
                .mapToObj(j -> "cast((id * " + (j + 1) + ") % 97 as double) as f" + j).toArray(String[]::new));
        List<String> in = Arrays.asList(df.columns());
        StructType out = new StructType().add("s", DataTypes.DoubleType, false);
        BatchMetrics m = BatchMetrics.register(ts.spark(), "test");
        long before = Tessera.allocatedBytes();
        Row total = ts.mapBatches(df, in, x -> List.of(x.mul(2).sum(1)), out,
                BatchOptions.defaults().batchRows(100).metrics(m)).agg(functions.sum("s")).first();
        double expected = 0;
        for (long id = 0; id < n; id++) {
            for (int j = 0; j < cols; j++) {
                expected += 2 * ((id * (j + 1)) % 97);
            }
        }
        assertEquals(expected, total.getDouble(0), 0);
        BatchMetrics.Totals t = m.value();
        assertEquals(n, t.rows());
        assertEquals(n / 100, t.batches());
        long batchBytes = 100L * cols * 8;
        long partitionBytes = (long) n * cols * 8;
        assertTrue(t.peakBatchBytes() >= batchBytes, "the peak " + t.peakBatchBytes() + " is below one batch");
        assertTrue(t.peakBatchBytes() <= 4 * batchBytes, "peak " + t.peakBatchBytes() + " bytes for batches of "
                + batchBytes + " (the partition holds " + partitionBytes + ")");
        assertTrue(Tessera.allocatedBytes() <= before, "off-heap bytes left behind by the tasks: "
                + (Tessera.allocatedBytes() - before));
    }

    private static String messages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t.getMessage()).append(" | ");
        }
        return b.toString();
    }
}
