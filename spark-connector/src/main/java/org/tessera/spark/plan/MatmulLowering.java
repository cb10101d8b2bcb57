package org.tessera.spark.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.MatmulStrategy;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockIndex;
import org.tessera.spark.block.Blocks;
import scala.Tuple2;

/**
 * The matmul primitive {@code [1, M, K] @ [1, K, N]} with a distributed operand, by one of three
 * strategies: broadcast the small (or local) side; self product when both sides are split along
 * K on the same partitions (partial products summed as a tree); or a shuffle-based block product.
 */
final class MatmulLowering {
    private MatmulLowering() {
    }

    static SparkValue lower(Lowerer l, Node n, String[] note) {
        // before lowering: lowering realizes the movement steps and drops their inputs
        boolean rightPersisted = persistedSource(n.input(1));
        SparkValue a = l.lower(n.input(0));
        SparkValue b = l.lower(n.input(1));
        if (a instanceof SparkValue.Local && b instanceof SparkValue.Local) {
            note[0] = "matmul on the driver (local operands)";
            return l.computeLocally(n, List.of(a, b));
        }
        if (n.shape().get(0) != 1) {
            return batched(l, n, a, b, note);
        }
        long bytesA = a.shape().numel() * a.dtype().byteSize();
        long bytesB = b.shape().numel() * b.dtype().byteSize();
        MatmulStrategy s = l.settings.strategy();
        String why;
        if (s == MatmulStrategy.AUTO) {
            if (a instanceof SparkValue.Local || b instanceof SparkValue.Local) {
                s = MatmulStrategy.BROADCAST;
                why = "one operand is local";
            } else if (((SparkValue.Distributed) a).layout().pdim() == 2
                    && ((SparkValue.Distributed) b).layout().pdim() == 1) {
                s = MatmulStrategy.SELF_PRODUCT;
                why = "both operands are split along the inner dim";
            } else if (Math.min(bytesA, bytesB) <= l.settings.broadcastThresholdBytes()) {
                s = MatmulStrategy.BROADCAST;
                why = "the smaller operand (" + Math.min(bytesA, bytesB) + " bytes) is under the broadcast threshold";
            } else if (Math.min(bytesA, bytesB) <= l.settings.broadcastMaxBytes()
                    && Math.min(bytesA, bytesB) * l.executors() < shuffleBytes((SparkValue.Distributed) a,
                    (SparkValue.Distributed) b, bytesA, bytesB)) {
                s = MatmulStrategy.BROADCAST;
                why = "broadcasting " + Math.min(bytesA, bytesB) + " bytes to " + l.executors() + " executor(s) moves"
                        + " less than the shuffle's " + shuffleBytes((SparkValue.Distributed) a,
                        (SparkValue.Distributed) b, bytesA, bytesB) + " bytes";
            } else {
                s = MatmulStrategy.SHUFFLE;
                why = "both operands are above the broadcast threshold (" + bytesA + " and " + bytesB + " bytes)";
            }
        } else {
            why = "forced by " + org.tessera.spark.TesseraConf.MATMUL_STRATEGY.name();
        }
        String head = "matmul " + a.shape() + " @ " + b.shape() + ", strategy " + s.confValue() + " (" + why + ")";
        return switch (s) {
            case BROADCAST -> {
                boolean localLeft = a instanceof SparkValue.Local
                        || (!(b instanceof SparkValue.Local) && broadcastLeft(l, (SparkValue.Distributed) a,
                        (SparkValue.Distributed) b, bytesA, bytesB));
                if (localLeft) {
                    note[0] = head + ": left side broadcast";
                    yield broadcastLeft(l, l.local(a), asDistributed(l, b, null), n.dtype());
                }
                if (b instanceof SparkValue.Distributed db && a instanceof SparkValue.Distributed da
                        && readsInPlace(l, rightPersisted, da)) {
                    note[0] = head + ": right side read in place from its persisted blocks by every task (no trip"
                            + " through the driver)";
                    yield replicateRight(l, da, db, n.dtype());
                }
                note[0] = head + ": right side broadcast";
                yield broadcastRight(l, asDistributed(l, a, null), l.local(b), n.dtype());
            }
            case SELF_PRODUCT -> {
                SparkValue.Distributed da = asDistributed(l, a, null);
                Layout la = da.layout();
                if (la.pdim() != 2) {
                    da = l.rechunk(da, new Layout(la.grid(), 2));
                }
                SparkValue.Distributed db = asDistributed(l, b, da.layout().grid().chunks(2));
                Layout lb = new Layout(db.layout().grid().withChunks(1, da.layout().grid().chunks(2)), 1);
                db = l.rechunk(db, lb);
                note[0] = head + ": partial products per inner block, summed as a tree";
                yield selfProduct(l, da, db, n.dtype());
            }
            default -> {
                SparkValue.Distributed da = asDistributed(l, a, null);
                SparkValue.Distributed db = asDistributed(l, b, da.layout().grid().chunks(2));
                BlockGrid gb = db.layout().grid();
                if (!gb.sameChunks(1, da.layout().grid(), 2)) {
                    db = l.rechunk(db, new Layout(gb.withChunks(1, da.layout().grid().chunks(2)), db.layout().pdim()));
                }
                note[0] = head + ": blocks shuffled to the task of each output block";
                yield shuffle(l, da, db, n.dtype());
            }
        };
    }

