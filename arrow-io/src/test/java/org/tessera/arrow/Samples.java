package org.tessera.arrow;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Test tensors with distinct, dtype-specific values (negative numbers, fractions, both booleans). */
final class Samples {
    private Samples() {
    }

    /** A tensor of {@code dtype} and the given shape with values that differ element by element. */
    static Tensor of(DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        Tensor flat = Tessera.arange(0, n, 1, DType.FLOAT64);
        Tensor values = switch (dtype) {
            case FLOAT32, FLOAT64 -> flat.mul(1.25).sub(3);
            case INT32, INT64 -> flat.mul(7).sub(20);
            case BOOL -> flat.mul(0.5).sin().gt(0);
        };
        return values.to(dtype).reshape(shape).contiguous();
    }

    static Class<?> vectorClass(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> Float4Vector.class;
            case FLOAT64 -> Float8Vector.class;
            case INT32 -> IntVector.class;
            case INT64 -> BigIntVector.class;
            case BOOL -> BitVector.class;
        };
    }
}
