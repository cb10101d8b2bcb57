package org.tessera.arrow.internal;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.tessera.DType;

/** The one mapping between Tessera dtypes and Arrow types. */
public final class ArrowLayouts {
    /** The supported pairs, for error messages. */
    public static final String SUPPORTED = "float32 (FloatingPoint SINGLE, Float4Vector), float64 (FloatingPoint"
            + " DOUBLE, Float8Vector), int32 (Int(32, signed), IntVector), int64 (Int(64, signed), BigIntVector),"
            + " bool (Bool, BitVector)";

    private ArrowLayouts() {
    }

    /** The Arrow type that holds {@code dtype}. */
    public static ArrowType arrowType(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case INT32 -> new ArrowType.Int(32, true);
            case INT64 -> new ArrowType.Int(64, true);
            case BOOL -> ArrowType.Bool.INSTANCE;
        };
    }

    /** The dtype for an Arrow type, or null when Tessera has no dtype for it. */
    public static DType dtypeOf(ArrowType type) {
        if (type instanceof ArrowType.FloatingPoint fp) {
            return switch (fp.getPrecision()) {
                case SINGLE -> DType.FLOAT32;
                case DOUBLE -> DType.FLOAT64;
                default -> null;
            };
        }
        if (type instanceof ArrowType.Int i && i.getIsSigned()) {
            return i.getBitWidth() == 32 ? DType.INT32 : i.getBitWidth() == 64 ? DType.INT64 : null;
        }
        if (type instanceof ArrowType.Bool) {
            return DType.BOOL;
        }
        return null;
    }

    /** A new, empty vector for {@code dtype}. */
    public static FieldVector newVector(String name, DType dtype, BufferAllocator allocator) {
        return switch (dtype) {
            case FLOAT32 -> new Float4Vector(name, allocator);
            case FLOAT64 -> new Float8Vector(name, allocator);
            case INT32 -> new IntVector(name, allocator);
            case INT64 -> new BigIntVector(name, allocator);
            case BOOL -> new BitVector(name, allocator);
        };
    }

    /**
     * Bytes that {@code count} values of {@code dtype} take in an Arrow data buffer (bit-packed for
     * bool), or -1 on overflow.
     */
    public static long dataBytes(DType dtype, long count) {
        if (count < 0) {
            return -1;
        }
        if (dtype == DType.BOOL) {
            return (count + 7) / 8;
        }
        long b = count * dtype.byteSize();
        return b / dtype.byteSize() == count ? b : -1;
    }
}