    /**
     * {@code [B, M, K] @ [B, K, N]} with B above 1: both sides cut along the batch dim only, into the
     * same chunks (whole matrices per block, as many per block as fit the block target size), so
     * partition {@code p} of the left meets partition {@code p} of the right and each task makes one
     * batched product per block: narrow once both sides are cut so (a re-chunk otherwise).
     */
    private static SparkValue batched(Lowerer l, Node n, SparkValue a, SparkValue b, String[] note) {
        long batch = n.shape().get(0);
        long m = a.shape().get(1);
        long k = a.shape().get(2);
        long cols = b.shape().get(2);
        long esize = n.dtype().byteSize();
        long perItem = Math.max(1, Math.max(m * k, Math.max(k * cols, m * cols)) * esize);
        long[] chunks = null;
        for (SparkValue v : List.of(a, b)) {
            if (chunks == null && v instanceof SparkValue.Distributed d && d.layout().pdim() == 0
                    && d.layout().grid().numChunks(1) == 1 && d.layout().grid().numChunks(2) == 1) {
                chunks = d.layout().grid().chunks(0); // already cut along the batch only: keep that cut
            }
        }
        if (chunks == null) {
            chunks = BlockGrid.regularChunks(batch, Math.max(1, l.settings.blockTargetBytes() / perItem));
        }
        Layout la = new Layout(BlockGrid.of(chunks, new long[] {m}, new long[] {k}), 0);
        Layout lb = new Layout(BlockGrid.of(chunks, new long[] {k}, new long[] {cols}), 0);
        Layout lo = new Layout(BlockGrid.of(chunks, new long[] {m}, new long[] {cols}), 0);
        l.settings.checkBlocks(la, a.dtype(), "matmul");
        l.settings.checkBlocks(lb, b.dtype(), "matmul");
        l.settings.checkBlocks(lo, n.dtype(), "matmul");
        SparkValue.Distributed da = batchCut(l, a, la);
        SparkValue.Distributed db = batchCut(l, b, lb);
        note[0] = "batched matmul " + a.shape() + " @ " + b.shape() + ": both sides cut along the batch dim into "
                + chunks.length + " chunk(s), one batched product per block pair (narrow)";
        if (l.dry) {
            return new SparkValue.Distributed(null, lo, n.dtype());
        }
        DType t = n.dtype();
        boolean fail = l.settings.failFirstAttempt();
        JavaRDD<Block> rdd = da.rdd().zipPartitions(db.rdd(), (ia, ib) -> {
            TaskSupport.begin(fail);
            Map<Integer, Block> right = new TreeMap<>();
            ib.forEachRemaining(x -> right.put(x.index(0), x));
            List<Block> res = new ArrayList<>();
            for (Block x : Blocks.sorted(ia)) {
                Block y = right.get(x.index(0));
                Node out = Graph.nodeOn(Op.MATMUL, Shape.of(x.data().shape().get(0), m, cols), t, Device.CPU, null,
                        x.data().node(), y.data().node());
                res.add(new Block(new int[] {x.index(0), 0, 0}, Tensor.of(out)));
            }
            return res.iterator();
        });
        return new SparkValue.Distributed(rdd, lo, n.dtype());
    }

    private static SparkValue.Distributed batchCut(Lowerer l, SparkValue v, Layout target) {
        if (v instanceof SparkValue.Distributed d) {
            return l.rechunk(d, target);
        }
        return l.distribute((SparkValue.Local) v, target);
    }

