package org.tessera.jobs.fit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Plain full-batch gradient descent with a fixed step: zero initialization, standardized
 * coordinates ({@link Objective}), the objective recorded before each update.
 *
 * <p>The default step is {@code 1 / L}, with {@code L} a bound on the largest curvature of the
 * objective in standardized coordinates. With correlated features the descent is slow: the error
 * shrinks by about {@code 1 − 1/κ} per step, κ the condition number of the correlation matrix, so
 * {@code --solver auto} (normal equations, Newton or L-BFGS) is what reaches the optimum.
 */
public final class GradientDescent {
    private GradientDescent() {
    }

    /** The default step size for {@code model} on data with these moments and penalty factor. */
    public static double defaultLearningRate(Model model, Moments m, double penaltyScale) {
        return 1 / (model.curvature(m.largestCorrelationEigenvalue()) + 2 * penaltyScale);
    }

    /**
     * Runs {@code epochs} steps of {@code θ ← θ − rate·∇f(θ)} from {@code θ = 0}; {@code listener} hears
     * each epoch's objective (taken before that epoch's update). One more evaluation at the end gives
     * the result's loss and gradient.
     */
    public static Fit fit(Objective f, int epochs, double rate, Solvers.Listener listener) {
        double[] theta = new double[f.size()];
        List<Double> losses = new ArrayList<>();
        List<Double> gradients = new ArrayList<>();
        double g0 = Double.NaN;
        for (int e = 1; e <= epochs; e++) {
            Objective.Evaluation ev = f.evaluate(theta);
            if (e == 1) {
                g0 = ev.gradientNorm();
            }
            losses.add(ev.value());
            gradients.add(ev.gradientNorm() / g0);
            listener.iteration(e, ev.value(), ev.gradientNorm() / g0);
            theta = Vectors.axpy(theta, -rate, ev.gradient());
        }
        Objective.Evaluation last = f.evaluate(theta);
        double rel = last.gradientNorm() / g0;
        return Fit.of(Solver.GD, f, theta, losses, gradients, epochs, false, String.format(Locale.ROOT,
                "%d epochs done (fixed count); gradient norm %.3g of the start's", epochs, rel), rel, last, rate);
    }
}
