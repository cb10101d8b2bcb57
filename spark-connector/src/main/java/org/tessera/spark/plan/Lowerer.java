package org.tessera.spark.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.autograd.GradMode;
import org.tessera.backend.Backends;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockIndex;
import org.tessera.spark.block.Blocks;

/**
 * Turns the unrealized part of a graph on the {@code spark} device into RDDs, node by node,
 * fusing chains of elementwise ops into one per-block pass. In explain mode it only plans:
 * it records each step and its layout, builds no RDD and runs no job.
 */
public final class Lowerer {
    final JavaSparkContext sc;
    final Settings settings;
    final boolean dry;
    private final Map<Node, SparkValue> memo = new IdentityHashMap<>();
    private final List<String> lines = new ArrayList<>();
    private int depth;

    /** A lowerer over {@code sc} with the given settings; {@code explainOnly} plans without running. */
    public Lowerer(JavaSparkContext sc, Settings settings, boolean explainOnly) {
        this.sc = sc;
        this.settings = settings;
        this.dry = explainOnly;
    }

    /** The recorded plan, one step a line, inputs indented under their users. */
    public String plan() {
        return String.join("\n", lines);
    }

    /** Lowers {@code n} (and what it needs), recording the value in the node unless explaining. */
    public SparkValue lower(Node n) {
        SparkValue v = memo.get(n);
        if (v != null) {
            return v;
        }
        int line = lines.size();
        lines.add("");
        String indent = "  ".repeat(depth);
        depth++;
        String what;
        try {
            if (n.isRealized()) {
                v = n.remote() != null ? (SparkValue) n.remote() : SparkValue.Local.of(n);
                what = "realized " + placement(v);
            } else if (n.device().equals(Device.CPU)) {
                if (!dry) {
                    Backends.forDevice(Device.CPU).realize(n);
                }
                v = dry ? new SparkValue.Local(null, n.shape(), n.dtype()) : SparkValue.Local.of(n);
                what = "local operand";
            } else {
                String[] note = new String[1];
                v = lowerOp(n, note);
                what = note[0] + " -> " + placement(v);
                if (!dry) {
                    synchronized (n) {
                        if (!n.isRealized()) {
                            n.setRemote(v);
                        }
                    }
                }
            }
        } finally {
            depth--;
        }
        lines.set(line, indent + n.op() + " " + n.shape() + " " + n.dtype() + ": " + what);
        memo.put(n, v);
        return v;
    }

    private static String placement(SparkValue v) {
        return v instanceof SparkValue.Distributed d ? "distributed " + d.layout() : "local on the driver";
    }

    /**
     * Whether {@code n} would be lowered as the root of a fused elementwise region that nothing has
     * computed or planned yet (so a consumer may take its blocks' expressions instead).
     */
    boolean isRegionRoot(Node n) {
        Op op = n.op();
        return !n.isRealized() && !n.device().equals(Device.CPU) && !memo.containsKey(n)
                && (op.isElementwise() || op == Op.EXPAND || op == Op.FILL);
    }

    private SparkValue lowerOp(Node n, String[] note) {
        Op op = n.op();
        if (op.isElementwise() || op == Op.EXPAND || op == Op.FILL) {
            return lowerRegion(n, note);
        }
        return switch (op) {
            case SUM, PROD, MAX, MIN, ARGMAX, ARGMIN -> ReduceLowering.lower(this, n, note);
            case MATMUL -> MatmulLowering.lower(this, n, note);
            case RESHAPE, PERMUTE, SLICE, SLICE_SCATTER -> MovementLowering.lower(this, n, note);
            case MASKED_SELECT, MASKED_SCATTER -> MaskLowering.lower(this, n, note);
            case CAT -> CatLowering.lower(this, n, note);
            default -> {
                List<SparkValue> in = new ArrayList<>();
                for (Node i : n.inputs()) {
                    in.add(lower(i));
                }
                if (in.stream().allMatch(x -> x instanceof SparkValue.Local)) {
                    note[0] = "computed on the driver (small operands)";
                    yield computeLocally(n, in);
                }
                throw new UnsupportedOperationException(op.name().toLowerCase(java.util.Locale.ROOT)
                        + ": not supported on distributed tensors yet (shape " + n.shape()
                        + "); collect the operands with to(Device.CPU) first");
            }
        };
    }