    /** Bytes the shuffle-based product sends: the left once, the right once per row block of the left. */
    private static long shuffleBytes(SparkValue.Distributed a, SparkValue.Distributed b, long bytesA, long bytesB) {
        return bytesA + bytesB * a.layout().grid().numChunks(1);
    }

    /**
     * Which side to broadcast when both are distributed: one that leaves the other's partitions
     * complete (no sum across partitions) and fits under the threshold, else the smaller.
     */
    private static boolean broadcastLeft(Lowerer l, SparkValue.Distributed a, SparkValue.Distributed b, long bytesA,
                                         long bytesB) {
        long limit = l.settings.broadcastThresholdBytes();
        boolean rightNarrow = a.layout().pdim() != 2;
        boolean leftNarrow = b.layout().pdim() != 1;
        if (rightNarrow && bytesB <= limit) {
            return false;
        }
        if (leftNarrow && bytesA <= limit) {
            return true;
        }
        return bytesA < bytesB;
    }

    /** The operand as a distributed value; a local one is distributed with the given inner chunks. */
    private static SparkValue.Distributed asDistributed(Lowerer l, SparkValue v, long[] innerChunks) {
        if (v instanceof SparkValue.Distributed d) {
            return d;
        }
        Layout lay = l.defaultLayout(v.shape(), v.dtype());
        if (innerChunks != null) {
            lay = new Layout(lay.grid().withChunks(1, innerChunks), 1);
        }
        return l.distribute((SparkValue.Local) v, lay);
    }

    private static Node product(Node x, Node y, DType t) {
        return Graph.nodeOn(Op.MATMUL, Shape.of(1, x.shape().get(1), y.shape().get(2)), t, Device.CPU, null, x, y);
    }

    /** {@code local @ distributed}: each task multiplies its right blocks by columns of the local left. */
    private static SparkValue broadcastLeft(Lowerer l, SparkValue.Local a, SparkValue.Distributed b, DType t) {
        Layout lb = b.layout();
        long m = a.shape().get(1);
        BlockGrid out = BlockGrid.of(new long[] {1}, new long[] {m}, lb.grid().chunks(2));
        if (l.dry) {
            return finish(l, null, out, 2, t, lb.pdim() == 1);
        }
        LocalOperand op = LocalOperand.of(l.sc, Tensor.of(a.value()));
        boolean fail = l.settings.failFirstAttempt();
        BlockGrid gb = lb.grid();
        JavaRDD<Block[]> partials = b.rdd().mapPartitions(it -> {
            TaskSupport.begin(fail);
            Tensor left = op.get();
            List<Block> blocks = Blocks.sorted(it);
            return Collections.singletonList(inScope(() -> {
                List<Block> res = new ArrayList<>();
                for (Block blk : blocks) {
                    int[] idx = blk.index();
                    long ks = gb.offset(1, idx[1]);
                    long kl = gb.chunk(1, idx[1]);
                    Tensor ls = Blocks.region(left, new long[] {0, 0, ks}, new long[] {1, m, kl});
                    res.add(new Block(new int[] {0, 0, idx[2]}, Tensor.of(product(ls.node(), blk.data().node(), t))));
                }
                return Rdds.combineByIndex(res, Tensor::add);
            })).iterator();
        }, true);
        return finish(l, partials, out, lb.pdim() == 0 ? 0 : 2, t, lb.pdim() == 1);
    }

    /**
     * {@code distributed @ local}: each task joins its left blocks of one row block into a panel
     * (they cover a contiguous range of K) and multiplies it by those rows of the local right, one
     * product per row block.
     */
    private static SparkValue broadcastRight(Lowerer l, SparkValue.Distributed a, SparkValue.Local b, DType t) {
        Layout la = a.layout();
        long nn = b.shape().get(2);
        BlockGrid out = BlockGrid.of(new long[] {1}, la.grid().chunks(1), new long[] {nn});
        if (l.dry) {
            return finish(l, null, out, 1, t, la.pdim() == 2);
        }
        LocalOperand op = LocalOperand.of(l.sc, Tensor.of(b.value()));
        boolean fail = l.settings.failFirstAttempt();
        BlockGrid ga = la.grid();
        JavaRDD<Block[]> partials = a.rdd().mapPartitions(it -> {
            TaskSupport.begin(fail);
            Tensor right = op.get();
            Map<Integer, List<Block>> rows = byIndex(Blocks.sorted(it), 1, 2);
            return Collections.singletonList(inScope(() -> {
                List<Block> res = new ArrayList<>();
                for (Map.Entry<Integer, List<Block>> row : rows.entrySet()) {
                    List<Block> parts = row.getValue();
                    int kLast = parts.get(parts.size() - 1).index(2);
                    long ks = ga.offset(2, parts.get(0).index(2));
                    long kl = ga.offset(2, kLast) + ga.chunk(2, kLast) - ks;
                    Tensor rs = Blocks.region(right, new long[] {0, ks, 0}, new long[] {1, kl, nn});
                    Tensor panel = join(parts, 2);
                    res.add(new Block(new int[] {0, row.getKey(), 0}, Tensor.of(product(panel.node(), rs.node(), t))));
                }
                return res.toArray(new Block[0]);
            })).iterator();
        }, true);
        return finish(l, partials, out, la.pdim() == 0 ? 0 : 1, t, la.pdim() == 2);
    }

