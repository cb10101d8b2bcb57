package org.tessera.backend.cuda;

import java.util.Arrays;
import org.tessera.Shape;
import org.tessera.graph.Node;

/**
 * Index geometry for kernels: strides of an input broadcast to an output shape, and the
 * merging of dims that every operand walks contiguously, so that kernels do fewer divisions
 * and ranks above the kernels' limit still run when their layout allows.
 */
final class Geometry {
    /** The most dims a kernel accepts ({@code TS_MAX_RANK} in common.cuh). */
    static final int MAX_RANK = 8;

    private Geometry() {
    }

    /** The strides with which {@code in} (of shape {@code inShape}) is read at each index of {@code out}. */
    static long[] broadcastStrides(Shape inShape, long[] inStrides, Shape out) {
        int r = out.rank();
        int lead = r - inShape.rank();
        long[] s = new long[r];
        for (int i = 0; i < inShape.rank(); i++) {
            s[i + lead] = inShape.get(i) == 1 && out.get(i + lead) != 1 ? 0 : inStrides[i];
        }
        return s;
    }

    /** A shape with per-operand strides, after merging. */
    record Merged(long[] shape, long[][] strides) {
        int rank() {
            return shape.length;
        }
    }

    /**
     * Drops dims of size 1 and merges dim d into d+1 wherever every operand has
     * {@code stride[d] == stride[d + 1] * shape[d + 1]}.
     */
    static Merged merge(long[] shape, long[]... strides) {
        int ops = strides.length;
        long[] sh = new long[shape.length];
        long[][] st = new long[ops][shape.length];
        int r = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (r > 0) {
                boolean ok = true;
                for (int o = 0; o < ops && ok; o++) {
                    ok = st[o][r - 1] == strides[o][d] * shape[d];
                }
                if (ok) {
                    sh[r - 1] *= shape[d];
                    for (int o = 0; o < ops; o++) {
                        st[o][r - 1] = strides[o][d];
                    }
                    continue;
                }
            }
            sh[r] = shape[d];
            for (int o = 0; o < ops; o++) {
                st[o][r] = strides[o][d];
            }
            r++;
        }
        long[][] outStrides = new long[ops][];
        for (int o = 0; o < ops; o++) {
            outStrides[o] = Arrays.copyOf(st[o], r);
        }
        return new Merged(Arrays.copyOf(sh, r), outStrides);
    }

    /** Throws a clear error when a merged geometry is still beyond the kernels' rank limit. */
    static void checkRank(Merged m, String op, Node n) {
        if (m.rank() > MAX_RANK) {
            throw new UnsupportedOperationException(op + " on cuda: " + n.shape() + " needs " + m.rank()
                    + " dims of strided indexing after merging contiguous dims; the CUDA kernels handle at most "
                    + MAX_RANK + " (make the inputs contiguous first)");
        }
    }

    /** Row-major strides of a shape given as dims. */
    static long[] contiguous(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** {@code words[at..]} = {@code values}, padded with zeros to {@code MAX_RANK}. */
    static void put(long[] words, int at, long[] values) {
        System.arraycopy(values, 0, words, at, values.length);
    }
}
