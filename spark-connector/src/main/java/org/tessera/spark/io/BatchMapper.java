package org.tessera.spark.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.tessera.DType;
import org.tessera.Tessera;
import org.tessera.backend.cuda.Cuda;
import org.tessera.backend.cuda.DeviceSelector;
import org.tessera.spark.BatchFunction;
import org.tessera.spark.BatchOptions;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.plan.TaskSupport;

/**
 * {@code mapBatches}: a function of tensors applied to a DataFrame's rows, batch by batch, on the
 * executors.
 *
 * <p>Each task reads its partition's rows from Spark's internal rows (no per-row objects), groups
 * up to {@code batchRows} of them, writes their input columns into one off-heap
 * {@code [rows, features]} tensor by the rules of {@link RowValues}, runs the function in a memory
 * scope on the task's device, copies the outputs to the heap and frees the scope before it reads
 * the next rows. Each input row is then emitted with its outputs appended, in the order read. A
 * task thus holds one batch of rows and tensors at a time, whatever the partition's size. The work
 * of {@link BatchIterator} per batch is in its comment.
 */
public final class BatchMapper {
    private BatchMapper() {
    }

    /** What an output column needs: its name, whether it is an array column, and the dtype it takes. */
    record Output(String name, boolean array, DType dtype) implements Serializable {
        String describe() {
            return "'" + name + "' (" + (array ? "array<" + sqlName(dtype) + ">, from a [rows, k] tensor"
                    : sqlName(dtype) + ", from a [rows] tensor") + " of " + dtype + ")";
        }
    }

    /**
     * See {@link org.tessera.spark.TesseraSession#mapBatches(Dataset, List, BatchFunction, StructType, BatchOptions)}.
     */
    public static Dataset<Row> map(SparkSession spark, Dataset<Row> df, List<String> inputColumns, BatchFunction fn,
                                   StructType outputSchema, BatchOptions options) {
        if (fn == null) {
            throw new IllegalArgumentException("mapBatches: the function is null");
        }
        StructType inSchema = df.schema();
        RowValues reader = RowValues.of("mapBatches", inSchema, inputColumns.toArray(new String[0]),
                options.dataFrameOptions());
        Output[] outputs = outputs(inSchema, outputSchema);
        int batchRows = options.batchRows() > 0 ? options.batchRows() : TesseraConf.BATCH_ROWS.get(spark);
        checkDeviceMode(spark);
        DType dtype = options.dataFrameOptions().dtype();
        var metrics = options.metrics();
        // a columnar scan (Parquet, ORC, Spark's cache) of numeric inputs is read from its column batches
        JavaRDD<org.apache.spark.sql.vectorized.ColumnarBatch> scan = reader.fixedWidth() >= 0
                && TesseraConf.DATAFRAME_COLUMNAR.get(spark) ? ColumnarRows.scanBatches(df) : null;
        JavaRDD<InternalRow> mapped;
        if (scan != null) {
            mapped = scan.mapPartitionsWithIndex((p, it) -> {
                TaskSupport.begin(false);
                return (Iterator<InternalRow>) BatchIterator.ofBatches(it, p, reader, fn, outputs, batchRows, dtype,
                        metrics);
            }, true);
        } else {
            mapped = df.queryExecution().toRdd().toJavaRDD().mapPartitionsWithIndex((p, it) -> {
                TaskSupport.begin(false);
                return new BatchIterator(it, p, reader, fn, outputs, batchRows, dtype, metrics);
            }, true);
        }
        List<StructField> fields = new ArrayList<>(Arrays.asList(inSchema.fields()));
        fields.addAll(Arrays.asList(outputSchema.fields()));
        // the input may hold columns of one name (after a join), as Spark allows: kept as they are
        return ((org.apache.spark.sql.classic.SparkSession) spark).internalCreateDataFrame(mapped.rdd(),
                new StructType(fields.toArray(new StructField[0])), false);
    }

    /**
     * Checks output columns against an input schema: at least one, names new and distinct, types that a tensor can fill
     * (double, float, long, int, boolean, or an array of one of them).
     */
    public static void checkOutputs(StructType inSchema, StructType outputSchema) {
        outputs(inSchema, outputSchema);
    }

    private static Output[] outputs(StructType inSchema, StructType outputSchema) {
        if (outputSchema == null || outputSchema.fields().length == 0) {
            throw new IllegalArgumentException("mapBatches: the output schema has no fields; give one field per"
                    + " tensor the function returns");
        }
        // Spark resolves column names ignoring case (spark.sql.caseSensitive is false by default): a
        // name that differs from another only in case could not be selected from the result
        Set<String> taken = new HashSet<>();
        for (String n : inSchema.fieldNames()) {
            taken.add(n.toLowerCase(java.util.Locale.ROOT));
        }
        Output[] out = new Output[outputSchema.fields().length];
        for (int i = 0; i < out.length; i++) {
            StructField f = outputSchema.fields()[i];
            if (!taken.add(f.name().toLowerCase(java.util.Locale.ROOT))) {
                throw new IllegalArgumentException("mapBatches: output column '" + f.name() + "' already exists,"
                        + " or another differs from it only in case, which Spark does not tell apart (the result keeps"
                        + " every input column: " + Arrays.toString(inSchema.fieldNames()) + "); choose another name");
            }
            DataType t = f.dataType();
            boolean array = t instanceof ArrayType;
            DataType element = array ? ((ArrayType) t).elementType() : t;
            DType dtype = dtypeOf(element);
            if (dtype == null) {
                throw new IllegalArgumentException("mapBatches: output column '" + f.name() + "' has type "
                        + t.simpleString() + "; a tensor fills double, float, bigint, int or boolean columns, or"
                        + " arrays of them");
            }
            out[i] = new Output(f.name(), array, dtype);
        }
        return out;
    }

    /** The tensor dtype that fills a Spark type, or null. */
    public static DType dtypeOf(DataType t) {
        if (t == DataTypes.DoubleType) {
            return DType.FLOAT64;
        } else if (t == DataTypes.FloatType) {
            return DType.FLOAT32;
        } else if (t == DataTypes.LongType) {
            return DType.INT64;
        } else if (t == DataTypes.IntegerType) {
            return DType.INT32;
        } else if (t == DataTypes.BooleanType) {
            return DType.BOOL;
        }
        return null;
    }

    static String sqlName(DType t) {
        return switch (t) {
            case FLOAT64 -> "double";
            case FLOAT32 -> "float";
            case INT64 -> "bigint";
            case INT32 -> "int";
            case BOOL -> "boolean";
        };
    }

    /**
     * In local mode the driver's JVM is the executor, so {@code spark.tessera.device=cuda} without a
     * usable GPU fails here, at the call, rather than in every task.
     */
    private static void checkDeviceMode(SparkSession spark) {
        org.apache.spark.SparkConf conf = spark.sparkContext().getConf();
        DeviceSelector.Mode mode = DeviceSelector.Mode.parse(TesseraConf.DEVICE.read(conf));
        if (mode == DeviceSelector.Mode.CUDA && spark.sparkContext().isLocal() && !Tessera.isCudaAvailable()) {
            throw new IllegalStateException("mapBatches: " + TesseraConf.DEVICE.name() + "=cuda but CUDA cannot be used"
                    + " here: " + Cuda.unavailableReason() + "; set it to auto (GPU when usable, else CPU) or cpu");
        }
    }
}
