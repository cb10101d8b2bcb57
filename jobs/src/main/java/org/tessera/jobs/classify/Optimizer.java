package org.tessera.jobs.classify;

import java.io.Serializable;

/**
 * A first-order update of flat parameters from a flat gradient, in plain double arithmetic so that
 * every barrier task that applies it to the same numbers gets the same bits: Adam (the defaults of
 * PyTorch's {@code torch.optim.Adam}) or SGD with momentum ({@code torch.optim.SGD}'s rule).
 */
public abstract class Optimizer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Updates {@code params} in place from {@code gradient}. */
    public abstract void step(double[] params, double[] gradient);

    /** Adam with step {@code lr}, β = (0.9, 0.999), ε = 1e-8, for {@code n} parameters. */
    public static Optimizer adam(int n, double lr) {
        return new Adam(n, lr);
    }

    /** SGD with step {@code lr} and momentum {@code momentum} (0 for plain SGD). */
    public static Optimizer sgd(int n, double lr, double momentum) {
        return new Sgd(n, lr, momentum);
    }

    private static final class Adam extends Optimizer {
        private static final long serialVersionUID = 1L;
        private static final double B1 = 0.9;
        private static final double B2 = 0.999;
        private static final double EPS = 1e-8;
        private final double lr;
        private final double[] m;
        private final double[] v;
        private int t;

        Adam(int n, double lr) {
            this.lr = lr;
            m = new double[n];
            v = new double[n];
        }

        @Override
        public void step(double[] p, double[] g) {
            t++;
            double c1 = 1 - Math.pow(B1, t);
            double c2 = 1 - Math.pow(B2, t);
            double sc2 = Math.sqrt(c2);
            for (int i = 0; i < p.length; i++) {
                m[i] = B1 * m[i] + (1 - B1) * g[i];
                v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
                p[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i]) / sc2 + EPS);
            }
        }
    }

    private static final class Sgd extends Optimizer {
        private static final long serialVersionUID = 1L;
        private final double lr;
        private final double momentum;
        private final double[] buf;
        private boolean started;

        Sgd(int n, double lr, double momentum) {
            this.lr = lr;
            this.momentum = momentum;
            buf = new double[n];
        }

        @Override
        public void step(double[] p, double[] g) {
            for (int i = 0; i < p.length; i++) {
                buf[i] = started ? momentum * buf[i] + g[i] : g[i];
                p[i] -= lr * buf[i];
            }
            started = true;
        }
    }
}
