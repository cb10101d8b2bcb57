package org.tessera.spark.plan;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.Blocks;

/**
 * Reductions: each block is reduced where it lives, blocks of one partition are combined there,
 * and, when the partition dim is reduced, partitions are combined as a tree to the driver (never
 * all on one reducer) or, for a result above the broadcast threshold, by a shuffle into a
 * distributed result partitioned along a kept dim.
 */
final class ReduceLowering {
    private ReduceLowering() {
    }

    static SparkValue lower(Lowerer l, Node n, String[] note) {
        Attrs.Reduce attrs = (Attrs.Reduce) n.attrs();
        int[] dims = attrs.dims();
        Op op = n.op();
        boolean arg = op == Op.ARGMAX || op == Op.ARGMIN;
        // a reduction of an elementwise region consumes each block's expression: the region's
        // values are never stored (the CPU backend reduces the chain tile by tile); so does a
        // reduction of a source that the tasks generate
        Lowerer.RegionPlan region = null;
        String fused = "";
        SparkValue in;
        if (!arg && (l.isRegionRoot(n.input(0)) || Sources.generated(n.input(0)) != null)) {
            String[] regionNote = new String[1];
            Object planned = l.planRegion(n.input(0), regionNote);
            if (planned instanceof Lowerer.RegionPlan rp) {
                region = rp;
                fused = " of " + regionNote[0] + ", fused into the reduction (the region's blocks are not stored)";
                in = null;
            } else {
                in = (SparkValue) planned;
            }
        } else {
            in = l.lower(n.input(0));
        }
        if (region == null && in instanceof SparkValue.Local) {
            note[0] = "reduced on the driver (local operand)";
            return l.computeLocally(n, List.of(in));
        }
        SparkValue.Distributed d = region == null ? (SparkValue.Distributed) in : null;
        Layout lay = region != null ? region.out() : d.layout();
        if (arg) {
            for (int k : dims) {
                if (lay.grid().numChunks(k) > 1) {
                    // gather the reduced dim into single chunks first, keeping the partition dim elsewhere
                    long[][] c = lay.grid().allChunks();
                    c[k] = new long[] {lay.shape().get(k)};
                    int pdim = lay.pdim();
                    if (pdim == k) {
                        pdim = Math.max(0, widestKept(lay.grid(), new int[] {k}));
                    }
                    d = l.rechunk(d, new Layout(BlockGrid.of(c), pdim));
                    lay = d.layout();
                }
            }
        }
        long[][] kept = lay.grid().allChunks();
        boolean acrossPartitions = false;
        for (int k : dims) {
            kept[k] = new long[] {1};
            // reducing the partition dim away leaves no dim to partition by: the result goes to the
            // driver, as when the partials of several partitions are combined
            acrossPartitions |= k == lay.pdim() && (lay.partitions() > 1 || !attrs.keepDim());
        }
        BlockGrid keptGrid = BlockGrid.of(kept);
        Op partialOp = op;
        Rdds.Combine combine = combiner(op);
        DType outType = n.dtype();
        boolean fail = l.settings.failFirstAttempt();
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        JavaRDD<Block[]> partials = null;
        if (!l.dry && region != null) {
            Lowerer.RegionBlocks blocks = region.blocks();
            partials = region.inputs().mapPartitionsWithIndex((p, it) -> {
                TaskSupport.begin(fail);
                List<Block> reduced = new ArrayList<>();
                for (java.util.Map.Entry<int[], Tensor> e : blocks.evaluate(p, it.next())) {
                    if (!skipsEmpty(partialOp, e.getValue().node(), dims)) {
                        reduced.add(partial(e.getKey(), e.getValue().node(), dims, partialOp, outType));
                    }
                }
                return java.util.Collections.singletonList(Rdds.combineByIndex(reduced, combine)).iterator();
            }, true);
        } else if (!l.dry) {
            partials = d.rdd().mapPartitions(it -> {
                TaskSupport.begin(fail);
                List<Block> reduced = new ArrayList<>();
                for (Block b : Blocks.sorted(it)) {
                    if (!skipsEmpty(partialOp, b.data().node(), dims)) {
                        reduced.add(partial(b.index(), b.data().node(), dims, partialOp, outType));
                    }
                }
                return java.util.Collections.singletonList(Rdds.combineByIndex(reduced, combine)).iterator();
            }, true);
        }
        Shape keptShape = keptGrid.shape();
        long resultBytes = keptShape.numel() * outType.byteSize();
        SparkValue result;
        // a result above the broadcast threshold, or too large to collect, never goes to the driver
        long driverBytes = Math.min(l.settings.broadcastThresholdBytes(), l.settings.collectMaxBytes());
        int spreadDim = acrossPartitions && n.shape().rank() > 0 && resultBytes > driverBytes
                ? widestKept(keptGrid, dims) : -1;
        if (spreadDim >= 0) {
            // a large result stays distributed: partials meet, by block, in the task that owns it
            Layout target = new Layout(keptGrid, spreadDim);
            l.settings.checkBlocks(target, outType, name);
            note[0] = name + fused + " over " + java.util.Arrays.toString(dims) + ": per block, combined inside each partition,"
                    + " then summed across " + lay.partitions() + " partitions by a shuffle into blocks along dim "
                    + spreadDim + " (result of " + resultBytes + " bytes stays distributed)";
            JavaRDD<Block> rdd = l.dry ? null : Rdds.shuffleCombine(partials, target, outType, combine, fail);
            result = new SparkValue.Distributed(rdd, target, outType);
            if (!attrs.keepDim()) {
                result = MovementLowering.dropDims((SparkValue.Distributed) result, dims, l.dry);
            }
            return result;
        }
        if (acrossPartitions || n.shape().rank() == 0) {
            l.settings.checkCollect(keptShape.numel() * outType.byteSize(), name + " result " + keptShape);
            int fanIn = l.settings.treeFanIn(lay.partitions(), keptShape.numel() * outType.byteSize());
            note[0] = name + fused + " over " + java.util.Arrays.toString(dims) + ": per block, then "
                    + (fanIn >= lay.partitions() ? "merged on the driver (" + lay.partitions() + " small partials)"
                    : "a tree of fan-in " + fanIn + " across " + lay.partitions() + " partitions to the driver");
            if (l.dry) {
                return new SparkValue.Local(null, n.shape(), n.dtype());
            }
            Block[] all = Rdds.treeReduce(partials, combine, fanIn, fail);
            Tensor t = Blocks.assemble(keptGrid, outType, java.util.Arrays.asList(all));
            Tensor r = attrs.keepDim() ? t : t.reshape(n.shape().dims());
            return SparkValue.Local.of(r.realize().node());
        }
        Layout keptLayout = new Layout(keptGrid, lay.pdim());
        note[0] = name + fused + " over " + java.util.Arrays.toString(dims) + ": per block, combined inside each partition"
                + " (narrow)";
        JavaRDD<Block> rdd = l.dry ? null : partials.flatMap(a -> java.util.Arrays.asList(a).iterator());
        result = new SparkValue.Distributed(rdd, keptLayout, outType);
        if (!attrs.keepDim()) {
            result = MovementLowering.dropDims((SparkValue.Distributed) result, dims, l.dry);
        }
        return result;
    }

