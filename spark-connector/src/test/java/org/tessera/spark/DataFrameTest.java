package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.DataFrameOptions.Missing;

class DataFrameTest {
    private final TesseraSession ts = SharedSpark.session();

    private Dataset<Row> numbers(int rows, int partitions) {
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            data.add(RowFactory.create(i, (long) (i * 10), i * 0.5, (float) -i, "s" + i));
        }
        StructType schema = new StructType().add("i", DataTypes.IntegerType).add("l", DataTypes.LongType)
                .add("d", DataTypes.DoubleType).add("f", DataTypes.FloatType).add("s", DataTypes.StringType);
        return ts.spark().createDataFrame(data, schema).repartition(1).coalesce(1).repartitionByRange(partitions,
                org.apache.spark.sql.functions.col("i"));
    }

    private static double[] expectedRows(int rows) {
        double[] e = new double[rows * 4];
        for (int i = 0; i < rows; i++) {
            e[i * 4] = i;
            e[i * 4 + 1] = i * 10;
            e[i * 4 + 2] = i * 0.5;
            e[i * 4 + 3] = -i;
        }
        return e;
    }

    @Test
    void numericColumnsBecomeA2dTensorWhoseRowBlocksFollowThePartitions() {
        Dataset<Row> df = numbers(23, 4);
        Tensor t = ts.fromDataFrame(df, "i", "l", "d", "f");
        assertEquals(DType.FLOAT64, t.dtype());
        assertArrayEquals(new long[] {23, 4}, t.shape().dims());
        BlockGrid g = ts.grid(t);
        assertEquals(df.rdd().getNumPartitions(), g.numChunks(0));
        assertArrayEquals(expectedRows(23), t.toDoubleArray(), 0);
        Tensor f32 = ts.fromDataFrame(df, DataFrameOptions.defaults().dtype(DType.FLOAT32), "d");
        assertEquals(DType.FLOAT32, f32.dtype());
        assertEquals(23 * 22 / 2 * 0.5, f32.sum().item(), 1e-3);
    }

    @Test
    void columnNamesWithADotOrABacktickAreColumnsNotStructFields() {
        List<Row> data = List.of(RowFactory.create(1.0, 2.0, 3.0), RowFactory.create(4.0, 5.0, 6.0));
        StructType schema = new StructType().add("Sepal.Length", DataTypes.DoubleType)
                .add("odd`name", DataTypes.DoubleType).add("y", DataTypes.DoubleType);
        Dataset<Row> df = ts.spark().createDataFrame(data, schema).coalesce(1);
        Tensor t = ts.fromDataFrame(df, "Sepal.Length", "odd`name");
        assertArrayEquals(new double[] {1, 2, 4, 5}, t.toDoubleArray(), 0);
        assertArrayEquals(new double[] {3, 1, 6, 4}, ts.fromDataFrame(df, "y", "Sepal.Length").toDoubleArray(), 0);
    }

    @Test
    void arrayAndVectorColumnsBecomeRows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            rows.add(RowFactory.create(new double[] {i, i + 0.5, -i},
                    i % 2 == 0 ? Vectors.dense(i, 0, 1) : Vectors.sparse(3, new int[] {1}, new double[] {i})));
        }
        StructType schema = new StructType()
                .add("a", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("v", SQLDataTypes.VectorType());
        List<Row> fixed = new ArrayList<>();
        for (Row r : rows) {
            double[] a = (double[]) r.get(0);
            fixed.add(RowFactory.create(scala.jdk.javaapi.CollectionConverters.asScala(
                    java.util.Arrays.stream(a).boxed().toList()).toSeq(), r.get(1)));
        }
        Dataset<Row> df = ts.spark().createDataFrame(fixed, schema).repartition(3).cache();
        List<Row> order = df.collectAsList();
        Tensor a = ts.fromDataFrame(df, "a");
        Tensor v = ts.fromDataFrame(df, "v");
        assertArrayEquals(new long[] {9, 3}, a.shape().dims());
        double[] av = a.toDoubleArray();
        double[] vv = v.toDoubleArray();
        for (int r = 0; r < 9; r++) {
            List<Object> arr = order.get(r).getList(0);
            org.apache.spark.ml.linalg.Vector vec = (org.apache.spark.ml.linalg.Vector) order.get(r).get(1);
            for (int c = 0; c < 3; c++) {
                assertEquals((Double) arr.get(c), av[r * 3 + c], 0, "array row " + r);
                assertEquals(vec.apply(c), vv[r * 3 + c], 0, "vector row " + r);
            }
        }
    }

    @Test
    void nullsNaNsAndTextAreErrorsUnlessTheOptionsSayOtherwise() {
        List<Row> data = List.of(RowFactory.create(1.0, 2.0), RowFactory.create(null, 3.0),
                RowFactory.create(4.0, Double.NaN), RowFactory.create(5.0, 6.0));
        StructType schema = new StructType().add("x", DataTypes.DoubleType).add("y", DataTypes.DoubleType);
        Dataset<Row> df = ts.spark().createDataFrame(data, schema).coalesce(1);
        Exception e = assertThrows(Exception.class, () -> ts.fromDataFrame(df, "x", "y"));
        assertTrue(rootMessage(e).contains("null in column 'x'") && rootMessage(e).contains("onNull"), rootMessage(e));
        Exception nan = assertThrows(Exception.class, () -> ts.fromDataFrame(df,
                DataFrameOptions.defaults().onNull(Missing.DROP), "x", "y"));
        assertTrue(rootMessage(nan).contains("NaN in column 'y'"), rootMessage(nan));
        Tensor dropped = ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.DROP).onNaN(Missing.DROP),
                "x", "y");
        assertArrayEquals(new double[] {1, 2, 5, 6}, dropped.toDoubleArray(), 0);
        Tensor filled = ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.FILL).onNaN(Missing.FILL)
                .fillValue(-1), "x", "y");
        assertArrayEquals(new double[] {1, 2, -1, 3, 4, -1, 5, 6}, filled.toDoubleArray(), 0);
        Tensor kept = ts.fromDataFrame(df, DataFrameOptions.defaults().onNull(Missing.DROP).onNaN(Missing.KEEP),
                "x", "y");
        assertTrue(Double.isNaN(kept.toDoubleArray()[3]));
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> ts.fromDataFrame(numbers(3, 1), "i", "s"));
        assertTrue(text.getMessage().contains("column 's' has type string"), text.getMessage());
    }

    @Test
    void aValueTheDtypeWouldChangeIsAnErrorNamingColumnRowAndValue() {
        // 2^53 + 1 has no float64; 2^24 + 1 has no float32; 1e300 is beyond float32's range
        StructType schema = new StructType().add("id", DataTypes.LongType).add("n", DataTypes.IntegerType)
                .add("d", DataTypes.DoubleType);
        Dataset<Row> big = ts.spark().createDataFrame(List.of(RowFactory.create(1L, 1, 1.0),
                RowFactory.create(9007199254740993L, 2, 2.0)), schema).coalesce(1);
        for (boolean columnar : new boolean[] {false, true}) {
            Dataset<Row> df = columnar ? big.cache() : big;
            Exception e = assertThrows(Exception.class, () -> ts.fromDataFrame(df, "id", "n").toDoubleArray());
            assertTrue(rootMessage(e).contains("column 'id' holds 9007199254740993 (partition 0, row 2), which float64"
                    + " cannot hold exactly (it would become 9007199254740992)"), rootMessage(e));
            big.unpersist();
        }
        Dataset<Row> exact = ts.spark().createDataFrame(List.of(RowFactory.create(9007199254740992L, 16777216, 1e38),
                RowFactory.create(-9007199254740992L, -16777216, -1e-50)), schema).coalesce(1);
        assertArrayEquals(new double[] {9007199254740992.0, 16777216, 1e38, -9007199254740992.0, -16777216, -1e-50},
                ts.fromDataFrame(exact, "id", "n", "d").toDoubleArray(), 0);
        DataFrameOptions f32 = DataFrameOptions.defaults().dtype(DType.FLOAT32);
        assertArrayEquals(new float[] {16777216, 1e38f, -16777216, (float) -1e-50},
                ts.fromDataFrame(exact, f32, "n", "d").toFloatArray(), 0);
        Dataset<Row> odd = ts.spark().createDataFrame(List.of(RowFactory.create(1L, 16777217, 1e300)), schema);
        Exception e = assertThrows(Exception.class, () -> ts.fromDataFrame(odd, f32, "n").toFloatArray());
        assertTrue(rootMessage(e).contains("column 'n' holds 16777217 (partition 0, row 1), which float32 cannot hold"
                + " exactly (it would become 16777216); read it as float64"), rootMessage(e));
        e = assertThrows(Exception.class, () -> ts.fromDataFrame(odd, f32, "d").toFloatArray());
        assertTrue(rootMessage(e).contains("column 'd' holds 1.0E300 (partition 0, row 1), beyond float32's range"),
                rootMessage(e));
        e = assertThrows(Exception.class, () -> ts.mapBatches(odd, List.of("d"), x -> List.of(x.sum(1)),
                new StructType().add("s", DataTypes.FloatType, false), BatchOptions.defaults().dataFrameOptions(f32))
                .collectAsList());
        assertTrue(rootMessage(e).contains("mapBatches: column 'd' holds 1.0E300"), rootMessage(e));
        IllegalArgumentException fill = assertThrows(IllegalArgumentException.class,
                () -> DataFrameOptions.defaults().fillValue(1e300).dtype(DType.FLOAT32));
        assertTrue(fill.getMessage().contains("fillValue: 1.0E300 is beyond float32's range"), fill.getMessage());
    }

    @Test
    void columnsAreMatchedAsSparkMatchesThemAndAmbiguousOnesAreRefused() {
        Dataset<Row> df = numbers(5, 2);
        assertArrayEquals(ts.fromDataFrame(df, "i", "d").toDoubleArray(), ts.fromDataFrame(df, "I", "D").toDoubleArray(),
                0);
        Dataset<Row> joined = df.join(df.withColumnRenamed("i", "k"), df.col("i").equalTo(
                org.apache.spark.sql.functions.col("k")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ts.fromDataFrame(joined, "d"));
        assertTrue(e.getMessage().contains("column 'd' is ambiguous: the DataFrame has 2 columns of that name"),
                e.getMessage());
        // mapBatches keeps every input column, duplicates included, as Spark's withColumn does
        List<Row> mapped = ts.mapBatches(joined, List.of("k"), x -> List.of(x.mul(2).reshape(-1)),
                new StructType().add("k2", DataTypes.DoubleType, false)).collectAsList();
        assertEquals(5, mapped.size());
        assertEquals(joined.columns().length + 1, mapped.get(0).length());
        IllegalArgumentException names = assertThrows(IllegalArgumentException.class,
                () -> ts.toDataFrame(ts.fromDataFrame(df, "i", "d"), "a", "A"));
        assertTrue(names.getMessage().contains("column names 'a' and 'A' are the same name to Spark"), names.getMessage());
    }

    @Test
    void vectorRowsAreCheckedAgainstTheirDeclaredSizeAndAHugeSparseOneBeforeItIsMade() {
        StructType schema = new StructType().add("v", SQLDataTypes.VectorType());
        Dataset<Row> ragged = ts.spark().createDataFrame(List.of(RowFactory.create(Vectors.dense(1, 2)),
                RowFactory.create(Vectors.dense(1, 2, 3))), schema).repartition(2);
        org.apache.spark.ml.attribute.AttributeGroup two = new org.apache.spark.ml.attribute.AttributeGroup("v", 2);
        Dataset<Row> declared = ragged.withColumn("v", ragged.col("v"), two.toMetadata());
        // widths are compared within a task; with a declared size every row is checked against it
        Exception e = assertThrows(Exception.class, () -> ts.mapBatches(declared, List.of("v"),
                x -> List.of(x.sum(1)), new StructType().add("s", DataTypes.DoubleType, false)).collectAsList());
        assertTrue(rootMessage(e).contains("column 'v' holds a vector of size 3") && rootMessage(e).contains(
                "where its ML attributes declare size 2"), rootMessage(e));
        Dataset<Row> huge = ts.spark().createDataFrame(List.of(RowFactory.create(Vectors.sparse(1 << 30,
                new int[] {5}, new double[] {1}))), schema);
        e = assertThrows(Exception.class, () -> ts.fromDataFrame(huge, "v").toDoubleArray());
        assertTrue(rootMessage(e).contains("holds a sparse vector of size 1073741824 (partition 0, row 1)"),
                rootMessage(e));
    }

    private static String rootMessage(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }

    @Test
    void tensorsBecomeDataFramesWithNamedColumnsOrOneArrayColumnKeepingRowOrder() {
        Tensor local = SharedSpark.randn(17, 3);
        Tensor d = ts.distribute(local, 5, 2);
        Dataset<Row> cols = ts.toDataFrame(d, "a", "b", "c");
        assertArrayEquals(new String[] {"a", "b", "c"}, cols.columns());
        List<Row> rows = cols.collectAsList();
        double[] e = local.toDoubleArray();
        for (int r = 0; r < 17; r++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(e[r * 3 + c], rows.get(r).getDouble(c), 0);
            }
        }
        List<Row> arr = ts.toDataFrameArray(d, "features").collectAsList();
        assertEquals(17, arr.size());
        assertEquals(e[16 * 3 + 2], (Double) arr.get(16).getList(0).get(2), 0);
        // and back: the round trip keeps the values and the order
        Tensor again = ts.fromDataFrame(cols, "a", "b", "c");
        assertArrayEquals(e, again.toDoubleArray(), 0);
        Tensor againArr = ts.fromDataFrame(ts.toDataFrameArray(d.t(), "r"), "r");
        assertArrayEquals(local.t().contiguous().toDoubleArray(), againArr.toDoubleArray(), 0);
    }
}
