package org.tessera.jobs.fit;

/**
 * The result of a solver.
 *
 * @param solver the solver that ran (never {@code auto})
 * @param theta the parameters in standardized coordinates ({@link Objective})
 * @param weights coefficients of the features, in the data's own units
 * @param bias the intercept
 * @param losses the objective at each iterate, the start included (for gradient descent: before each update)
 * @param gradients the gradient norm relative to the start's at the same iterates
 * @param iterations iterations (epochs for gradient descent; 1 for the normal equations plus refinements)
 * @param evaluations evaluations of the objective with its gradient, and of the Hessian, from the data
 * @param converged whether the convergence criterion was met
 * @param criterion what ended the iterations, in words
 * @param relativeGradient the final gradient norm over the gradient norm at the start
 * @param last the objective, loss and gradient at the result
 * @param learningRate the fixed step of gradient descent (NaN for the other solvers)
 */
public record Fit(Solver solver, double[] theta, double[] weights, double bias, double[] losses, double[] gradients,
        int iterations, int evaluations, boolean converged, String criterion, double relativeGradient, Objective.Evaluation last,
        double learningRate) {
    static Fit of(Solver solver, Objective f, double[] theta, java.util.List<Double> losses,
            java.util.List<Double> gradients, int iterations,
            boolean converged, String criterion, double relativeGradient, Objective.Evaluation last,
            double learningRate) {
        double[] raw = f.toRaw(theta);
        return new Fit(solver, theta, java.util.Arrays.copyOf(raw, raw.length - 1), raw[raw.length - 1],
                losses.stream().mapToDouble(Double::doubleValue).toArray(),
                gradients.stream().mapToDouble(Double::doubleValue).toArray(), iterations, f.evaluations(), converged,
                criterion, relativeGradient, last, learningRate);
    }
}
