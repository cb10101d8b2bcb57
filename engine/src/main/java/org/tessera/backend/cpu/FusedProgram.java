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
 * computed once per tile.
 */
final class FusedProgram {
    /**
     * Elements per tile: a few tiles stay in L2 cache, and each copy between off-heap memory and a
     * tile is long enough that its fixed cost does not count (8192 measured best for a three-op chain).
     */
    static final int TILE = 8192;
    /** Most nodes in one program; larger chains are cut and realized in parts. */
    static final int MAX_STEPS = 64;

    private final Node root;
    private final FusedChain chain;
    private final List<Node> steps;
    /** Steps computed as {@code max(x, 0)}: WHERE(x <= 0, 0, x), which is exactly that for floats. */
    private final java.util.Set<Node> reluSteps = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Steps whose only use was folded into another step. */
    private final java.util.Set<Node> skipped = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    private FusedProgram(FusedChain chain) {
        this.chain = chain;
        this.root = chain.root();
        this.steps = chain.steps();
    }

    /** Whether {@code n} joins a fused chain rather than being loaded as realized data. */
    static boolean fusible(Node n) {
        return !n.isRealized() && FusedChain.isChainOp(n);
    }

    /** Collects the chain under {@code root} (an unrealized elementwise node). */
    static FusedProgram plan(Node root) {
        FusedProgram p = new FusedProgram(FusedChain.collect(root, MAX_STEPS, FusedProgram::fusible));
        p.foldRelu();
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
            for (Node in : s.inputs()) {
                uses.merge(in, 1, Integer::sum);
            }
        }
        for (Node s : steps) {
            if (s.op() != Op.WHERE || chain.isLeaf(s) || !s.dtype().isFloatingPoint()) {
                continue;
            }
            Node c = s.input(0);
            Node x = s.input(2);
            if (chain.isLeaf(c) || c.op() != Op.LE || c.input(0) != x || !isZeroFill(c.input(1))
                    || !isZeroFill(s.input(1)) || !x.shape().equals(s.shape())) {
                continue;
            }
            reluSteps.add(s);
            if (uses.getOrDefault(c, 0) == 1 && c != root) {
                skipped.add(c);
            }
        }
    }

    /** Whether part of the chain was realized since planning (then plan again). */
    boolean isStale() {
        return chain.isStale();
    }

    /** Leaves that must be realized (locally) before this program can run. */
    List<Node> dependencies() {
        return chain.dependencies();
    }

    /** Runs the program, writing the root's elements to the contiguous buffer at {@code out}. */
    void run(long out) {
        Shape shape = root.shape();
        int ns = steps.size();
        Strided[] loads = new Strided[ns];
        for (int i = 0; i < ns; i++) {
            // steps realized since planning make the program stale; CpuBackend plans it again
            if (chain.isLeaf(steps.get(i))) {
                loads[i] = Strided.of(steps.get(i), shape);
            }
        }
        Strided dst = Strided.contiguous(out, root.dtype(), shape);
        // give steps whose values are dead the same tile array, so the working set stays in L1
        int[] slot = assignSlots();
        int slots = 0;
        for (int v : slot) {
            slots = Math.max(slots, v + 1);
        }
        Kind[] slotKind = new Kind[slots];
        for (int i = 0; i < ns; i++) {
            if (slot[i] >= 0) {
                slotKind[slot[i]] = Kind.of(steps.get(i).dtype());
            }
        }
        final int slotCount = slots;
        // what each step does per tile, decided once: no lookups inside the tile loop
        final int load = 0;
        final int idle = 1;
        final int relu = 2;
        final int eval = 3;
        int[] action = new int[ns];
        int[][] inputs = new int[ns][];
        for (int i = 0; i < ns; i++) {
            Node s = steps.get(i);
            if (loads[i] != null) {
                action[i] = load;
            } else if (s.op() == Op.FILL || skipped.contains(s)) {
                action[i] = idle;
            } else if (reluSteps.contains(s)) {
                action[i] = relu;
                inputs[i] = new int[] {chain.indexOf(s.input(2))};
            } else {
                action[i] = eval;
                Node[] in = s.inputs();
                inputs[i] = new int[in.length];
                for (int k = 0; k < in.length; k++) {
                    inputs[i][k] = chain.indexOf(in[k]);
                }
            }
        }
        long n = shape.numel();
        Parallel.forRange(n, 4L * TILE, TILE, (start, end) -> {
            Object[] arrays = new Object[slotCount];
            for (int k = 0; k < slotCount; k++) {
                arrays[k] = slotKind[k].newTile(TILE);
            }
            Object[] tiles = new Object[ns];
            for (int i = 0; i < ns; i++) {
                Node s = steps.get(i);
                tiles[i] = slot[i] >= 0 ? arrays[slot[i]] : null;
                if (loads[i] == null && s.op() == Op.FILL) {
                    fillTile(tiles[i], s.dtype(), ((Attrs.Fill) s.attrs()).value());
                }
            }
            for (long t = start; t < end; t += TILE) {
                int len = (int) Math.min(TILE, end - t);
                for (int i = 0; i < ns; i++) {
                    switch (action[i]) {
                        case load -> loads[i].load(t, len, tiles[i]);
                        case relu -> ElementwiseKernels.relu(Kind.of(steps.get(i).dtype()), tiles[inputs[i][0]], tiles[i], len);
                        case eval -> evaluate(steps.get(i), tiles, inputs[i], tiles[i], len);
                        default -> {
                        }
                    }
                }
                dst.store(t, len, tiles[ns - 1]);
            }
        });
    }

    /** The inputs a step actually reads when evaluated. */
    private List<Node> reads(Node s) {
        if (chain.isLeaf(s) || s.op() == Op.FILL || skipped.contains(s)) {
            return List.of();
        }
        if (reluSteps.contains(s)) {
            return List.of(s.input(2));
        }
        return List.of(s.inputs());
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

    private static void evaluate(Node s, Object[] tiles, int[] in, Object out, int len) {
        Op op = s.op();
        DType t = s.dtype();
        switch (op.kind()) {
            case UNARY -> {
                Node x = s.input(0);
                if (op == Op.CAST) {
                    ElementwiseKernels.cast(Kind.of(x.dtype()), tiles[in[0]], t, out, len);
                    return;
                }
                ElementwiseKernels.unary(op, Kind.of(t), tiles[in[0]], out, len);
            }
            case BINARY -> {
                Kind k = Kind.of(s.input(0).dtype());
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
