package org.tessera.spark.io;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.bitset.BitSetMethods;

/**
 * Spark's {@link UnsafeRow}s made from rows of a column batch whose columns are all of fixed
 * width, written column by column a block of rows at a time. Spark turns a batch into rows by a
 * projection that asks every column of every row for its value; for a wide batch (hundreds of
 * columns) each row then touches hundreds of column vectors, and those calls cost more than the
 * rest of a scan. Here each column's values of a block of rows are read in one pass and written
 * into the rows' slots, as Spark's own writer lays them out (null bits first, then eight bytes per
 * field, a null field's slot zero).
 */
final class FixedRows {
    /** Rows written per pass over the columns: their part of the rows' memory stays in cache. */
    private static final int BLOCK = 256;

    private FixedRows() {
    }

    /** Whether a column of {@code t} is laid out here: numbers, booleans, dates and timestamps. */
    static boolean supports(DataType t) {
        return t == DataTypes.BooleanType || t == DataTypes.ByteType || t == DataTypes.ShortType
                || t == DataTypes.IntegerType || t == DataTypes.DateType || t == DataTypes.LongType
                || t == DataTypes.TimestampType || t == DataTypes.TimestampNTZType || t == DataTypes.FloatType
                || t == DataTypes.DoubleType;
    }

    /**
     * Rows {@code [from, from + n)} of {@code b} as new rows in {@code into[at ...]}; they share one
     * new byte array, so they stay valid after the batch is reused.
     */
    static void of(ColumnarBatch b, int from, int n, InternalRow[] into, int at) {
        int fields = b.numCols();
        int bitset = UnsafeRow.calculateBitSetWidthInBytes(fields);
        int rowBytes = bitset + 8 * fields;
        if ((long) n * rowBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("mapBatches: " + n + " rows of " + fields + " columns are more than one"
                    + " Java array holds; use fewer rows per batch");
        }
        byte[] buf = new byte[n * rowBytes];
        for (int r0 = 0; r0 < n; r0 += BLOCK) {
            int r1 = Math.min(n, r0 + BLOCK);
            for (int c = 0; c < fields; c++) {
                write(b.column(c), from, r0, r1, buf, rowBytes, bitset, c);
            }
        }
        for (int r = 0; r < n; r++) {
            UnsafeRow u = new UnsafeRow(fields);
            u.pointTo(buf, Platform.BYTE_ARRAY_OFFSET + r * rowBytes, rowBytes);
            into[at + r] = u;
        }
    }

    /** Column {@code c}'s values of rows {@code [r0, r1)} (batch rows from + r) into the rows' slots. */
    private static void write(ColumnVector v, int from, int r0, int r1, byte[] buf, int rowBytes, int bitset, int c) {
        DataType t = v.dataType();
        long slot = Platform.BYTE_ARRAY_OFFSET + bitset + 8L * c;
        if (v.hasNull()) {
            for (int r = r0; r < r1; r++) {
                if (v.isNullAt(from + r)) {
                    BitSetMethods.set(buf, Platform.BYTE_ARRAY_OFFSET + (long) r * rowBytes, c);
                } else {
                    one(v, t, from + r, buf, slot + (long) r * rowBytes);
                }
            }
            return;
        }
        if (t == DataTypes.DoubleType) { // the common case, without the type tests per value
            for (int r = r0; r < r1; r++) {
                Platform.putDouble(buf, slot + (long) r * rowBytes, v.getDouble(from + r));
            }
        } else {
            for (int r = r0; r < r1; r++) {
                one(v, t, from + r, buf, slot + (long) r * rowBytes);
            }
        }
    }

    private static void one(ColumnVector v, DataType t, int i, byte[] buf, long at) {
        if (t == DataTypes.DoubleType) {
            Platform.putDouble(buf, at, v.getDouble(i));
        } else if (t == DataTypes.LongType || t == DataTypes.TimestampType || t == DataTypes.TimestampNTZType) {
            Platform.putLong(buf, at, v.getLong(i));
        } else if (t == DataTypes.FloatType) {
            Platform.putFloat(buf, at, v.getFloat(i));
        } else if (t == DataTypes.IntegerType || t == DataTypes.DateType) {
            Platform.putInt(buf, at, v.getInt(i));
        } else if (t == DataTypes.ShortType) {
            Platform.putShort(buf, at, v.getShort(i));
        } else if (t == DataTypes.ByteType) {
            Platform.putByte(buf, at, v.getByte(i));
        } else if (t == DataTypes.BooleanType) {
            Platform.putBoolean(buf, at, v.getBoolean(i));
        } else {
            throw new IllegalStateException("FixedRows: column type " + t);
        }
    }
}
