package org.tessera.spark.io;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.SpecificInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.Platform;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Scope;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.Offload;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;
import org.tessera.spark.BatchFunction;
import org.tessera.spark.BatchMetrics;
import org.tessera.spark.block.BlockDevice;

/**
 * One task's rows with the outputs of a {@link BatchFunction} appended, computed a batch at a time.
 *
 * <p>Per batch: read up to {@code batchRows} rows from the source (keeping a copy of each, since
 * Spark reuses row objects), writing their input values into a heap array; then, in a memory scope,
 * copy those values into one off-heap tensor, apply the function, compute its outputs on the task's
 * device, check their shapes and dtypes, and copy them into heap arrays; close the scope; then hand
 * out the rows joined with their outputs. No scope is open while rows are handed out, so a consumer
 * in the same task (another mapBatches, say) can open and close its own.
 *
 * <p>When the task reads a columnar scan ({@link ColumnarRows#scanBatches}), the rows come from its
 * column batches instead: a batch's input values are copied column by column into the heap array
 * and its rows laid out column by column ({@link FixedRows}); a batch whose input columns hold a
 * null, or a value the options refuse or drop, is read row by row as above, so the rules and
 * messages are the same.
 */
final class BatchIterator implements Iterator<InternalRow> {
    private static final System.Logger LOG = System.getLogger(BatchIterator.class.getName());

    private final Iterator<InternalRow> source;
    /** The column batches read instead of {@code source}, or null. */
    private final Iterator<org.apache.spark.sql.vectorized.ColumnarBatch> batchSource;
    private org.apache.spark.sql.vectorized.ColumnarBatch batch;
    private int batchPos;
    private final int[] columns;
    private final int partition;
    private final RowValues reader;
    private final BatchFunction fn;
    private final BatchMapper.Output[] outputs;
    private final int batchRows;
    private final DType dtype;
    private final Device device;

    private InternalRow[] rows;
    private final Object[] results;
    private final int[] widths;
    private final SpecificInternalRow outRow;
    private final JoinedRow joined = new JoinedRow();
    private int width;
    private double[] values;
    private double[] scratch;
    private float[] floats;
    private int count;
    private int pos;
    private long seen;
    private long rowsDone;
    private long batches;
    private long peak;
    private boolean opened;

    BatchIterator(Iterator<InternalRow> source, int partition, RowValues reader, BatchFunction fn,
                  BatchMapper.Output[] outputs, int batchRows, DType dtype, BatchMetrics metrics) {
        this(source, null, partition, reader, fn, outputs, batchRows, dtype, metrics);
    }

    /** Reads the column batches of a columnar scan (every column of fixed width, the inputs numeric). */
    static BatchIterator ofBatches(Iterator<org.apache.spark.sql.vectorized.ColumnarBatch> batches, int partition,
                                   RowValues reader, BatchFunction fn, BatchMapper.Output[] outputs, int batchRows,
                                   DType dtype, BatchMetrics metrics) {
        return new BatchIterator(null, batches, partition, reader, fn, outputs, batchRows, dtype, metrics);
    }

    private BatchIterator(Iterator<InternalRow> source,
                          Iterator<org.apache.spark.sql.vectorized.ColumnarBatch> batchSource, int partition,
                          RowValues reader, BatchFunction fn, BatchMapper.Output[] outputs, int batchRows, DType dtype,
                          BatchMetrics metrics) {
        this.source = source;
        this.batchSource = batchSource;
        this.columns = reader.ordinals();
        this.partition = partition;
        this.reader = reader;
        this.fn = fn;
        this.outputs = outputs;
        this.batchRows = batchRows;
        this.dtype = dtype;
        this.device = BlockDevice.current();
        // grown as rows arrive: a batch size far above a partition's rows costs nothing
        this.rows = new InternalRow[Math.min(batchRows, 1024)];
        this.results = new Object[outputs.length];
        this.widths = new int[outputs.length];
        this.width = reader.fixedWidth();
        this.scratch = new double[Math.max(width, 0)];
        DataType[] types = new DataType[outputs.length];
        for (int j = 0; j < outputs.length; j++) {
            types[j] = outputs[j].array() ? DataTypes.createArrayType(DataTypes.NullType) : sqlType(outputs[j].dtype());
        }
        this.outRow = new SpecificInternalRow(scala.jdk.javaapi.CollectionConverters.asScala(List.of(types)).toList());
        TaskContext tc = TaskContext.get();
        if (tc != null) {
            tc.addTaskCompletionListener(new org.apache.spark.util.TaskCompletionListener() {
                @Override
                public void onTaskCompletion(TaskContext context) {
                    report(metrics);
                }
            });
        }
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

    private void report(BatchMetrics metrics) {
        LOG.log(System.Logger.Level.INFO, () -> "Tessera mapBatches: partition " + partition + " on " + device + ": "
                + rowsDone + " rows in " + batches + " batches, at most " + peak + " off-heap bytes per batch");
        if (metrics != null) {
            metrics.add(new BatchMetrics.TaskRecord(device.toString(), rowsDone, batches, peak));
        }
    }

    @Override
    public boolean hasNext() {
        while (pos >= count) {
            if (!moreInput()) {
                return false;
            }
            if (batchSource != null) {
                readColumnar();
            } else {
                readBatch();
            }
            if (count > 0) {
                compute();
            }
        }
        return true;
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException("mapBatches: no more rows in partition " + partition);
        }
        for (int j = 0; j < outputs.length; j++) {
            setOutput(j);
        }
        joined.apply(rows[pos], outRow);
        rows[pos] = null;
        pos++;
        return joined;
    }

