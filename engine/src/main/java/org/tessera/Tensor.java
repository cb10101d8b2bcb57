package org.tessera;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tessera.autograd.Autograd;
import org.tessera.autograd.GradMode;
import org.tessera.backend.Backend;
import org.tessera.backend.Backends;
import org.tessera.format.TensorFormatter;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Elementwise;
import org.tessera.ops.Indexing;
import org.tessera.ops.Linalg;
import org.tessera.ops.Movement;
import org.tessera.ops.Promotion;
import org.tessera.ops.Reductions;

/**
 * An n-dimensional array: an immutable handle on a node of the lazy op graph.
 *
 * <p>Ops check shapes and dtypes when called and return new tensors at once; values are
 * computed when needed ({@link #item()}, {@link #toFloatArray()}, {@link #toString()},
 * {@link #realize()}), chains of elementwise ops in one pass over memory. Create tensors with
 * the static functions of {@link Tessera}.
 *
 * <pre>{@code
 * Tensor x = Tessera.tensor(new float[][] {{1, 2}, {3, 4}});
 * x.add(1).mul(x).sum()          // tensor(34.)
 * }</pre>
 */
public final class Tensor {
    private final Node node;

    private Tensor(Node node) {
        this.node = node;
    }

    /** Wraps a graph node (for backends and extensions). */
    public static Tensor of(Node node) {
        return new Tensor(node);
    }

    /** The graph node behind this handle (for backends and extensions). */
    public Node node() {
        return node;
    }

    // ---------------------------------------------------------------- attributes

    /** The sizes of the dims, printing like {@code [3, 4, 5]}. */
    public Shape shape() {
        return node.shape();
    }

    /** The size of one dim; negative dims count from the end. */
    public long size(int dim) {
        return node.shape().get(dim);
    }

    /** The number of dims (0 for a scalar). */
    public int dim() {
        return node.shape().rank();
    }

    /** The number of elements. */
    public long numel() {
        return node.shape().numel();
    }

    /** The element type. */
    public DType dtype() {
        return node.dtype();
    }

    /** Where the data lives and ops on it run. */
    public Device device() {
        return node.device();
    }

    // ---------------------------------------------------------------- autograd

    /** Whether gradients are recorded for this tensor. */
    public boolean requiresGrad() {
        return node.requiresGrad();
    }

    /**
     * Marks a leaf tensor as needing gradients (PyTorch's {@code requires_grad_}); returns this.
     *
     * @throws IllegalArgumentException for a non-floating dtype
     * @throws IllegalStateException for a tensor with gradient history (computed from tensors that require grad)
     */
    public Tensor requiresGrad(boolean value) {
        if (value && !dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("requiresGrad: only tensors of floating dtype can require gradients, got "
                    + dtype());
        }
        if (!node.isLeaf()) {
            if (node.requiresGrad() && value) {
                return this; // already requires grad through its history (PyTorch: a no-op)
            }
            if (node.requiresGrad()) {
                throw new IllegalStateException("requiresGrad: only leaf tensors can be marked; this one is the result of "
                        + node.op() + " (use detach() first)");
            }
            node.markLeaf(); // computed without gradient history: a leaf, as in PyTorch
        }
        node.setRequiresGrad(value);
        return this;
    }

    /** Whether this tensor has no gradient history (created by the user, or by ops that need none). */
    public boolean isLeaf() {
        return node.isLeaf() || !node.requiresGrad();
    }

    /** The accumulated gradient, or null before any backward reached this leaf. */
    public Tensor grad() {
        Node g = node.grad();
        return g == null ? null : new Tensor(g);
    }

    /** Sets the accumulated gradient to zeros (keeping its shape), as {@code x.grad.zero_()}. */
    public void zeroGrad() {
        if (node.grad() != null) {
            node.setGrad(Tessera.zerosLike(this).node());
        }
    }

    /** Computes gradients of this one-element tensor with respect to every leaf that requires grad. */
    public void backward() {
        Autograd.backward(this, null);
    }

    /** Backward with an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient);
    }

    /** The same values with no gradient history. */
    public Tensor detach() {
        try (GradMode.NoGrad ignored = GradMode.disable()) {
            return new Tensor(Graph.node(Op.RESHAPE, shape(), dtype(), null, node));
        }
    }

