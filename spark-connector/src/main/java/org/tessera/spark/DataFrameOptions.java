package org.tessera.spark;

import java.io.Serializable;
import org.tessera.DType;

/**
 * How {@link TesseraSession#fromDataFrame} treats missing values and which dtype it makes.
 *
 * <p>By default a null or a NaN is an error naming the column; {@code DROP} skips the row,
 * {@code FILL} writes {@link #fillValue()}, and for NaN {@code KEEP} keeps it.
 *
 * <pre>{@code
 * DataFrameOptions o = DataFrameOptions.defaults().onNull(Missing.FILL).fillValue(0).dtype(DType.FLOAT32);
 * }</pre>
 */
public final class DataFrameOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What to do with a missing value. */
    public enum Missing {
        /** Fail with an error naming the column and partition. */
        ERROR,
        /** Skip the whole row. */
        DROP,
        /** Write the fill value instead. */
        FILL,
        /** Keep it as it is (for NaN only). */
        KEEP
    }

    private final Missing onNull;
    private final Missing onNaN;
    private final double fillValue;
    private final DType dtype;

    private DataFrameOptions(Missing onNull, Missing onNaN, double fillValue, DType dtype) {
        if (onNull == Missing.KEEP) {
            throw new IllegalArgumentException("onNull: KEEP is not possible (tensors have no null); use ERROR, DROP or"
                    + " FILL");
        }
        if (dtype != DType.FLOAT64 && dtype != DType.FLOAT32) {
            throw new IllegalArgumentException("dtype: DataFrames convert to float64 or float32, got " + dtype);
        }
        if (dtype == DType.FLOAT32 && Double.isFinite(fillValue) && Float.isInfinite((float) fillValue)) {
            throw new IllegalArgumentException("fillValue: " + fillValue + " is beyond float32's range (it would become"
                    + " " + (float) fillValue + "); use a smaller value or dtype float64");
        }
        this.onNull = onNull;
        this.onNaN = onNaN;
        this.fillValue = fillValue;
        this.dtype = dtype;
    }

    /** Nulls and NaNs are errors; the tensor is float64. */
    public static DataFrameOptions defaults() {
        return new DataFrameOptions(Missing.ERROR, Missing.ERROR, 0, DType.FLOAT64);
    }

    /** With another null policy (ERROR, DROP or FILL). */
    public DataFrameOptions onNull(Missing m) {
        return new DataFrameOptions(m, onNaN, fillValue, dtype);
    }

    /** With another NaN policy (ERROR, DROP, FILL or KEEP). */
    public DataFrameOptions onNaN(Missing m) {
        return new DataFrameOptions(onNull, m, fillValue, dtype);
    }

    /** With another fill value (used by FILL). */
    public DataFrameOptions fillValue(double v) {
        return new DataFrameOptions(onNull, onNaN, v, dtype);
    }

    /** With another dtype (float64 or float32). */
    public DataFrameOptions dtype(DType t) {
        return new DataFrameOptions(onNull, onNaN, fillValue, t);
    }

    /** The null policy. */
    public Missing onNull() {
        return onNull;
    }

    /** The NaN policy. */
    public Missing onNaN() {
        return onNaN;
    }

    /** The fill value. */
    public double fillValue() {
        return fillValue;
    }

    /** The dtype of the tensor. */
    public DType dtype() {
        return dtype;
    }
}
