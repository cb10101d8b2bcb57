package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.graph.Node;

/**
 * Maps the linear (row-major) index of an iteration shape to addresses of a strided,
 * possibly broadcast, view, and moves tiles through that map.
 *
 * <p>Adjacent dims that step through memory evenly are merged first, so a contiguous view
 * becomes one run and a broadcast scalar a run of stride 0.
 */
final class Strided {
    final long base;
    final DType dtype;
    private final long[] shape;
    private final long[] stridesBytes;
    private final int rank;

    private Strided(long base, DType dtype, long[] shape, long[] strides) {
        this.base = base;
        this.dtype = dtype;
        int es = dtype.byteSize();
        // merge dims d, d+1 when stride[d] == stride[d+1] * shape[d+1]; drop size-1 dims
        long[] ms = new long[shape.length];
        long[] mt = new long[shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (r > 0 && mt[r - 1] == strides[d] * shape[d]) {
                ms[r - 1] *= shape[d];
                mt[r - 1] = strides[d];
            } else {
                ms[r] = shape[d];
                mt[r] = strides[d];
                r++;
            }
        }
        if (r == 0) {
            this.shape = new long[] {1};
            this.stridesBytes = new long[] {0};
            this.rank = 1;
            return;
        }
        this.shape = java.util.Arrays.copyOf(ms, r);
        this.stridesBytes = new long[r];
        for (int i = 0; i < r; i++) {
            stridesBytes[i] = mt[i] * es;
        }
        this.rank = r;
    }

    /** The realized local node viewed through {@code iter}, to which its shape broadcasts. */
    static Strided of(Node n, Shape iter) {
        return broadcast(n.address(), n.dtype(), n.shape(), n.strides(), iter);
    }

    /** A view with explicit strides broadcast to {@code iter}. */
    static Strided broadcast(long address, DType t, Shape own, long[] strides, Shape iter) {
        return new Strided(address, t, iter.dims(), broadcastStrides(own, strides, iter));
    }

    /** The strides of a view of shape {@code own} broadcast to {@code iter} (0 along broadcast dims). */
    private static long[] broadcastStrides(Shape own, long[] strides, Shape iter) {
        int r = iter.rank();
        long[] st = new long[r];
        int off = r - own.rank();
        for (int i = 0; i < own.rank(); i++) {
            st[i + off] = own.get(i) == 1 && iter.get(i + off) != 1 ? 0 : strides[i];
        }
        return st;
    }

    /**
     * A view broadcast to {@code iter} and iterated with {@code iter}'s dims in the order
     * {@code perm} (dim {@code perm[k]} of {@code iter} becomes the k-th dim); null keeps
     * row-major order.
     */
    static Strided permuted(long address, DType t, Shape own, long[] strides, Shape iter, int[] perm) {
        if (perm == null) {
            return broadcast(address, t, own, strides, iter);
        }
        int r = iter.rank();
        long[] it = iter.dims();
        long[] st = broadcastStrides(own, strides, iter);
        long[] ps = new long[r];
        long[] pst = new long[r];
        for (int k = 0; k < r; k++) {
            ps[k] = it[perm[k]];
            pst[k] = st[perm[k]];
        }
        return new Strided(address, t, ps, pst);
    }

    /** A contiguous row-major buffer of {@code shape}. */
    static Strided contiguous(long address, DType t, Shape shape) {
        return new Strided(address, t, new long[] {Math.max(shape.numel(), 1)},
                new long[] {1});
    }

    /** Whether the whole view is one run of consecutive elements. */
    boolean isContiguous() {
        return rank == 1 && stridesBytes[0] == dtype.byteSize();
    }

    /** Loads elements {@code [start, start + n)} of the iteration into {@code tile[0..n)}. */
    void load(long start, int n, Object tile) {
        if (rank == 1) {
            Runs.read(dtype, base + start * stridesBytes[0], stridesBytes[0], n, tile, 0);
            return;
        }
        long[] idx = unravel(start);
        int done = 0;
        while (done < n) {
            int run = (int) Math.min(n - done, shape[rank - 1] - idx[rank - 1]);
            Runs.read(dtype, address(idx), stridesBytes[rank - 1], run, tile, done);
            done += run;
            advance(idx, run);
        }
    }

    /** Stores {@code tile[0..n)} to elements {@code [start, start + n)} of the iteration. */
    void store(long start, int n, Object tile) {
        if (rank == 1) {
            Runs.write(dtype, base + start * stridesBytes[0], stridesBytes[0], n, tile, 0);
            return;
        }
        long[] idx = unravel(start);
        int done = 0;
        while (done < n) {
            int run = (int) Math.min(n - done, shape[rank - 1] - idx[rank - 1]);
            Runs.write(dtype, address(idx), stridesBytes[rank - 1], run, tile, done);
            done += run;
            advance(idx, run);
        }
    }

    /** Receives one run of consecutive iteration elements found by {@link #forEachRun}. */
    interface RunVisitor {
        /**
         * A run of {@code len} elements whose first lies {@code element} elements past the base, the
         * next ones {@code step} elements apart, going to {@code tileOffset} onwards in the tile.
         */
        void run(long element, long step, int len, int tileOffset);
    }

    /**
     * Visits elements {@code [start, start + n)} of the iteration as runs, in order, by their
     * distance from the base in elements: for a view with the strides of a contiguous array these
     * are the linear indices of the elements the iteration reads.
     */
    void forEachRun(long start, int n, RunVisitor visitor) {
        int es = dtype.byteSize();
        if (rank == 1) {
            visitor.run(start * stridesBytes[0] / es, stridesBytes[0] / es, n, 0);
            return;
        }
        long[] idx = unravel(start);
        int done = 0;
        while (done < n) {
            int run = (int) Math.min(n - done, shape[rank - 1] - idx[rank - 1]);
            visitor.run((address(idx) - base) / es, stridesBytes[rank - 1] / es, run, done);
            done += run;
            advance(idx, run);
        }
    }

    private long[] unravel(long linear) {
        long[] idx = new long[rank];
        for (int d = rank - 1; d >= 0; d--) {
            idx[d] = linear % shape[d];
            linear /= shape[d];
        }
        return idx;
    }

    private long address(long[] idx) {
        long a = base;
        for (int d = 0; d < rank; d++) {
            a += idx[d] * stridesBytes[d];
        }
        return a;
    }

    private void advance(long[] idx, long by) {
        idx[rank - 1] += by;
        for (int d = rank - 1; d > 0 && idx[d] >= shape[d]; d--) {
            idx[d - 1] += idx[d] / shape[d];
            idx[d] %= shape[d];
        }
    }
}