    // ---------------------------------------------------------------- values

    /** Computes this tensor's data now (it is otherwise computed on first read); returns this. */
    public Tensor realize() {
        // whoever asks for a tensor's values holds it: its buffer is never given back early
        node.expose();
        if (!node.isRealized()) {
            Backends.forDevice(device()).realize(node);
        }
        return this;
    }

    /** The realized host node holding the values. */
    private Node host() {
        realize();
        Backend b = Backends.forDevice(device());
        return b.toHost(node);
    }

    /** Reads all elements in row-major order as doubles (exact for float32, float64, int32). */
    public double[] toDoubleArray() {
        double[] out = new double[checkedSize()];
        readContiguous(Tensor.of(host()).to(DType.FLOAT64).contiguous().host(), out);
        return out;
    }

    /** Reads all elements as floats. */
    public float[] toFloatArray() {
        float[] out = new float[checkedSize()];
        readContiguous(Tensor.of(host()).to(DType.FLOAT32).contiguous().host(), out);
        return out;
    }

    /** Reads all elements as longs (floats truncate toward zero, booleans are 0 or 1). */
    public long[] toLongArray() {
        long[] out = new long[checkedSize()];
        readContiguous(Tensor.of(host()).to(DType.INT64).contiguous().host(), out);
        return out;
    }