    // ---------------------------------------------------------------- helpers shared by the lowerings

    /** Runs {@code n}'s op on the driver over local inputs. */
    SparkValue computeLocally(Node n, List<SparkValue> inputs) {
        if (dry) {
            return new SparkValue.Local(null, n.shape(), n.dtype());
        }
        Node[] in = new Node[inputs.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = local(inputs.get(i)).value();
        }
        try (GradMode.NoGrad ignored = GradMode.disable()) {
            Node out = Graph.nodeOn(n.op(), n.shape(), n.dtype(), Device.CPU, n.attrs(), in);
            return SparkValue.Local.of(Tensor.of(out).realize().node());
        }
    }

    /** The value on the driver: local values as they are, distributed ones collected (size-checked). */
    SparkValue.Local local(SparkValue v) {
        if (v instanceof SparkValue.Local l) {
            return l;
        }
        SparkValue.Distributed d = (SparkValue.Distributed) v;
        if (dry) {
            return new SparkValue.Local(null, d.shape(), d.dtype());
        }
        return SparkValue.Local.of(collect(d, settings, "collect"));
    }

    /** Collects a distributed value into one CPU node, refusing above the collect limit. */
    static Node collect(SparkValue.Distributed d, Settings settings, String what) {
        settings.checkCollect(d.layout().bytes(d.dtype()), what + " " + d.shape() + " " + d.dtype());
        List<Block> blocks = d.rdd().collect();
        return Blocks.assemble(d.layout().grid(), d.dtype(), blocks).node();
    }

    /** The number of executors a broadcast reaches (1 in local mode). */
    long executors() {
        if (sc.isLocal()) {
            return 1;
        }
        return Math.max(1, sc.sc().getExecutorMemoryStatus().size() - 1);
    }

    /** A default layout for a new distributed tensor: blocks of about the target size, rows first. */
    Layout defaultLayout(Shape shape, DType dtype) {
        return defaultLayout(shape, dtype, settings.blockTargetBytes(), sc.defaultParallelism());
    }

    /** A default layout: whole trailing dims when a row fits the target, else square-ish tiles. */
    public static Layout defaultLayout(Shape shape, DType dtype, long targetBytes, int parallelism) {
        int r = shape.rank();
        long[] dims = shape.dims();
        long target = Math.max(1, targetBytes / dtype.byteSize());
        long[] block = new long[r];
        long inner = 1;
        for (int d = 1; d < r; d++) {
            inner *= Math.max(1, dims[d]);
        }
        if (inner <= target) {
            for (int d = 1; d < r; d++) {
                block[d] = Math.max(1, dims[d]);
            }
            long rows = Math.max(1, target / inner);
            long spread = (dims[0] + parallelism - 1) / Math.max(1, parallelism);
            block[0] = Math.max(1, Math.min(rows, Math.max(1, spread)));
        } else {
            long side = Math.max(1, (long) Math.sqrt((double) target));
            Arrays.fill(block, 1);
            block[r - 1] = Math.max(1, Math.min(side, dims[r - 1]));
            if (r >= 2) {
                block[r - 2] = Math.max(1, Math.min(target / block[r - 1], dims[r - 2]));
            }
        }
        return new Layout(BlockGrid.regular(shape, block), 0);
    }

    /** Re-cuts a distributed value to {@code target}: a shuffle unless it already is cut so. */
    public SparkValue.Distributed relayout(SparkValue.Distributed v, Layout target) {
        return rechunk(v, target);
    }

    /** Re-cuts a distributed value to {@code target} (a shuffle unless it already is). */
    SparkValue.Distributed rechunk(SparkValue.Distributed v, Layout target) {
        if (v.layout().equals(target)) {
            return v;
        }
        settings.checkBlocks(target, v.dtype(), "rechunk");
        JavaRDD<Block> rdd = dry ? null : Rdds.rechunk(v.rdd(), v.layout(), target, v.dtype(),
                settings.failFirstAttempt());
        return new SparkValue.Distributed(rdd, target, v.dtype());
    }

