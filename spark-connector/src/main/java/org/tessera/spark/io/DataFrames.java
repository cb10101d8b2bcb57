package org.tessera.spark.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.Blocks;
import org.tessera.spark.memory.ExecutorMemory;
import org.tessera.spark.plan.Layout;
import org.tessera.spark.plan.SparkBackend;
import org.tessera.spark.plan.SparkValue;
import org.tessera.spark.plan.TaskSupport;

/**
 * DataFrame ⇄ tensor. Rows are read from Spark's internal rows (no per-row objects), one block of
 * whole rows per DataFrame partition, so row blocks follow the partitions and row order is kept.
 */
public final class DataFrames {
    private DataFrames() {
    }

    /**
     * The top-level column named {@code name}, whatever characters the name holds: {@code col("a.b")}
     * would look for field b of a struct column a (a name with a dot, such as R's
     * {@code Sepal.Length}, is common in CSV headers), so the name is quoted.
     */
    public static org.apache.spark.sql.Column column(String name) {
        return org.apache.spark.sql.functions.col("`" + name.replace("`", "``") + "`");
    }

    /** See {@link TesseraSession#fromDataFrame(Dataset, DataFrameOptions, String...)}. */
    public static Tensor toTensor(TesseraSession ts, Dataset<Row> df, DataFrameOptions options, String... columns) {
        String[] cols = columns.length == 0 ? df.columns() : columns;
        if (cols.length == 0) {
            throw new IllegalArgumentException("fromDataFrame: the DataFrame has no columns");
        }
        RowValues.of("fromDataFrame", df.schema(), cols, options); // checks the columns, naming the DataFrame's
        Dataset<Row> selected = df.select(Arrays.stream(cols).map(DataFrames::column)
                .toArray(org.apache.spark.sql.Column[]::new));
        long blockMax = TesseraConf.BLOCK_MAX_BYTES.get(ts.spark());
        RowValues reader = RowValues.of("fromDataFrame", selected.schema(), cols, options).limitRowBytes(blockMax);
        boolean numeric = reader.numeric();
        DType dtype = options.dtype();
        JavaRDD<org.apache.spark.sql.vectorized.ColumnarBatch> batches = numeric
                && TesseraConf.DATAFRAME_COLUMNAR.get(ts.spark()) ? ColumnarRows.batches(selected, cols) : null;
        JavaRDD<Block> read;
        if (batches != null) {
            // a columnar scan: its batches copied column by column, not turned into rows first
            read = batches.mapPartitionsWithIndex((p, it) -> {
                TaskSupport.begin(false);
                ColumnarRows.Values v = new ColumnarRows.Values();
                long n = ColumnarRows.read(p, it, reader, v, blockMax, dtype.byteSize());
                return Collections.singletonList(block(p, v, n, reader.fixedWidth(), dtype)).iterator();
            }, true);
        } else {
            JavaRDD<InternalRow> rows = selected.queryExecution().toRdd().toJavaRDD();
            read = rows.mapPartitionsWithIndex((p, it) -> {
                TaskSupport.begin(false);
                return Collections.singletonList(readPartition(p, it, reader, dtype, blockMax)).iterator();
            }, true);
        }
        JavaRDD<Block> blocks = read.persist(ExecutorMemory.blockLevel("MEMORY_AND_DISK", ts.sparkContext().getConf()));
        // one job: converts every partition (kept) and reports rows and width per partition
        List<long[]> shapes = blocks.map(b -> b.data().shape().dims()).collect();
        long width = -1;
        long[] rowChunks = new long[shapes.size()];
        for (int p = 0; p < shapes.size(); p++) {
            long[] s = shapes.get(p);
            rowChunks[p] = s[0];
            if (s[0] > 0) {
                if (width >= 0 && width != s[1]) {
                    throw new IllegalArgumentException("fromDataFrame: column '" + cols[0] + "' holds arrays or vectors of"
                            + " different lengths (" + width + " and " + s[1] + "); all rows need the same length");
                }
                width = s[1];
            }
        }
        if (width < 0) {
            width = numeric ? cols.length : 0;
        }
        if (shapes.isEmpty()) {
            // a DataFrame of no partitions at all (an empty local relation, a limit(0)): no rows, as
            // one whose partitions are all empty gives
            blocks.unpersist(false);
            return ts.distribute(org.tessera.Tessera.zeros(dtype, 0, width));
        }
        long w = width;
        JavaRDD<Block> fixed = blocks;
        if (!numeric) {
            // empty partitions could not know the width
            fixed = blocks.map(b -> b.data().shape().get(1) == w ? b
                    : new Block(b.index(), Blocks.zeros(new long[] {0, w}, dtype)));
        }
        Layout layout = new Layout(BlockGrid.of(rowChunks, new long[] {width}), 0);
        return Tensor.of(SparkBackend.wrap(new SparkValue.Distributed(fixed, layout, dtype)));
    }

