package org.tessera.graph;

import java.util.Arrays;

/**
 * Parameters of primitive nodes, one small immutable record per op family.
 *
 * <p>Every record is {@link java.io.Serializable} so that a distributed backend can ship the
 * parameters of an op to the machines that compute its blocks.
 */
public final class Attrs {
    private Attrs() {
    }

    /** FILL: the value, kept as a {@code Number} so that int64 values stay exact. */
    public record Fill(Number value) implements java.io.Serializable {
    }

    /**
     * ARANGE: element {@code i} is {@code start + (first + i) * step} ({@code (long) start + (first
     * + i) * (long) step} in an integer dtype, as PyTorch truncates both): a part of a longer range
     * (a block of a distributed one) starts at element {@code first} of it, with the same values.
     */
    public record Arange(double start, double step, long first) implements java.io.Serializable {
        /** The range from its element 0. */
        public Arange(double start, double step) {
            this(start, step, 0);
        }
    }

    /** RAND and RANDN: the generator's seed and the stream drawn for this call. */
    public record Random(long seed, long stream) implements java.io.Serializable {
    }

    /**
     * Reductions: the reduced dims (sorted, non-negative), whether they are kept as size 1, and
     * for MAX/MIN whether the gradient goes to the first extreme index only (PyTorch's
     * {@code max(dim)}) rather than being shared among ties ({@code max()}, {@code amax}).
     */
    public record Reduce(int[] dims, boolean keepDim, boolean toFirstIndex) implements java.io.Serializable {
        /** A reduction whose MAX/MIN gradient is shared among ties. */
        public Reduce(int[] dims, boolean keepDim) {
            this(dims, keepDim, false);
        }

        @Override
        public String toString() {
            return "dims=" + Arrays.toString(dims) + ", keepDim=" + keepDim + (toFirstIndex ? ", toFirstIndex" : "");
        }
    }

    /** PERMUTE: the new order of the input's dims. */
    public record Permute(int[] perm) implements java.io.Serializable {
    }

    /** SLICE and SLICE_SCATTER: first index and step per dim. */
    public record Slice(long[] starts, long[] steps) implements java.io.Serializable {
    }

    /** CAT: the dim to join along. */
    public record Cat(int dim) implements java.io.Serializable {
    }
}
