package org.tessera.ops;

import java.util.Arrays;
import java.util.List;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Op;

/** Builders for reshape, permute, expand, slices and joins; views wherever the layout allows. */
public final class Movement {
    private Movement() {
    }

    /** Reshape, with one size allowed to be -1 (inferred). */
    public static Tensor reshape(Tensor x, long... sizes) {
        long[] dims = sizes.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: only one dimension can be -1, got "
                            + Arrays.toString(sizes));
                }
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException("reshape: invalid size " + dims[i] + " in " + Arrays.toString(sizes));
            } else {
                known *= dims[i];
            }
        }
        long numel = x.numel();
        if (infer >= 0) {
            if (known == 0 || numel % known != 0) {
                throw new IllegalArgumentException("reshape: shape " + Arrays.toString(sizes) + " is invalid for input of size "
                        + numel + " (shape " + x.shape() + ")");
            }
            dims[infer] = numel / known;
        }
        Shape target = Shape.of(dims);
        if (target.numel() != numel) {
            throw new IllegalArgumentException("reshape: shape " + target + " is invalid for input of size " + numel
                    + " (shape " + x.shape() + ")");
        }
        if (target.equals(x.shape())) {
            return x;
        }
        return Tensor.of(Graph.node(Op.RESHAPE, target, x.dtype(), null, x.node()));
    }

    /** Reorders dims: {@code perm[i]} is the input dim that becomes dim i. */
    public static Tensor permute(Tensor x, int... perm) {
        int r = x.dim();
        if (perm.length != r) {
            throw new IllegalArgumentException("permute: got " + perm.length + " dims " + Arrays.toString(perm)
                    + " for a tensor of rank " + r + " (shape " + x.shape() + ")");
        }
        int[] p = new int[r];
        boolean[] seen = new boolean[r];
        boolean identity = true;
        for (int i = 0; i < r; i++) {
            p[i] = x.shape().normalizeDim(perm[i], "permute");
            if (seen[p[i]]) {
                throw new IllegalArgumentException("permute: dim " + perm[i] + " repeats in " + Arrays.toString(perm));
            }
            seen[p[i]] = true;
            identity &= p[i] == i;
        }
        if (identity) {
            return x;
        }
        long[] dims = new long[r];
        for (int i = 0; i < r; i++) {
            dims[i] = x.shape().get(p[i]);
        }
        return Tensor.of(Graph.node(Op.PERMUTE, Shape.of(dims), x.dtype(), new Attrs.Permute(p), x.node()));
    }

    /** Swaps two dims. */
    public static Tensor transpose(Tensor x, int d0, int d1) {
        int r = x.dim();
        if (r < 2 && x.dim() == 0) {
            return x;
        }
        int a = x.shape().normalizeDim(d0, "transpose");
        int b = x.shape().normalizeDim(d1, "transpose");
        int[] p = new int[r];
        for (int i = 0; i < r; i++) {
            p[i] = i;
        }
        p[a] = b;
        p[b] = a;
        return permute(x, p);
    }

    /** Broadcasts to {@code sizes}; -1 keeps a size. A view: no data is copied. */
    public static Tensor expand(Tensor x, long... sizes) {
        Shape in = x.shape();
        if (sizes.length < in.rank()) {
            throw new IllegalArgumentException("expand: the number of sizes (" + sizes.length
                    + ") must be at least the tensor's rank (" + in.rank() + "); shape " + in + " to "
                    + Arrays.toString(sizes));
        }
        long[] dims = sizes.clone();
        int lead = sizes.length - in.rank();
        for (int i = 0; i < dims.length; i++) {
            if (i < lead) {
                if (dims[i] < 0) {
                    throw new IllegalArgumentException("expand: size -1 is not allowed for a new leading dim: "
                            + Arrays.toString(sizes));
                }
                continue;
            }
            long own = in.get(i - lead);
            if (dims[i] == -1) {
                dims[i] = own;
            } else if (own != 1 && own != dims[i]) {
                throw new IllegalArgumentException("expand: the size of dim " + i + " (" + own
                        + ") must match the requested " + dims[i] + " or be 1; shape " + in + " to "
                        + Arrays.toString(sizes));
            }
        }
        Shape target = Shape.of(dims);
        if (target.equals(in)) {
            return x;
        }
        return Tensor.of(Graph.node(Op.EXPAND, target, x.dtype(), null, x.node()));
    }

    /**
     * A strided view: per dim, {@code starts[i]} and {@code steps[i]} with {@code counts[i]}
     * elements (all already validated).
     */
    static Tensor slice(Tensor x, long[] starts, long[] steps, long[] counts) {
        boolean identity = true;
        for (int i = 0; i < starts.length; i++) {
            identity &= starts[i] == 0 && counts[i] == x.shape().get(i) && (steps[i] == 1 || counts[i] <= 1);
        }
        if (identity) {
            return x;
        }
        return Tensor.of(Graph.node(Op.SLICE, Shape.of(counts), x.dtype(), new Attrs.Slice(starts, steps), x.node()));
    }

    /**
     * Python-style {@code x[start:stop:step]} along one dim; start and stop may be negative or
     * null (the ends) and are clamped to the dim, the step must be positive.
     */
    public static Tensor slice(Tensor x, int dim, Long start, Long stop, long step) {
        int d = x.shape().normalizeDim(dim, "slice");
        long[] starts = new long[x.dim()];
        long[] steps = new long[x.dim()];
        long[] counts = x.shape().dims();
        Arrays.fill(steps, 1);
        long[] r = resolve(x.shape().get(d), start, stop, step, "slice");
        starts[d] = r[0];
        steps[d] = step;
        counts[d] = r[1];
        return slice(x, starts, steps, counts);
    }

    /** [start, count] of a Python slice on a dim of {@code size}. */
    static long[] resolve(long size, Long start, Long stop, long step, String op) {
        if (step <= 0) {
            throw new IllegalArgumentException(op + ": slice step must be positive, got " + step);
        }
        long s = start == null ? 0 : start < 0 ? Math.max(0, start + size) : Math.min(start, size);
        long e = stop == null ? size : stop < 0 ? Math.max(0, stop + size) : Math.min(stop, size);
        long count = e <= s ? 0 : (e - s + step - 1) / step;
        return new long[] {s, count};
    }

    /** Zeros of {@code shape} with {@code src} written at the slice given by starts and steps. */
    public static Tensor sliceScatter(Tensor src, Shape shape, long[] starts, long[] steps) {
        return Tensor.of(Graph.node(Op.SLICE_SCATTER, shape, src.dtype(), new Attrs.Slice(starts, steps), src.node()));
    }

    /** Joins tensors along an existing dim; all other sizes must agree. */
    public static Tensor cat(List<Tensor> xs, int dim) {
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("cat: expected a non-empty list of tensors");
        }
        Tensor first = xs.get(0);
        if (first.dim() == 0) {
            throw new IllegalArgumentException("cat: zero-dimensional tensor (shape []) cannot be concatenated;"
                    + " use stack or unsqueeze first");
        }
        int d = first.shape().normalizeDim(dim, "cat");
        Object[] typed = xs.toArray();
        org.tessera.DType type = Promotion.resultType(typed);
        long total = 0;
        org.tessera.graph.Node[] nodes = new org.tessera.graph.Node[xs.size()];
        for (int i = 0; i < xs.size(); i++) {
            Tensor t = xs.get(i);
            if (t.dim() != first.dim()) {
                throw new IllegalArgumentException("cat: tensors must have the same rank: " + first.shape()
                        + " (tensor 0) and " + t.shape() + " (tensor " + i + ")");
            }
            for (int k = 0; k < t.dim(); k++) {
                if (k != d && t.shape().get(k) != first.shape().get(k)) {
                    throw new IllegalArgumentException("cat: sizes must match except in dim " + d + ": "
                            + first.shape() + " (tensor 0) and " + t.shape() + " (tensor " + i + ") differ in dim " + k);
                }
            }
            total += t.shape().get(d);
            nodes[i] = Elementwise.cast(t, type).node();
        }
        if (xs.size() == 1) {
            return Elementwise.cast(first, type);
        }
        long[] dims = first.shape().dims();
        dims[d] = total;
        return Tensor.of(Graph.node(Op.CAT, Shape.of(dims), type, new Attrs.Cat(d), nodes));
    }

    /** Inserts a size-1 dim at {@code dim} (which may equal the rank). */
    public static Tensor unsqueeze(Tensor x, int dim) {
        int r = x.dim();
        if (dim < -(r + 1) || dim > r) {
            throw new IllegalArgumentException("unsqueeze: dimension " + dim + " is out of range for shape " + x.shape()
                    + "; expected a value in [" + (-(r + 1)) + ", " + r + "]");
        }
        int d = dim < 0 ? dim + r + 1 : dim;
        long[] dims = new long[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            dims[i] = i == d ? 1 : x.shape().get(j++);
        }
        return reshape(x, dims);
    }

    /** Removes size-1 dims (all, or only the given one if it has size 1). */
    public static Tensor squeeze(Tensor x, Integer dim) {
        long[] in = x.shape().dims();
        if (dim != null) {
            if (x.dim() == 0) {
                return x;
            }
            int d = x.shape().normalizeDim(dim, "squeeze");
            if (in[d] != 1) {
                return x;
            }
            long[] out = new long[in.length - 1];
            for (int i = 0, j = 0; i < in.length; i++) {
                if (i != d) {
                    out[j++] = in[i];
                }
            }
            return reshape(x, out);
        }
        return reshape(x, Arrays.stream(in).filter(v -> v != 1).toArray());
    }
}
