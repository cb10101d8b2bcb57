package org.tessera.ops;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;

/** Builders for tensors from Java data and for filled, ranged and random sources. */
public final class Creation {
    private Creation() {
    }

    /** A constant node over a fresh contiguous buffer, filled by {@code writer}. */
    private static Tensor constant(Shape shape, DType dtype, java.util.function.LongConsumer writer) {
        Storage s = Storage.allocate(shape.numel() * dtype.byteSize(), "tensor " + shape + " " + dtype);
        writer.accept(s.address());
        Node n = Graph.node(Op.CONSTANT, shape, dtype, null);
        n.setData(s, 0, shape.contiguousStrides());
        return Tensor.of(n);
    }

    /** A tensor viewing existing storage (one reference taken over by the tensor). */
    public static Tensor fromStorage(Storage s, Shape shape, DType dtype, long offset, long[] strides) {
        Node n = Graph.node(Op.CONSTANT, shape, dtype, null);
        n.setData(s, offset, strides);
        return Tensor.of(n);
    }

    /**
     * A tensor from a Java number, boolean, array of any rank, or nested {@code List}s; the dtype
     * is inferred (integers int64, decimals float32, booleans bool) unless given.
     */
    public static Tensor tensor(Object data, DType requested) {
        if (data instanceof Tensor t) {
            return requested == null ? t.detach() : Elementwise.cast(t.detach(), requested);
        }
        List<Long> dims = new ArrayList<>();
        Object probe = data;
        while (probe != null && (probe.getClass().isArray() || probe instanceof List)) {
            int len = probe instanceof List<?> l ? l.size() : Array.getLength(probe);
            dims.add((long) len);
            if (len == 0) {
                probe = null;
                break;
            }
            probe = probe instanceof List<?> l ? l.get(0) : Array.get(probe, 0);
        }
        Shape shape = Shape.of(dims.stream().mapToLong(Long::longValue).toArray());
        if (shape.numel() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor: " + shape.numel() + " elements do not fit a Java array source");
        }
        int n = (int) shape.numel();
        // flatten, checking that every level is rectangular and noting which kinds of values occur
        double[] dv = new double[n];
        long[] lv = new long[n];
        boolean[] kinds = new boolean[3];
        flatten(data, dims, 0, new int[] {0}, dv, lv, kinds, new ArrayList<>());
        if (n == 0) {
            // no elements to infer from: a primitive array's type says it (new long[0] is int64, as
            // torch.from_numpy of an empty int64 array is)
            Class<?> c = data.getClass();
            while (c.isArray() && c.getComponentType().isArray()) {
                c = c.getComponentType();
            }
            Class<?> e = c.isArray() ? c.getComponentType() : null;
            kinds[0] = e == boolean.class;
            kinds[1] = e == long.class || e == int.class || e == short.class || e == byte.class;
        }
        DType inferred = kinds[2] ? DType.defaultFloat() : kinds[1] ? DType.INT64 : kinds[0] ? DType.BOOL
                : DType.defaultFloat();
        DType type = requested == null ? inferred : requested;
        if (type == DType.INT32 || type == DType.INT64) {
            for (int i = 0; i < n; i++) {
                // a decimal element is checked as written (NaN, infinities, beyond the range); an integer as a long
                Elementwise.storable("tensor", kinds[2] && (double) lv[i] != dv[i] ? (Number) dv[i] : (Number) lv[i], type);
            }
        }
        return constant(shape, type, addr -> write(addr, type, dv, lv, n));
    }

    /** Records one element: kinds[0] bool, kinds[1] integer, kinds[2] decimal. */
    private static void element(Object e, int i, double[] dv, long[] lv, boolean[] kinds, List<Integer> path) {
        if (e instanceof Boolean b) {
            dv[i] = b ? 1 : 0;
            lv[i] = b ? 1 : 0;
            kinds[0] = true;
        } else if (e instanceof Double || e instanceof Float || e instanceof java.math.BigDecimal) {
            dv[i] = ((Number) e).doubleValue();
            lv[i] = (long) dv[i];
            kinds[2] = true;
        } else if (e instanceof Number num) {
            lv[i] = num.longValue();
            dv[i] = lv[i];
            kinds[1] = true;
        } else {
            throw new IllegalArgumentException("tensor: element at " + path + " is "
                    + (e == null ? "null" : e.getClass().getSimpleName()) + "; expected a number or boolean");
        }
    }

