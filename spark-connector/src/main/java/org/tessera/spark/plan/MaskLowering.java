package org.tessera.spark.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.Blocks;
import org.tessera.spark.memory.ExecutorMemory;

/**
 * Boolean-mask selection and its adjoint. Each partition (a slab of whole rows, row-major) selects
 * its own elements; the 1-D result has one chunk per partition, whose sizes are known once the
 * selection has run (it is cached, so that job is not repeated).
 */
final class MaskLowering {
    private MaskLowering() {
    }

    static SparkValue lower(Lowerer l, Node n, String[] note) {
        SparkValue values = l.lower(n.input(0));
        SparkValue mask = l.lower(n.input(1));
        if (values instanceof SparkValue.Local && mask instanceof SparkValue.Local) {
            note[0] = "on the driver (local operands)";
            return l.computeLocally(n, List.of(values, mask));
        }
        return n.op() == Op.MASKED_SELECT ? select(l, n, values, mask, note) : scatter(l, n, values, mask, note);
    }

    /** The value as a distributed tensor partitioned by dim 0 with whole other dims' chunks kept. */
    private static SparkValue.Distributed rows(Lowerer l, SparkValue v, Layout like) {
        if (v instanceof SparkValue.Distributed d) {
            Layout target = like != null ? like : new Layout(d.layout().grid(), 0);
            return l.rechunk(d, target);
        }
        Layout lay = like != null ? like : l.defaultLayout(v.shape(), v.dtype());
        return l.distribute((SparkValue.Local) v, lay);
    }

    private static BlockGrid slabGrid(BlockGrid g, int p) {
        return g.withChunks(0, new long[] {g.chunk(0, p)});
    }

    private static Tensor slab(List<Block> blocks, BlockGrid g, int p, DType t) {
        BlockGrid sg = slabGrid(g, p);
        List<Block> moved = new ArrayList<>();
        for (Block b : blocks) {
            int[] idx = b.index();
            idx[0] = 0;
            moved.add(b.withIndex(idx));
        }
        return Blocks.assemble(sg, t, moved);
    }

    private static SparkValue select(Lowerer l, Node n, SparkValue values, SparkValue mask, String[] note) {
        SparkValue.Distributed m = rows(l, mask instanceof SparkValue.Distributed ? mask : values, null);
        Layout lay = m.layout();
        SparkValue.Distributed md = rows(l, mask, lay);
        SparkValue.Distributed vd = rows(l, values, lay);
        note[0] = "masked select per row slab (narrow; chunk sizes counted by the same cached job)";
        if (l.dry) {
            return new SparkValue.Distributed(null, new Layout(BlockGrid.of(new long[] {n.shape().get(0)}), 0),
                    n.dtype());
        }
        boolean fail = l.settings.failFirstAttempt();
        DType t = n.dtype();
        BlockGrid g = lay.grid();
        JavaRDD<Block> rdd = Rdds.zip(l.sc, List.of(vd.rdd(), md.rdd()), lay.partitions()).mapPartitionsWithIndex(
                (p, it) -> {
                    TaskSupport.begin(fail);
                    List<List<Block>> in = it.next();
                    Tensor v = slab(in.get(0), g, p, t);
                    Tensor mk = slab(in.get(1), g, p, DType.BOOL);
                    long count = mk.to(DType.INT64).sum().longItem();
                    Node s = Graph.nodeOn(Op.MASKED_SELECT, Shape.of(count), t, Device.CPU, null, v.node(), mk.node());
                    return Collections.singletonList(new Block(new int[] {p}, Tensor.of(s))).iterator();
                }, true).persist(ExecutorMemory.blockLevel("MEMORY_AND_DISK", l.sc.getConf()));
        List<Long> counts = rdd.map(b -> b.data().numel()).collect();
        long[] chunks = counts.stream().mapToLong(Long::longValue).toArray();
        long total = java.util.Arrays.stream(chunks).sum();
        if (total != n.shape().get(0)) {
            throw new IllegalStateException("masked select: the mask selected " + total + " elements but "
                    + n.shape().get(0) + " were counted when the op was built; was the mask recomputed differently?");
        }
        return new SparkValue.Distributed(rdd, new Layout(BlockGrid.of(chunks), 0), t);
    }

    private static SparkValue scatter(Lowerer l, Node n, SparkValue values, SparkValue mask, String[] note) {
        SparkValue.Distributed md = rows(l, mask, null);
        Layout lay = md.layout();
        note[0] = "masked scatter per row slab (narrow after a count of the mask per partition)";
        if (l.dry) {
            return new SparkValue.Distributed(null, lay, n.dtype());
        }
        List<Long> counts = md.rdd().map(b -> b.data().to(DType.INT64).sum().longItem()).collect();
        long[] perPartition = new long[lay.partitions()];
        // blocks come back in partition order; add each partition's blocks
        List<Integer> parts = md.rdd().map(b -> b.index(0)).collect();
        for (int i = 0; i < counts.size(); i++) {
            perPartition[parts.get(i)] += counts.get(i);
        }
        Layout valuesLayout = new Layout(BlockGrid.of(perPartition), 0);
        SparkValue.Distributed vd = rows(l, values, valuesLayout);
        boolean fail = l.settings.failFirstAttempt();
        DType t = n.dtype();
        BlockGrid g = lay.grid();
        JavaRDD<Block> rdd = Rdds.zip(l.sc, List.of(vd.rdd(), md.rdd()), lay.partitions()).mapPartitionsWithIndex(
                (p, it) -> {
                    TaskSupport.begin(fail);
                    List<List<Block>> in = it.next();
                    Tensor mk = slab(in.get(1), g, p, DType.BOOL);
                    Tensor v = in.get(0).get(0).data();
                    Node s = Graph.nodeOn(Op.MASKED_SCATTER, mk.shape(), t, Device.CPU, null, v.node(), mk.node());
                    Tensor full = Tensor.of(s).realize();
                    List<Block> res = new ArrayList<>();
                    for (int[] idx : lay.blocksOf(p)) {
                        long[] start = g.blockStart(idx);
                        start[0] = 0;
                        res.add(new Block(idx, Blocks.region(full, start, g.blockShape(idx))));
                    }
                    return res.iterator();
                }, true);
        return new SparkValue.Distributed(rdd, lay, t);
    }
}
