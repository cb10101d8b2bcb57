package org.tessera.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.GradMode;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.memory.MemoryScope;
import org.tessera.memory.Storage;

/**
 * Computes the pending part of a lazy CPU tensor on another device and brings the values back:
 * for code that builds graphs on the CPU (such as the per-block kernels of a distributed tensor)
 * but should run them on an accelerator.
 *
 * <pre>{@code
 * Tensor y = x.mul(2).add(b).sum(1);              // lazy, on the CPU
 * Offload.realize(y, Device.cuda(0));             // computed on cuda:0; y is now a realized CPU tensor
 * }</pre>
 *
 * <p>{@link #realize(Tensor, Device)} rebuilds the unrealized nodes under the tensor on the target
 * device, with each realized CPU input (a leaf) copied there once, realizes the rebuilt graph,
 * copies the result back into a new CPU buffer and attaches it to the tensor's node, exactly as
 * {@link Tensor#realize()} would have attached the CPU result. The copies and every intermediate
 * on the device are freed before it returns (or throws), not left to the garbage collector.
 *
 * <p>What stays on the CPU:
 * <ul>
 *   <li>everything when the target is the CPU or the tensor is already realized;</li>
 *   <li>a pending graph that only moves data (reshape, permute, expand, slice, cat, a
 *       same-dtype cast, sources): copying it to the device and back would cost more than it does;</li>
 *   <li>the sources {@code rand}, {@code randn} and {@code arange}: they are computed on the
 *       CPU and copied, so that their values are bit-identical whatever the device
 *       ({@code fill} is rebuilt on the device);</li>
 *   <li>slices of realized leaves: the slice is taken on the CPU (a view, no copy) and only its
 *       elements travel, not the whole buffer it views.</li>
 * </ul>
 *
 * <p>It runs without gradient recording; the tensor's own gradient history is left as it was.
 */
public final class Offload {
    private Offload() {
    }

    /**
     * The rebuilt graph: its root on the target device, and every node made on the target
     * (leaf copies and rebuilt nodes, in the order they were made), for {@link Backend#free}.
     */
    record Rebuilt(Node root, List<Node> created) {
    }

    /**
     * Computes {@code t} (a CPU tensor) on {@code target}, leaving {@code t} realized with the
     * values on the CPU; returns {@code t}. Where offloading cannot pay (see the class comment),
     * it is {@code t.realize()}.
     *
     * @throws IllegalArgumentException if {@code t} is not a CPU tensor
     * @throws IllegalStateException if {@code target} cannot be used now (with the backend's reason)
     */
    public static Tensor realize(Tensor t, Device target) {
        Node root = t.node();
        if (!root.device().equals(Device.CPU)) {
            throw new IllegalArgumentException("offload: expected a CPU tensor, got one on " + root.device());
        }
        if (root.isRealized() || target.equals(Device.CPU)) {
            return t.realize();
        }
        if (!needsCompute(root)) {
            return t.realize();
        }
        Backend backend = Backends.forDevice(target);
        if (!backend.isAvailable(target)) {
            throw new IllegalStateException("offload: device " + target + " is not usable: "
                    + backend.unavailableReason(target));
        }
        try (GradMode.NoGrad ignored = GradMode.disable()) {
            compute(root, target, backend, leaf -> backend.fromHost(leaf, target));
        }
        return t;
    }