    /** Distributes a local CPU tensor by {@code layout}. */
    SparkValue.Distributed distribute(SparkValue.Local local, Layout layout) {
        if (dry) {
            return new SparkValue.Distributed(null, layout, local.dtype()); // explain(): no value, and no job
        }
        return new SparkValue.Distributed(distribute(sc, Tensor.of(local.value()), layout), layout, local.dtype());
    }

    /** Cuts a local tensor into the blocks of {@code layout} on the driver and sends them out. */
    public static JavaRDD<Block> distribute(JavaSparkContext sc, Tensor local, Layout layout) {
        Tensor t = local.realize();
        List<Block[]> parts = new ArrayList<>();
        for (int p = 0; p < layout.partitions(); p++) {
            List<Block> blocks = new ArrayList<>();
            for (int[] idx : layout.blocksOf(p)) {
                Tensor region = Blocks.region(t, layout.grid().blockStart(idx), layout.grid().blockShape(idx));
                blocks.add(new Block(idx, region));
            }
            parts.add(blocks.toArray(new Block[0]));
        }
        return sc.parallelize(parts, layout.partitions()).flatMap(a -> Arrays.asList(a).iterator());
    }

    // ---------------------------------------------------------------- fused elementwise regions

    private SparkValue lowerRegion(Node root, String[] note) {
        Object planned = planRegion(root, note);
        if (planned instanceof SparkValue v) {
            return v;
        }
        RegionPlan plan = (RegionPlan) planned;
        if (dry) {
            return new SparkValue.Distributed(null, plan.out(), root.dtype());
        }
        boolean fail = settings.failFirstAttempt();
        RegionBlocks blocks = plan.blocks();
        JavaRDD<Block> rdd = plan.inputs().mapPartitionsWithIndex((p, it) -> {
            TaskSupport.begin(fail);
            List<Block> res = new ArrayList<>();
            for (Map.Entry<int[], Tensor> e : blocks.evaluate(p, it.next())) {
                res.add(new Block(e.getKey(), e.getValue()));
            }
            return res.iterator();
        }, true);
        return new SparkValue.Distributed(rdd, plan.out(), root.dtype());
    }

    /**
     * A fused elementwise region over distributed inputs, ready to evaluate block by block: the
     * output layout, the zipped input partitions ({@code null} when explaining) and what each task
     * needs to build a block's unrealized expression. A consumer such as a reduction can then take
     * each block's expression as its input, so the region's values are never stored.
     */
    record RegionPlan(Layout out, JavaRDD<List<List<Block>>> inputs, RegionBlocks blocks) {
    }

    /**
     * What a task needs to build the unrealized expression of each of its output blocks (shipped to
     * tasks): per slot, the zipped input that holds its blocks ({@code rddOf}), a local value to cut
     * ({@code locals}) or a source to generate ({@code generated}).
     */
    record RegionBlocks(Expr expr, Layout out, int[] rddOf, LocalOperand[] locals, Sources.Generated[] generated,
                        long[][] slotShapes) implements java.io.Serializable {
        /** The unrealized expression of every output block of partition {@code p}, by block index. */
        List<Map.Entry<int[], Tensor>> evaluate(int p, List<List<Block>> in) {
            return evaluateBlocks(p, in, this);
        }
    }