    /** Reads all elements as ints (int64 values outside the int range are refused). */
    public int[] toIntArray() {
        long[] l = toLongArray();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] != (int) l[i]) {
                throw new ArithmeticException("toIntArray: element " + i + " (" + l[i] + ") does not fit in an int");
            }
            out[i] = (int) l[i];
        }
        return out;
    }

    /** Reads all elements as booleans (non-zero is true). */
    public boolean[] toBooleanArray() {
        long[] l = Tensor.of(host()).ne(0).toLongArray();
        boolean[] out = new boolean[l.length];
        for (int i = 0; i < l.length; i++) {
            out[i] = l[i] != 0;
        }
        return out;
    }

    /**
     * The elements as nested Java arrays matching the rank: {@code float[][]} for a 2-D float32
     * tensor, {@code long[]} for 1-D int64, a boxed value for 0-d.
     */
    public Object toArray() {
        Object flat = switch (dtype()) {
            case FLOAT32 -> toFloatArray();
            case FLOAT64 -> toDoubleArray();
            case INT32 -> toIntArray();
            case INT64 -> toLongArray();
            case BOOL -> toBooleanArray();
        };
        if (dim() == 0) {
            return java.lang.reflect.Array.get(flat, 0);
        }
        return nest(flat, shape().dims(), 0, new int[] {0});
    }

    private static Object nest(Object flat, long[] dims, int depth, int[] pos) {
        Class<?> leaf = flat.getClass().getComponentType();
        int len = (int) dims[depth];
        if (depth == dims.length - 1) {
            Object row = java.lang.reflect.Array.newInstance(leaf, len);
            System.arraycopy(flat, pos[0], row, 0, len);
            pos[0] += len;
            return row;
        }
        int[] shape = new int[dims.length - depth];
        shape[0] = len;
        Object arr = java.lang.reflect.Array.newInstance(leaf, shape);
        for (int i = 0; i < len; i++) {
            java.lang.reflect.Array.set(arr, i, nest(flat, dims, depth + 1, pos));
        }
        return arr;
    }

    private int checkedSize() {
        if (numel() > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("export: " + numel() + " elements do not fit a Java array; read it in slices");
        }
        return (int) numel();
    }

    private static void readContiguous(Node h, Object out) {
        // pinned while read: a scope closed meanwhile by another thread frees the memory afterwards
        Storage s = h.storage().pin();
        try {
            s.checkMapped("read");
            long a = h.address();
            switch (h.dtype()) {
                case FLOAT32 -> Memory.getFloats(a, (float[]) out, 0, ((float[]) out).length);
                case FLOAT64 -> Memory.getDoubles(a, (double[]) out, 0, ((double[]) out).length);
                case INT64 -> Memory.getLongs(a, (long[]) out, 0, ((long[]) out).length);
                default -> throw new IllegalStateException("unexpected dtype " + h.dtype());
            }
        } catch (InternalError fault) {
            throw s.readFault("read", fault);
        } finally {
            s.unpin();
        }
    }

    /** The value of a one-element tensor as a double, as PyTorch's {@code item()}. */
    public double item() {
        checkOneElement("item");
        Node h = host();
        if (h.dtype() == DType.BOOL) {
            return toDoubleArray()[0];
        }
        Storage s = h.storage().pin();
        try {
            s.checkMapped("item");
            long a = h.address();
            // the one element read where it lies: no cast program, no copy
            return switch (h.dtype()) {
                case FLOAT32 -> Memory.getFloat(a);
                case FLOAT64 -> Memory.getDouble(a);
                case INT64 -> (double) Memory.getLong(a);
                case INT32 -> Memory.getInt(a);
                default -> throw new IllegalStateException("unexpected dtype " + h.dtype());
            };
        } catch (InternalError fault) {
            throw s.readFault("item", fault);
        } finally {
            s.unpin();
        }
    }

    /** The value of a one-element tensor as a long (exact for int64). */
    public long longItem() {
        checkOneElement("longItem");
        return toLongArray()[0];
    }

    /** The value of a one-element tensor as a boolean. */
    public boolean boolItem() {
        checkOneElement("boolItem");
        return toBooleanArray()[0];
    }

    private void checkOneElement(String op) {
        if (numel() != 1) {
            throw new IllegalArgumentException(op + ": a tensor with " + numel() + " elements (shape " + shape()
                    + ") cannot be converted to a scalar");
        }
    }

    /**
     * Writes one element in place, visible to every tensor and Arrow vector sharing this memory.
     * Only for realized tensors that own their data on the CPU, and not for a tensor whose memory is
     * read-only (a file mapped by {@code TensorFiles.load}): that throws {@link IllegalStateException}.
     */
    public Tensor set(Number value, long... index) {
        if (!device().equals(Device.CPU)) {
            throw new IllegalStateException("set: in-place writes need a CPU tensor, this one is on " + device());
        }
        if (requiresGrad() && GradMode.isEnabled()) {
            // as in PyTorch: allowed inside noGrad() (a parameter update), where backward's check
            // then refuses gradients that would read the written values
            throw new IllegalStateException("set: a tensor that requires grad cannot be written in place outside"
                    + " noGrad(); write it inside try (var g = Tessera.noGrad()) { ... }, as PyTorch's torch.no_grad()");
        }
        if (index.length != dim()) {
            throw new IllegalArgumentException("set: got " + index.length + " indices for a tensor of rank " + dim()
                    + " (shape " + shape() + ")");
        }
        Number v = org.tessera.ops.Elementwise.storable("set", value, dtype());
        realize();
        long off = node.offset();
        for (int i = 0; i < index.length; i++) {
            long size = shape().get(i);
            long p = index[i] < 0 ? index[i] + size : index[i];
            if (p < 0 || p >= size) {
                throw new IndexOutOfBoundsException("set: index " + index[i] + " is out of bounds for dimension " + i
                        + " with size " + size);
            }
            off += p * node.strides()[i];
        }
        Storage st = node.storage();
        st.checkWritable("set");
        st.wrote();
        st.pin();
        try {
            long a = st.address() + off * dtype().byteSize();
            switch (dtype()) {
                case FLOAT32 -> Memory.putFloat(a, v.floatValue());
                case FLOAT64 -> Memory.putDouble(a, v.doubleValue());
                case INT32 -> Memory.putInt(a, v.intValue());
                case INT64 -> Memory.putLong(a, v.longValue());
                case BOOL -> Memory.putByte(a, (byte) (v.longValue() != 0 ? 1 : 0));
            }
        } finally {
            st.unpin();
        }
        return this;
    }

    /**
     * A little-endian {@link java.nio.ByteBuffer} over this tensor's memory, shared: writes through
     * the buffer change the tensor and the reverse (as NumPy's {@code tensor.numpy()}). Realizes a
     * contiguous copy first when this tensor is a strided view; CPU only. For a tensor whose memory is
     * read-only (a file mapped by {@code TensorFiles.load}) the buffer is read-only.
     */
    public java.nio.ByteBuffer asByteBuffer() {
        if (!device().equals(Device.CPU)) {
            throw new IllegalStateException("asByteBuffer: the tensor is on " + device() + "; call cpu() first");
        }
        Tensor c = contiguous();
        Node n = c.node;
        return org.tessera.memory.NioBuffers.view(n.storage(), n.offset() * dtype().byteSize(),
                numel() * dtype().byteSize());
    }

    // ---------------------------------------------------------------- conversion

    /** This tensor as another dtype (itself when it already is). */
    public Tensor to(DType dtype) {
        return Elementwise.cast(this, dtype);
    }

    /** This tensor on another device (itself when it already is there). */
    public Tensor to(Device target) {
        if (target.equals(device())) {
            return this;
        }
        Backend to = Backends.forDevice(target);
        if (!to.isAvailable(target)) {
            throw new IllegalStateException("to: device " + target + " is not usable: " + to.unavailableReason(target));
        }
        Node hostNode = host();
        return new Tensor(to.fromHost(hostNode, target));
    }

    /** This tensor on the CPU. */
    public Tensor cpu() {
        return to(Device.CPU);
    }

    /** A row-major copy, or this tensor when it already is row-major. */
    public Tensor contiguous() {
        realize();
        if (node.storage() != null && node.isContiguous()) {
            return this;
        }
        return new Tensor(Graph.node(Op.CAST, shape(), dtype(), null, node)).realize();
    }

    // ---------------------------------------------------------------- elementwise

    /** {@code this + other}, broadcasting. Example: {@code [1, 2] + [[10], [20]]} is {@code [[11, 12], [21, 22]]}. */
    public Tensor add(Tensor other) {
        return Elementwise.binary(Op.ADD, this, other);
    }

    /** {@code this + value}. */
    public Tensor add(Number value) {
        return Elementwise.binary(Op.ADD, this, value);
    }

    /** {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return Elementwise.binary(Op.SUB, this, other);
    }

    /** {@code this - value}. */
    public Tensor sub(Number value) {
        return Elementwise.binary(Op.SUB, this, value);
    }

    /** {@code this * other}, broadcasting. */
    public Tensor mul(Tensor other) {
        return Elementwise.binary(Op.MUL, this, other);
    }

    /** {@code this * value}. */
    public Tensor mul(Number value) {
        return Elementwise.binary(Op.MUL, this, value);
    }

    /** True division {@code this / other} (integers give float32), broadcasting. */
    public Tensor div(Tensor other) {
        return Elementwise.binary(Op.DIV, this, other);
    }

    /** {@code this / value}. */
    public Tensor div(Number value) {
        return Elementwise.binary(Op.DIV, this, value);
    }

    /** {@code this ** exponent}, broadcasting. */
    public Tensor pow(Tensor exponent) {
        return Elementwise.binary(Op.POW, this, exponent);
    }

    /** {@code this ** exponent}; {@code x.pow(2)} of {@code [1, 2, 3]} is {@code [1, 4, 9]}. */
    public Tensor pow(Number exponent) {
        if (!Promotion.resultType(this, exponent).isFloatingPoint()) {
            Elementwise.storable("pow", exponent, Promotion.resultType(this, exponent)); // as PyTorch, no wrapping
        } else if (dtype() == DType.FLOAT32 && !exactInFloat32(exponent)) {
            // PyTorch raises float32 values to the exponent as a double: (-1) ** 16777217 is -1, not
            // (-1) ** 16777216 as the exponent rounded to float32 would give
            return to(DType.FLOAT64).pow(exponent).to(DType.FLOAT32);
        }
        if (exponent.doubleValue() == 2 && dtype() != DType.BOOL && (dtype().isFloatingPoint() || !(exponent instanceof Double
                || exponent instanceof Float))) {
            return Elementwise.binary(Op.MUL, this, this);
        }
        return Elementwise.binary(Op.POW, this, exponent);
    }

    private static boolean exactInFloat32(Number v) {
        if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
            double d = v.doubleValue();
            return Double.isNaN(d) || (double) (float) d == d;
        }
        long l = v.longValue();
        float f = l;
        return f != 0x1p63f && (long) f == l;
    }

    /** Elementwise maximum of two tensors (NaN propagates). */
    public Tensor maximum(Tensor other) {
        return Elementwise.binary(Op.MAXIMUM, this, other);
    }

    /** Elementwise minimum of two tensors (NaN propagates). */
    public Tensor minimum(Tensor other) {
        return Elementwise.binary(Op.MINIMUM, this, other);
    }

    /** {@code -this}. */
    public Tensor neg() {
        return Elementwise.unary(Op.NEG, this);
    }

    /** {@code |this|}. */
    public Tensor abs() {
        return Elementwise.unary(Op.ABS, this);
    }

    /** -1, 0 or 1 by sign. */
    public Tensor sign() {
        return Elementwise.unary(Op.SIGN, this);
    }

    /** e to the power of each element (integers give float32). */
    public Tensor exp() {
        return Elementwise.floating(Op.EXP, this);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return Elementwise.floating(Op.LOG, this);
    }

    /** Square root. */
    public Tensor sqrt() {
        return Elementwise.floating(Op.SQRT, this);
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return Elementwise.floating(Op.TANH, this);
    }

    /** Sine. */
    public Tensor sin() {
        return Elementwise.floating(Op.SIN, this);
    }

    /** Cosine. */
    public Tensor cos() {
        return Elementwise.floating(Op.COS, this);
    }

    /**
     * {@code max(this, 0)}, written as {@code where(x <= 0, 0, x)}: NaN stays NaN and the gradient
     * at 0 is 0, as in PyTorch.
     */
    public Tensor relu() {
        return Tessera.where(le(0), 0, this);
    }

    /**
     * {@code 1 / (1 + exp(-x))}, computed as that for {@code x >= 0} and as {@code exp(x) / (1 +
     * exp(x))} below 0, so that no exponential overflows: the value and the gradient stay finite for
     * large negative inputs (an overflowing {@code exp(-x)} made the gradient {@code inf * 0}, NaN).
     */
    public Tensor sigmoid() {
        Tensor x = dtype().isFloatingPoint() ? this : to(DType.defaultFloat());
        Tensor nonNegative = x.ge(0);
        Tensor t = Tessera.where(nonNegative, x.neg(), x).exp(); // exp(-|x|), at most 1
        Tensor den = t.add(1);
        return Tessera.where(nonNegative, Tessera.scalarLike(1, x).div(den), t.div(den));
    }

    /** {@code this * this} (a bool tensor squares to int64, as in PyTorch). */
    public Tensor square() {
        return dtype() == DType.BOOL ? pow(2) : mul(this);
    }

    /** {@code 1 / this}. */
    public Tensor reciprocal() {
        return Tessera.scalarLike(1, this).div(this);
    }

    /**
     * Limits values to {@code [min, max]}; either bound may be null. NaN stays NaN, and as in
     * PyTorch the gradient flows wherever {@code min <= x <= max}, bounds included.
     */
    public Tensor clamp(Number min, Number max) {
        if (min == null && max == null) {
            throw new IllegalArgumentException("clamp: at least one of min and max must be given");
        }
        // the result type of the tensor and its bounds, as PyTorch's (an int64 tensor clamped to 0.5 is float32)
        DType type = min == null ? Promotion.resultType(this, max) : max == null ? Promotion.resultType(this, min)
                : Promotion.resultType(this, min, max);
        Tensor r = type == dtype() ? this : to(type);
        for (Number bound : new Number[] {min, max}) {
            if (bound != null && type.isFloatingPoint() && Double.isNaN(bound.doubleValue())) {
                // a NaN bound makes every value NaN, and the gradient 0 (PyTorch's min(max(x, lo), hi))
                return Tessera.where(r.eq(r).logicalOr(r.ne(r)), Tessera.scalarLike(Double.NaN, r), r);
            }
        }
        if (min != null) {
            r = Tessera.where(r.lt(min), Tessera.scalarLike(Elementwise.storable("clamp", min, type), r), r);
        }
        if (max != null) {
            r = Tessera.where(r.gt(max), Tessera.scalarLike(Elementwise.storable("clamp", max, type), r), r);
        }
        return r;
    }

    /** Elementwise {@code ==}, giving bool. */
    public Tensor eq(Tensor other) {
        return Elementwise.compare(Op.EQ, this, other);
    }

    public Tensor eq(Number value) {
        return Elementwise.compare(Op.EQ, this, value);
    }

    /** Elementwise {@code !=}. */
    public Tensor ne(Tensor other) {
        return Elementwise.compare(Op.NE, this, other);
    }

    public Tensor ne(Number value) {
        return Elementwise.compare(Op.NE, this, value);
    }

    /** Elementwise {@code <}. */
    public Tensor lt(Tensor other) {
        return Elementwise.compare(Op.LT, this, other);
    }

    public Tensor lt(Number value) {
        return Elementwise.compare(Op.LT, this, value);
    }

    /** Elementwise {@code <=}. */
    public Tensor le(Tensor other) {
        return Elementwise.compare(Op.LE, this, other);
    }

    public Tensor le(Number value) {
        return Elementwise.compare(Op.LE, this, value);
    }

    /** Elementwise {@code >}; {@code x.gt(5)} is the mask of the tutorial's {@code x > 5}. */
    public Tensor gt(Tensor other) {
        return Elementwise.compare(Op.GT, this, other);
    }

    public Tensor gt(Number value) {
        return Elementwise.compare(Op.GT, this, value);
    }

    /** Elementwise {@code >=}. */
    public Tensor ge(Tensor other) {
        return Elementwise.compare(Op.GE, this, other);
    }

    public Tensor ge(Number value) {
        return Elementwise.compare(Op.GE, this, value);
    }

    /** Logical not (non-zero counts as true). */
    public Tensor logicalNot() {
        return Elementwise.not(this);
    }

    /** Logical and, broadcasting. */
    public Tensor logicalAnd(Tensor other) {
        return Elementwise.logical(Op.AND, this, other);
    }

    /** Logical or, broadcasting. */
    public Tensor logicalOr(Tensor other) {
        return Elementwise.logical(Op.OR, this, other);
    }

    /** {@code value} where {@code mask} is true, this tensor elsewhere (out of place). */
    public Tensor maskedFill(Tensor mask, Number value) {
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("maskedFill: the mask must be bool, got " + mask.dtype());
        }
        Shape.broadcast("maskedFill", mask.shape(), shape()); // both broadcast, as in PyTorch's out-of-place form
        return Tessera.where(mask, Tessera.scalarLike(org.tessera.ops.Elementwise.storable("maskedFill", value, dtype()), this), this);
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of all elements (0-d); integers and bools sum to int64. */
    public Tensor sum() {
        return Reductions.reduce(Op.SUM, this, null, false);
    }

    /** Sum over the given dims (all when none are given), dropping them. */
    public Tensor sum(int... dims) {
        return Reductions.reduce(Op.SUM, this, dims, false);
    }

    /** Sum over one dim, keeping it as size 1 when asked. */
    public Tensor sum(int dim, boolean keepDim) {
        return Reductions.reduce(Op.SUM, this, new int[] {dim}, keepDim);
    }

    /** Sum over dims, keeping them as size 1 when asked. */
    public Tensor sum(int[] dims, boolean keepDim) {
        return Reductions.reduce(Op.SUM, this, dims, keepDim);
    }

    /** Mean of all elements; the dtype must be floating. */
    public Tensor mean() {
        return Reductions.mean(this, null, false);
    }

    /** Mean over the given dims. */
    public Tensor mean(int... dims) {
        return Reductions.mean(this, dims, false);
    }

    /** Mean over one dim, keeping it when asked. */
    public Tensor mean(int dim, boolean keepDim) {
        return Reductions.mean(this, new int[] {dim}, keepDim);
    }

    /** Mean over dims, keeping them when asked. */
    public Tensor mean(int[] dims, boolean keepDim) {
        return Reductions.mean(this, dims, keepDim);
    }

    /** Product of all elements. */
    public Tensor prod() {
        return Reductions.reduce(Op.PROD, this, null, false);
    }

    /** Product over one dim. */
    public Tensor prod(int dim, boolean keepDim) {
        return Reductions.reduce(Op.PROD, this, new int[] {dim}, keepDim);
    }

    /** Product over dims. */
    public Tensor prod(int[] dims, boolean keepDim) {
        return Reductions.reduce(Op.PROD, this, dims, keepDim);
    }

    /** Largest element (0-d); NaN if any element is NaN. */
    public Tensor max() {
        return Reductions.reduce(Op.MAX, this, null, false);
    }

    /** Largest values along {@code dim} and their first indices, as {@code torch.max(x, dim)}. */
    public ValuesIndices max(int dim) {
        return max(dim, false);
    }

    /** As {@link #max(int)}, keeping the dim as size 1 when asked. */
    public ValuesIndices max(int dim, boolean keepDim) {
        return Reductions.extremeWithIndices(Op.MAX, this, dim, keepDim);
    }

    /** Largest values over several dims, without indices (PyTorch's {@code amax}). */
    public Tensor amax(int[] dims, boolean keepDim) {
        return Reductions.reduce(Op.MAX, this, dims, keepDim);
    }

    /** Smallest element (0-d). */
    public Tensor min() {
        return Reductions.reduce(Op.MIN, this, null, false);
    }

    /** Smallest values along {@code dim} and their first indices. */
    public ValuesIndices min(int dim) {
        return min(dim, false);
    }

    /** As {@link #min(int)}, keeping the dim when asked. */
    public ValuesIndices min(int dim, boolean keepDim) {
        return Reductions.extremeWithIndices(Op.MIN, this, dim, keepDim);
    }

    /** Smallest values over several dims, without indices. */
    public Tensor amin(int[] dims, boolean keepDim) {
        return Reductions.reduce(Op.MIN, this, dims, keepDim);
    }

    /** Index of the largest element of the flattened tensor. */
    public Tensor argmax() {
        return Reductions.arg(Op.ARGMAX, this, null, false);
    }

    /** Indices of the largest values along {@code dim}. */
    public Tensor argmax(int dim, boolean keepDim) {
        return Reductions.arg(Op.ARGMAX, this, dim, keepDim);
    }

    /** Index of the smallest element of the flattened tensor. */
    public Tensor argmin() {
        return Reductions.arg(Op.ARGMIN, this, null, false);
    }

    /** Indices of the smallest values along {@code dim}. */
    public Tensor argmin(int dim, boolean keepDim) {
        return Reductions.arg(Op.ARGMIN, this, dim, keepDim);
    }

    /** {@code exp(x - max) / sum(exp(x - max))} along {@code dim}. */
    public Tensor softmax(int dim) {
        shape().normalizeDim(dim, "softmax");
        Tensor x = dtype().isFloatingPoint() ? this : to(DType.defaultFloat());
        if (x.numel() == 0) {
            return x; // nothing to normalize (an empty dim has no maximum to shift by)
        }
        Tensor shifted = x.sub(x.amax(new int[] {dim}, true).detach());
        Tensor e = shifted.exp();
        return e.div(e.sum(dim, true));
    }

    /** {@code log(softmax(x))}, computed stably. */
    public Tensor logSoftmax(int dim) {
        shape().normalizeDim(dim, "log_softmax");
        Tensor x = dtype().isFloatingPoint() ? this : to(DType.defaultFloat());
        if (x.numel() == 0) {
            return x;
        }
        Tensor shifted = x.sub(x.amax(new int[] {dim}, true).detach());
        return shifted.sub(shifted.exp().sum(dim, true).log());
    }

    // ---------------------------------------------------------------- movement

    /** The same elements in a new shape; one size may be -1. A view when the data is row-major. */
    public Tensor reshape(long... shape) {
        return Movement.reshape(this, shape);
    }

    /** As {@link #reshape}, PyTorch's {@code view}. */
    public Tensor view(long... shape) {
        return Movement.reshape(this, shape);
    }

    /** All elements as one dim. */
    public Tensor flatten() {
        return Movement.reshape(this, -1);
    }

    /** Reorders dims (a view). Example: shape {@code [2, 3, 4]} permuted {@code (2, 0, 1)} is {@code [4, 2, 3]}. */
    public Tensor permute(int... dims) {
        return Movement.permute(this, dims);
    }

    /** Swaps two dims (a view). */
    public Tensor transpose(int dim0, int dim1) {
        return Movement.transpose(this, dim0, dim1);
    }

    /** Matrix transpose for 2-D; 0-D and 1-D tensors are returned as they are. */
    public Tensor t() {
        if (dim() > 2) {
            throw new IllegalArgumentException("t: expects a tensor with at most 2 dims, got shape " + shape()
                    + "; use transpose(dim0, dim1)");
        }
        return dim() < 2 ? this : Movement.transpose(this, 0, 1);
    }

    /** Broadcasts to a larger shape without copying; -1 keeps a size. */
    public Tensor expand(long... shape) {
        return Movement.expand(this, shape);
    }

    /** Broadcasts to another tensor's shape. */
    public Tensor expandAs(Tensor other) {
        return Movement.expand(this, other.shape().dims());
    }

    /** Removes every size-1 dim. */
    public Tensor squeeze() {
        return Movement.squeeze(this, null);
    }

    /** Removes {@code dim} if its size is 1. */
    public Tensor squeeze(int dim) {
        return Movement.squeeze(this, dim);
    }

    /** Inserts a size-1 dim at {@code dim}. */
    public Tensor unsqueeze(int dim) {
        return Movement.unsqueeze(this, dim);
    }

    // ---------------------------------------------------------------- indexing

    /** {@code x[i, j, …]}: each index selects along a leading dim (negative counts from the end). */
    public Tensor get(long... indices) {
        List<Index> items = new ArrayList<>();
        for (long i : indices) {
            items.add(Index.at(i));
        }
        return Indexing.index(this, items);
    }

    /** Python index syntax, as {@code x.get(":, 0")} for {@code x[:, 0]} or {@code x.get("1:, ::2")}. */
    public Tensor get(String spec) {
        return Indexing.index(this, Index.parse(spec));
    }

    /** Indexing with explicit items. */
    public Tensor get(Index... items) {
        return Indexing.index(this, Arrays.asList(items));
    }

    /** {@code x[mask]}: elements (or rows) where a bool mask is true; the mask is evaluated now. */
    public Tensor get(Tensor mask) {
        return Indexing.maskIndex(this, mask);
    }

    /** Elements where {@code mask} (broadcast) is true, as 1-D; the mask is evaluated now. */
    public Tensor maskedSelect(Tensor mask) {
        return Indexing.maskedSelect(this, mask);
    }

    /** {@code start:stop:step} along {@code dim}; null bounds mean the ends (a view). */
    public Tensor slice(int dim, Long start, Long stop, long step) {
        return Movement.slice(this, dim, start, stop, step);
    }

    /** {@code start:stop:step} along {@code dim} (a view). */
    public Tensor slice(int dim, long start, long stop, long step) {
        return Movement.slice(this, dim, start, stop, step);
    }

    /** The slice at {@code index} along {@code dim}, with that dim removed ({@code x[:, 0]} is {@code select(1, 0)}). */
    public Tensor select(int dim, long index) {
        int d = shape().normalizeDim(dim, "select");
        List<Index> items = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            items.add(Index.all());
        }
        items.add(Index.at(index));
        return Indexing.index(this, items);
    }

    /** {@code length} elements along {@code dim} from {@code start}. */
    public Tensor narrow(int dim, long start, long length) {
        long size = size(dim);
        if (start < 0 || length < 0 || start + length > size) {
            throw new IndexOutOfBoundsException("narrow: start " + start + " and length " + length
                    + " exceed dimension " + dim + " of size " + size);
        }
        return Movement.slice(this, dim, start, start + length, 1);
    }

    // ---------------------------------------------------------------- linear algebra

    /** Matrix product with PyTorch's 1-D, 2-D and batched rules (the tutorial's {@code @}). */
    public Tensor matmul(Tensor other) {
        return Linalg.matmul(this, other);
    }

    /** 2-D matrix product. */
    public Tensor mm(Tensor other) {
        if (dim() != 2 || other.dim() != 2) {
            throw new IllegalArgumentException("mm: both arguments must be 2-D, got " + shape() + " and " + other.shape());
        }
        return Linalg.matmul(this, other);
    }

    // ---------------------------------------------------------------- text

    /** PyTorch's format, computing the values if needed: {@code tensor([[1, 2],\n        [3, 4]])}. */
    @Override
    public String toString() {
        List<String> extra = new ArrayList<>();
        if (requiresGrad()) {
            if (node.isLeaf()) {
                extra.add("requires_grad=True");
            } else {
                String op = node.op().name();
                extra.add("grad_fn=<" + op.charAt(0) + op.substring(1).toLowerCase(java.util.Locale.ROOT).replace("_", "")
                        + "Backward>");
            }
        }
        String pending = Backends.forDevice(device()).pendingSummary(node);
        if (pending != null) {
            // printing never starts a computation that the program did not ask for
            extra.add(0, pending);
            return "tensor(<not computed>, " + String.join(", ", extra) + ")";
        }
        return TensorFormatter.format(host(), device(), extra);
    }

}