    /**
     * Whether the pending (unrealized) part of {@code root}'s graph computes anything that is
     * worth a device: an elementwise op other than a same-dtype cast, a reduction, a matmul or
     * a masked op. Movement, cat, slice-scatter and sources only place data.
     */
    static boolean needsCompute(Node root) {
        for (Node n : pending(root)) {
            if (isCompute(n)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isCompute(Node n) {
        Op op = n.op();
        return switch (op.kind()) {
            case SOURCE, MOVEMENT -> false;
            case UNARY -> !(op == Op.CAST && n.dtype() == n.input(0).dtype());
            case BINARY, TERNARY, REDUCE -> true;
            case OTHER -> op == Op.MATMUL || op == Op.MASKED_SELECT || op == Op.MASKED_SCATTER;
        };
    }

    /**
     * Rebuilds, realizes and copies back; attaches the host result to {@code root}. CPU buffers
     * made on the way (sources, host-side copies, the result before it is kept) belong to a scope
     * of their own; device data is freed through {@link Backend#free}.
     */
    private static void compute(Node root, Device target, Backend backend, UnaryOperator<Node> copyLeaf) {
        MemoryScope scope = MemoryScope.open("offload to " + target);
        List<Node> created = new ArrayList<>();
        Throwable failure = null;
        try {
            Rebuilt r = rebuild(root, target, copyLeaf, created);
            backend.realize(r.root());
            Node host = backend.toHost(r.root());
            Storage s = host.storage();
            if (s == null || !host.device().equals(Device.CPU)) {
                throw new IllegalStateException("offload: the " + target.type() + " backend returned no host data for "
                        + root);
            }
            scope.keep(s); // the result outlives this scope; everything else made here goes with it
            synchronized (root) {
                if (!root.isRealized()) {
                    root.setData(s.retain(), host.offset(), host.strides());
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Node n : created) {
            try {
                backend.free(n);
            } catch (RuntimeException e) {
                failure = suppress(failure, e);
            }
        }
        try {
            scope.close();
        } catch (RuntimeException e) {
            failure = suppress(failure, e);
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    private static Throwable suppress(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    /**
     * Rebuilds the pending part of {@code root}'s graph on {@code target}: each realized leaf (and
     * each slice of one, taken on the CPU) goes through {@code copyLeaf} once, however often it is
     * used; rand, randn and arange are computed on the CPU and copied; every other pending node
     * becomes the same op on {@code target} over the rebuilt inputs. Nothing is realized on the
     * target. The graph under {@code root} is not changed.
     *
     * @param copyLeaf makes a realized node on {@code target} with the values of a realized CPU node
     */
    static Rebuilt rebuild(Node root, Device target, UnaryOperator<Node> copyLeaf) {
        List<Node> created = new ArrayList<>();
        return rebuild(root, target, copyLeaf, created);
    }

    private static Rebuilt rebuild(Node root, Device target, UnaryOperator<Node> copyLeaf, List<Node> created) {
        Backend cpu = Backends.forDevice(Device.CPU);
        Map<Node, Node> out = new IdentityHashMap<>();
        Map<Node, Node> hostSlices = new IdentityHashMap<>();
        for (Node n : pending(root)) {
            Op op = n.op();
            Node made;
            if (op == Op.RAND || op == Op.RANDN || op == Op.ARANGE) {
                Node host = new Node(op, n.shape(), n.dtype(), Device.CPU, n.attrs());
                cpu.realize(host);
                made = copy(host, copyLeaf, created);
            } else if (op == Op.CONSTANT) {
                throw new IllegalStateException("offload: constant node without data: " + n);
            } else if (op == Op.SLICE && hostSlice(n.input(0), hostSlices) != null) {
                Node in = hostSlice(n.input(0), hostSlices);
                Node view = Graph.nodeOn(Op.SLICE, n.shape(), n.dtype(), Device.CPU, n.attrs(), in);
                cpu.realize(view);
                hostSlices.put(n, view);
                made = null; // copied only if something other than a slice reads it
            } else {
                Node[] ins = new Node[n.inputs().length];
                for (int i = 0; i < ins.length; i++) {
                    Node in = n.input(i);
                    Node m = out.get(in);
                    if (m == null) {
                        Node host = hostSlices.containsKey(in) ? hostSlices.get(in) : in;
                        m = copy(host, copyLeaf, created);
                        out.put(in, m);
                    }
                    ins[i] = m;
                }
                made = Graph.nodeOn(op, n.shape(), n.dtype(), target, n.attrs(), ins);
                created.add(made);
            }
            if (made != null) {
                out.put(n, made);
            }
        }
        Node r = out.get(root);
        if (r == null) {
            // the root is itself a slice of a realized leaf
            r = copy(hostSlices.get(root), copyLeaf, created);
        }
        return new Rebuilt(r, created);
    }

    /** The CPU view standing for {@code in} when it is a realized CPU node or a slice taken of one, else null. */
    private static Node hostSlice(Node in, Map<Node, Node> hostSlices) {
        Node v = hostSlices.get(in);
        if (v != null) {
            return v;
        }
        return in.isRealized() && in.storage() != null && in.device().equals(Device.CPU) ? in : null;
    }

    private static Node copy(Node host, UnaryOperator<Node> copyLeaf, List<Node> created) {
        if (!host.device().equals(Device.CPU)) {
            throw new IllegalArgumentException("offload: input " + host + " is on " + host.device()
                    + "; only CPU graphs can be offloaded");
        }
        Node c = copyLeaf.apply(host);
        created.add(c);
        return c;
    }

    /**
     * The unrealized nodes under {@code root} that realizing it needs, inputs before the nodes
     * that read them, each once (an iterative walk: any depth). Realized nodes end the walk.
     */
    static List<Node> pending(Node root) {
        List<Node> order = new ArrayList<>();
        if (root.isRealized()) {
            return order;
        }
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> stack = new ArrayDeque<>();
        ArrayDeque<Boolean> expanded = new ArrayDeque<>();
        stack.push(root);
        expanded.push(false);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (expanded.pop()) {
                order.add(n); // its inputs were all emitted before (a graph has no cycles)
                continue;
            }
            if (!visited.add(n)) {
                continue;
            }
            stack.push(n);
            expanded.push(true);
            Node[] ins = n.inputs();
            for (int i = ins.length - 1; i >= 0; i--) {
                if (!ins[i].isRealized() && !visited.contains(ins[i])) {
                    stack.push(ins[i]);
                    expanded.push(false);
                }
            }
        }
        return order;
    }
}
