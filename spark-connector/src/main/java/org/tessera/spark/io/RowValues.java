package org.tessera.spark.io;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.tessera.DType;
import org.tessera.spark.DataFrameOptions;
import org.tessera.spark.DataFrameOptions.Missing;

/**
 * The conversion rules from DataFrame rows to tensor rows, in one place: numeric columns (one
 * tensor column each), or one {@code array<float|double>} column, or one ML {@code Vector}
 * column; nulls and NaNs treated as {@link DataFrameOptions} say (an error naming the column,
 * partition and row by default).
 *
 * <p>Made on the driver from the schema ({@link #of}), used on executors row by row.
 */
public final class RowValues implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How the selected columns are read. */
    enum Mode {
        /** One or more numeric columns. */
        NUMERIC,
        /** One array of floats or doubles. */
        ARRAY,
        /** One ML vector. */
        VECTOR
    }

    private static final int BYTE = 0;
    private static final int SHORT = 1;
    private static final int INT = 2;
    private static final int LONG = 3;
    private static final int FLOAT = 4;
    private static final int DOUBLE = 5;

    private final String op;
    private final Mode mode;
    private final String[] names;
    private final int[] ordinals;
    private final int[] kinds;
    private final DataFrameOptions options;
    private long maxRowBytes = Long.MAX_VALUE;
    /** A vector column's size from its ML attributes (as {@code VectorAssembler} writes them), else -1. */
    private final int declaredWidth;

    private RowValues(String op, Mode mode, String[] names, int[] ordinals, int[] kinds, DataFrameOptions options,
                      int declaredWidth) {
        this.declaredWidth = declaredWidth;
        this.op = op;
        this.mode = mode;
        this.names = names;
        this.ordinals = ordinals;
        this.kinds = kinds;
        this.options = options;
    }

    /**
     * The reader of {@code columns} in rows of {@code schema} (each column read at its position in
     * the schema), checking the columns on the driver.
     *
     * @param op the operation named in error messages, such as {@code fromDataFrame}
     * @throws IllegalArgumentException for a missing or unsupported column, or an array or vector
     *     column that is not the only one
     */
    public static RowValues of(String op, StructType schema, String[] columns, DataFrameOptions options) {
        if (columns.length == 0) {
            throw new IllegalArgumentException(op + ": no input columns given; the DataFrame has "
                    + Arrays.toString(schema.fieldNames()));
        }
        int[] ordinals = new int[columns.length];
        int[] kinds = new int[columns.length];
        Mode mode = Mode.NUMERIC;
        int declared = -1;
        for (int i = 0; i < columns.length; i++) {
            ordinals[i] = resolve(op, schema, columns[i]);
            DataType t = schema.fields()[ordinals[i]].dataType();
            if (t instanceof ArrayType at && (at.elementType() == DataTypes.DoubleType
                    || at.elementType() == DataTypes.FloatType)) {
                mode = Mode.ARRAY;
                kinds[i] = at.elementType() == DataTypes.DoubleType ? DOUBLE : FLOAT;
            } else if (t instanceof VectorUDT) {
                mode = Mode.VECTOR;
                declared = org.apache.spark.ml.attribute.AttributeGroup.fromStructField(schema.fields()[ordinals[i]])
                        .size();
            } else {
                kinds[i] = numericKind(op, t, columns[i]);
            }
            if (mode != Mode.NUMERIC && columns.length != 1) {
                throw new IllegalArgumentException(op + ": column '" + columns[i] + "' of type "
                        + t.simpleString() + " must be the only column converted (got " + Arrays.toString(columns) + ")");
            }
        }
        return new RowValues(op, mode, columns.clone(), ordinals, kinds, options, declared);
    }

    /**
     * The position of column {@code name} in {@code schema}, matched as Spark matches names (ignoring
     * case unless {@code spark.sql.caseSensitive} is set).
     *
     * @throws IllegalArgumentException when no column or more than one (after a join) matches
     */
    public static int resolve(String op, StructType schema, String name) {
        boolean caseSensitive = org.apache.spark.sql.internal.SQLConf.get().caseSensitiveAnalysis();
        String[] names = schema.fieldNames();
        int found = -1;
        int count = 0;
        for (int i = 0; i < names.length; i++) {
            if (caseSensitive ? names[i].equals(name) : names[i].equalsIgnoreCase(name)) {
                found = i;
                count++;
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException(op + ": no column '" + name + "'; the DataFrame has "
                    + Arrays.toString(names));
        }
        if (count > 1) {
            throw new IllegalArgumentException(op + ": column '" + name + "' is ambiguous: the DataFrame has " + count
                    + " columns of that name " + Arrays.toString(names) + " (after a join?); select or rename one first");
        }
        return found;
    }

    private static int numericKind(String op, DataType t, String name) {
        if (t == DataTypes.ByteType) {
            return BYTE;
        } else if (t == DataTypes.ShortType) {
            return SHORT;
        } else if (t == DataTypes.IntegerType) {
            return INT;
        } else if (t == DataTypes.LongType) {
            return LONG;
        } else if (t == DataTypes.FloatType) {
            return FLOAT;
        } else if (t == DataTypes.DoubleType) {
            return DOUBLE;
        }
        if (t.getClass().getName().equals("org.apache.spark.mllib.linalg.VectorUDT")) {
            throw new IllegalArgumentException(op + ": column '" + name + "' holds the old org.apache.spark.mllib.linalg"
                    + " Vector type; Tessera reads the org.apache.spark.ml.linalg one: convert it first with"
                    + " MLUtils.convertVectorColumnsToML(df, \"" + name + "\")");
        }
        throw new IllegalArgumentException(op + ": column '" + name + "' has type " + t.simpleString()
                + "; Tessera reads numeric columns (byte, short, int, long, float, double), one array<float|double>"
                + " column or one ML Vector column; cast or drop it first");
    }

    /** Refuses rows of more than {@code bytes} (a block's limit) before reading them in full. */
    public RowValues limitRowBytes(long bytes) {
        this.maxRowBytes = bytes;
        return this;
    }

    /** Whether the columns are numeric ones (the width is then known before any row is read). */
    public boolean numeric() {
        return mode == Mode.NUMERIC;
    }

    /** The number of values per row when numeric, else -1 (known from the first row). */
    /** The ordinals of the selected columns in the schema read (numeric columns: one per value). */
    int[] ordinals() {
        return ordinals.clone();
    }

    public int fixedWidth() {
        return mode == Mode.NUMERIC ? names.length : -1;
    }

    /** The options in force. */
    public DataFrameOptions options() {
        return options;
    }

    /** The first column's name (the one array or vector column). */
    public String firstColumn() {
        return names[0];
    }

    /**
     * The values of one row, or null when the options drop it. {@code scratch} is used and
     * returned for numeric columns (its length is {@link #fixedWidth()}); arrays and vectors return
     * a new array.
     *
     * @param partition the partition number, for messages
     * @param row the row's 1-based number in its partition, for messages
     * @throws IllegalArgumentException for a null or NaN that the options do not allow, naming the
     *     column, partition and row
     */
    public double[] read(InternalRow r, double[] scratch, int partition, long row) {
        double[] values;
        if (mode == Mode.NUMERIC) {
            for (int i = 0; i < ordinals.length; i++) {
                int c = ordinals[i];
                if (r.isNullAt(c)) {
                    if (options.onNull() == Missing.DROP) {
                        return null;
                    }
                    if (options.onNull() == Missing.ERROR) {
                        throw missing("null", names[i], partition, row, "onNull");
                    }
                    scratch[i] = options.fillValue();
                } else {
                    scratch[i] = switch (kinds[i]) {
                        case BYTE -> r.getByte(c);
                        case SHORT -> r.getShort(c);
                        case INT -> exact(r.getInt(c), i, partition, row);
                        case LONG -> exact(r.getLong(c), i, partition, row);
                        case FLOAT -> r.getFloat(c);
                        default -> fits(r.getDouble(c), i, partition, row);
                    };
                }
            }
            values = scratch;
        } else {
            int c = ordinals[0];
            if (r.isNullAt(c)) {
                if (options.onNull() == Missing.DROP) {
                    return null;
                }
                if (options.onNull() == Missing.ERROR) {
                    throw missing("null", names[0], partition, row, "onNull");
                }
                throw new IllegalArgumentException(op + ": null in column '" + names[0] + "' (partition " + partition
                        + ", row " + row + " of the partition); a null array or vector has no length to fill, so"
                        + " Missing.FILL cannot convert it: choose DataFrameOptions.onNull(Missing.DROP) to drop such"
                        + " rows");
            }
            values = mode == Mode.ARRAY ? arrayValues(r.getArray(c), partition, row)
                    : vectorValues(r.getStruct(c, 4), partition, row);
            if (values == null) {
                return null;
            }
            if (declaredWidth >= 0 && values.length != declaredWidth) {
                throw new IllegalArgumentException(op + ": column '" + names[0] + "' holds a vector of size "
                        + values.length + " (partition " + partition + ", row " + row + ") where its ML attributes"
                        + " declare size " + declaredWidth + "; all rows need the declared size");
            }
            if (float32() && (mode == Mode.VECTOR || kinds[0] == DOUBLE)) {
                for (double x : values) {
                    fits(x, 0, partition, row);
                }
            }
        }
        if (options.onNaN() == Missing.KEEP) {
            return values;
        }
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                switch (options.onNaN()) {
                    case ERROR -> throw missing("NaN", names[Math.min(i, names.length - 1)], partition, row, "onNaN");
                    case DROP -> {
                        return null;
                    }
                    case FILL -> values[i] = options.fillValue();
                    default -> {
                    }
                }
            }
        }
        return values;
    }

    private double[] arrayValues(ArrayData a, int p, long row) {
        int n = a.numElements();
        double[] v = new double[n];
        boolean dbl = kinds[0] == DOUBLE;
        for (int i = 0; i < n; i++) {
            if (a.isNullAt(i)) {
                if (options.onNull() == Missing.DROP) {
                    return null;
                }
                if (options.onNull() == Missing.ERROR) {
                    throw missing("null element", names[0], p, row, "onNull");
                }
                v[i] = options.fillValue();
            } else {
                v[i] = dbl ? a.getDouble(i) : a.getFloat(i);
            }
        }
        return v;
    }

    /** ML vectors are stored as struct(type: 0 sparse / 1 dense, size, indices, values). */
    private double[] vectorValues(InternalRow v, int p, long row) {
        byte type = v.getByte(0);
        double[] values = v.getArray(3).toDoubleArray();
        if (type == 1) {
            return values;
        }
        int size = v.getInt(1);
        // a dense row of a sparse vector's size, checked before it is made (a row too large for the
        // heap would end the executor with an OutOfMemoryError)
        long heapValues = Runtime.getRuntime().maxMemory() / 4 / Double.BYTES;
        if (size > heapValues || (long) size * options.dtype().byteSize() > maxRowBytes) {
            throw new IllegalArgumentException(op + ": column '" + names[0] + "' holds a sparse vector of size " + size
                    + " (partition " + p + ", row " + row + "); one dense row of " + size + " values is more than "
                    + (size > heapValues ? "a quarter of the executor's heap (" + heapValues + " values)"
                            : maxRowBytes + " bytes, " + org.tessera.spark.TesseraConf.BLOCK_MAX_BYTES.name()));
        }
        double[] dense = new double[size];
        int[] idx = v.getArray(2).toIntArray();
        for (int i = 0; i < idx.length; i++) {
            dense[idx[i]] = values[i];
        }
        return dense;
    }

    private boolean float32() {
        return options.dtype() == DType.FLOAT32;
    }

    /** Whether {@code v} converts to float32 ({@code f32}) or float64 without rounding. */
    static boolean exact(long v, boolean f32) {
        if (f32) {
            float f = v;
            return f != 0x1p63f && (long) f == v;
        }
        double d = v;
        return d != 0x1p63 && (long) d == v;
    }

    /** Whether a finite {@code v} stays finite in float32 ({@code f32}; always in float64). */
    static boolean fits(double v, boolean f32) {
        return !f32 || !Float.isInfinite((float) v) || Double.isInfinite(v);
    }

    private double exact(long v, int i, int p, long row) {
        boolean f32 = float32();
        if (!exact(v, f32)) {
            throw new IllegalArgumentException(op + ": column '" + names[i] + "' holds " + v + " (partition " + p
                    + ", row " + row + "), which " + options.dtype() + " cannot hold exactly (it would become "
                    + (f32 ? new java.math.BigDecimal((float) v).toPlainString()
                            : new java.math.BigDecimal((double) v).toPlainString())
                    + "); " + (f32 && exact(v, false) ? "read it as float64 (DataFrameOptions.dtype(DType.FLOAT64))"
                            : "cast the column to double in Spark first to accept the rounding, or leave it out"));
        }
        return v;
    }

    private double fits(double v, int i, int p, long row) {
        if (!fits(v, float32())) {
            throw new IllegalArgumentException(op + ": column '" + names[Math.min(i, names.length - 1)] + "' holds " + v
                    + " (partition " + p + ", row " + row + "), beyond float32's range (it would become "
                    + (v > 0 ? "Infinity" : "-Infinity") + "); read it as float64 (DataFrameOptions.dtype(DType.FLOAT64))");
        }
        return v;
    }

    /** The error for rows of different lengths in the one array or vector column. */
    public IllegalArgumentException lengthMismatch(int width, int length, int partition, long row) {
        return new IllegalArgumentException(op + ": column '" + names[0] + "' has rows of length " + width + " and "
                + length + " (partition " + partition + ", row " + row + "); all rows need the same length");
    }

    private IllegalArgumentException missing(String what, String column, int p, long row, String option) {
        return new IllegalArgumentException(op + ": " + what + " in column '" + column + "' (partition " + p
                + ", row " + row + " of the partition); choose DataFrameOptions." + option
                + "(Missing.DROP or Missing.FILL) to convert anyway");
    }
}
