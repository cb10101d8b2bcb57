package org.tessera.ops;

import java.util.Locale;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/** Builders for elementwise primitives: type promotion, broadcasting, casts. */
public final class Elementwise {
    private Elementwise() {
    }

    static String name(Op op) {
        return op.name().toLowerCase(Locale.ROOT);
    }

    /** {@code t} as {@code dtype} (itself when it already is). */
    public static Tensor cast(Tensor t, DType dtype) {
        if (t.dtype() == dtype) {
            return t;
        }
        Node n = t.node();
        if (n.op() == Op.FILL && !n.isRealized() && !t.requiresGrad()) {
            // a constant cast is a constant (a leaf that requires grad is cast by a node autograd sees)
            return fill(dtype, t.shape(), ((Attrs.Fill) n.attrs()).value(), t);
        }
        return Tensor.of(Graph.node(Op.CAST, t.shape(), dtype, null, n));
    }

    /** A 0-d or broadcast constant; on the device of {@code like} when given. */
    static Tensor fill(DType dtype, Shape shape, Number value, Tensor like) {
        Number v = convert(value, dtype);
        if (like == null) {
            return Tensor.of(Graph.node(Op.FILL, shape, dtype, new Attrs.Fill(v)));
        }
        return Tensor.of(Graph.nodeOn(Op.FILL, shape, dtype, like.device(), new Attrs.Fill(v)));
    }

