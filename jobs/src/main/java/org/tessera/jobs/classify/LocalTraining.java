package org.tessera.jobs.classify;

import java.util.function.Consumer;

/** Training on one machine: the rows on the heap, each mini-batch one local forward and backward pass. */
final class LocalTraining {
    private LocalTraining() {
    }

    /** Mini-batch training (adam, sgd) over {@code rows}, which hold global rows 0..n-1 in order. */
    static Training.Result miniBatch(Network net, Rows rows, Training.Settings s, Consumer<Training.Epoch> progress) {
        Training.State st = new Training.State(net, s);
        int n = rows.size();
        int[] local = new int[n];
        for (int i = 0; i < n; i++) {
            local[i] = i;
        }
        int batches = Batches.count(n, s.batchSize());
        for (int e = 0; e < s.epochs(); e++) {
            int[] perm = Batches.permutation(n, s.seed(), e);
            st.startEpoch();
            for (int b = 0; b < batches; b++) {
                int[] idx = Batches.part(perm, b, s.batchSize(), local);
                Network.Part p = net.lossAndGradient(rows.gather(idx), rows.labels(idx), idx.length, st.params);
                st.apply(p.gradient(), p.loss(), p.correct(), idx.length);
            }
            st.endEpoch(progress);
        }
        return st.result("local");
    }

    /** Full-batch L-BFGS over {@code rows}. */
    static Training.Result lbfgs(Network net, Rows rows, Training.Settings s, Consumer<Training.Epoch> progress) {
        int n = rows.size();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        org.tessera.Tensor x = rows.gather(all);
        int[] y = rows.labels(all);
        return Lbfgs.minimize(net, p -> net.lossAndGradient(x, y, n, p), s, progress, "local");
    }
}
