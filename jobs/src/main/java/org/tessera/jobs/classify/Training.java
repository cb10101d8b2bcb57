package org.tessera.jobs.classify;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What training is asked to do, what it reports, and the update that every mode applies after it
 * has added up a mini-batch's gradient: the L2 penalty, then the optimizer's step.
 */
public final class Training {
    private Training() {
    }

    /**
     * The settings of a run.
     *
     * @param optimizer "adam", "sgd" or "lbfgs"
     * @param lr the step size (adam, sgd)
     * @param momentum the momentum (sgd)
     * @param batchSize rows per mini-batch (adam, sgd)
     * @param epochs passes over the data (adam, sgd)
     * @param iterations L-BFGS iterations (lbfgs)
     * @param l2 the penalty {@code (l2/2)·Σ w²} on the weights (not the biases)
     * @param seed the seed of the initial parameters and of each epoch's permutation
     */
    public record Settings(String optimizer, double lr, double momentum, int batchSize, int epochs, int iterations,
            double l2, long seed) implements Serializable {
        /** Whether the optimizer works on mini-batches (adam, sgd) rather than the full batch (lbfgs). */
        public boolean miniBatch() {
            return !optimizer.equals("lbfgs");
        }
    }

    /**
     * One epoch (or L-BFGS iteration) of a run.
     *
     * @param epoch its number, from 1
     * @param loss the mean cross-entropy over the epoch's mini-batches (before each batch's update) plus the
     *     penalty; for L-BFGS the objective at the iteration's end
     * @param accuracy the share of rows classified right in the same passes
     * @param seconds its wall time
     */
    public record Epoch(int epoch, double loss, double accuracy, double seconds) implements Serializable {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "epoch %d: loss %.6f, training accuracy %.4f, %.2fs", epoch, loss,
                    accuracy, seconds);
        }
    }

    /**
     * The outcome of a run.
     *
     * @param params the final parameters, flat
     * @param epochs one entry per epoch (or iteration)
     * @param mode the mode that ran ("local", "driver", "barrier")
     */
    public record Result(double[] params, List<Epoch> epochs, String mode) implements Serializable {
    }

    /**
     * The state of a mini-batch run: the parameters, the optimizer and the running sums of the
     * current epoch. Its arithmetic is plain Java on doubles, the same in every mode and every task.
     */
    static final class State implements Serializable {
        private static final long serialVersionUID = 1L;
        final Network net;
        final Settings settings;
        final double[] params;
        private final Optimizer optimizer;
        private final List<Epoch> epochs = new ArrayList<>();
        private double lossRows;
        private long correct;
        private long rows;
        private long epochStart;

        State(Network net, Settings s) {
            this.net = net;
            this.settings = s;
            this.params = net.init(s.seed());
            this.optimizer = s.optimizer().equals("adam") ? Optimizer.adam(params.length, s.lr())
                    : Optimizer.sgd(params.length, s.lr(), s.momentum());
        }

        void startEpoch() {
            lossRows = 0;
            correct = 0;
            rows = 0;
            epochStart = System.nanoTime();
        }

        /**
         * Applies one mini-batch: {@code gradient} is the sum of the parts' gradients of
         * {@code Σ loss / batch}; {@code loss} their summed loss, {@code right} the rows predicted right.
         */
        void apply(double[] gradient, double loss, long right, int batch) {
            double penalty = net.addPenalty(params, gradient, settings.l2());
            lossRows += (loss + penalty) * batch;
            correct += right;
            rows += batch;
            optimizer.step(params, gradient);
            net.round(params);
        }

        Epoch endEpoch(Consumer<Epoch> progress) {
            Epoch e = new Epoch(epochs.size() + 1, lossRows / rows, (double) correct / rows,
                    (System.nanoTime() - epochStart) / 1e9);
            epochs.add(e);
            if (progress != null) {
                progress.accept(e);
            }
            return e;
        }

        Result result(String mode) {
            return new Result(params.clone(), List.copyOf(epochs), mode);
        }
    }

    /** Adds {@code part} into {@code sum} in place. */
    static void addInto(double[] sum, double[] part) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += part[i];
        }
    }
}