    /**
     * Whether a block contributes nothing to a max or min: one with no element along a reduced dim
     * (a chunk a slice or a mask left empty). A sum or product of it is 0 or 1 and combines as such,
     * but a max or min has no value to give, and an empty dim as a whole was refused when the op was
     * called, so some other block holds the result's elements.
     */
    private static boolean skipsEmpty(Op op, Node in, int[] dims) {
        if (op != Op.MAX && op != Op.MIN) {
            return false;
        }
        for (int k : dims) {
            if (in.shape().get(k) == 0) {
                return true;
            }
        }
        return false;
    }

    /** One block's partial result, with the reduced dims kept as size 1 and indexed 0. */
    private static Block partial(int[] index, Node in0, int[] dims, Op partialOp, DType outType) {
        int[] idx = index.clone();
        long[] shape = in0.shape().dims();
        for (int k : dims) {
            idx[k] = 0;
            shape[k] = 1;
        }
        Node r = Graph.nodeOn(partialOp, Shape.of(shape), outType, Device.CPU, new Attrs.Reduce(dims, true), in0);
        return new Block(idx, Tensor.of(r));
    }

    /** The kept (not reduced) dim with the most chunks, or -1 when every dim is reduced. */
    private static int widestKept(BlockGrid g, int[] reduced) {
        int best = -1;
        for (int d = 0; d < g.rank(); d++) {
            boolean r = false;
            for (int k : reduced) {
                r |= k == d;
            }
            if (!r && (best < 0 || g.numChunks(d) > g.numChunks(best))) {
                best = d;
            }
        }
        return best;
    }

    /** How two partial results of {@code op} combine; arg reductions never span blocks. */
    static Rdds.Combine combiner(Op op) {
        return switch (op) {
            case SUM -> Tensor::add;
            case PROD -> Tensor::mul;
            case MAX -> Tensor::maximum;
            case MIN -> Tensor::minimum;
            default -> (a, b) -> {
                throw new IllegalStateException(op + " partials cannot be combined");
            };
        };
    }
}
