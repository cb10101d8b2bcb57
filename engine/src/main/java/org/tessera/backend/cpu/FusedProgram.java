package org.tessera.backend.cpu;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.DType;
import org.tessera.Shape;
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
    /** Elements per tile: small enough that a few tiles stay in L1/L2 cache. */
    static final int TILE = 2048;
    /** Most nodes in one program; larger chains are cut and realized in parts. */
    static final int MAX_STEPS = 64;

    private final Node root;
    private final List<Node> steps = new ArrayList<>();
    private final Map<Node, Integer> index = new IdentityHashMap<>();
    private final List<Node> leaves = new ArrayList<>();

    private FusedProgram(Node root) {
        this.root = root;
    }

    /** Whether {@code n} joins a fused chain rather than being loaded as realized data. */
    static boolean fusible(Node n) {
        return !n.isRealized() && (n.op().isElementwise() || n.op() == Op.FILL);
    }

    /** Collects the chain under {@code root} (an unrealized elementwise node). */
    static FusedProgram plan(Node root) {
        FusedProgram p = new FusedProgram(root);
        // iterative post-order DFS so that long chains do not overflow the stack
        ArrayDeque<Node> stack = new ArrayDeque<>();
        ArrayDeque<Boolean> expanded = new ArrayDeque<>();
        stack.push(root);
        expanded.push(false);
        int budget = MAX_STEPS;
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            boolean done = expanded.pop();
            if (p.index.containsKey(n)) {
                continue;
            }
            boolean inline = n == root || (fusible(n) && budget > 0);
            if (!inline) {
                p.index.put(n, p.steps.size());
                p.steps.add(n);
                p.leaves.add(n);
                continue;
            }
            if (done) {
                p.index.put(n, p.steps.size());
                p.steps.add(n);
                continue;
            }
            budget--;
            stack.push(n);
            expanded.push(true);
            Node[] in = n.inputs();
            for (int i = in.length - 1; i >= 0; i--) {
                if (!p.index.containsKey(in[i])) {
                    stack.push(in[i]);
                    expanded.push(false);
                }
            }
        }
        return p;
    }

    /** Leaves that must be realized (locally) before this program can run. */
    List<Node> dependencies() {
        List<Node> d = new ArrayList<>();
        for (Node l : leaves) {
            if (!l.isRealized()) {
                d.add(l);
            }
        }
        return d;
    }

    /** Runs the program, writing the root's elements to the contiguous buffer at {@code out}. */
    void run(long out) {
        Shape shape = root.shape();
        int ns = steps.size();
        Strided[] loads = new Strided[ns];
        for (int i = 0; i < ns; i++) {
            Node s = steps.get(i);
            // a chain node may have been realized since planning (as the input of a dependency):
            // it has then dropped its inputs, so its data is loaded instead of recomputed
            if (leaves.contains(s) || (s != root && s.isRealized())) {
                loads[i] = Strided.of(s, shape);
            }
        }
        Strided dst = Strided.contiguous(out, root.dtype(), shape);
        long n = shape.numel();
        Parallel.forRange(n, 4L * TILE, TILE, (start, end) -> {
            Object[] tiles = new Object[ns];
            int[] in = new int[3];
            for (int i = 0; i < ns; i++) {
                Node s = steps.get(i);
                tiles[i] = Kind.of(s.dtype()).newTile(TILE);
                if (loads[i] == null && s.op() == Op.FILL) {
                    fillTile(tiles[i], s.dtype(), ((Attrs.Fill) s.attrs()).value());
                }
            }
            for (long t = start; t < end; t += TILE) {
                int len = (int) Math.min(TILE, end - t);
                for (int i = 0; i < ns; i++) {
                    if (loads[i] != null) {
                        loads[i].load(t, len, tiles[i]);
                        continue;
                    }
                    Node s = steps.get(i);
                    if (s.op() == Op.FILL) {
                        continue;
                    }
                    Node[] inputs = s.inputs();
                    for (int k = 0; k < inputs.length; k++) {
                        in[k] = index.get(inputs[k]);
                    }
                    evaluate(s, tiles, in, tiles[i], len);
                }
                dst.store(t, len, tiles[ns - 1]);
            }
        });
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