    private boolean moreInput() {
        if (batchSource == null) {
            return source.hasNext();
        }
        if (batch != null && batchPos < batch.numRows()) {
            return true;
        }
        // forgotten before asking for more: Spark's readers refill the same batch object in hasNext()
        batch = null;
        return batchSource.hasNext();
    }

    /** Room for {@code more} rows after the {@code count} read. */
    private void reserve(int more) {
        if (count + more > rows.length) {
            rows = java.util.Arrays.copyOf(rows, (int) Math.min(batchRows, Math.max(count + more, 2L * rows.length)));
        }
        long need = (long) rows.length * Math.max(width, 1);
        if (need > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("mapBatches: a batch of " + rows.length + " rows of " + width
                    + " values is more than one Java array holds (partition " + partition + "); use fewer rows per"
                    + " batch (BatchOptions.batchRows, now " + batchRows + ")");
        }
        if (values == null || values.length < need) {
            values = values == null ? new double[(int) need] : java.util.Arrays.copyOf(values, (int) need);
        }
    }

    /** Reads up to batchRows rows that the options keep from the column batches. */
    private void readColumnar() {
        count = 0;
        pos = 0;
        boolean checkNaN = reader.options().onNaN() != org.tessera.spark.DataFrameOptions.Missing.KEEP;
        boolean f32 = reader.options().dtype() == DType.FLOAT32;
        while (count < batchRows) {
            if (batch == null || batchPos >= batch.numRows()) {
                batch = null; // as in moreInput: hasNext() may refill the batch object in place
                if (!batchSource.hasNext()) {
                    return;
                }
                batch = batchSource.next();
                batchPos = 0;
                continue;
            }
            int n = Math.min(batchRows - count, batch.numRows() - batchPos);
            reserve(n);
            boolean plain = true;
            for (int c : columns) {
                plain &= !batch.column(c).hasNull();
            }
            if (plain && ColumnarRows.copy(batch, columns, batchPos, n, values, count * width, checkNaN, f32)) {
                FixedRows.of(batch, batchPos, n, rows, count);
                count += n;
                seen += n;
            } else {
                for (int i = 0; i < n; i++) {
                    InternalRow r = batch.getRow(batchPos + i);
                    seen++;
                    double[] v = reader.read(r, scratch, partition, seen);
                    if (v != null) {
                        System.arraycopy(v, 0, values, count * width, width);
                        rows[count++] = r.copy();
                    }
                }
            }
            batchPos += n;
        }
    }

    /** Reads up to batchRows rows that the options keep. */
    private void readBatch() {
        count = 0;
        pos = 0;
        while (count < batchRows && source.hasNext()) {
            InternalRow r = source.next();
            seen++;
            double[] v = reader.read(r, scratch, partition, seen);
            if (v == null) {
                continue;
            }
            if (width < 0) {
                width = v.length;
            } else if (v.length != width) {
                throw reader.lengthMismatch(width, v.length, partition, seen);
            }
            reserve(1);
            System.arraycopy(v, 0, values, count * width, width);
            rows[count++] = r.copy();
        }
    }

