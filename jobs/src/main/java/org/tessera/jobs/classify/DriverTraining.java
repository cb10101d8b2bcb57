package org.tessera.jobs.classify;

import java.util.function.Consumer;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.TesseraSession;

/**
 * Training through the driver's graph: every mini-batch (or L-BFGS evaluation) is a forward and
 * backward pass over the distributed rows, its gradient a local tensor on the driver. A mini-batch
 * is selected from the distributed rows by a boolean row mask (distributed like the rows), so
 * each step runs a few Spark jobs: the general path, and the one L-BFGS uses.
 */
final class DriverTraining {
    private DriverTraining() {
    }

    /** Mini-batch training over distributed standardized rows {@code x} ([n, d]) and one-hot labels ([n, k]). */
    static Training.Result miniBatch(TesseraSession ts, Network net, Tensor x, Tensor onehot, Training.Settings s,
            Consumer<Training.Epoch> progress) {
        Training.State st = new Training.State(net, s);
        int n = Math.toIntExact(x.size(0));
        BlockGrid rowsGrid = BlockGrid.of(ts.grid(x).chunks(0));
        int batches = Batches.count(n, s.batchSize());
        for (int e = 0; e < s.epochs(); e++) {
            int[] perm = Batches.permutation(n, s.seed(), e);
            st.startEpoch();
            for (int b = 0; b < batches; b++) {
                int lo = b * s.batchSize();
                int size = Batches.size(n, b, s.batchSize());
                int[] mask = new int[n];
                for (int i = lo; i < lo + size; i++) {
                    mask[perm[i]] = 1;
                }
                try (var scope = Tessera.scope()) {
                    Tensor m = ts.distribute(Tessera.fromArray(mask, n).ne(0), rowsGrid);
                    Network.Part p = net.lossAndGradient(x.get(m), onehot.get(m), size, st.params);
                    st.apply(p.gradient(), p.loss(), p.correct(), size);
                }
            }
            st.endEpoch(progress);
        }
        return st.result("driver");
    }

    /** Full-batch L-BFGS: one distributed forward and backward pass per evaluation. */
    static Training.Result lbfgs(Network net, Tensor x, Tensor onehot, Training.Settings s,
            Consumer<Training.Epoch> progress) {
        long n = x.size(0);
        return Lbfgs.minimize(net, p -> net.lossAndGradient(x, onehot, n, p), s, progress, "driver");
    }
}