    /**
     * Whether the right operand {@code right} is best read by every task straight from the
     * persisted blocks it is a view of, rather than collected to the driver and broadcast: the
     * left operand must hold whole row blocks per partition (not split along K), the right must
     * reach persisted (in-memory) blocks through movement ops only, and reading it once per task
     * must move no more than collecting it and broadcasting it to every executor would (always so
     * in local mode, where the blocks are read in place).
     */
    private static boolean readsInPlace(Lowerer l, boolean rightPersisted, SparkValue.Distributed a) {
        if (a.layout().pdim() == 2 || !rightPersisted) {
            return false;
        }
        return l.sc.isLocal() || a.layout().partitions() <= l.executors() + 1;
    }

    /**
     * True when {@code n} is persisted blocks, or a chain of movement ops over such blocks (the
     * chain may already have been lowered to narrow re-keying steps, which are cheap to repeat).
     */
    static boolean persistedSource(Node n) {
        Node x = n;
        while (true) {
            if (x.remote() instanceof SparkValue.Distributed d && d.rdd() != null
                    && d.rdd().getStorageLevel().useMemory()) {
                return true;
            }
            Op op = x.op();
            if (x.device().equals(Device.CPU) || x.inputs().length != 1 || !(op == Op.RESHAPE || op == Op.PERMUTE
                    || op == Op.EXPAND || op == Op.SLICE)) {
                return false;
            }
            x = x.input(0);
        }
    }

    /**
     * {@code distributed @ distributed} with the right side read in place: the right's blocks come
     * to each task by a narrow dependency on its persisted partitions (no shuffle, no driver); the
     * task joins its left blocks into row panels, then the right blocks into one column panel at a
     * time, multiplying every row panel by it before freeing it. Every output block is complete in
     * its task.
     */
    private static SparkValue replicateRight(Lowerer l, SparkValue.Distributed a, SparkValue.Distributed b, DType t) {
        Layout la = a.layout();
        BlockGrid out = BlockGrid.of(new long[] {1}, la.grid().chunks(1), b.layout().grid().chunks(2));
        Layout layout = new Layout(out, la.pdim());
        l.settings.checkBlocks(layout, t, "matmul");
        if (l.dry) {
            return new SparkValue.Distributed(null, layout, t);
        }
        boolean fail = l.settings.failFirstAttempt();
        JavaRDD<List<Block>> right = b.rdd().coalesce(1, false).glom();
        JavaRDD<Block> rdd = a.rdd().glom().cartesian(right).mapPartitions(it -> {
            TaskSupport.begin(fail);
            List<Block> res = new ArrayList<>();
            while (it.hasNext()) {
                Tuple2<List<Block>, List<Block>> pair = it.next();
                res.addAll(java.util.Arrays.asList(inScope(() -> {
                    Map<Integer, Tensor> rows = new TreeMap<>();
                    for (Map.Entry<Integer, List<Block>> row : byIndex(pair._1(), 1, 2).entrySet()) {
                        rows.put(row.getKey(), join(row.getValue(), 2));
                    }
                    // one column panel of the right side at a time: a task never holds a copy of all of it
                    List<Block> made = new ArrayList<>();
                    for (Map.Entry<Integer, List<Block>> col : byIndex(pair._2(), 2, 1).entrySet()) {
                        try (org.tessera.Scope panelScope = org.tessera.Tessera.scope()) {
                            Tensor panel = join(col.getValue(), 1);
                            for (Map.Entry<Integer, Tensor> row : rows.entrySet()) {
                                Block product = new Block(new int[] {0, row.getKey(), col.getKey()},
                                        Tensor.of(product(row.getValue().node(), panel.node(), t)));
                                panelScope.keep(product.data());
                                made.add(product);
                            }
                        }
                    }
                    made.sort((x, y) -> x.key().compareTo(y.key()));
                    return made.toArray(new Block[0]);
                })));
            }
            return res.iterator();
        }, true);
        return new SparkValue.Distributed(rdd, layout, t);
    }

