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
     * ARANGE: element {@code i} is {@code start + (first + i) * step} ({@code intStart + (first + i) *
     * intStep} in an integer dtype: start and step cut toward zero, as PyTorch does, and exact as
     * longs): a part of a longer range
     * (a block of a distributed one) starts at element {@code first} of it, with the same values.
     */
    public record Arange(double start, double step, long first, long intStart, long intStep)
            implements java.io.Serializable {
        /** The range from its element 0 (an integer range takes start and step cut toward zero). */
        public Arange(double start, double step) {
            this(start, step, 0, (long) start, (long) step);
        }

        /** The same range from its element {@code first} (a block of it). */
        public Arange from(long first) {
            return new Arange(start, step, first, intStart, intStep);
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
