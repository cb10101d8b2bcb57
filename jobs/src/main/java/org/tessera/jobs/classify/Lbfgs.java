package org.tessera.jobs.classify;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Full-batch L-BFGS (memory 10) with a backtracking line search on the Armijo condition; each
 * evaluation is one forward and backward pass over all rows (distributed in driver mode).
 */
final class Lbfgs {
    private static final int MEMORY = 10;

    private Lbfgs() {
    }

    static Training.Result minimize(Network net, Function<double[], Network.Part> data, Training.Settings s,
            Consumer<Training.Epoch> progress, String mode) {
        double[] x = net.init(s.seed());
        double[][] fg = eval(net, data, x, s.l2());
        double f = fg[0][0];
        double[] g = fg[1];
        Deque<double[][]> memory = new ArrayDeque<>();
        List<Training.Epoch> epochs = new ArrayList<>();
        for (int it = 1; it <= s.iterations(); it++) {
            long t0 = System.nanoTime();
            double[] dir = direction(g, memory);
            double slope = dot(g, dir);
            if (!(slope < 0)) {
                memory.clear();
                dir = scale(g, -1);
                slope = dot(g, dir);
            }
            double step = memory.isEmpty() ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;
            double[] xNew = null;
            double[][] fgNew = null;
            for (int tries = 0; tries < 30; tries++) {
                xNew = net.round(axpy(x, step, dir));
                fgNew = eval(net, data, xNew, s.l2());
                if (fgNew[0][0] <= f + 1e-4 * step * slope) {
                    break;
                }
                step *= 0.5;
            }
            double[] sVec = sub(xNew, x);
            double[] yVec = sub(fgNew[1], g);
            if (dot(sVec, yVec) > 1e-12) {
                memory.addLast(new double[][] {sVec, yVec});
                if (memory.size() > MEMORY) {
                    memory.removeFirst();
                }
            }
            x = xNew;
            f = fgNew[0][0];
            g = fgNew[1];
            Training.Epoch e = new Training.Epoch(it, f, fgNew[0][1], (System.nanoTime() - t0) / 1e9);
            epochs.add(e);
            if (progress != null) {
                progress.accept(e);
            }
            if (Math.sqrt(dot(g, g)) < 1e-10) {
                break;
            }
        }
        return new Training.Result(x, List.copyOf(epochs), mode);
    }

    /** {@code [[objective, accuracy], gradient]} at {@code x}. */
    private static double[][] eval(Network net, Function<double[], Network.Part> data, double[] x, double l2) {
        Network.Part p = data.apply(x);
        double[] g = p.gradient();
        double pen = net.addPenalty(x, g, l2);
        return new double[][] {{p.loss() + pen, (double) p.correct() / p.rows()}, g};
    }

    private static double[] direction(double[] g, Deque<double[][]> memory) {
        double[] q = g.clone();
        List<double[][]> pairs = new ArrayList<>(memory);
        double[] alpha = new double[pairs.size()];
        for (int i = pairs.size() - 1; i >= 0; i--) {
            double[] sv = pairs.get(i)[0];
            double[] yv = pairs.get(i)[1];
            alpha[i] = dot(sv, q) / dot(yv, sv);
            q = axpy(q, -alpha[i], yv);
        }
        if (!pairs.isEmpty()) {
            double[][] last = pairs.get(pairs.size() - 1);
            q = scale(q, dot(last[0], last[1]) / dot(last[1], last[1]));
        }
        for (int i = 0; i < pairs.size(); i++) {
            double[] sv = pairs.get(i)[0];
            double[] yv = pairs.get(i)[1];
            double beta = dot(yv, q) / dot(yv, sv);
            q = axpy(q, alpha[i] - beta, sv);
        }
        return scale(q, -1);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[] axpy(double[] x, double a, double[] y) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = x[i] + a * y[i];
        }
        return r;
    }

    private static double[] scale(double[] x, double a) {
        return axpy(new double[x.length], a, x);
    }

    private static double[] sub(double[] a, double[] b) {
        return axpy(a, -1, b);
    }
}