    /**
     * Runs a task's products in a memory scope, so that joined panels and partial products are
     * freed when it ends rather than when the garbage collector finds them; the blocks it returns
     * are kept. Its inputs must exist before it starts (a cached or broadcast block made inside
     * the scope would be freed with it).
     */
    private static Block[] inScope(java.util.function.Supplier<Block[]> body) {
        try (org.tessera.Scope scope = org.tessera.Tessera.scope()) {
            Block[] out = body.get();
            for (Block b : out) {
                scope.keep(b.data());
            }
            return out;
        }
    }

    /** Blocks grouped by their index along {@code groupDim}, each group sorted along {@code orderDim}. */
    private static Map<Integer, List<Block>> byIndex(List<Block> blocks, int groupDim, int orderDim) {
        Map<Integer, List<Block>> m = new TreeMap<>();
        for (Block b : blocks) {
            m.computeIfAbsent(b.index(groupDim), k -> new ArrayList<>()).add(b);
        }
        for (List<Block> g : m.values()) {
            g.sort((x, y) -> Integer.compare(x.index(orderDim), y.index(orderDim)));
            for (int i = 1; i < g.size(); i++) {
                if (g.get(i).index(orderDim) != g.get(i - 1).index(orderDim) + 1) {
                    throw new IllegalStateException("matmul: blocks along dim " + orderDim + " are not contiguous: "
                            + BlockIndex.format(g.get(i - 1).index()) + " then " + BlockIndex.format(g.get(i).index()));
                }
            }
        }
        return m;
    }

    /** The blocks of one panel joined along {@code dim} (realized; the block itself when alone). */
    private static Tensor join(List<Block> parts, int dim) {
        if (parts.size() == 1) {
            return parts.get(0).data();
        }
        List<Tensor> ts = new ArrayList<>();
        for (Block b : parts) {
            ts.add(b.data());
        }
        try (org.tessera.autograd.GradMode.NoGrad ignored = org.tessera.autograd.GradMode.disable()) {
            return org.tessera.Tessera.cat(ts, dim).realize();
        }
    }

    /** Both split along K on the same partitions: each partition multiplies the pairs it holds. */
    private static SparkValue selfProduct(Lowerer l, SparkValue.Distributed a, SparkValue.Distributed b, DType t) {
        BlockGrid out = BlockGrid.of(new long[] {1}, a.layout().grid().chunks(1), b.layout().grid().chunks(2));
        // the partials of every partition are combined (to the driver, or by a shuffle into the
        // output's layout) even when K is one partition: that partition holds the blocks of every
        // row chunk of the result, while the output layout has one partition per row chunk
        if (l.dry) {
            return finish(l, null, out, 1, t, true);
        }
        boolean fail = l.settings.failFirstAttempt();
        JavaRDD<Block[]> partials = Rdds.zip(l.sc, List.of(a.rdd(), b.rdd()), a.layout().partitions())
                .mapPartitions(it -> {
                    TaskSupport.begin(fail);
                    List<List<Block>> in = it.next();
                    return Collections.singletonList(inScope(() -> {
                        List<Block> res = new ArrayList<>();
                        for (Block x : in.get(0)) {
                            for (Block y : in.get(1)) {
                                if (x.index(2) == y.index(1)) {
                                    res.add(new Block(new int[] {0, x.index(1), y.index(2)},
                                            Tensor.of(product(x.data().node(), y.data().node(), t))));
                                }
                            }
                        }
                        return Rdds.combineByIndex(res, Tensor::add);
                    })).iterator();
                }, true);
        return finish(l, partials, out, 1, t, true);
    }

