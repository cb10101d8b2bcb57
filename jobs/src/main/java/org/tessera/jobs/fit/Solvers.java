package org.tessera.jobs.fit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * The solvers of the regression job on an {@link Objective}: the normal equations, Newton's method
 * and L-BFGS, each to a convergence criterion; gradient descent lives in {@link GradientDescent}.
 *
 * <p>Convergence means {@code ‖∇f(θ)‖ ≤ tol·‖∇f(θ₀)‖} with {@code θ₀} the start: the intercept-only
 * model ({@code w = 0}, {@code b} the label mean, or the log-odds of the label mean).
 */
public final class Solvers {
    /** Hears each iterate: its number (the start is 0 for the iterative solvers), objective and relative gradient. */
    @FunctionalInterface
    public interface Listener {
        /** One iterate. */
        void iteration(int k, double objective, double relativeGradient);
    }

    /** Iteration limits and tolerance. */
    public record Settings(int maxIterations, double tolerance) {
    }

    private static final double ARMIJO = 1e-4;
    private static final int MAX_HALVINGS = 40;
    private static final int MEMORY = 10;

    private Solvers() {
    }

    /** The start of the iterative solvers: {@code w = 0} and the best intercept for it. */
    static double[] interceptOnly(Objective f) {
        double[] theta = new double[f.size()];
        Moments m = f.moments();
        double p = m.sumY() / m.n();
        theta[f.size() - 1] = f.model() == Model.LINEAR ? p : Math.log(p / (1 - p));
        return theta;
    }

    /**
     * Linear least squares from the normal equations in standardized coordinates (Cholesky of the
     * correlation matrix plus the ridge), then one Newton step with the gradient computed exactly from
     * the data, which removes what rounding in {@code AᵀA} cost; kept only if it lowers the objective.
     */
    public static Fit normal(Objective f, Listener listener) {
        if (f.model() != Model.LINEAR) {
            throw new IllegalArgumentException("the normal equations solve linear regression only; use --solver"
                    + " newton, lbfgs or gd for logistic regression");
        }
        Moments m = f.moments();
        int d = m.d();
        double ridge = f.penaltyScale();
        double[] r = m.correlation();
        for (int j = 0; j < d; j++) {
            r[j * d + j] += ridge;
        }
        Cholesky chol = Cholesky.factor(r, d);
        double[] theta = m.normalEquations(ridge);
        double g0 = f.evaluate(interceptOnly(f)).gradientNorm();
        List<Double> losses = new ArrayList<>();
        List<Double> gradients = new ArrayList<>();
        Objective.Evaluation ev = f.evaluate(theta);
        losses.add(ev.value());
        gradients.add(ev.gradientNorm() / g0);
        listener.iteration(1, ev.value(), ev.gradientNorm() / g0);
        // the Hessian of mean(r²) + ridge·|w̃|² in these coordinates is 2·diag(R + ridge·I, 1)
        double[] gw = java.util.Arrays.copyOf(ev.gradient(), d);
        double[] step = java.util.Arrays.copyOf(chol.solve(gw), d + 1);
        step[d] = ev.gradient()[d];
        double[] refined = Vectors.axpy(theta, -0.5, step);
        Objective.Evaluation next = f.evaluate(refined);
        int iterations = 1;
        if (next.value() <= ev.value()) {
            theta = refined;
            ev = next;
            iterations = 2;
            losses.add(ev.value());
            gradients.add(ev.gradientNorm() / g0);
            listener.iteration(2, ev.value(), ev.gradientNorm() / g0);
        }
        double rel = ev.gradientNorm() / g0;
        String how = String.format(Locale.ROOT, "exact solve (Cholesky of the %d×%d correlation matrix)%s;"
                + " gradient norm %.3g of the start's", d, d, iterations == 2 ? " and one refinement step" : "", rel);
        return Fit.of(Solver.NORMAL, f, theta, losses, gradients, iterations, true, how, rel, ev, Double.NaN);
    }

    /** Newton's method with the distributed Hessian and a backtracking (Armijo) line search. */
    public static Fit newton(Objective f, Settings s, Listener listener) {
        return iterate(Solver.NEWTON, f, s, listener);
    }

    /** L-BFGS (memory 10) with a backtracking (Armijo) line search. */
    public static Fit lbfgs(Objective f, Settings s, Listener listener) {
        return iterate(Solver.LBFGS, f, s, listener);
    }

