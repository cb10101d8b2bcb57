package org.tessera.spark.plan;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Attrs;
import org.tessera.graph.Node;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.Blocks;

/**
 * Concatenation ({@code cat}, and {@code stack} through it) of distributed and local tensors
 * along any dim, the partition dim included.
 *
 * <p>Every input is first cut like the first distributed input on every dim but the joined one
 * (a re-chunk only where it is cut otherwise; local inputs are distributed so), so the result's
 * grid along the joined dim is the inputs' chunks one after another and each block only changes
 * its index there. Along the partition dim the inputs' partitions follow one another (a union);
 * along any other dim partition {@code p} of every input becomes partition {@code p} of the
 * result (zipped). Both are narrow: no data moves between executors.
 */
final class CatLowering {
    private CatLowering() {
    }

    static SparkValue lower(Lowerer l, Node n, String[] note) {
        int k = ((Attrs.Cat) n.attrs()).dim();
        List<SparkValue> in = new ArrayList<>();
        SparkValue.Distributed ref = null;
        for (Node i : n.inputs()) {
            SparkValue v = l.lower(i);
            in.add(v);
            if (ref == null && v instanceof SparkValue.Distributed d) {
                ref = d;
            }
        }
        if (ref == null || n.shape().get(k) == 0) {
            note[0] = "on the driver (local or empty operands)";
            return l.computeLocally(n, in);
        }
        BlockGrid rg = ref.layout().grid();
        int pdim = ref.layout().pdim();
        int rank = n.shape().rank();
        long joinBlock = 1;
        for (long c : rg.chunks(k)) {
            joinBlock = Math.max(joinBlock, c);
        }
        List<SparkValue.Distributed> parts = new ArrayList<>();
        List<long[]> joined = new ArrayList<>();
        boolean moved = false;
        for (SparkValue v : in) {
            Shape s = v.shape();
            if (s.get(k) == 0 && in.size() > 1) {
                continue; // contributes nothing; an empty chunk would only split the grid
            }
            long[][] chunks = new long[rank][];
            for (int d = 0; d < rank; d++) {
                chunks[d] = d == k ? ownChunks(v, k, joinBlock) : rg.chunks(d);
            }
            Layout target = new Layout(BlockGrid.of(chunks), pdim);
            SparkValue.Distributed part;
            if (v instanceof SparkValue.Distributed d) {
                moved |= !d.layout().equals(target);
                part = l.rechunk(d, target);
            } else {
                SparkValue.Local loc = (SparkValue.Local) v;
                part = l.distribute(loc, target);
            }
            parts.add(part);
            joined.add(chunks[k]);
        }
        long[][] out = new long[rank][];
        for (int d = 0; d < rank; d++) {
            if (d == k) {
                out[d] = concat(joined);
            } else {
                out[d] = rg.chunks(d);
            }
        }
        Layout layout = new Layout(BlockGrid.of(out), pdim);
        l.settings.checkBlocks(layout, n.dtype(), "cat");
        note[0] = (moved ? "inputs re-cut to a common grid, then " : "") + "cat along dim " + k
                + (k == pdim ? " (partitions appended, narrow)" : " (partitions zipped, narrow)");
        if (l.dry) {
            return new SparkValue.Distributed(null, layout, n.dtype());
        }
        boolean fail = l.settings.failFirstAttempt();
        List<JavaRDD<Block>> shifted = new ArrayList<>();
        // parts joined along the partition dim are appended by a union, which merges (rather than
        // appends) partitions of RDDs that share a partitioner (two parts re-cut by the same shuffle):
        // their shifted blocks must drop it; parts zipped side by side keep theirs
        boolean keepPartitioner = k != pdim;
        int offset = 0;
        for (int i = 0; i < parts.size(); i++) {
            int off = offset;
            int dim = k;
            shifted.add(parts.get(i).rdd().mapPartitions(it -> {
                TaskSupport.begin(fail);
                List<Block> res = new ArrayList<>();
                it.forEachRemaining(b -> {
                    int[] idx = b.index();
                    idx[dim] += off;
                    res.add(new Block(idx, b.data()));
                });
                return res.iterator();
            }, keepPartitioner));
            offset += joined.get(i).length;
        }
        JavaRDD<Block> rdd = shifted.get(0);
        for (int i = 1; i < shifted.size(); i++) {
            rdd = k == pdim ? rdd.union(shifted.get(i)) : rdd.zipPartitions(shifted.get(i), CatLowering::both);
        }
        return new SparkValue.Distributed(rdd, layout, n.dtype());
    }

    /** The input's chunks along the joined dim: its own when distributed, else regular ones. */
    private static long[] ownChunks(SparkValue v, int k, long block) {
        if (v instanceof SparkValue.Distributed d) {
            return d.layout().grid().chunks(k);
        }
        return BlockGrid.regularChunks(v.shape().get(k), block);
    }

    private static long[] concat(List<long[]> parts) {
        int n = 0;
        for (long[] p : parts) {
            n += p.length;
        }
        long[] r = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, r, at, p.length);
            at += p.length;
        }
        return r;
    }

    private static Iterator<Block> both(Iterator<Block> a, Iterator<Block> b) {
        List<Block> l = Blocks.sorted(a);
        b.forEachRemaining(l::add);
        l.sort(Blocks.BY_INDEX);
        return l.iterator();
    }
}