    /** Sends each left block to the task of its row block, and each right block to every row block's task. */
    private static SparkValue shuffle(Lowerer l, SparkValue.Distributed a, SparkValue.Distributed b, DType t) {
        BlockGrid ga = a.layout().grid();
        BlockGrid gb = b.layout().grid();
        BlockGrid out = BlockGrid.of(new long[] {1}, ga.chunks(1), gb.chunks(2));
        Layout outLayout = new Layout(out, 1);
        l.settings.checkBlocks(outLayout, t, "matmul");
        if (l.dry) {
            return new SparkValue.Distributed(null, outLayout, t);
        }
        int ni = ga.numChunks(1);
        int nj = gb.numChunks(2);
        boolean fail = l.settings.failFirstAttempt();
        JavaPairRDD<BlockIndex, Rdds.Piece> left = a.rdd().mapToPair(blk -> new Tuple2<>(
                new BlockIndex(0, blk.index(1), 0), new Rdds.Piece(new long[] {0}, blk)));
        JavaPairRDD<BlockIndex, Rdds.Piece> right = b.rdd().flatMapToPair(blk -> {
            List<Tuple2<BlockIndex, Rdds.Piece>> r = new ArrayList<>();
            for (int i = 0; i < ni; i++) {
                r.add(new Tuple2<>(new BlockIndex(0, i, blk.index(2)), new Rdds.Piece(new long[] {1}, blk)));
            }
            return r.iterator();
        });
        JavaRDD<Block> rdd = left.union(right).partitionBy(new GridPartitioner(1, ni)).mapPartitionsWithIndex((p, it) -> {
            TaskSupport.begin(fail);
            TreeMap<Integer, Block> ls = new TreeMap<>();
            Map<Integer, TreeMap<Integer, Block>> rights = new TreeMap<>();
            it.forEachRemaining(kv -> {
                Block blk = kv._2().block;
                if (kv._2().offset[0] == 0) {
                    ls.put(blk.index(2), blk);
                } else {
                    rights.computeIfAbsent(blk.index(2), x -> new TreeMap<>()).put(blk.index(1), blk);
                }
            });
            return java.util.Arrays.asList(inScope(() -> {
                List<Block> res = new ArrayList<>();
                Tensor panel = ls.isEmpty() ? null : join(new ArrayList<>(ls.values()), 2);
                for (int j = 0; j < nj; j++) {
                    int[] idx = {0, p, j};
                    TreeMap<Integer, Block> rs = rights.getOrDefault(j, new TreeMap<>());
                    if (panel == null && rs.isEmpty()) {
                        res.add(new Block(idx, Blocks.zeros(out.blockShape(idx), t)));
                        continue;
                    }
                    if (panel == null || !rs.keySet().equals(ls.keySet())) {
                        throw new IllegalStateException("matmul: task for row block " + p + " received left blocks "
                                + ls.keySet() + " but right blocks " + rs.keySet() + " of column block " + j);
                    }
                    Tensor col = join(new ArrayList<>(rs.values()), 1);
                    res.add(new Block(idx, Tensor.of(product(panel.node(), col.node(), t))));
                }
                return res.toArray(new Block[0]);
            })).iterator();
        }, true);
        return new SparkValue.Distributed(rdd, outLayout, t);
    }

    /**
     * The result of partial products: already complete per partition, or summed across
     * partitions (to the driver when small, else by a shuffle).
     */
    private static SparkValue finish(Lowerer l, JavaRDD<Block[]> partials, BlockGrid out, int pdim, DType t,
                                     boolean acrossPartitions) {
        Layout layout = new Layout(out, pdim);
        if (!acrossPartitions) {
            l.settings.checkBlocks(layout, t, "matmul");
            JavaRDD<Block> rdd = l.dry ? null : partials.flatMap(x -> java.util.Arrays.asList(x).iterator());
            return new SparkValue.Distributed(rdd, layout, t);
        }
        long bytes = out.shape().numel() * t.byteSize();
        if (bytes <= l.settings.broadcastThresholdBytes()) {
            if (l.dry) {
                return new SparkValue.Local(null, out.shape(), t);
            }
            int fanIn = l.settings.treeFanIn(partials.getNumPartitions(), bytes);
            Block[] all = Rdds.treeReduce(partials, Tensor::add, fanIn, l.settings.failFirstAttempt());
            return SparkValue.Local.of(Blocks.assemble(out, t, java.util.Arrays.asList(all)).node());
        }
        l.settings.checkBlocks(layout, t, "matmul");
        JavaRDD<Block> rdd = l.dry ? null : Rdds.shuffleCombine(partials, layout, t, Tensor::add,
                l.settings.failFirstAttempt());
        return new SparkValue.Distributed(rdd, layout, t);
    }
}
