package org.tessera.backend.cuda;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.tessera.DType;
import org.tessera.backend.FusedChain;
import org.tessera.Shape;
import org.tessera.graph.Attrs;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * A chain (DAG) of elementwise nodes encoded as one launch of the {@code ts_fused} kernel
 * (elementwise.cuh): leaves become loads, the nodes become register steps, and only the root
 * is written to memory. The layout of the encoded words is described in elementwise.cuh.
 */
final class FusedKernel {
    static final int MAX_LEAVES = 16;
    static final int MAX_STEPS = 48;
    static final int HEADER = 7 + Geometry.MAX_RANK;
    static final int LEAF_WORDS = 3 + Geometry.MAX_RANK;
    static final int STEP_WORDS = 2;
    static final int WORDS = HEADER + MAX_LEAVES * LEAF_WORDS + MAX_STEPS * STEP_WORDS;

    static final int LOAD = 0;
    static final int FILL = 1;
    private static final Map<Op, Integer> CODES = new EnumMap<>(Op.class);

    static {
        Op[] table = {Op.NEG, Op.EXP, Op.LOG, Op.SQRT, Op.ABS, Op.SIGN, Op.TANH, Op.SIN, Op.COS, Op.NOT, Op.CAST,
            Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.POW, Op.MAXIMUM, Op.MINIMUM, Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE,
            Op.AND, Op.OR, Op.WHERE};
        for (int i = 0; i < table.length; i++) {
            CODES.put(table[i], i + 2);
        }
    }

    private final Node root;
    private final FusedChain chain;
    private final List<Node> steps;
    private final List<Node> leaves;

    private FusedKernel(FusedChain chain) {
        this.chain = chain;
        this.root = chain.root();
        this.steps = chain.steps();
        this.leaves = chain.leaves();
    }

    /** The op code of {@code op} in the kernel's table (elementwise.cuh), or -1. */
    static int code(Op op) {
        return op == Op.FILL ? FILL : CODES.getOrDefault(op, -1);
    }

    static boolean fusible(Node n, Node root) {
        return !n.isRealized() && n.device().equals(root.device()) && FusedChain.isChainOp(n);
    }

    /** Plans the chain under {@code root}, cutting it where it would exceed the kernel's limits. */
    static FusedKernel plan(Node root) {
        for (int budget = MAX_STEPS - 3; ; budget /= 2) {
            FusedKernel k = new FusedKernel(FusedChain.collect(root, budget, n -> fusible(n, root)));
            if (k.steps.size() <= MAX_STEPS && k.leaves.size() <= MAX_LEAVES) {
                return k;
            }
        }
    }

    /** Leaves that must be realized before the program can run. */
    List<Node> dependencies() {
        return chain.dependencies();
    }

    /** Whether part of the chain was realized since planning (then plan again). */
    boolean isStale() {
        return chain.isStale();
    }

    int stepCount() {
        return steps.size();
    }

    int leafCount() {
        return leaves.size();
    }

    private static int kind(DType t) {
        return t == DType.FLOAT32 ? 0 : t == DType.FLOAT64 ? 1 : 2;
    }

    /** A fill value as the register bits of {@code t}. */
    static long immediate(DType t, Number v) {
        return switch (t) {
            case FLOAT32 -> Integer.toUnsignedLong(Float.floatToRawIntBits(v.floatValue()));
            case FLOAT64 -> Double.doubleToRawLongBits(v.doubleValue());
            case BOOL -> v.doubleValue() != 0 ? 1 : 0;
            case INT32 -> (int) v.longValue();
            case INT64 -> v.longValue();
        };
    }

    /**
     * The kernel's argument words for writing the root to {@code out}; {@code dataOf} gives the
     * realized data (device address and strides) of each leaf.
     */
    long[] encode(long out, java.util.function.Function<Node, CudaData> dataOf) {
        Shape shape = root.shape();
        long[][] leafStrides = new long[leaves.size() + 1][];
        leafStrides[0] = shape.contiguousStrides();
        for (int i = 0; i < leaves.size(); i++) {
            Node l = leaves.get(i);
            leafStrides[i + 1] = Geometry.broadcastStrides(l.shape(), dataOf.apply(l).strides(), shape);
        }
        Geometry.Merged g = Geometry.merge(shape.dims(), leafStrides);
        Geometry.checkRank(g, "elementwise " + root.op(), root);
        long[] w = new long[WORDS];
        w[0] = shape.numel();
        w[1] = g.rank();
        w[2] = steps.size();
        w[3] = leaves.size();
        w[4] = out;
        w[5] = root.dtype().ordinal();
        Geometry.put(w, 7, g.shape());
        boolean general = false;
        long[] contiguous = Geometry.contiguous(g.shape());
        for (int i = 0; i < leaves.size(); i++) {
            Node l = leaves.get(i);
            long[] st = g.strides()[i + 1];
            int at = HEADER + i * LEAF_WORDS;
            w[at] = dataOf.apply(l).address(l.dtype());
            w[at + 1] = l.dtype().ordinal();
            boolean scalar = true;
            for (long s : st) {
                scalar &= s == 0;
            }
            int mode = java.util.Arrays.equals(st, contiguous) ? 0 : scalar ? 1 : 2;
            general |= mode == 2;
            w[at + 2] = mode;
            Geometry.put(w, at + 3, st);
        }
        w[6] = general ? 1 : 0;
        int base = HEADER + MAX_LEAVES * LEAF_WORDS;
        for (int s = 0; s < steps.size(); s++) {
            Node n = steps.get(s);
            long code;
            long imm = 0;
            int leaf = chain.isLeaf(n) ? leaves.indexOf(n) : -1;
            if (leaf >= 0) {
                code = LOAD | ((long) n.dtype().ordinal() << 8) | ((long) kind(n.dtype()) << 16) | ((long) leaf << 24);
            } else if (n.op() == Op.FILL) {
                code = FILL | ((long) n.dtype().ordinal() << 8) | ((long) kind(n.dtype()) << 16);
                imm = immediate(n.dtype(), ((Attrs.Fill) n.attrs()).value());
            } else {
                int op = code(n.op());
                if (op < 0) {
                    throw new IllegalStateException("no CUDA kernel for elementwise " + n.op());
                }
                Node[] in = chain.inputs(n); // as collected: another thread may realize n meanwhile
                int k = n.op() == Op.WHERE ? kind(n.dtype()) : kind(in[0].dtype());
                code = op | ((long) n.dtype().ordinal() << 8) | ((long) k << 16);
                for (int i = 0; i < in.length; i++) {
                    code |= (long) chain.indexOf(in[i]) << (24 + 8 * i);
                }
            }
            w[base + 2 * s] = code;
            w[base + 2 * s + 1] = imm;
        }
        return w;
    }

    /** Runs the program on {@code ctx}, writing the root contiguously to {@code out}. */
    void run(CudaContext ctx, long out, java.util.function.Function<Node, CudaData> dataOf) {
        long n = root.shape().numel();
        if (n == 0) {
            return;
        }
        long[] w = encode(out, dataOf);
        ctx.launch("ts_fused", ctx.gridFor(n, 256), 1, 1, 256, new KernelArgs().words(w));
    }
}
