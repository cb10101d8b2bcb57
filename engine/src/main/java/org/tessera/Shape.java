package org.tessera;

import java.util.Arrays;

/**
 * The sizes of a tensor's dimensions; an immutable value.
 *
 * <p>Prints like PyTorch's {@code torch.Size} contents: {@code Shape.of(3, 4, 5)} prints
 * {@code [3, 4, 5]}; a 0-d (scalar) shape prints {@code []}.
 */
public final class Shape {
    private static final Shape SCALAR = new Shape(new long[0]);
    private final long[] dims;
    private final long numel;

    private Shape(long[] dims) {
        this.dims = dims;
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        this.numel = n;
    }

    /**
     * A shape with the given sizes; every size must be at least 0.
     *
     * <p>Example: {@code Shape.of(2, 3).numel()} is 6.
     */
    public static Shape of(long... dims) {
        if (dims.length == 0) {
            return SCALAR;
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("shape: dimension " + i + " is " + dims[i]
                        + " in " + Arrays.toString(dims) + "; sizes must be 0 or more");
            }
        }
        try {
            return new Shape(dims.clone());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape: " + Arrays.toString(dims)
                    + " has more than 2^63-1 elements");
        }
    }

    /** The shape of a 0-d tensor (a scalar). */
    public static Shape scalar() {
        return SCALAR;
    }

    /** The number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** The size of dimension {@code dim}; negative values count from the end. */
    public long get(int dim) {
        return dims[normalizeDim(dim, "shape.get")];
    }

    /** A copy of the sizes. */
    public long[] dims() {
        return dims.clone();
    }

    /** The product of the sizes (1 for a scalar). */
    public long numel() {
        return numel;
    }

    /** Row-major (C order) strides in elements. */
    /**
     * The strides under which memory laid out as {@code this} shape with {@code strides} reads as
     * {@code target} without moving (a reshape that is a view, as PyTorch's {@code view} allows), or
     * null when the reshape needs a copy. Dims are matched in runs that are contiguous in memory:
     * each run of the target must cover whole runs of the source.
     */
    public long[] viewStrides(long[] strides, Shape target) {
        long[] to = target.dims;
        if (numel() == 0 || dims.length == 0) {
            return target.contiguousStrides();
        }
        long[] out = new long[to.length];
        int t = to.length - 1;
        long runStride = strides[dims.length - 1];
        long runSize = 1;
        long covered = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            runSize *= dims[d];
            boolean runEnds = d == 0 || (dims[d - 1] != 1 && strides[d - 1] != runSize * runStride);
            if (runEnds) {
                while (t >= 0 && (covered < runSize || to[t] == 1)) {
                    out[t] = covered * runStride;
                    covered *= to[t];
                    t--;
                }
                if (covered != runSize) {
                    return null;
                }
                if (d > 0) {
                    runStride = strides[d - 1];
                    runSize = 1;
                    covered = 1;
                }
            }
        }
        return t == -1 ? out : null;
    }

    public long[] contiguousStrides() {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(dims[i], 1);
        }
        return s;
    }

    /**
     * Maps a possibly negative dimension index into {@code [0, rank)}, or throws naming the op.
     */
    public int normalizeDim(int dim, String op) {
        int r = dims.length;
        int lo = r == 0 ? -1 : -r;
        int hi = r == 0 ? 0 : r - 1;
        if (dim < lo || dim > hi) {
            throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for shape "
                    + this + " (rank " + r + "); expected a value in [" + lo + ", " + hi + "]");
        }
        return dim < 0 ? dim + Math.max(r, 1) : dim;
    }

    /**
     * The shape that both broadcast to, by NumPy/PyTorch rules, or an error naming the op.
     *
     * <p>Example: {@code broadcast("add", [3, 1], [1, 4])} is {@code [3, 4]}.
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        if (a.equals(b)) {
            return a;
        }
        int r = Math.max(a.rank(), b.rank());
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            long db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b
                        + " cannot be broadcast: dimension " + (i - r) + " is " + da + " vs " + db
                        + "; each pair of trailing sizes must be equal or one of them 1");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /** Whether a tensor of this shape can be broadcast to {@code target} without changing target. */
    public boolean broadcastsTo(Shape target) {
        if (rank() > target.rank()) {
            return false;
        }
        int off = target.rank() - rank();
        for (int i = 0; i < rank(); i++) {
            if (dims[i] != 1 && dims[i] != target.dims[i + off]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Prints like {@code [3, 4, 5]}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