    /** Computes the outputs of the rows read, in a scope freed before it returns. */
    private void compute() {
        if (!opened) {
            fn.open();
            opened = true;
        }
        Shape shape = Shape.of(count, width);
        long n = (long) count * width;
        try (Scope scope = Tessera.scope()) {
            Storage st = Storage.allocate(n * dtype.byteSize(), "mapBatches batch " + shape + " of partition "
                    + partition);
            if (dtype == DType.FLOAT64) {
                Memory.putDoubles(st.address(), values, 0, (int) n);
            } else {
                if (floats == null || floats.length < n) {
                    floats = new float[values.length];
                }
                for (int i = 0; i < n; i++) {
                    floats[i] = (float) values[i];
                }
                Memory.putFloats(st.address(), floats, 0, (int) n);
            }
            Tensor x = Creation.fromStorage(st, shape, dtype, 0, shape.contiguousStrides());
            List<Tensor> out;
            try {
                out = fn.apply(x);
            } catch (RuntimeException e) {
                throw new IllegalStateException("mapBatches: the function failed on " + where() + ": " + e, e);
            }
            if (out == null || out.size() != outputs.length) {
                throw new IllegalArgumentException("mapBatches: the function returned " + (out == null ? "null"
                        : out.size() + " tensors") + " for " + outputs.length + " output columns "
                        + java.util.Arrays.stream(outputs).map(BatchMapper.Output::name).toList() + " (" + where()
                        + ")");
            }
            for (int j = 0; j < outputs.length; j++) {
                check(j, out.get(j));
            }
            for (int j = 0; j < outputs.length; j++) {
                Tensor t = out.get(j);
                if (t.device().equals(Device.CPU)) {
                    Offload.realize(t, device);
                }
                results[j] = switch (outputs[j].dtype()) {
                    case FLOAT64 -> t.toDoubleArray();
                    case FLOAT32 -> t.toFloatArray();
                    case INT64 -> t.toLongArray();
                    case INT32 -> t.toIntArray();
                    case BOOL -> t.toBooleanArray();
                };
                widths[j] = outputs[j].array() ? (int) t.shape().get(1) : 1;
            }
            peak = Math.max(peak, scope.peakBytes());
        }
        rowsDone += count;
        batches++;
    }

    /** Which batch is being computed, for messages: its number and its rows among those kept in the partition. */
    private String where() {
        return "batch " + (batches + 1) + " of partition " + partition + ", its rows " + (rowsDone + 1) + " to "
                + (rowsDone + count) + " of those kept";
    }

    private void check(int j, Tensor t) {
        BatchMapper.Output o = outputs[j];
        if (t == null) {
            throw new IllegalArgumentException("mapBatches: the function returned null for output " + o.describe());
        }
        boolean shapeOk = o.array() ? t.dim() == 2 && t.shape().get(0) == count : t.dim() == 1 && t.shape().get(0) == count;
        if (!shapeOk) {
            throw new IllegalArgumentException("mapBatches: output " + o.describe() + " got a tensor of shape "
                    + t.shape() + " for a batch of " + count + " rows; expected " + (o.array() ? "[" + count + ", k]"
                    : "[" + count + "]") + " (" + where() + ")");
        }
        if (t.dtype() != o.dtype()) {
            throw new IllegalArgumentException("mapBatches: output " + o.describe() + " got a tensor of " + t.dtype()
                    + "; convert it with .to(DType." + o.dtype().name() + ") or declare the column as "
                    + BatchMapper.sqlName(t.dtype()) + " (" + where() + ")");
        }
    }

    private void setOutput(int j) {
        Object r = results[j];
        if (outputs[j].array()) {
            int k = widths[j];
            long at = (long) pos * k;
            UnsafeArrayData a = switch (outputs[j].dtype()) {
                case FLOAT64 -> UnsafeArrayData.fromPrimitiveArray(r, Platform.DOUBLE_ARRAY_OFFSET + (int) (at * 8), k, 8);
                case FLOAT32 -> UnsafeArrayData.fromPrimitiveArray(r, Platform.FLOAT_ARRAY_OFFSET + (int) (at * 4), k, 4);
                case INT64 -> UnsafeArrayData.fromPrimitiveArray(r, Platform.LONG_ARRAY_OFFSET + (int) (at * 8), k, 8);
                case INT32 -> UnsafeArrayData.fromPrimitiveArray(r, Platform.INT_ARRAY_OFFSET + (int) (at * 4), k, 4);
                case BOOL -> UnsafeArrayData.fromPrimitiveArray(r, Platform.BOOLEAN_ARRAY_OFFSET + (int) at, k, 1);
            };
            outRow.update(j, a);
            return;
        }
        switch (outputs[j].dtype()) {
            case FLOAT64 -> outRow.setDouble(j, ((double[]) r)[pos]);
            case FLOAT32 -> outRow.setFloat(j, ((float[]) r)[pos]);
            case INT64 -> outRow.setLong(j, ((long[]) r)[pos]);
            case INT32 -> outRow.setInt(j, ((int[]) r)[pos]);
            case BOOL -> outRow.setBoolean(j, ((boolean[]) r)[pos]);
        }
    }
}
