package org.tessera.ops;

import java.util.Arrays;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.ValuesIndices;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/** Builders for sum, prod, max, min, argmax, argmin and the compositions on them. */
public final class Reductions {
    private Reductions() {
    }

    /** Sorted, distinct, non-negative dims; an empty array means every dim. */
    static int[] normalize(Tensor x, int[] dims, String op) {
        if (dims == null || dims.length == 0) {
            int[] all = new int[x.dim()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] d = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            d[i] = x.shape().normalizeDim(dims[i], op);
        }
        Arrays.sort(d);
        for (int i = 1; i < d.length; i++) {
            if (d[i] == d[i - 1]) {
                throw new IllegalArgumentException(op + ": dim " + d[i] + " appears more than once in "
                        + Arrays.toString(dims));
            }
        }
        if (x.dim() == 0) {
            return new int[0];
        }
        return d;
    }

    /** The output shape of reducing {@code dims} of {@code in}. */
    static Shape reducedShape(Shape in, int[] dims, boolean keepDim) {
        long[] s = in.dims();
        boolean[] red = new boolean[s.length];
        for (int d : dims) {
            red[d] = true;
        }
        long[] out = new long[keepDim ? s.length : s.length - dims.length];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (red[i]) {
                if (keepDim) {
                    out[j++] = 1;
                }
            } else {
                out[j++] = s[i];
            }
        }
        return Shape.of(out);
    }

    /** A primitive reduction node. */
    public static Tensor reduce(Op op, Tensor x, int[] dims, boolean keepDim) {
        return reduce(op, x, dims, keepDim, false);
    }

    /**
     * The values of {@code max(dim)} / {@code min(dim)}: as {@link #reduce}, but the gradient
     * goes to the index that argmax/argmin returns, as in PyTorch.
     */
    public static Tensor extremeAlong(Op op, Tensor x, int dim) {
        return reduce(op, x, new int[] {dim}, true, true);
    }

    private static Tensor reduce(Op op, Tensor x, int[] dims, boolean keepDim, boolean toFirstIndex) {
        String name = Elementwise.name(op);
        int[] d = normalize(x, dims, name);
        DType out = switch (op) {
            case SUM, PROD -> x.dtype().isFloatingPoint() ? x.dtype() : DType.INT64;
            case ARGMAX, ARGMIN -> DType.INT64;
            default -> x.dtype();
        };
        if (op != Op.SUM && op != Op.PROD) {
            for (int k : d) {
                if (x.shape().get(k) == 0) {
                    throw new IllegalArgumentException(name + ": cannot reduce dim " + k + " of size 0 (shape "
                            + x.shape() + "): the operation has no identity");
                }
            }
            if (x.numel() == 0 && d.length == 0) {
                throw new IllegalArgumentException(name + ": cannot reduce an empty tensor (shape " + x.shape() + ")");
            }
        }
        Tensor in = (op == Op.SUM || op == Op.PROD) && out != x.dtype() ? Elementwise.cast(x, out) : x;
        Shape shape = reducedShape(x.shape(), d, keepDim);
        return Tensor.of(Graph.node(op, shape, out, new Attrs.Reduce(d, keepDim, toFirstIndex), in.node()));
    }

    /**
     * {@code max(dim)} / {@code min(dim)}: the extremes along {@code dim} and their first indices,
     * linked so that a backend may compute both in one pass over the input.
     */
    public static ValuesIndices extremeWithIndices(Op op, Tensor x, int dim, boolean keepDim) {
        Tensor values = extremeAlong(op, x, dim);
        Tensor indices = arg(op == Op.MAX ? Op.ARGMAX : Op.ARGMIN, x, dim, keepDim);
        if (values.node().input(0) == indices.node().input(0)) {
            Node.pair(values.node(), indices.node());
        }
        return new ValuesIndices(keepDim ? values : values.squeeze(dim), indices);
    }

    /** Index of the max (min) along {@code dim}, or over the flattened tensor when dim is null. */
    public static Tensor arg(Op op, Tensor x, Integer dim, boolean keepDim) {
        if (dim == null) {
            Tensor flat = Movement.reshape(x, -1);
            Tensor r = reduce(op, flat, new int[] {0}, false);
            return keepDim ? Movement.reshape(r, onesLike(x.dim())) : r;
        }
        if (x.dim() == 0) {
            return reduce(op, Movement.reshape(x, 1), new int[] {0}, false);
        }
        return reduce(op, x, new int[] {dim}, keepDim);
    }

    private static long[] onesLike(int rank) {
        long[] o = new long[rank];
        Arrays.fill(o, 1);
        return o;
    }

    /** Mean over dims; the input must be floating, as in PyTorch. */
    public static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean: input dtype must be floating point, got " + x.dtype()
                    + "; convert with to(DType.FLOAT32)");
        }
        int[] d = normalize(x, dims, "mean");
        long count = 1;
        for (int k : d) {
            count *= x.shape().get(k);
        }
        return reduce(Op.SUM, x, d, keepDim).div((double) count);
    }
}
