package org.tessera.backend.cpu;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.tessera.backend.FusedChain;
import org.tessera.graph.Node;
import org.tessera.memory.Storage;

/**
 * Gives an internal node's buffer back as soon as the last node that reads it has been computed
 * (see {@link Node#isInternal()}): the gradient graph's intermediate values then return to the
 * reuse pool while backward still runs, and the next buffer of that size is a warm one, instead of
 * every intermediate waiting for its scope to close or for the garbage collector.
 *
 * <p>After a step computes node {@code n}, each node it read is told how many of its readers are
 * now done ({@link Node#consume}): {@code n} itself, and the nodes of its fused chain; an inlined
 * internal node whose readers are then all done (here, in other chains, or abandoned by backward)
 * will not be evaluated again, so it is counted as done with its own inputs in turn. A realized
 * internal node whose readers are all done gives its buffer back. A node that needs gradients keeps
 * its inputs for backward, so nothing it read is counted as done.
 *
 * <p>Before an elementwise step allocates its result, {@link #donor} looks for a leaf of its chain
 * that this step is the last reader of and that it reads element for element: the step writes over
 * that leaf's buffer, so a chain of such steps (the gradient through a relu, say) needs no new memory.
 *
 * <p>Threads: a node is released or overwritten early only by steps on the thread that made it; a
 * step on another thread first {@linkplain Node#touch touches} what it reads, which keeps those nodes
 * from early release from then on, or, if one was given back or is being overwritten meanwhile (a
 * node it evaluates inline was computed by the other thread), makes the step plan again.
 */
final class EarlyRelease {
    private EarlyRelease() {
    }

    /**
     * After the step that computed {@code n} from {@code inputs} (its inputs before it was realized),
     * evaluating {@code program} when it ran a fused chain: counts the readers that are done and
     * releases what nothing can read again.
     */
    static void afterStep(Node n, Node[] inputs, FusedProgram program) {
        // only internal nodes are ever released, and a node never becomes internal later: a step that
        // reads none (most steps outside backward) has nothing to count
        if (n.requiresGrad() || !readsInternal(inputs, program) || !Node.releaseEarly()) {
            return;
        }
        Map<Node, Integer> uses = readers(n, inputs, program, true);
        for (Map.Entry<Node, Integer> e : uses.entrySet()) {
            Node m = e.getKey();
            if (m.consume(e.getValue()) && m.storage() != null) {
                m.releaseData();
            }
        }
    }

    /**
     * A buffer that elementwise step {@code n}, evaluating {@code program} (whose root is {@code n}),
     * may write its result into instead of a new one: that of a leaf of the chain that is internal,
     * needs no gradient, is read by nothing outside this chain (so nothing reads it after the step),
     * is read element for element (same shape, dtype and contiguous layout as {@code n}) and whose
     * buffer nothing else shares. The chain reads each tile of its leaves before it writes that tile,
     * so the result may overwrite such a leaf. Returns that leaf, its storage with a reference added
     * for {@code n}, or null.
     */
    static Node donor(Node n, FusedProgram program) {
        if (n.requiresGrad() || !readsInternal(n.inputs(), program) || !Node.releaseEarly()) {
            return null;
        }
        FusedChain chain = program.chain();
        Map<Node, Integer> uses = null;
        long bytes = n.shape().numel() * n.dtype().byteSize();
        for (Node leaf : chain.leaves()) {
            Storage s = leaf.storage();
            if (s == null || !leaf.isInternal() || leaf.requiresGrad() || leaf.dtype() != n.dtype()
                    || !leaf.shape().equals(n.shape()) || leaf.offset() != 0 || !leaf.isContiguous()
                    || s.byteSize() != bytes) {
                continue;
            }
            if (uses == null) {
                uses = readers(n, n.inputs(), program, false);
            }
            Integer k = uses.get(leaf);
            if (k != null && leaf.consumedCount() + k == leaf.consumerCount() && leaf.claim()) {
                if (s.retainToOverwrite(n.scope(), bytes)) {
                    return leaf;
                }
                leaf.unclaim();
            }
        }
        return null;
    }

    /**
     * For the nodes that step {@code n} (with {@code inputs}, evaluating {@code program} if any) reads
     * as data, how many of their readers are done once it is computed: {@code n} itself, and the
     * inlined nodes of its chain whose readers are then all done. Readers come after what they read,
     * so walking the chain backwards counts a node's readers in the chain before the node. With
     * {@code record}, the inlined nodes' counts are recorded ({@link Node#consume}); without, the
     * outcome is only foreseen.
     */
    private static Map<Node, Integer> readers(Node n, Node[] inputs, FusedProgram program, boolean record) {
        Map<Node, Integer> uses = new IdentityHashMap<>();
        addInputs(uses, inputs);
        if (program != null) {
            FusedChain chain = program.chain();
            List<Node> steps = chain.steps();
            for (int i = steps.size() - 1; i >= 0; i--) {
                Node s = steps.get(i);
                if (s == n || chain.isLeaf(s)) {
                    continue;
                }
                Integer k = uses.remove(s);
                if (k == null) {
                    continue;
                }
                boolean allDone = record ? s.consume(k) : s.isInternal() && !s.requiresGrad()
                        && s.consumedCount() + k == s.consumerCount();
                if (allDone && !s.isRealized()) {
                    // evaluated here for the last time: it reads nothing again
                    addInputs(uses, s.inputs());
                }
            }
        }
        return uses;
    }

    /** Whether a step with these inputs and program reads or evaluates any internal node. */
    private static boolean readsInternal(Node[] inputs, FusedProgram program) {
        for (Node in : inputs) {
            if (in.isInternal()) {
                return true;
            }
        }
        if (program != null) {
            for (Node s : program.chain().steps()) {
                if (s.isInternal()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void addInputs(Map<Node, Integer> uses, Node[] inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (!Node.appearsBefore(inputs, i)) {
                uses.merge(inputs[i], 1, Integer::sum);
            }
        }
    }
}
