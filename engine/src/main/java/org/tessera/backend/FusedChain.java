package org.tessera.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * The elementwise chain (a DAG) under a root node that a backend evaluates in one pass:
 * the nodes in evaluation order, and the leaves among them that are read as data.
 *
 * <p>Collection walks inputs iteratively (long chains cannot overflow the stack) and stops at
 * nodes that are not fusible or when the budget of inlined nodes is spent; a node shared
 * within the chain appears once.
 */
public final class FusedChain {
    private final Node root;
    private final List<Node> steps = new ArrayList<>();
    private final Map<Node, Integer> index = new IdentityHashMap<>();
    private final List<Node> leaves = new ArrayList<>();
    private final Set<Node> leafSet = Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * The inputs of each inlined node as they were when the chain was collected: a node realized
     * meanwhile by another thread drops its inputs, and the chain must still read as collected
     * (it is then {@linkplain #isStale() stale}, and planned again before it runs).
     */
    private final List<Node> expanded = new ArrayList<>();
    private final List<Node[]> inputsOf = new ArrayList<>();

    private FusedChain(Node root) {
        this.root = root;
    }

    /** Whether {@code n} is an op a chain can evaluate (elementwise or a fill). */
    public static boolean isChainOp(Node n) {
        return n.op().isElementwise() || n.op() == Op.FILL;
    }

    /**
     * Collects the chain under {@code root}, inlining at most {@code budget} nodes (besides the
     * root) that satisfy {@code fusible}; every other input becomes a leaf.
     */
    public static FusedChain collect(Node root, int budget, Predicate<Node> fusible) {
        FusedChain c = new FusedChain(root);
        ArrayDeque<Node> stack = new ArrayDeque<>();
        ArrayDeque<Boolean> expanded = new ArrayDeque<>();
        stack.push(root);
        expanded.push(false);
        int left = budget;
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            boolean done = expanded.pop();
            if (c.index.containsKey(n)) {
                continue;
            }
            // a node back from having its inputs collected stays inlined, even if the budget ran out below it
            boolean inline = done || n == root || (left > 0 && fusible.test(n));
            if (!inline || done) {
                c.index.put(n, c.steps.size());
                c.steps.add(n);
                if (!inline) {
                    c.leaves.add(n);
                    c.leafSet.add(n);
                }
                continue;
            }
            Node[] in = n.inputs();
            if (in.length == 0 && n.isRealized()) {
                // realized by another thread meanwhile (the root too, while its step was being planned):
                // its inputs are gone, so it is read as data (a step whose root is realized does not run)
                c.index.put(n, c.steps.size());
                c.steps.add(n);
                c.leaves.add(n);
                c.leafSet.add(n);
                continue;
            }
            c.expanded.add(n);
            c.inputsOf.add(in);
            left--;
            stack.push(n);
            expanded.push(true);
            for (int i = in.length - 1; i >= 0; i--) {
                if (!c.index.containsKey(in[i])) {
                    stack.push(in[i]);
                    expanded.push(false);
                }
            }
        }
        return c;
    }

    public Node root() {
        return root;
    }

    /** Every node of the chain, inputs before the nodes that read them; the root is last. */
    public List<Node> steps() {
        return steps;
    }

    /** The inputs of {@code n}, a node of the chain, as collected (none for a leaf). */
    public Node[] inputs(Node n) {
        Node[] in = n.inputs();
        if (in.length != 0) {
            return in; // a node's inputs only ever change to none, so these are the ones collected
        }
        for (int i = 0; i < expanded.size(); i++) {
            if (expanded.get(i) == n) {
                return inputsOf.get(i); // realized by another thread since: its inputs were dropped
            }
        }
        return in;
    }

    /** Input {@code i} of {@code n}, a node of the chain, as collected. */
    public Node input(Node n, int i) {
        return inputs(n)[i];
    }

    /** The nodes read as data. */
    public List<Node> leaves() {
        return leaves;
    }

    /** Whether {@code n} is read as data rather than computed. */
    public boolean isLeaf(Node n) {
        return leafSet.contains(n);
    }

    /** The position of {@code n} in {@link #steps()}. */
    public int indexOf(Node n) {
        return index.get(n);
    }

    /** Leaves that must be realized before the chain can run. */
    public List<Node> dependencies() {
        List<Node> d = new ArrayList<>();
        for (Node l : leaves) {
            if (!l.isRealized()) {
                d.add(l);
            }
        }
        return d;
    }

    /**
     * Whether a node inlined here was realized since collection (by another consumer realized
     * first); it may have dropped its inputs, so the chain must be collected again.
     */
    public boolean isStale() {
        for (Node s : steps) {
            if (s != root && s.isRealized() && !leafSet.contains(s)) {
                return true;
            }
        }
        return false;
    }
}