    /**
     * Plans the fused elementwise region rooted at {@code root}: a {@link RegionPlan}, or the value
     * itself when the region is computed on the driver (no distributed input, and small). A source
     * that tasks can generate ({@link Sources#generated}) and that is cut as the region needs is not
     * read from its RDD: each task builds its blocks, so a consumer generates the values tile by tile.
     * The root may itself be such a source (a reduction of {@code randn(...)}).
     */
    Object planRegion(Node root, String[] note) {
        List<Node> leaves = new ArrayList<>();
        Map<Node, Integer> slots = new IdentityHashMap<>();
        Expr expr = build(root, true, new IdentityHashMap<>(), leaves, slots);
        List<SparkValue> vals = new ArrayList<>();
        for (Node leaf : leaves) {
            vals.add(lower(leaf));
        }
        long[] rootShape = root.shape().dims();
        int rank = rootShape.length;
        Layout out = null;
        for (int pass = 0; pass < 2 && out == null; pass++) {
            for (SparkValue v : vals) {
                if (v instanceof SparkValue.Distributed d && (pass == 1 || Arrays.equals(d.shape().dims(), rootShape))) {
                    out = inducedOutput(d, rootShape);
                    break;
                }
            }
        }
        String chain = Expr.describe(expr);
        if (out == null) {
            long bytes = root.shape().numel() * root.dtype().byteSize();
            if (rank == 0 || bytes <= settings.broadcastThresholdBytes()) {
                note[0] = "fused " + chain + " on the driver (local operands)";
                return evaluateLocally(root, expr, vals);
            }
            out = defaultLayout(root.shape(), root.dtype());
        }
        settings.checkBlocks(out, root.dtype(), Expr.describe(expr));
        // align every distributed input with the output grid; broadcast the local ones
        int[] rddOf = new int[vals.size()];
        List<JavaRDD<Block>> rdds = new ArrayList<>();
        LocalOperand[] locals = new LocalOperand[vals.size()];
        Sources.Generated[] generated = new Sources.Generated[vals.size()];
        long[][] slotShapes = new long[vals.size()][];
        StringBuilder inputs = new StringBuilder();
        for (int i = 0; i < vals.size(); i++) {
            SparkValue v = vals.get(i);
            slotShapes[i] = v.shape().dims();
            rddOf[i] = -1;
            if (v instanceof SparkValue.Distributed d) {
                Layout need = leafLayout(slotShapes[i], out);
                if (need == null) {
                    v = local(d);
                    vals.set(i, v);
                    inputs.append(", $").append(i).append(" collected and broadcast");
                } else if (need.equals(d.layout()) && Sources.generated(leaves.get(i)) != null) {
                    generated[i] = Sources.generated(leaves.get(i));
                    inputs.append(", $").append(i).append(" generated in each task");
                } else {
                    if (!need.equals(d.layout())) {
                        inputs.append(", $").append(i).append(" re-chunked (shuffle)");
                    }
                    SparkValue.Distributed a = rechunk(d, need);
                    rddOf[i] = rdds.size();
                    rdds.add(a.rdd());
                }
            }
            if (rddOf[i] < 0 && generated[i] == null && !dry) {
                locals[i] = LocalOperand.of(sc, Tensor.of(((SparkValue.Local) vals.get(i)).value()));
            }
        }
        note[0] = "fused " + chain + " (one narrow stage, " + rdds.size() + " distributed input"
                + (rdds.size() == 1 ? "" : "s") + inputs + ")";
        JavaRDD<List<List<Block>>> zipped = dry ? null : Rdds.zip(sc, rdds, out.partitions());
        return new RegionPlan(out, zipped, new RegionBlocks(expr, out, rddOf, locals, generated, slotShapes));
    }

    private static List<Map.Entry<int[], Tensor>> evaluateBlocks(int p, List<List<Block>> in, RegionBlocks plan) {
        Layout out = plan.out();
        int[] rddOf = plan.rddOf();
        LocalOperand[] locals = plan.locals();
        Sources.Generated[] generated = plan.generated();
        long[][] slotShapes = plan.slotShapes();
        List<Map<BlockIndex, Block>> maps = new ArrayList<>();
        for (List<Block> l : in) {
            Map<BlockIndex, Block> m = new java.util.HashMap<>();
            for (Block b : l) {
                m.put(b.key(), b);
            }
            maps.add(m);
        }
        Tensor[] localVals = new Tensor[locals.length];
        for (int i = 0; i < locals.length; i++) {
            localVals[i] = locals[i] == null ? null : locals[i].get();
        }
        long[] rootShape = out.shape().dims();
        List<Map.Entry<int[], Tensor>> res = new ArrayList<>();
        for (int[] idx : out.blocksOf(p)) {
            long[] start = out.grid().blockStart(idx);
            long[] size = out.grid().blockShape(idx);
            Node node = Expr.build(plan.expr(), size, s -> {
                long[] ls = slotShapes[s];
                int lead = rootShape.length - ls.length;
                if (rddOf[s] >= 0 || generated[s] != null) {
                    int[] li = new int[ls.length];
                    for (int j = 0; j < ls.length; j++) {
                        li[j] = ls[j] == 1 && rootShape[lead + j] != 1 ? 0 : idx[lead + j];
                    }
                    if (generated[s] != null) {
                        return generated[s].block(li);
                    }
                    Block b = maps.get(rddOf[s]).get(new BlockIndex(li));
                    if (b == null) {
                        throw new IllegalStateException("missing input block " + BlockIndex.format(li) + " for output "
                                + BlockIndex.format(idx));
                    }
                    return b.data().node();
                }
                long[] st = new long[ls.length];
                long[] sz = new long[ls.length];
                for (int j = 0; j < ls.length; j++) {
                    boolean broadcast = ls[j] == 1 && rootShape[lead + j] != 1;
                    st[j] = broadcast ? 0 : start[lead + j];
                    sz[j] = broadcast ? 1 : size[lead + j];
                }
                return Blocks.region(localVals[s], st, sz).node();
            });
            res.add(Map.entry(idx, Tensor.of(node)));
        }
        return res;
    }