    /** The value as it would be stored in {@code dtype}. */
    static Number convert(Number v, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> v.floatValue();
            case FLOAT64 -> v.doubleValue();
            case INT32 -> (int) toLong(v);
            case INT64 -> toLong(v);
            case BOOL -> v.doubleValue() != 0 ? 1L : 0L;
        };
    }

    /**
     * {@code v} as it will be stored in an element of {@code dtype}, or an error naming {@code op}
     * when it does not fit: a creation or a write refuses what PyTorch refuses ("value cannot be
     * converted to type int32 without overflow"): an integer dtype gets no NaN, infinity or value
     * out of its range (a fraction is truncated toward zero), float32 no finite value beyond its
     * largest. Arithmetic with a scalar operand ({@link #scalar}) converts as the dtype's arithmetic
     * does, without this check.
     */
    public static Number storable(String op, Number v, DType dtype) {
        boolean fits = switch (dtype) {
            case FLOAT64, BOOL -> true;
            case FLOAT32 -> {
                double d = v.doubleValue();
                yield !Double.isFinite(d) || !Float.isInfinite((float) d);
            }
            case INT32 -> inRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case INT64 -> inRange(v, Long.MIN_VALUE, Long.MAX_VALUE);
        };
        if (!fits) {
            throw new IllegalArgumentException(op + ": value " + v + " cannot be converted to " + dtype
                    + " without overflow");
        }
        return convert(v, dtype);
    }

    private static boolean inRange(Number v, long min, long max) {
        if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
            double d = v.doubleValue();
            // the bounds of int32 are exact doubles; int64's upper one is not: 2^63 is the first double above it
            return max == Long.MAX_VALUE ? d >= 0x1p63 * -1 && d < 0x1p63 : d >= min && d <= max;
        }
        if (v instanceof java.math.BigInteger b) {
            return b.bitLength() <= 63 && b.longValue() >= min && b.longValue() <= max;
        }
        long l = v.longValue();
        return l >= min && l <= max;
    }

    private static long toLong(Number v) {
        return (v instanceof Double || v instanceof Float) ? (long) v.doubleValue() : v.longValue();
    }

    /** A Java number as a 0-d operand of {@code dtype} on the device of {@code like}. */
    public static Tensor scalar(Number v, DType dtype, Tensor like) {
        return fill(dtype, Shape.scalar(), v, like);
    }

    /** Unary ops that keep integers (neg, abs, sign). */
    public static Tensor unary(Op op, Tensor x) {
        if (op == Op.NEG && x.dtype() == DType.BOOL) {
            throw new IllegalArgumentException("neg: negation of a bool tensor is not supported; use logicalNot()");
        }
        return Tensor.of(Graph.node(op, x.shape(), x.dtype(), null, x.node()));
    }

    /** Unary ops whose result is floating: integer inputs become float32 first. */
    public static Tensor floating(Op op, Tensor x) {
        Tensor in = x.dtype().isFloatingPoint() ? x : cast(x, DType.defaultFloat());
        return Tensor.of(Graph.node(op, in.shape(), in.dtype(), null, in.node()));
    }

    /** Logical not of a bool tensor (other types compare with zero first). */
    public static Tensor not(Tensor x) {
        Tensor b = x.dtype() == DType.BOOL ? x : compare(Op.NE, x, 0);
        return Tensor.of(Graph.node(Op.NOT, b.shape(), DType.BOOL, null, b.node()));
    }

    private static Tensor operand(Object o, DType dtype, Tensor like) {
        if (o instanceof Tensor t) {
            return cast(t, dtype);
        }
        if (o instanceof Boolean b) {
            return scalar(b ? 1 : 0, dtype, like);
        }
        return scalar((Number) o, dtype, like);
    }

    /** Arithmetic ({@code add, sub, mul, div, pow, maximum, minimum}) of tensors or numbers. */
    public static Tensor binary(Op op, Object a, Object b) {
        Tensor like = a instanceof Tensor t ? t : (Tensor) b;
        if (op == Op.SUB && (isBool(a) || isBool(b))) {
            // as in PyTorch: subtracting booleans has no meaning that promotion would get right
            throw new IllegalArgumentException("sub: subtraction with a bool operand is not supported (got "
                    + describe(a) + " - " + describe(b) + "); to invert a mask use logicalNot(), or convert"
                    + " with to(DType.INT64) first");
        }
        DType type = Promotion.resultType(a, b);
        if (op == Op.DIV && !type.isFloatingPoint()) {
            type = DType.defaultFloat();
        }
        if (type == DType.BOOL && op != Op.MAXIMUM && op != Op.MINIMUM && op != Op.MUL) {
            if (op == Op.ADD) {
                return logical(Op.OR, a, b);
            }
            throw new IllegalArgumentException(name(op) + ": not supported for bool tensors; convert with to(DType.INT64)"
                    + " or use logicalAnd/logicalOr");
        }
        if (op == Op.POW && !type.isFloatingPoint() && b instanceof Number n && n.longValue() < 0
                && !(n instanceof Double || n instanceof Float)) {
            throw new IllegalArgumentException("pow: integers to negative integer powers are not allowed: exponent "
                    + n + " on a " + type + " tensor; use a float tensor");
        }
        Tensor x = operand(a, type, like);
        Tensor y = operand(b, type, like);
        Shape shape = Shape.broadcast(name(op), x.shape(), y.shape());
        return Tensor.of(Graph.node(op, shape, type, null, x.node(), y.node()));
    }

    private static boolean isBool(Object o) {
        return o instanceof Boolean || (o instanceof Tensor t && t.dtype() == DType.BOOL);
    }

    private static String describe(Object o) {
        return o instanceof Tensor t ? t.dtype() + " " + t.shape() : String.valueOf(o);
    }

    /** Comparisons ({@code eq, ne, lt, le, gt, ge}); the result is bool. */
    public static Tensor compare(Op op, Object a, Object b) {
        Tensor like = a instanceof Tensor t ? t : (Tensor) b;
        DType type = Promotion.resultType(a, b);
        Tensor x = operand(a, type, like);
        Tensor y = operand(b, type, like);
        Shape shape = Shape.broadcast(name(op), x.shape(), y.shape());
        return Tensor.of(Graph.node(op, shape, DType.BOOL, null, x.node(), y.node()));
    }

    /** Logical and/or; non-bool inputs count as true when non-zero. */
    public static Tensor logical(Op op, Object a, Object b) {
        Tensor like = a instanceof Tensor t ? t : (Tensor) b;
        Tensor x = a instanceof Tensor t ? (t.dtype() == DType.BOOL ? t : compare(Op.NE, t, 0))
                : operand(a, DType.BOOL, like);
        Tensor y = b instanceof Tensor t ? (t.dtype() == DType.BOOL ? t : compare(Op.NE, t, 0))
                : operand(b, DType.BOOL, like);
        Shape shape = Shape.broadcast(name(op), x.shape(), y.shape());
        return Tensor.of(Graph.node(op, shape, DType.BOOL, null, x.node(), y.node()));
    }

    /** {@code cond ? a : b}, elementwise with broadcasting; {@code cond} must be bool. */
    public static Tensor where(Tensor cond, Object a, Object b) {
        if (cond.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where: the condition must be a bool tensor, got " + cond.dtype()
                    + "; build it with a comparison such as x.gt(0)");
        }
        DType type = Promotion.resultType(a, b);
        // a number that the result type cannot hold is an error, as in PyTorch (not wrapped, as arithmetic is)
        Tensor x = operand(a instanceof Number n ? storable("where", n, type) : a, type, cond);
        Tensor y = operand(b instanceof Number n ? storable("where", n, type) : b, type, cond);
        Shape shape = Shape.broadcast("where", Shape.broadcast("where", cond.shape(), x.shape()), y.shape());
        return Tensor.of(Graph.node(Op.WHERE, shape, type, null, cond.node(), x.node(), y.node()));
    }
}
