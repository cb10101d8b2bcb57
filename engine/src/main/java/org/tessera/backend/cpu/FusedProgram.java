package org.tessera.backend.cpu;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.backend.FusedChain;
import org.tessera.graph.Attrs;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * A chain (DAG) of elementwise nodes evaluated in one pass over memory.
 *
 * <p>The output is computed a tile at a time: each leaf is loaded (strided, broadcast) into a
 * small array, each op runs one tight loop over its tile, and only the final tile is written
 * out. No intermediate buffer of the full size exists, and a node shared within the chain is
 * computed once per tile. Unrealized ARANGE, RAND and RANDN nodes are steps too: their elements
 * are generated tile by tile from their indices ({@link SourceKernels.Source}), the same values a
 * realized source would hold, so {@code randn(n).square().sum()} needs no buffer of {@code n}.
 */
final class FusedProgram {
    /**
     * Elements per tile: the tiles of a chain stay in L1 cache (8 KB each for float32), and each copy
     * between off-heap memory and a tile is long enough that its fixed cost does not count (2048 ran
     * 5–10% faster than 8192 for `neg`, `add`, `mul.add` and `relu(a*b+c)` over 2^26 float32 values).
     */
    static final int TILE = 2048;
    /** Most nodes in one program; larger chains are cut and realized in parts. */
    static final int MAX_STEPS = 64;

