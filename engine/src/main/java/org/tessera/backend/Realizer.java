package org.tessera.backend;

import java.util.ArrayDeque;
import java.util.List;
import org.tessera.graph.Node;

/**
 * The walk that every local backend uses to realize a node: an iterative post-order over
 * the nodes that must be materialized first, so that graphs of any depth realize without
 * recursion, each node executed once.
 */
public final class Realizer {
    private Realizer() {
    }

    /** What a backend supplies: which nodes must exist before a node runs, and how it runs. */
    public interface Steps {
        /** Nodes to realize before {@code n} (inputs, or the leaves of its fused chain). */
        List<Node> dependencies(Node n);

        /** Computes {@code n}, whose dependencies are realized. */
        void execute(Node n);
    }

    /** Realizes {@code target} and what it needs, all on {@code target}'s device. */
    public static void realize(Node target, Steps steps) {
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(target);
        while (!stack.isEmpty()) {
            Node n = stack.peek();
            if (n.isRealized()) {
                stack.pop();
                continue;
            }
            boolean waiting = false;
            for (Node d : steps.dependencies(n)) {
                if (!d.isRealized()) {
                    if (!d.device().equals(n.device())) {
                        throw new IllegalStateException(n.op() + ": input on " + d.device() + " reached the backend of "
                                + n.device() + "; move it with to(" + n.device() + ")");
                    }
                    stack.push(d);
                    waiting = true;
                }
            }
            if (!waiting) {
                stack.pop();
                synchronized (n.computeLock()) {
                    if (!n.isRealized()) {
                        steps.execute(n);
                    }
                }
            }
        }
    }
}