    private static Block readPartition(int p, java.util.Iterator<InternalRow> it, RowValues reader, DType dtype,
                                       long blockMax) {
        ColumnarRows.Values buf = new ColumnarRows.Values();
        long rows = 0;
        int width = reader.fixedWidth();
        double[] scratch = new double[Math.max(width, 0)];
        long seen = 0;
        while (it.hasNext()) {
            InternalRow r = it.next();
            seen++;
            double[] values = reader.read(r, scratch, p, seen);
            if (values == null) {
                continue;
            }
            if (width < 0) {
                width = values.length;
            } else if (values.length != width) {
                throw reader.lengthMismatch(width, values.length, p, seen);
            }
            for (double v : values) {
                buf.add(v);
            }
            rows++;
            if ((long) buf.size * dtype.byteSize() > blockMax) {
                throw new IllegalArgumentException("fromDataFrame: partition " + p + " holds more than " + blockMax
                        + " bytes, above " + TesseraConf.BLOCK_MAX_BYTES.name() + "; repartition the DataFrame into"
                        + " more partitions or raise " + TesseraConf.BLOCK_MAX_BYTES.name());
            }
        }
        return block(p, buf, rows, Math.max(width, 0), dtype);
    }

    /** The block of partition {@code p}: {@code rows} rows of {@code w} values from {@code buf}, row-major. */
    private static Block block(int p, ColumnarRows.Values buf, long rows, int w, DType dtype) {
        Shape s = Shape.of(rows, w);
        Storage st = Storage.allocate(s.numel() * dtype.byteSize(), "DataFrame partition " + p + " " + s);
        if (dtype == DType.FLOAT64) {
            Memory.putDoubles(st.address(), buf.data, 0, buf.size);
        } else {
            float[] f = new float[buf.size];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) buf.data[i];
            }
            Memory.putFloats(st.address(), f, 0, f.length);
        }
        return new Block(new int[] {p, 0}, Creation.fromStorage(st, s, dtype, 0, s.contiguousStrides()));
    }

    // ---------------------------------------------------------------- tensor -> DataFrame

    /** See {@link TesseraSession#toDataFrame}. */
    public static Dataset<Row> toColumns(TesseraSession ts, Tensor t, String... names) {
        SparkValue.Distributed d = rowsOf(ts, t, "toDataFrame");
        long width = t.shape().get(1);
        String[] cols = names;
        if (cols.length == 0) {
            cols = new String[(int) width];
            for (int i = 0; i < cols.length; i++) {
                cols[i] = "c" + i;
            }
        }
        if (cols.length != width) {
            throw new IllegalArgumentException("toDataFrame: got " + cols.length + " column names for a tensor of shape "
                    + t.shape() + "; expected " + width);
        }
        java.util.Map<String, String> seen = new java.util.HashMap<>();
        for (String c : cols) {
            // Spark resolves names ignoring case by default: "a" and "A" could not be selected apart
            String before = seen.put(c.toLowerCase(java.util.Locale.ROOT), c);
            if (before != null) {
                throw new IllegalArgumentException("toDataFrame: column names '" + before + "' and '" + c + "' are the"
                        + " same name to Spark (which ignores case); give each column its own name");
            }
        }
        DataType type = sqlType(t.dtype());
        List<StructField> fields = new ArrayList<>();
        for (String c : cols) {
            fields.add(DataTypes.createStructField(c, type, false));
        }
        BlockGrid g = d.layout().grid();
        JavaRDD<Row> rows = d.rdd().mapPartitionsWithIndex((p, it) -> {
            TaskSupport.begin(false);
            Object[][] r = slabRows(Blocks.sorted(it), g, p);
            List<Row> out = new ArrayList<>(r.length);
            for (Object[] values : r) {
                out.add(RowFactory.create(values));
            }
            return out.iterator();
        }, true);
        return ts.spark().createDataFrame(rows, DataTypes.createStructType(fields));
    }

    /** See {@link TesseraSession#toDataFrameArray}. */
    public static Dataset<Row> toArrayColumn(TesseraSession ts, Tensor t, String name) {
        SparkValue.Distributed d = rowsOf(ts, t, "toDataFrameArray");
        DataType type = DataTypes.createArrayType(sqlType(t.dtype()), false);
        BlockGrid g = d.layout().grid();
        JavaRDD<Row> rows = d.rdd().mapPartitionsWithIndex((p, it) -> {
            TaskSupport.begin(false);
            Object[][] r = slabRows(Blocks.sorted(it), g, p);
            List<Row> out = new ArrayList<>(r.length);
            for (Object[] values : r) {
                out.add(RowFactory.create((Object) values));
            }
            return out.iterator();
        }, true);
        return ts.spark().createDataFrame(rows, DataTypes.createStructType(List.of(
                DataTypes.createStructField(name, type, false))));
    }

    private static SparkValue.Distributed rowsOf(TesseraSession ts, Tensor t, String op) {
        if (t.dim() != 2) {
            throw new IllegalArgumentException(op + ": expected a 2-D tensor, got shape " + t.shape());
        }
        Tensor s = t.device().equals(SparkBackend.DEVICE) ? t : ts.distribute(t);
        s.realize();
        SparkValue v = (SparkValue) s.node().remote();
        if (v instanceof SparkValue.Local l) {
            s = ts.distribute(Tensor.of(l.value()));
            s.realize();
            v = (SparkValue) s.node().remote();
        }
        SparkValue.Distributed d = (SparkValue.Distributed) v;
        if (d.layout().pdim() != 0) {
            d = ((SparkBackend) org.tessera.backend.Backends.forDevice(SparkBackend.DEVICE)).lowerer(false)
                    .relayout(d, new Layout(d.layout().grid(), 0));
        }
        return d;
    }

    private static DataType sqlType(DType t) {
        return switch (t) {
            case FLOAT64 -> DataTypes.DoubleType;
            case FLOAT32 -> DataTypes.FloatType;
            case INT64 -> DataTypes.LongType;
            case INT32 -> DataTypes.IntegerType;
            case BOOL -> DataTypes.BooleanType;
        };
    }

    /** The rows of one partition's slab as boxed values, columns of all its blocks side by side. */
    private static Object[][] slabRows(List<Block> blocks, BlockGrid g, int p) {
        int n = (int) g.chunk(0, p);
        int width = (int) g.shape().get(1);
        Object[][] rows = new Object[n][width];
        for (Block b : blocks) {
            int c0 = (int) g.offset(1, b.index(1));
            Tensor data = b.data();
            int bw = (int) data.shape().get(1);
            Object flat = switch (data.dtype()) {
                case FLOAT64 -> data.toDoubleArray();
                case FLOAT32 -> data.toFloatArray();
                case INT64 -> data.toLongArray();
                case INT32 -> data.toIntArray();
                case BOOL -> data.toBooleanArray();
            };
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < bw; c++) {
                    rows[r][c0 + c] = java.lang.reflect.Array.get(flat, r * bw + c);
                }
            }
        }
        return rows;
    }
}