    private SparkValue evaluateLocally(Node root, Expr expr, List<SparkValue> vals) {
        if (dry) {
            return new SparkValue.Local(null, root.shape(), root.dtype());
        }
        try (GradMode.NoGrad ignored = GradMode.disable()) {
            Node n = Expr.build(expr, root.shape().dims(), s -> ((SparkValue.Local) vals.get(s)).value());
            return SparkValue.Local.of(Tensor.of(n).realize().node());
        }
    }

    /** The output layout implied by a distributed input of the region. */
    private Layout inducedOutput(SparkValue.Distributed d, long[] rootShape) {
        long[] ls = d.shape().dims();
        int lead = rootShape.length - ls.length;
        long[][] chunks = new long[rootShape.length][];
        int pdim = -1;
        for (int rd = 0; rd < rootShape.length; rd++) {
            int j = rd - lead;
            if (j >= 0 && ls[j] == rootShape[rd]) {
                chunks[rd] = d.layout().grid().chunks(j);
                if (j == d.layout().pdim()) {
                    pdim = rd;
                }
            } else {
                chunks[rd] = new long[] {rootShape[rd]};
            }
        }
        if (pdim < 0) {
            return defaultLayout(Shape.of(rootShape), d.dtype());
        }
        return new Layout(BlockGrid.of(chunks), pdim);
    }

    /** The layout an input of shape {@code ls} needs to zip with {@code out}, or null if it must be broadcast. */
    private static Layout leafLayout(long[] ls, Layout out) {
        long[] rootShape = out.shape().dims();
        int lead = rootShape.length - ls.length;
        int pj = out.pdim() - lead;
        if (pj < 0 || (ls[pj] == 1 && rootShape[out.pdim()] != 1)) {
            return null;
        }
        long[][] chunks = new long[ls.length][];
        for (int j = 0; j < ls.length; j++) {
            chunks[j] = ls[j] == 1 && rootShape[lead + j] != 1 ? new long[] {1} : out.grid().chunks(lead + j);
        }
        return new Layout(BlockGrid.of(chunks), pj);
    }

    private static boolean fusable(Node n) {
        return !n.isRealized() && !n.device().equals(Device.CPU)
                && (n.op().isElementwise() || n.op() == Op.EXPAND);
    }

    /** The region's expression; a node used twice becomes one shared Expr object (a DAG, computed once). */
    private Expr build(Node n, boolean root, Map<Node, Expr> built, List<Node> leaves, Map<Node, Integer> slots) {
        Expr e = built.get(n);
        if (e != null) {
            return e;
        }
        long[] shape = n.shape().dims();
        if (!n.isRealized() && n.op() == Op.FILL) {
            e = new Expr.Fill(((Attrs.Fill) n.attrs()).value(), n.dtype(), shape);
        } else if (!fusable(n) && (!root || n.isRealized())) {
            Integer s = slots.get(n);
            if (s == null) {
                s = leaves.size();
                leaves.add(n);
                slots.put(n, s);
            }
            e = new Expr.Slot(s, shape);
        } else {
            Node[] in = n.inputs();
            Expr[] args = new Expr[in.length];
            for (int i = 0; i < in.length; i++) {
                args[i] = build(in[i], false, built, leaves, slots);
            }
            e = new Expr.Apply(n.op(), n.dtype(), (Serializable) n.attrs(), shape, args);
        }
        built.put(n, e);
        return e;
    }
}
