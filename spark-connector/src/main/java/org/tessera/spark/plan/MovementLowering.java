package org.tessera.spark.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.block.Block;

/**
 * Movement ops: reshape (size-1 dims, or whole rows when only the first dim is cut), permute
 * (re-keys blocks, never moves them), slice and its adjoint (block by block; chunks may become
 * empty). All of them are narrow.
 */
final class MovementLowering {
    private MovementLowering() {
    }

    static SparkValue lower(Lowerer l, Node n, String[] note) {
        SparkValue in = l.lower(n.input(0));
        if (in instanceof SparkValue.Local) {
            note[0] = "on the driver (local operand)";
            return l.computeLocally(n, List.of(in));
        }
        SparkValue.Distributed d = (SparkValue.Distributed) in;
        return switch (n.op()) {
            case RESHAPE -> reshape(l, d, n, note);
            case PERMUTE -> permute(l, d, ((Attrs.Permute) n.attrs()).perm(), note);
            case SLICE -> slice(l, d, n, (Attrs.Slice) n.attrs(), note);
            case SLICE_SCATTER -> sliceScatter(l, d, n, (Attrs.Slice) n.attrs(), note);
            default -> throw new IllegalStateException("not a movement op: " + n.op());
        };
    }

    /** Re-keys every block: new index and new data per block, same partition. */
    private static SparkValue.Distributed map(Lowerer l, SparkValue.Distributed d, Layout out, BlockMapper f) {
        if (l.dry) {
            return new SparkValue.Distributed(null, out, d.dtype());
        }
        boolean fail = l.settings.failFirstAttempt();
        JavaRDD<Block> rdd = d.rdd().mapPartitions(it -> {
            TaskSupport.begin(fail);
            List<Block> res = new ArrayList<>();
            it.forEachRemaining(b -> {
                Block out1 = f.apply(b);
                if (out1 != null) {
                    res.add(out1);
                }
            });
            return res.iterator();
        }, true);
        return new SparkValue.Distributed(rdd, out, d.dtype());
    }

    /** A per-block transformation shipped to executors; null drops the block. */
    @FunctionalInterface
    interface BlockMapper extends java.io.Serializable {
        Block apply(Block b);
    }

    private static SparkValue reshape(Lowerer l, SparkValue.Distributed d, Node n, String[] note) {
        long[] from = d.shape().dims();
        long[] to = n.shape().dims();
        if (to.length == 0 || n.shape().numel() == 0) {
            // a 0-d distributed value is a local value: its one element comes to the driver (an
            // empty one holds no data to move)
            note[0] = to.length == 0 ? "one element collected to the driver (0-d result)" : "empty result on the driver";
            return l.computeLocally(n, List.of(d));
        }
        BlockGrid g = d.layout().grid();
        // 1) only size-1 dims inserted or removed
        int[] map = unitMapping(from, to);
        if (map != null) {
            long[][] chunks = new long[to.length][];
            for (int k = 0; k < to.length; k++) {
                chunks[k] = new long[] {to[k]};
            }
            for (int j = 0; j < from.length; j++) {
                if (map[j] >= 0) {
                    chunks[map[j]] = g.chunks(j);
                }
            }
            BlockGrid og = BlockGrid.of(chunks);
            int pdim = map[d.layout().pdim()];
            boolean repartition = false;
            if (pdim < 0) {
                // the partition dim was a size-1 dim: its blocks are regrouped by a dim that is kept
                pdim = 0;
                for (int k = to.length - 1; k >= 0; k--) {
                    if (og.numChunks(k) > 1) {
                        pdim = k;
                    }
                }
                repartition = d.layout().partitions() > 1 || og.numChunks(pdim) > 1;
            }
            Layout out = new Layout(og, pdim);
            note[0] = "reshape by re-keying blocks (narrow)";
            SparkValue.Distributed r = map(l, d, out, b -> rekeyUnit(b, map, to.length, og));
            if (repartition) {
                // the blocks all sit in the single partition of the removed dim: spread them by dim 0
                note[0] = "reshape by re-keying blocks, then a shuffle to spread them over partitions";
                JavaRDD<Block> spread = l.dry ? null : Rdds.regroup(r.rdd(), og, out, d.dtype(),
                        l.settings.failFirstAttempt());
                r = new SparkValue.Distributed(spread, out, d.dtype());
            }
            return r;
        }
        // 2) whole rows: only dim 0 is cut, at boundaries that are whole rows of the result too
        long innerIn = 1;
        for (int k = 1; k < from.length; k++) {
            innerIn *= from[k];
        }
        long innerOut = 1;
        for (int k = 1; k < to.length; k++) {
            innerOut *= to[k];
        }
        if (from.length >= 1 && to.length >= 1 && innerIn > 0 && innerOut > 0) {
            if (!rowAligned(d.layout(), innerIn, innerOut)) {
                long unit = innerOut / gcd(innerIn, innerOut);
                long rowsPer = Math.max(unit, (g.chunk(0, 0) + unit - 1) / unit * unit);
                long[] block = from.clone();
                block[0] = rowsPer;
                d = l.rechunk(d, new Layout(BlockGrid.regular(d.shape(), block), 0));
                note[0] = "re-chunked to whole rows (shuffle), then ";
            } else {
                note[0] = "";
            }
            BlockGrid rg = d.layout().grid();
            long[] c = rg.chunks(0);
            long[] oc = new long[c.length];
            for (int i = 0; i < c.length; i++) {
                oc[i] = c[i] * innerIn / innerOut;
            }
            long[][] chunks = new long[to.length][];
            chunks[0] = oc;
            for (int k = 1; k < to.length; k++) {
                chunks[k] = new long[] {to[k]};
            }
            Layout out = new Layout(BlockGrid.of(chunks), 0);
            note[0] += "reshape of whole-row blocks (narrow)";
            long[] tail = Arrays.copyOfRange(to, 1, to.length);
            long inner = innerOut;
            return map(l, d, out, b -> {
                long[] s = new long[tail.length + 1];
                s[0] = b.data().numel() / inner;
                System.arraycopy(tail, 0, s, 1, tail.length);
                int[] idx = new int[s.length];
                idx[0] = b.index(0);
                return new Block(idx, b.data().reshape(s));
            });
        }
        throw new UnsupportedOperationException("reshape: cannot reshape the distributed tensor " + d.shape()
                + " cut by " + d.layout() + " to " + Shape.of(to) + "; distributed reshapes may only add or remove"
                + " size-1 dims, or regroup whole rows of a tensor cut along dim 0 only (re-chunk it first with"
                + " TesseraSession.rechunk)");
    }