    private static void flatten(Object o, List<Long> dims, int depth, int[] pos, double[] dv, long[] lv,
                                boolean[] kinds, List<Integer> path) {
        if (depth == dims.size()) {
            if (o != null && (o.getClass().isArray() || o instanceof List)) {
                throw new IllegalArgumentException("tensor: ragged nested data at " + path
                        + ": expected a scalar at depth " + depth);
            }
            element(o, pos[0]++, dv, lv, kinds, path);
            return;
        }
        if (o == null || !(o.getClass().isArray() || o instanceof List)) {
            throw new IllegalArgumentException("tensor: ragged nested data at " + path + ": expected a sequence of length "
                    + dims.get(depth) + ", got " + (o == null ? "null" : o.getClass().getSimpleName()));
        }
        int len = o instanceof List<?> l ? l.size() : Array.getLength(o);
        if (len != dims.get(depth)) {
            throw new IllegalArgumentException("tensor: ragged nested data at " + path + ": expected length "
                    + dims.get(depth) + ", got " + len);
        }
        if (depth == dims.size() - 1 && o.getClass().isArray() && o.getClass().getComponentType().isPrimitive()) {
            for (int i = 0; i < len; i++) {
                element(Array.get(o, i), pos[0]++, dv, lv, kinds, path);
            }
            return;
        }
        for (int i = 0; i < len; i++) {
            path.add(i);
            flatten(o instanceof List<?> l ? l.get(i) : Array.get(o, i), dims, depth + 1, pos, dv, lv, kinds, path);
            path.remove(path.size() - 1);
        }
    }