    private static Fit iterate(Solver solver, Objective f, Settings s, Listener listener) {
        double[] theta = interceptOnly(f);
        Objective.Evaluation ev = f.evaluate(theta);
        double g0 = ev.gradientNorm();
        List<Double> losses = new ArrayList<>();
        List<Double> gradients = new ArrayList<>();
        losses.add(ev.value());
        gradients.add(1.0);
        listener.iteration(0, ev.value(), 1);
        Deque<double[][]> memory = new ArrayDeque<>();
        String criterion = null;
        boolean converged = false;
        int k = 0;
        while (true) {
            double rel = g0 > 0 ? ev.gradientNorm() / g0 : 0;
            if (rel <= s.tolerance()) {
                converged = true;
                criterion = String.format(Locale.ROOT, "gradient norm %.3g of the start's, at most --tol %.3g",
                        rel, s.tolerance());
                break;
            }
            if (f.model() == Model.LOGISTIC && f.l2() == 0 && ev.loss() * f.moments().n() < Math.log(2)) {
                // the summed log-loss is below log 2, so every sample's is: each one is on its side of the
                // boundary, the classes are separable, and the likelihood only grows along θ
                criterion = "the classes are linearly separable: every sample's log-loss is below log 2, so no"
                        + " finite maximum-likelihood fit exists";
                break;
            }
            if (k >= s.maxIterations()) {
                criterion = String.format(Locale.ROOT, "--max-iter %d reached with the gradient norm %.3g of the"
                        + " start's (--tol %.3g)", s.maxIterations(), rel, s.tolerance());
                break;
            }
            double[] dir = solver == Solver.NEWTON ? newtonDirection(f, theta, ev.gradient())
                    : lbfgsDirection(memory, ev.gradient());
            double slope = Vectors.dot(dir, ev.gradient());
            if (!(slope < 0)) {
                memory.clear();
                dir = Vectors.scale(-1, ev.gradient());
                slope = -Vectors.dot(dir, dir);
            }
            double t = 1;
            if (solver == Solver.LBFGS && memory.isEmpty()) {
                t = Math.min(1, 1 / Math.sqrt(-slope));
            }
            Objective.Evaluation next = null;
            double[] trial = null;
            for (int h = 0; h < MAX_HALVINGS; h++, t /= 2) {
                trial = Vectors.axpy(theta, t, dir);
                next = f.evaluate(trial);
                if (next.value() <= ev.value() + ARMIJO * t * slope) {
                    break;
                }
                // at the optimum the objective is flat to rounding: take a step that lowers the gradient
                boolean flat = Math.abs(next.value() - ev.value()) <= 1e-14 * Math.abs(ev.value());
                if (flat && next.gradientNorm() < ev.gradientNorm()) {
                    break;
                }
                next = null;
            }
            if (next == null) {
                // no step lowers the objective any more: it is flat to rounding here
                converged = rel <= Math.sqrt(s.tolerance());
                criterion = String.format(Locale.ROOT, "no step lowers the objective further (it is flat to rounding);"
                        + " gradient norm %.3g of the start's", rel);
                break;
            }
            k++;
            double[] step = Vectors.sub(trial, theta);
            double[] change = Vectors.sub(next.gradient(), ev.gradient());
            if (Vectors.dot(step, change) > 1e-300) {
                memory.addLast(new double[][] {step, change});
                if (memory.size() > MEMORY) {
                    memory.removeFirst();
                }
            }
            theta = trial;
            ev = next;
            losses.add(ev.value());
            gradients.add(g0 > 0 ? ev.gradientNorm() / g0 : 0);
            listener.iteration(k, ev.value(), g0 > 0 ? ev.gradientNorm() / g0 : 0);
        }
        double rel = g0 > 0 ? ev.gradientNorm() / g0 : 0;
        return Fit.of(solver, f, theta, losses, gradients, k, converged, criterion, rel, ev, Double.NaN);
    }

    private static double[] newtonDirection(Objective f, double[] theta, double[] gradient) {
        double[] h = f.model() == Model.LOGISTIC ? f.logisticHessian(theta) : linearHessian(f);
        int k = f.size();
        try {
            return Vectors.scale(-1, Cholesky.factor(h, k).solve(gradient));
        } catch (Cholesky.NotPositiveDefinite e) {
            // a flat direction (perfectly fitted or collinear data): damp it
            double trace = 0;
            for (int i = 0; i < k; i++) {
                trace += h[i * k + i];
            }
            for (int i = 0; i < k; i++) {
                h[i * k + i] += 1e-8 * trace / k;
            }
            return Vectors.scale(-1, Cholesky.factor(h, k).solve(gradient));
        }
    }

    private static double[] linearHessian(Objective f) {
        Moments m = f.moments();
        int d = m.d();
        int k = d + 1;
        double[] r = m.correlation();
        double[] h = new double[k * k];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                h[i * k + j] = 2 * r[i * d + j];
            }
            h[i * k + i] += 2 * f.penaltyScale();
        }
        h[d * k + d] = 2;
        return h;
    }

    /** The two-loop recursion: {@code −H·g} with H the L-BFGS inverse-Hessian estimate. */
    private static double[] lbfgsDirection(Deque<double[][]> memory, double[] g) {
        double[] q = g.clone();
        int m = memory.size();
        double[] alpha = new double[m];
        double[][][] pairs = memory.toArray(new double[0][][]);
        for (int i = m - 1; i >= 0; i--) {
            double[] s = pairs[i][0];
            double[] y = pairs[i][1];
            alpha[i] = Vectors.dot(s, q) / Vectors.dot(y, s);
            q = Vectors.axpy(q, -alpha[i], y);
        }
        if (m > 0) {
            double[] s = pairs[m - 1][0];
            double[] y = pairs[m - 1][1];
            q = Vectors.scale(Vectors.dot(s, y) / Vectors.dot(y, y), q);
        }
        for (int i = 0; i < m; i++) {
            double[] s = pairs[i][0];
            double[] y = pairs[i][1];
            double beta = Vectors.dot(y, q) / Vectors.dot(y, s);
            q = Vectors.axpy(q, alpha[i] - beta, s);
        }
        return Vectors.scale(-1, q);
    }
}
