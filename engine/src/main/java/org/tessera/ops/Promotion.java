package org.tessera.ops;

import org.tessera.DType;
import org.tessera.Tensor;

/**
 * PyTorch's result-type rule: tensors with dimensions decide first, then 0-d tensors, then
 * Java numbers, and a lower group only wins when it is of a higher category.
 *
 * <p>Example: {@code int32 tensor + 2} is int32; {@code int32 tensor + 2.5} is float32;
 * {@code float32 tensor + float64 0-d tensor} is float32.
 */
public final class Promotion {
    private Promotion() {
    }

    /** The dtype a Java number gets when it stands alone: int64, float32 or bool. */
    public static DType wrappedType(Number v) {
        return (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal)
                ? DType.defaultFloat() : DType.INT64;
    }

    /** The result type of operands that are tensors or Java numbers. */
    public static DType resultType(Object... operands) {
        DType dim = null;
        DType zero = null;
        DType wrapped = null;
        for (Object o : operands) {
            if (o instanceof Tensor t) {
                if (t.dim() > 0) {
                    dim = dim == null ? t.dtype() : DType.promote(dim, t.dtype());
                } else {
                    zero = zero == null ? t.dtype() : DType.promote(zero, t.dtype());
                }
            } else if (o instanceof Boolean) {
                wrapped = wrapped == null ? DType.BOOL : DType.promote(wrapped, DType.BOOL);
            } else if (o instanceof Number n) {
                DType w = wrappedType(n);
                wrapped = wrapped == null ? w : DType.promote(wrapped, w);
            } else {
                throw new IllegalArgumentException("operand of type "
                        + (o == null ? "null" : o.getClass().getSimpleName()) + " is neither a tensor nor a number");
            }
        }
        return combine(dim, combine(zero, wrapped));
    }

    private static DType combine(DType higher, DType lower) {
        if (higher == null) {
            return lower;
        }
        if (lower == null || higher.isFloatingPoint()) {
            return higher;
        }
        if (higher == DType.BOOL || lower.isFloatingPoint()) {
            return DType.promote(higher, lower);
        }
        return higher;
    }
}