    private static boolean rowAligned(Layout lay, long innerIn, long innerOut) {
        BlockGrid g = lay.grid();
        if (lay.pdim() != 0) {
            return false;
        }
        for (int k = 1; k < g.rank(); k++) {
            if (g.numChunks(k) != 1) {
                return false;
            }
        }
        for (int i = 0; i < g.numChunks(0); i++) {
            if ((g.offset(0, i) * innerIn) % innerOut != 0 || (g.chunk(0, i) * innerIn) % innerOut != 0) {
                return false;
            }
        }
        return true;
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** For each dim of {@code from}, its dim in {@code to} (-1 for dropped size-1 dims), or null. */
    static int[] unitMapping(long[] from, long[] to) {
        int[] map = new int[from.length];
        int k = 0;
        for (int j = 0; j < from.length; j++) {
            if (from[j] == 1) {
                map[j] = -1;
                continue;
            }
            while (k < to.length && to[k] == 1) {
                k++;
            }
            if (k >= to.length || to[k] != from[j]) {
                return null;
            }
            map[j] = k++;
        }
        while (k < to.length) {
            if (to[k++] != 1) {
                return null;
            }
        }
        // keep size-1 dims that survive in place when possible (so their chunk numbers stay 0)
        return map;
    }

    /** Re-keys a block for a reshape that drops or adds size-1 dims; empty chunks of dropped dims vanish. */
    private static Block rekeyUnit(Block b, int[] map, int rank, BlockGrid og) {
        long[] shape = b.data().shape().dims();
        for (int j = 0; j < map.length; j++) {
            if (map[j] < 0 && shape[j] == 0) {
                return null;
            }
        }
        return rekey(b, map, rank, og);
    }

    private static Block rekey(Block b, int[] map, int rank, BlockGrid og) {
        int[] idx = new int[rank];
        for (int j = 0; j < map.length; j++) {
            if (map[j] >= 0) {
                idx[map[j]] = b.index(j);
            }
        }
        return new Block(idx, b.data().reshape(og.blockShape(idx)));
    }

    /** Removes reduced size-1 dims (a reduction without keepDim). */
    static SparkValue.Distributed dropDims(SparkValue.Distributed d, int[] dims, boolean dry) {
        BlockGrid g = d.layout().grid();
        boolean[] drop = new boolean[g.rank()];
        for (int k : dims) {
            drop[k] = true;
        }
        int[] map = new int[g.rank()];
        List<long[]> chunks = new ArrayList<>();
        for (int j = 0; j < g.rank(); j++) {
            map[j] = drop[j] ? -1 : chunks.size();
            if (!drop[j]) {
                chunks.add(g.chunks(j));
            }
        }
        BlockGrid og = BlockGrid.of(chunks.toArray(new long[0][]));
        Layout out = new Layout(og, map[d.layout().pdim()]);
        if (dry) {
            return new SparkValue.Distributed(null, out, d.dtype());
        }
        int rank = chunks.size();
        JavaRDD<Block> rdd = d.rdd().map(b -> rekey(b, map, rank, og));
        return new SparkValue.Distributed(rdd, out, d.dtype());
    }

    private static SparkValue permute(Lowerer l, SparkValue.Distributed d, int[] perm, String[] note) {
        int pdim = -1;
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] == d.layout().pdim()) {
                pdim = i;
            }
        }
        Layout out = new Layout(d.layout().grid().permute(perm), pdim);
        note[0] = "permute by re-keying blocks (narrow, blocks stay in their partitions)";
        return map(l, d, out, b -> {
            int[] idx = new int[perm.length];
            int[] old = b.index();
            for (int i = 0; i < perm.length; i++) {
                idx[i] = old[perm[i]];
            }
            return new Block(idx, b.data().permute(perm));
        });
    }

    private static SparkValue slice(Lowerer l, SparkValue.Distributed d, Node n, Attrs.Slice s, String[] note) {
        BlockGrid g = d.layout().grid();
        int r = g.rank();
        long[] count = n.shape().dims();
        long[][] chunks = new long[r][];
        long[][] localStart = new long[r][];
        for (int k = 0; k < r; k++) {
            int m = g.numChunks(k);
            chunks[k] = new long[m];
            localStart[k] = new long[m];
            long st = s.starts()[k];
            long step = s.steps()[k];
            for (int i = 0; i < m; i++) {
                long o = g.offset(k, i);
                long e = o + g.chunk(k, i);
                long t0 = Math.max(0, ceilDiv(o - st, step));
                long t1 = Math.min(count[k], ceilDiv(e - st, step));
                chunks[k][i] = Math.max(0, t1 - t0);
                localStart[k][i] = chunks[k][i] == 0 ? 0 : st + step * t0 - o;
            }
        }
        // empty chunks of other dims are dropped (their blocks vanish); the partition dim keeps them
        int pd = d.layout().pdim();
        int[][] renumber = new int[r][];
        long[][] kept = new long[r][];
        for (int k = 0; k < r; k++) {
            renumber[k] = new int[chunks[k].length];
            List<Long> keep = new ArrayList<>();
            for (int i = 0; i < chunks[k].length; i++) {
                boolean drop = k != pd && chunks[k][i] == 0 && count[k] > 0;
                renumber[k][i] = drop ? -1 : keep.size();
                if (!drop) {
                    keep.add(chunks[k][i]);
                }
            }
            if (keep.isEmpty()) {
                keep.add(0L);
                renumber[k][0] = 0;
            }
            kept[k] = keep.stream().mapToLong(Long::longValue).toArray();
        }
        Layout out = new Layout(BlockGrid.of(kept), pd);
        note[0] = "slice block by block (narrow; blocks outside the slice are dropped)";
        long[] steps = s.steps();
        return map(l, d, out, b -> {
            int[] idx = b.index();
            int[] nidx = new int[r];
            long[] ls = new long[r];
            long[] shape = new long[r];
            for (int k = 0; k < r; k++) {
                nidx[k] = renumber[k][idx[k]];
                if (nidx[k] < 0) {
                    return null;
                }
                ls[k] = localStart[k][idx[k]];
                shape[k] = chunks[k][idx[k]];
            }
            Node v = Graph.nodeOn(Op.SLICE, Shape.of(shape), b.data().dtype(), Device.CPU,
                    new Attrs.Slice(ls, steps), b.data().node());
            return new Block(nidx, Tensor.of(v));
        });
    }

    private static SparkValue sliceScatter(Lowerer l, SparkValue.Distributed d, Node n, Attrs.Slice s,
                                           String[] note) {
        BlockGrid g = d.layout().grid();
        int r = g.rank();
        long[] full = n.shape().dims();
        long[][] chunks = new long[r][];
        long[][] localStart = new long[r][];
        for (int k = 0; k < r; k++) {
            int m = g.numChunks(k);
            long st = s.starts()[k];
            long step = s.steps()[k];
            long[] bounds = new long[m + 1];
            bounds[m] = full[k];
            long t = 0;
            for (int i = 0; i < m; i++) {
                bounds[i] = i == 0 ? 0 : Math.min(full[k], st + step * t);
                t += g.chunk(k, i);
            }
            chunks[k] = new long[m];
            localStart[k] = new long[m];
            long before = 0;
            for (int i = 0; i < m; i++) {
                chunks[k][i] = bounds[i + 1] - bounds[i];
                localStart[k][i] = g.chunk(k, i) == 0 ? 0 : st + step * before - bounds[i];
                before += g.chunk(k, i);
            }
        }
        Layout out = new Layout(BlockGrid.of(chunks), d.layout().pdim());
        note[0] = "slice scatter block by block (narrow)";
        long[] steps = s.steps();
        return map(l, d, out, b -> {
            int[] idx = b.index();
            long[] ls = new long[r];
            long[] shape = new long[r];
            for (int k = 0; k < r; k++) {
                ls[k] = localStart[k][idx[k]];
                shape[k] = chunks[k][idx[k]];
            }
            Node v = Graph.nodeOn(Op.SLICE_SCATTER, Shape.of(shape), b.data().dtype(), Device.CPU,
                    new Attrs.Slice(ls, steps), b.data().node());
            return new Block(idx, Tensor.of(v));
        });
    }

    private static long ceilDiv(long a, long b) {
        return Math.floorDiv(a + b - 1, b);
    }
}
