package org.tessera.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Node;

/**
 * Reverse-mode differentiation over the op graph.
 *
 * <p>Backward builds gradient nodes (it does not compute eagerly), so the gradient of a
 * distributed forward pass is planned and run by the same backend as the forward pass.
 * Leaf gradients accumulate across calls until zeroed.
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
        try (GradMode.NoGrad ignored = GradMode.disable()) {
            List<Node> order = topologicalOrder(r);
            Map<Node, Tensor> grads = new IdentityHashMap<>();
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
                    Node old = n.grad();
                    n.setGrad(old == null ? g.node() : Tensor.of(old).add(g).node());
                    continue;
                }
                Tensor[] ins = GradientRules.apply(n, g);
                Node[] inputs = n.inputs();
                for (int k = 0; k < inputs.length; k++) {
                    if (ins[k] == null || !inputs[k].requiresGrad()) {
                        continue;
                    }
                    Tensor gi = ins[k].to(inputs[k].dtype());
                    Tensor prev = grads.get(inputs[k]);
                    grads.put(inputs[k], prev == null ? gi : prev.add(gi));
                }
            }
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
