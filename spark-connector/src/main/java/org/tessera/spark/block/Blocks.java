package org.tessera.spark.block;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;
import org.tessera.spark.BlockGrid;

/** Cutting local tensors into blocks and putting blocks back together, on off-heap memory. */
public final class Blocks {
    /** Orders blocks by their index, row-major. */
    public static final Comparator<Block> BY_INDEX = (a, b) -> java.util.Arrays.compare(a.index(), b.index());

    private Blocks() {
    }

    /** A view of {@code t} at {@code start} with {@code size} elements per dim (no copy). */
    public static Tensor region(Tensor t, long[] start, long[] size) {
        Tensor r = t;
        for (int d = 0; d < start.length; d++) {
            if (start[d] != 0 || size[d] != t.shape().get(d)) {
                r = r.slice(d, start[d], start[d] + size[d], 1);
            }
        }
        return r;
    }

    /** A new zero-filled contiguous CPU tensor. */
    public static Tensor zeros(long[] shape, DType dtype) {
        Shape s = Shape.of(shape);
        Storage st = Storage.allocateZeroed(s.numel() * dtype.byteSize(), "zeros " + s + " " + dtype);
        return Creation.fromStorage(st, s, dtype, 0, s.contiguousStrides());
    }

    /** Copies the contiguous {@code src} into the contiguous {@code dst} at {@code offset}. */
    public static void copyInto(Tensor src, Tensor dst, long[] offset) {
        Tensor s = src.realize().contiguous();
        if (s.numel() == 0) {
            return;
        }
        // pinned while copied: a contiguous copy of a view is referenced by nothing else, and a
        // collection during the loop would otherwise hand its memory to another tensor
        Storage srcPin = s.node().storage().pin();
        Storage dstPin = dst.node().storage().pin();
        try {
            copyPinned(s, dst, offset);
        } finally {
            srcPin.unpin();
            dstPin.unpin();
        }
    }

    private static void copyPinned(Tensor s, Tensor dst, long[] offset) {
        long srcAddr = s.node().address();
        long dstAddr = dst.node().address();
        long[] ss = s.shape().dims();
        long[] ds = dst.shape().dims();
        int r = ss.length;
        int es = s.dtype().byteSize();
        if (r == 0) {
            Memory.copy(srcAddr, dstAddr, es);
            return;
        }
        long[] dstStrides = dst.shape().contiguousStrides();
        // the longest suffix of dims that is whole in both: copy it as one run
        int k = r - 1;
        long run = ss[r - 1];
        while (k > 0 && ss[k] == ds[k] && offset[k] == 0) {
            k--;
            run *= ss[k];
        }
        // iterate over dims [0, k)
        long outer = 1;
        for (int d = 0; d < k; d++) {
            outer *= ss[d];
        }
        long[] idx = new long[k];
        long base = 0;
        for (int d = 0; d < r; d++) {
            base += offset[d] * dstStrides[d];
        }
        for (long o = 0; o < outer; o++) {
            long dOff = base;
            for (int d = 0; d < k; d++) {
                dOff += idx[d] * dstStrides[d];
            }
            Memory.copy(srcAddr + o * run * es, dstAddr + dOff * es, run * es);
            for (int d = k - 1; d >= 0; d--) {
                if (++idx[d] < ss[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    /** One contiguous CPU tensor of the grid's shape from its blocks (every block must be present). */
    public static Tensor assemble(BlockGrid grid, DType dtype, Iterable<Block> blocks) {
        Tensor out = zeros(grid.shape().dims(), dtype);
        for (Block b : blocks) {
            copyInto(b.data(), out, grid.blockStart(b.index()));
        }
        return out;
    }

    /** The blocks of an iterator, sorted by index. */
    public static List<Block> sorted(Iterator<Block> it) {
        List<Block> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        l.sort(BY_INDEX);
        return l;
    }
}
