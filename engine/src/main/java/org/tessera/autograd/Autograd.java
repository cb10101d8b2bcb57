package org.tessera.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * Reverse-mode differentiation over the op graph.
 *
 * <p>Backward builds gradient nodes, so the gradient of a distributed forward pass is planned and
 * run by the same backend as the forward pass; when the whole pass ran on the CPU the leaves'
 * gradients are computed before it returns, as PyTorch's are.
 * Leaf gradients accumulate across calls until zeroed. The nodes backward makes are
 * {@linkplain Node#internalNodes() internal}, so a backend gives their buffers back as soon as the
 * nodes reading them are computed; the leaves' gradients are handed out and kept.
 */
public final class Autograd {
    private Autograd() {
    }

    /**
     * Accumulates d(root)/d(leaf) into every leaf that requires grad; {@code gradient} is the
     * upstream gradient (null for a one-element root, meaning 1).
     */
    public static void backward(Tensor root, Tensor gradient) {
        Node r = root.node();
        if (!r.requiresGrad()) {
            throw new IllegalStateException("backward: the tensor " + root.shape() + " does not require grad and has no"
                    + " gradient history; call requiresGrad(true) on the leaves before computing it (and not inside"
                    + " noGrad)");
        }
        Tensor seed;
        if (gradient == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException("backward: grad can be implicitly created only for a one-element"
                        + " (scalar) output, got shape " + root.shape() + "; pass the upstream gradient explicitly,"
                        + " e.g. backward(Tessera.onesLike(t))");
            }
            seed = Tessera.onesLike(root);
        } else {
            if (!gradient.shape().equals(root.shape())) {
                throw new IllegalArgumentException("backward: the gradient has shape " + gradient.shape()
                        + " but the tensor has shape " + root.shape() + "; they must match");
            }
            seed = gradient.detach().to(root.dtype());
        }
        // the gradient graph's nodes are internal (only the leaves' gradients are handed out): their
        // buffers can go back as soon as what reads them is computed
        try (GradMode.NoGrad ignored = GradMode.disable(); Node.InternalNodes internal = Node.internalNodes()) {
            List<Node> order = topologicalOrder(r);
            for (Node n : order) { // checked before any gradient is accumulated
                if (!n.isLeaf()) {
                    GradientRules.checkSavedUnwritten(n);
                    continue;
                }
                Node old = n.grad();
                if (old != null && old.storage() != null && old.storage().isReleased()) {
                    throw new IllegalStateException("backward: the gradient held by a leaf " + n.shape() + " was"
                            + " released when the scope it was computed in closed, so the new one cannot be added to"
                            + " it; call zeroGrad() on the leaves before backward in a new scope (or keep what"
                            + " you need of the gradient before that scope closes)");
                }
            }
            Map<Node, Node> before = new IdentityHashMap<>(); // each leaf's gradient before this call
            try {
                run(order, r, seed, before);
            } catch (RuntimeException | Error e) {
                // a failure while computing leaves every gradient as it was, not pointing at a value
                // that can never be computed
                for (Map.Entry<Node, Node> b : before.entrySet()) {
                    b.getKey().setGrad(b.getValue());
                }
                throw e;
            }
        }
    }

    /** The pass itself; {@code before} receives each leaf's gradient as it was before it is replaced. */
    private static void run(List<Node> order, Node r, Tensor seed, Map<Node, Node> before) {
        Map<Node, Tensor> grads = new IdentityHashMap<>();
        Set<Node> handedOut = new java.util.LinkedHashSet<>(); // nodes compare by identity
        List<Node> copies = new ArrayList<>();
        grads.put(r, seed);
        for (int i = order.size() - 1; i >= 0; i--) {
            Node n = order.get(i);
            Tensor g = grads.remove(n);
            if (g == null) {
                continue;
            }
            if (n.isLeaf()) {
                if (!g.device().equals(n.device())) {
                    // a gradient computed elsewhere (a local parameter used against
                    // distributed data) is kept on the parameter's device, as in PyTorch
                    g = g.to(n.device());
                }
                // one leaf's gradient is read, added to and replaced by one thread at a time: backward
                // passes running at once in several threads into a shared leaf add up, as in PyTorch
                synchronized (n) {
                    Node old = n.grad();
                    Node given = old == null ? g.node() : Tensor.of(old).add(g).node();
                    if (!ownsItsValues(given, handedOut)) {
                        // a view (of the seed, of the caller's upstream gradient, of a broadcast), a
                        // constant, or the node another leaf got: its own copy, so that a write to
                        // one gradient changes nothing else (as PyTorch clones what it cannot steal)
                        given = Graph.node(Op.CAST, given.shape(), given.dtype(), null, given);
                        copies.add(given);
                    }
                    handedOut.add(given);
                    before.putIfAbsent(n, old);
                    n.setGrad(given);
                }
                continue;
            }
            Tensor[] ins = GradientRules.apply(n, g);
            Node[] inputs = n.inputs();
            abandonUnused(ins, inputs, grads);
            for (int k = 0; k < inputs.length; k++) {
                if (ins[k] == null || !inputs[k].requiresGrad()) {
                    continue;
                }
                Tensor gi = ins[k].to(inputs[k].dtype());
                Tensor prev = grads.get(inputs[k]);
                grads.put(inputs[k], prev == null ? gi : prev.add(gi));
            }
        }
        // A CPU gradient can be written in place (set, asByteBuffer), and a gradient computed
        // later would see what was written into one it reads (a copy reads the gradient it
        // copies, another leaf's gradient may read it too). So when the whole pass ran on the
        // CPU every gradient is computed now, as PyTorch's backward does; otherwise (a pass
        // through distributed or GPU values, computed when read) at least the copies are.
        boolean local = true;
        for (Node n : order) {
            local &= n.device().equals(org.tessera.Device.CPU);
        }
        for (Node g : local ? handedOut : copies) {
            if (g.device().equals(org.tessera.Device.CPU)) {
                Tensor.of(g).realize();
            }
        }
    }

    /**
     * Whether a leaf can be handed {@code g} as its gradient: a value computed by this backward into
     * memory of its own (not a view, not a constant, made inside the gradient graph and not handed
     * to another leaf).
     */
    private static boolean ownsItsValues(Node g, Set<Node> handedOut) {
        return g.isInternal() && g.op().kind() != Op.Kind.MOVEMENT && g.op() != Op.FILL && !handedOut.contains(g);
    }

    /**
     * The rules make a gradient for every input; those for inputs that need none are never computed.
     * They are abandoned ({@link Node#abandon}), so that what they read is not kept waiting for them
     * (everything still to be read, the kept gradients and the pending ones, stays).
     */
    private static void abandonUnused(Tensor[] ins, Node[] inputs, Map<Node, Tensor> grads) {
        Set<Node> live = null;
        for (int k = 0; k < inputs.length; k++) {
            if (ins[k] == null || inputs[k].requiresGrad()) {
                continue;
            }
            if (live == null) {
                live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
                for (int j = 0; j < inputs.length; j++) {
                    if (ins[j] != null && inputs[j].requiresGrad()) {
                        live.add(ins[j].node());
                    }
                }
                for (Tensor t : grads.values()) {
                    live.add(t.node());
                }
            }
            Node.abandon(ins[k].node(), live);
        }
    }

    /** Nodes that require grad, reachable from {@code root}, inputs before users. */
    static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        Set<Node> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> stack = new ArrayDeque<>();
        ArrayDeque<Boolean> done = new ArrayDeque<>();
        stack.push(root);
        done.push(false);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            boolean expanded = done.pop();
            if (expanded) {
                order.add(n);
                continue;
            }
            if (!seen.add(n)) {
                continue;
            }
            stack.push(n);
            done.push(true);
            if (n.isLeaf()) {
                continue;
            }
            for (Node in : n.inputs()) {
                if (in.requiresGrad() && !seen.contains(in)) {
                    stack.push(in);
                    done.push(false);
                }
            }
        }
        return order;
    }
}
