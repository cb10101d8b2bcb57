package org.tessera.spark.plan;

import java.io.Serializable;
import java.util.function.IntFunction;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.graph.Attrs;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * A fused chain of elementwise ops (and the broadcasts between them), shipped to executors and
 * rebuilt there block by block as a small local graph, which the CPU backend runs in one pass.
 *
 * <p>Every node of a region has a shape that broadcasts to the region's output; the block of a
 * node for an output block keeps the node's size-1 dims and takes the block's sizes elsewhere.
 */
sealed interface Expr extends Serializable {
    /** The node's whole (global) shape. */
    long[] shape();

    /** An input: slot {@code slot} of the region (a distributed tensor's block or a local value's region). */
    record Slot(int slot, long[] shape) implements Expr {
    }

    /** A constant fill, made block by block instead of shipped. */
    record Fill(Number value, DType dtype, long[] shape) implements Expr {
    }

    /** One elementwise (or expand) primitive over its arguments. */
    record Apply(Op op, DType dtype, Serializable attrs, long[] shape, Expr[] args) implements Expr {
    }

    /**
     * The block shape of a node of global shape {@code global} inside the output block of size
     * {@code blockSize} of a region whose output has the global shape {@code root}: a size-1 dim
     * broadcast against a longer one stays 1, every other dim takes the block's size (which may be
     * 0 where a slice left a chunk empty, even along a dim of global size 1).
     */
    static long[] blockShape(long[] global, long[] root, long[] blockSize) {
        int lead = blockSize.length - global.length;
        long[] s = new long[global.length];
        for (int j = 0; j < s.length; j++) {
            s[j] = global[j] == 1 && root[lead + j] != 1 ? 1 : blockSize[lead + j];
        }
        return s;
    }

    /** Builds the local graph of {@code e} for one output block; slots come from {@code slots}. */
    static Node build(Expr e, long[] blockSize, IntFunction<Node> slots) {
        return build(e, e.shape(), blockSize, slots, new java.util.IdentityHashMap<>());
    }

    private static Node build(Expr e, long[] root, long[] blockSize, IntFunction<Node> slots,
                              java.util.Map<Expr, Node> done) {
        Node n = done.get(e);
        if (n != null) {
            return n;
        }
        if (e instanceof Slot s) {
            n = slots.apply(s.slot());
        } else if (e instanceof Fill f) {
            n = Graph.nodeOn(Op.FILL, Shape.of(blockShape(f.shape(), root, blockSize)), f.dtype(), Device.CPU,
                    new Attrs.Fill(f.value()));
        } else {
            Apply a = (Apply) e;
            Node[] in = new Node[a.args().length];
            for (int i = 0; i < in.length; i++) {
                in[i] = build(a.args()[i], root, blockSize, slots, done);
            }
            n = Graph.nodeOn(a.op(), Shape.of(blockShape(a.shape(), root, blockSize)), a.dtype(), Device.CPU, a.attrs(), in);
        }
        done.put(e, n);
        return n;
    }

    /** A short text of the fused chain, for explain(). */
    static String describe(Expr e) {
        return describe(e, new java.util.IdentityHashMap<>());
    }

    private static String describe(Expr e, java.util.Map<Expr, String> seen) {
        String known = seen.get(e);
        if (known != null) {
            return known.length() > 40 ? "…" : known;
        }
        String d = describeOnce(e, seen);
        seen.put(e, d);
        return d;
    }

    private static String describeOnce(Expr e, java.util.Map<Expr, String> seen) {
        if (e instanceof Slot s) {
            return "$" + s.slot();
        }
        if (e instanceof Fill f) {
            return String.valueOf(f.value());
        }
        Apply a = (Apply) e;
        StringBuilder b = new StringBuilder(a.op().name().toLowerCase(java.util.Locale.ROOT)).append('(');
        for (int i = 0; i < a.args().length; i++) {
            b.append(i == 0 ? "" : ", ").append(describe(a.args()[i], seen));
        }
        return b.append(')').toString();
    }
}