    private static void write(long addr, DType type, double[] dv, long[] lv, int n) {
        switch (type) {
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float) dv[i];
                Memory.putFloats(addr, f, 0, n);
            }
            case FLOAT64 -> Memory.putDoubles(addr, dv, 0, n);
            case INT64 -> Memory.putLongs(addr, lv, 0, n);
            case INT32 -> {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = (int) lv[i];
                Memory.putInts(addr, v, 0, n);
            }
            case BOOL -> {
                byte[] v = new byte[n];
                for (int i = 0; i < n; i++) v[i] = (byte) (dv[i] != 0 || lv[i] != 0 ? 1 : 0); // 0.5 is true
                Memory.putBytes(addr, v, 0, n);
            }
        }
    }

    /** float32 data with an explicit shape, copied once into off-heap memory. */
    public static Tensor fromArray(float[] data, long... shape) {
        Shape s = checked(data.length, shape);
        return constant(s, DType.FLOAT32, a -> Memory.putFloats(a, data, 0, data.length));
    }

    /** float64 data with an explicit shape. */
    public static Tensor fromArray(double[] data, long... shape) {
        Shape s = checked(data.length, shape);
        return constant(s, DType.FLOAT64, a -> Memory.putDoubles(a, data, 0, data.length));
    }

    /** int64 data with an explicit shape. */
    public static Tensor fromArray(long[] data, long... shape) {
        Shape s = checked(data.length, shape);
        return constant(s, DType.INT64, a -> Memory.putLongs(a, data, 0, data.length));
    }

    /** int32 data with an explicit shape. */
    public static Tensor fromArray(int[] data, long... shape) {
        Shape s = checked(data.length, shape);
        return constant(s, DType.INT32, a -> Memory.putInts(a, data, 0, data.length));
    }

    private static Shape checked(int length, long[] shape) {
        Shape s = shape.length == 0 ? Shape.of(length) : Shape.of(shape);
        if (s.numel() != length) {
            throw new IllegalArgumentException("fromArray: shape " + s + " holds " + s.numel()
                    + " elements but the array has " + length);
        }
        return s;
    }

    /** Every element {@code value}. */
    public static Tensor full(Shape shape, Number value, DType dtype) {
        checkSource("full", shape, dtype);
        return Elementwise.fill(dtype, shape, Elementwise.storable("full", value, dtype), null);
    }

    /**
     * Fails at the call when a source's values alone could never be held in memory (over the
     * allocator limit or the machine's physical memory), instead of when they are first read.
     */
    private static void checkSource(String op, Shape shape, DType dtype) {
        long bytes = Node.byteSize(op, shape, dtype);
        Memory.checkCanHold(bytes, op + " " + shape + " " + dtype);
    }

    /**
     * {@code start, start + step, …} below {@code end} (above, for a negative step). As in PyTorch,
     * an integer dtype takes start, end and step cut to integers (toward zero), and counts an int64
     * range in integers (exact above 2^53) and an int32 one from the values as given.
     */
    public static Tensor arange(Number start, Number end, Number step, DType requested) {
        double s = start.doubleValue();
        double e = end.doubleValue();
        double st = step.doubleValue();
        if (!Double.isFinite(s) || !Double.isFinite(e) || !Double.isFinite(st)) {
            throw new IllegalArgumentException("arange: start (" + start + "), end (" + end + ") and step (" + step
                    + ") must be finite");
        }
        DType type = requested != null ? requested
                : Promotion.resultType(start, end, step).isFloatingPoint() ? DType.defaultFloat() : DType.INT64;
        if (type == DType.BOOL) {
            throw new IllegalArgumentException("arange: not implemented for dtype bool (as in PyTorch); make an integer"
                    + " range and compare it, e.g. arange(n).gt(0)");
        }
        if (!type.isFloatingPoint()) {
            // cut toward zero, exact for integer types, an error beyond int64's range
            long xs = Elementwise.storable("arange", start, DType.INT64).longValue();
            long xe = Elementwise.storable("arange", end, DType.INT64).longValue();
            long xst = Elementwise.storable("arange", step, DType.INT64).longValue();
            if (xst == 0) {
                throw new IllegalArgumentException("arange: step must be nonzero (step " + step + " is 0 as an "
                        + type + ")");
            }
            if ((xst > 0 && xe < xs) || (xst < 0 && xe > xs)) {
                throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign:"
                        + " start " + start + ", end " + end + ", step " + step + " (as " + type + ": " + xs + ", " + xe
                        + ", " + xst + ")");
            }
            long count;
            if (type == DType.INT64) {
                java.math.BigInteger[] qr = java.math.BigInteger.valueOf(xe).subtract(java.math.BigInteger.valueOf(xs))
                        .divideAndRemainder(java.math.BigInteger.valueOf(xst));
                count = qr[0].add(qr[1].signum() != 0 ? java.math.BigInteger.ONE : java.math.BigInteger.ZERO)
                        .longValueExact();
            } else {
                count = Math.max(0, (long) Math.ceil((e - s) / st));
            }
            checkSource("arange", Shape.of(count), type);
            return Tensor.of(Graph.node(Op.ARANGE, Shape.of(count), type, new Attrs.Arange(s, st, 0, xs, xst)));
        }
        if (st == 0) {
            throw new IllegalArgumentException("arange: step must be nonzero");
        }
        if ((st > 0 && e < s) || (st < 0 && e > s)) {
            throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign: start "
                    + start + ", end " + end + ", step " + step);
        }
        long count = (long) Math.ceil((e - s) / st);
        checkSource("arange", Shape.of(count), type);
        return Tensor.of(Graph.node(Op.ARANGE, Shape.of(count), type, new Attrs.Arange(s, st)));
    }

    /** Uniform [0, 1) or standard normal values from {@code g}. */
    public static Tensor random(boolean normal, Generator g, Shape shape, DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException((normal ? "randn" : "rand") + ": dtype must be floating, got " + dtype);
        }
        checkSource(normal ? "randn" : "rand", shape, dtype);
        return Tensor.of(Graph.node(normal ? Op.RANDN : Op.RAND, shape, dtype, new Attrs.Random(g.seed(), g.nextStream())));
    }
}