    private final Node root;
    private final FusedChain chain;
    private final List<Node> steps;
    /** Steps computed as {@code max(x, 0)}: WHERE(x <= 0, 0, x), which is exactly that for floats. */
    private final java.util.Set<Node> reluSteps = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Steps whose only use was folded into another step. */
    private final java.util.Set<Node> skipped = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Steps computed by {@link ReduceLoops#affine}: two constant-operand ops, and a relu, in one loop. */
    private final Map<Node, Affine> affine = new IdentityHashMap<>();

    /**
     * {@code [relu]((x * c1) + c2)} when {@code mulFirst}, else {@code [relu]((x + c1) * c2)}, on
     * float32: what a step and the steps folded into it compute from {@code input}.
     */
    private record Affine(Node input, boolean mulFirst, float c1, float c2, boolean relu) {
    }

    private FusedProgram(FusedChain chain) {
        this.chain = chain;
        this.root = chain.root();
        this.steps = chain.steps();
    }

    /** Whether {@code n} joins a fused chain rather than being loaded as realized data. */
    static boolean fusible(Node n) {
        return !n.isRealized() && (FusedChain.isChainOp(n) || SourceKernels.isGenerated(n.op()));
    }

    /** Collects the chain under {@code root} (an unrealized elementwise node). */
    static FusedProgram plan(Node root) {
        FusedProgram p = new FusedProgram(FusedChain.collect(root, MAX_STEPS, FusedProgram::fusible));
        p.foldRelu();
        p.foldAffine();
        return p;
    }

    private static boolean isZeroFill(Node n) {
        return n.op() == Op.FILL && !n.isRealized() && ((Attrs.Fill) n.attrs()).value().doubleValue() == 0
                && n.shape().rank() == 0;
    }

    /**
     * Finds WHERE(LE(x, 0), 0, x) on floats (what relu builds) and evaluates it as one
     * vectorizable max; the comparison is skipped when nothing else in the chain reads it.
     */
    private void foldRelu() {
        Map<Node, Integer> uses = new IdentityHashMap<>();
        for (Node s : steps) {
            if (chain.isLeaf(s)) {
                continue;
            }
            for (Node in : chain.inputs(s)) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        for (Node s : steps) {
            if (s.op() != Op.WHERE || chain.isLeaf(s) || !s.dtype().isFloatingPoint()) {
                continue;
            }
            Node c = chain.input(s, 0);
            Node x = chain.input(s, 2);
            if (chain.isLeaf(c) || c.op() != Op.LE || chain.input(c, 0) != x || !isZeroFill(chain.input(c, 1))
                    || !isZeroFill(chain.input(s, 1)) || !x.shape().equals(s.shape())) {
                continue;
            }
            reluSteps.add(s);
            if (uses.getOrDefault(c, 0) == 1 && c != root) {
                skipped.add(c);
            }
        }
    }

    /**
     * The constant operand of {@code s} as a float32 addend ({@code x + c}, {@code c + x} and
     * {@code x - c} as {@code x + (-c)}, which IEEE 754 defines to be the same), or as a factor;
     * null when {@code s} is not such a float32 step.
     */
    private Float constantOperand(Node s, boolean add) {
        if (chain.isLeaf(s) || s.dtype() != DType.FLOAT32 || skipped.contains(s) || affine.containsKey(s)
                || reluSteps.contains(s)) {
            return null;
        }
        Op op = s.op();
        if (add ? op != Op.ADD && op != Op.SUB : op != Op.MUL) {
            return null;
        }
        int side = scalarOperand(s);
        if (side < 0 || (op == Op.SUB && side == 0)) {
            return null;
        }
        float c = ((Attrs.Fill) chain.input(s, side).attrs()).value().floatValue();
        return op == Op.SUB ? -c : c;
    }

    /**
     * Which input of {@code s} (0 or 1) is a constant fill computed in the chain, when {@code s}
     * is float arithmetic that has a loop with a constant operand; -1 otherwise.
     */
    private int scalarOperand(Node s) {
        if (s.op().kind() != Op.Kind.BINARY || !ElementwiseKernels.hasScalarLoop(s.op(), Kind.of(s.dtype()))
                || chain.input(s, 0).dtype() != s.dtype() || chain.input(s, 1).dtype() != s.dtype()) {
            return -1;
        }
        for (int side = 1; side >= 0; side--) {
            Node in = chain.input(s, side);
            if (in.op() == Op.FILL && !chain.isLeaf(in) && chain.input(s, 1 - side).shape().equals(s.shape())) {
                return side;
            }
        }
        return -1;
    }

    /**
     * Folds a float32 multiply and add by constants ({@code x * a + b}, {@code (x - m) * s}) into
     * one loop, and a relu into the op (or pair) it reads: one pass over the tile instead of two or
     * three. The folded steps are read by nothing else, so nothing else needs their values; the
     * arithmetic is the same, op by op, so the results are bit-identical.
     */
    private void foldAffine() {
        Map<Node, Integer> uses = new IdentityHashMap<>();
        for (Node s : steps) {
            for (Node in : reads(s)) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        for (Node s : steps) {
            if (chain.isLeaf(s) || skipped.contains(s)) {
                continue;
            }
            if (reluSteps.contains(s)) {
                Node x = chain.input(s, 2);
                if (x == root || uses.getOrDefault(x, 0) != 1 || s.dtype() != DType.FLOAT32) {
                    continue;
                }
                Affine pair = affine.get(x);
                Float add = constantOperand(x, true);
                Float mul = constantOperand(x, false);
                Affine f = pair != null && !pair.relu()
                        ? new Affine(pair.input(), pair.mulFirst(), pair.c1(), pair.c2(), true)
                        // one op and a relu: the other op an identity that relu cannot tell apart
                        // ((x * c) + 0 differs from x * c only in the sign of a zero)
                        : mul != null ? new Affine(other(x), true, mul, 0f, true)
                        : add != null ? new Affine(other(x), false, add, 1f, true)
                        : null;
                if (f != null) {
                    affine.remove(x);
                    affine.put(s, f);
                    skipped.add(x);
                }
                continue;
            }
            for (boolean mulFirst : new boolean[] {true, false}) {
                Float outer = constantOperand(s, mulFirst);
                if (outer == null) {
                    continue;
                }
                Node x = other(s);
                Float inner = constantOperand(x, !mulFirst);
                if (inner != null && x != root && uses.getOrDefault(x, 0) == 1) {
                    affine.put(s, new Affine(other(x), mulFirst, inner, outer, false));
                    skipped.add(x);
                }
                break;
            }
        }
    }

    /** The input of a constant-operand step that is not the constant. */
    private Node other(Node s) {
        return chain.input(s, 1 - scalarOperand(s));
    }

    /** How many steps run as {@link ReduceLoops#affine} (for tests). */
    int affineSteps() {
        return affine.size();
    }

    /** Whether part of the chain was realized since planning (then plan again). */
    boolean isStale() {
        return chain.isStale();
    }

    /** Leaves that must be realized (locally) before this program can run. */
    List<Node> dependencies() {
        return chain.dependencies();
    }

    /** The chain the program evaluates. */
    FusedChain chain() {
        return chain;
    }

    /** Every leaf the program reads as data (realized or not yet). */
    List<Node> leaves() {
        return chain.leaves();
    }

    /** Runs the program, writing the root's elements to the contiguous buffer at {@code out}. */
    void run(long out) {
        Shape shape = root.shape();
        Strided dst = Strided.contiguous(out, root.dtype(), shape);
        Layout layout = layout(null);
        Parallel.forRange(shape.numel(), 4L * TILE, TILE, (start, end) -> {
            Evaluator ev = layout.evaluator((int) Math.min(TILE, end - start));
            for (long t = start; t < end; t += TILE) {
                int len = (int) Math.min(TILE, end - t);
                dst.store(t, len, ev.evaluate(t, len));
            }
        });
    }

    /** The root's dtype (the dtype of every tile {@link Evaluator#evaluate} returns). */
    DType dtype() {
        return root.dtype();
    }

    /**
     * The program's per-tile plan for iterating the root's elements in the order of the root's
     * dims permuted by {@code perm} (row-major order when null): a reduction reads the dims it
     * keeps first and the dims it reduces last, without any buffer of the root's size.
     */
    Layout layout(int[] perm) {
        return new Layout(perm);
    }

    /** The fixed part of a run: leaf views, tile slots and what each step does per tile. */
    final class Layout {
        private static final int LOAD = 0;
        private static final int IDLE = 1;
        private static final int RELU = 2;
        private static final int EVAL = 3;
        private static final int SCALAR = 4;
        private static final int GENERATE = 5;
        private static final int AFFINE = 6;
        private final Strided[] loads;
        /** For GENERATE steps: the source's linear element indices in the iteration order. */
        private final Strided[] indices;
        private final int[] slot;
        private final Kind[] slotKind;
        private final int[] action;
        private final int[][] inputs;
        /** For SCALAR steps: the constant operand, and whether it is the left one. */
        private final double[] scalar;
        private final boolean[] scalarFirst;
        /** For AFFINE steps: what they compute. */
        private final Affine[] affines;
        /** For EVAL steps: the dtype of the first input (as the chain was collected). */
        private final DType[] in0;
        /**
         * The step whose float32 leaf, one contiguous run, the root's multiply-add reads, so that a sum
         * of the root reads the leaf where it lies (no tile copy where the loops read in place); -1
         * when the root is not such a step.
         */
        private final int affineLeaf;

        private Layout(int[] perm) {
            Shape shape = root.shape();
            int ns = steps.size();
            loads = new Strided[ns];
            indices = new Strided[ns];
            for (int i = 0; i < ns; i++) {
                // steps realized since planning make the program stale; CpuBackend plans it again
                Node s = steps.get(i);
                if (chain.isLeaf(s)) {
                    loads[i] = Strided.permuted(s.address(), s.dtype(), s.shape(), s.strides(), shape, perm);
                } else if (SourceKernels.isGenerated(s.op())) {
                    // the element index of a (broadcast, permuted) source, as the address in a contiguous array based at 0
                    indices[i] = Strided.permuted(0, s.dtype(), s.shape(), s.shape().contiguousStrides(), shape, perm);
                }
            }
            // give steps whose values are dead the same tile array, so the working set stays in L1
            slot = assignSlots();
            int slots = 0;
            for (int v : slot) {
                slots = Math.max(slots, v + 1);
            }
            slotKind = new Kind[slots];
            for (int i = 0; i < ns; i++) {
                if (slot[i] >= 0) {
                    slotKind[slot[i]] = Kind.of(steps.get(i).dtype());
                }
            }
            // what each step does per tile, decided once: no lookups inside the tile loop
            action = new int[ns];
            inputs = new int[ns][];
            scalar = new double[ns];
            scalarFirst = new boolean[ns];
            affines = new Affine[ns];
            in0 = new DType[ns];
            for (int i = 0; i < ns; i++) {
                Node s = steps.get(i);
                if (loads[i] != null) {
                    action[i] = LOAD;
                } else if (indices[i] != null) {
                    action[i] = GENERATE;
                } else if (s.op() == Op.FILL || skipped.contains(s)) {
                    action[i] = IDLE;
                } else if (affine.containsKey(s)) {
                    action[i] = AFFINE;
                    affines[i] = affine.get(s);
                    inputs[i] = new int[] {chain.indexOf(affines[i].input())};
                } else if (reluSteps.contains(s)) {
                    action[i] = RELU;
                    inputs[i] = new int[] {chain.indexOf(chain.input(s, 2))};
                } else if (scalarOperand(s) >= 0) {
                    // a binary op with a constant operand: one loop over the other tile
                    int side = scalarOperand(s);
                    Node fill = chain.input(s, side);
                    Number v = ((Attrs.Fill) fill.attrs()).value();
                    action[i] = SCALAR;
                    scalar[i] = Kind.of(s.dtype()) == Kind.F32 ? v.floatValue() : v.doubleValue();
                    scalarFirst[i] = side == 0;
                    inputs[i] = new int[] {chain.indexOf(chain.input(s, 1 - side))};
                } else {
                    action[i] = EVAL;
                    Node[] in = chain.inputs(s);
                    in0[i] = in.length > 0 ? in[0].dtype() : null;
                    inputs[i] = new int[in.length];
                    for (int k = 0; k < in.length; k++) {
                        inputs[i][k] = chain.indexOf(in[k]);
                    }
                }
            }
            affineLeaf = findAffineLeaf();
        }

        private int findAffineLeaf() {
            int root = steps.size() - 1;
            if (action[root] != AFFINE || steps.get(root).dtype() != DType.FLOAT32) {
                return -1;
            }
            int in = inputs[root][0];
            return action[in] == LOAD && loads[in].isContiguous() && loads[in].dtype == DType.FLOAT32 ? in : -1;
        }

        /** Scratch tiles of up to {@code tile} elements for one thread. */
        Evaluator evaluator(int tile) {
            return new Evaluator(this, tile);
        }
    }

    /** One thread's tiles: computes any run of the root's elements into a tile array. */
    final class Evaluator {
        private final Layout layout;
        private final Object[] tiles;
        private final Kind[] kinds;
        private final SourceKernels.Source[] sources;

        private Evaluator(Layout layout, int tile) {
            this.layout = layout;
            int ns = steps.size();
            Object[] arrays = new Object[layout.slotKind.length];
            for (int k = 0; k < arrays.length; k++) {
                arrays[k] = layout.slotKind[k].newTile(tile);
            }
            tiles = new Object[ns];
            kinds = new Kind[ns];
            sources = new SourceKernels.Source[ns];
            for (int i = 0; i < ns; i++) {
                Node s = steps.get(i);
                kinds[i] = Kind.of(s.dtype());
                if (layout.indices[i] != null) {
                    sources[i] = new SourceKernels.Source(s.op(), s.attrs(), s.dtype());
                }
                tiles[i] = layout.slot[i] >= 0 ? arrays[layout.slot[i]] : null;
                if (layout.loads[i] == null && s.op() == Op.FILL) {
                    fillTile(tiles[i], s.dtype(), ((Attrs.Fill) s.attrs()).value());
                }
            }
        }

        /**
         * Computes the root's elements {@code [start, start + len)} of the iteration order and
         * returns the tile that holds them at {@code [0, len)}; it is overwritten by the next call.
         */
        Object evaluate(long start, int len) {
            int ns = tiles.length;
            steps(ns, start, len);
            return tiles[ns - 1];
        }

        /**
         * The float32 sum of the root's elements {@code [start, start + len)}, as {@code loops.sum}
         * of {@link #evaluate}'s tile; a folded multiply-add (and relu) at the root is summed as it
         * is computed, without storing its tile and reading it again.
         */
        double sumFloats(long start, int len, ReduceLoops loops) {
            int root = tiles.length - 1;
            if (layout.action[root] != Layout.AFFINE) {
                return loops.sum((float[]) evaluate(start, len), len);
            }
            Affine f = layout.affines[root];
            if (layout.affineLeaf >= 0) {
                // the root reads nothing but the leaf: no other step's tile is needed
                long at = layout.loads[layout.affineLeaf].base + 4L * start;
                return loops.affineSum(at, len, f.mulFirst(), f.c1(), f.c2(), f.relu(), (float[]) tiles[root]);
            }
            steps(root, start, len);
            return loops.affineSum((float[]) tiles[layout.inputs[root][0]], len, f.mulFirst(), f.c1(), f.c2(), f.relu(),
                    (float[]) tiles[root]);
        }

        /** Computes steps {@code [0, count)} for the elements {@code [start, start + len)}. */
        private void steps(int count, long start, int len) {
            for (int i = 0; i < count; i++) {
                step(i, start, len);
            }
        }

        /** Computes step {@code i} for the elements {@code [start, start + len)}. */
        private void step(int i, long start, int len) {
            switch (layout.action[i]) {
                case Layout.LOAD -> layout.loads[i].load(start, len, tiles[i]);
                case Layout.GENERATE -> generate(i, start, len);
                case Layout.RELU -> ElementwiseKernels.relu(kinds[i], tiles[layout.inputs[i][0]], tiles[i], len);
                case Layout.AFFINE -> affine(i, len);
                case Layout.EVAL -> FusedProgram.evaluate(steps.get(i), layout.in0[i], tiles, layout.inputs[i], tiles[i],
                        len);
                case Layout.SCALAR -> ElementwiseKernels.binaryScalar(steps.get(i).op(), kinds[i],
                        tiles[layout.inputs[i][0]], layout.scalar[i], layout.scalarFirst[i], tiles[i], len);
                default -> {
                }
            }
        }

        private void affine(int step, int len) {
            Affine f = layout.affines[step];
            ReduceLoops.get().affine((float[]) tiles[layout.inputs[step][0]], (float[]) tiles[step], len, f.mulFirst(),
                    f.c1(), f.c2(), f.relu());
        }

        private void generate(int step, long start, int len) {
            SourceKernels.Source src = sources[step];
            Object tile = tiles[step];
            layout.indices[step].forEachRun(start, len, (element, stride, n, off) ->
                    src.generate(element, stride, n, tile, off));
        }
    }

    /** The inputs a step actually reads when evaluated. */
    private List<Node> reads(Node s) {
        if (chain.isLeaf(s) || s.op() == Op.FILL || skipped.contains(s)) {
            return List.of();
        }
        Affine f = affine.get(s);
        if (f != null) {
            return List.of(f.input());
        }
        if (reluSteps.contains(s)) {
            return List.of(chain.input(s, 2));
        }
        return List.of(chain.inputs(s));
    }

    /**
     * Tile slots by liveness: a step may write into the tile of an input it reads for the last
     * time (every kernel reads element i before writing element i). Constants keep their own.
     */
    private int[] assignSlots() {
        int ns = steps.size();
        int[] lastUse = new int[ns];
        for (int i = 0; i < ns; i++) {
            lastUse[i] = steps.get(i).op() == Op.FILL && !chain.isLeaf(steps.get(i)) ? Integer.MAX_VALUE : i;
        }
        lastUse[ns - 1] = Integer.MAX_VALUE;
        for (int i = 0; i < ns; i++) {
            for (Node in : reads(steps.get(i))) {
                int j = chain.indexOf(in);
                if (lastUse[j] != Integer.MAX_VALUE) {
                    lastUse[j] = Math.max(lastUse[j], i);
                }
            }
        }
        int[] slot = new int[ns];
        Map<Kind, ArrayDeque<Integer>> free = new java.util.EnumMap<>(Kind.class);
        int next = 0;
        for (int i = 0; i < ns; i++) {
            Node s = steps.get(i);
            if (skipped.contains(s)) {
                slot[i] = -1;
                continue;
            }
            for (Node in : reads(s)) {
                int j = chain.indexOf(in);
                if (lastUse[j] == i && slot[j] >= 0) {
                    free.computeIfAbsent(Kind.of(in.dtype()), k -> new ArrayDeque<>()).push(slot[j]);
                    lastUse[j] = -1; // freed once even if read twice
                }
            }
            if (s.op() == Op.FILL && !chain.isLeaf(s)) {
                slot[i] = next++; // filled once per chunk, so never shared
                continue;
            }
            ArrayDeque<Integer> q = free.get(Kind.of(s.dtype()));
            slot[i] = q != null && !q.isEmpty() ? q.pop() : next++;
        }
        return slot;
    }

    private static void evaluate(Node s, DType in0, Object[] tiles, int[] in, Object out, int len) {
        Op op = s.op();
        DType t = s.dtype();
        switch (op.kind()) {
            case UNARY -> {
                if (op == Op.CAST) {
                    ElementwiseKernels.cast(Kind.of(in0), tiles[in[0]], t, out, len);
                    return;
                }
                ElementwiseKernels.unary(op, Kind.of(t), tiles[in[0]], out, len);
            }
            case BINARY -> {
                Kind k = Kind.of(in0);
                if (op.isComparison()) {
                    ElementwiseKernels.compare(op, k, tiles[in[0]], tiles[in[1]], (long[]) out, len);
                    return;
                }
                ElementwiseKernels.binary(op, k, tiles[in[0]], tiles[in[1]], out, len);
            }
            case TERNARY -> ElementwiseKernels.where((long[]) tiles[in[0]], Kind.of(t), tiles[in[1]],
                    tiles[in[2]], out, len);
            default -> throw new IllegalStateException("not elementwise: " + s);
        }
        ElementwiseKernels.normalize(t, out, len);
    }

    static void fillTile(Object tile, DType t, Number v) {
        switch (Kind.of(t)) {
            case F32 -> java.util.Arrays.fill((float[]) tile, v.floatValue());
            case F64 -> java.util.Arrays.fill((double[]) tile, v.doubleValue());
            case I64 -> java.util.Arrays.fill((long[]) tile, t == DType.BOOL
                    ? (v.doubleValue() != 0 ? 1 : 0) : t == DType.INT32 ? (int) v.longValue() : v.longValue());
        }
    }
}
