package org.tessera.jobs.fit;

import java.util.Locale;

/**
 * How the regression job finds its coefficients.
 *
 * <ul>
 *   <li>{@link #AUTO}: the normal equations for a linear model, Newton's method for a logistic one,
 *       while the feature count allows a d×d matrix on the driver ({@link #DENSE_LIMIT}); L-BFGS beyond.
 *   <li>{@link #NORMAL}: linear only; the normal equations from the distributed {@code AᵀA}, then one
 *       refinement step with the exact gradient from the data.
 *   <li>{@link #NEWTON}: Newton's method with the distributed Hessian {@code XᵀWX} and a backtracking
 *       line search.
 *   <li>{@link #LBFGS}: limited-memory BFGS on the distributed gradient, with a backtracking line search.
 *   <li>{@link #GD}: plain full-batch gradient descent with a fixed step for a fixed number of epochs.
 * </ul>
 */
public enum Solver {
    /** Chosen by model and feature count. */
    AUTO,
    /** Normal equations (linear). */
    NORMAL,
    /** Newton's method (logistic). */
    NEWTON,
    /** L-BFGS. */
    LBFGS,
    /** Gradient descent with a fixed step. */
    GD;

    /** Up to this many features, {@link #AUTO} solves d×d systems on the driver. */
    public static final int DENSE_LIMIT = 2000;

    /** The solver {@link #AUTO} stands for with {@code model} and {@code features} columns; others are themselves. */
    public Solver resolve(Model model, int features) {
        if (this != AUTO) {
            return this;
        }
        if (features > DENSE_LIMIT) {
            return LBFGS;
        }
        return model == Model.LINEAR ? NORMAL : NEWTON;
    }

    /** Parses {@code auto}, {@code normal}, {@code newton}, {@code lbfgs} or {@code gd}. */
    public static Solver parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT).replace("-", "")) {
            case "auto" -> AUTO;
            case "normal" -> NORMAL;
            case "newton" -> NEWTON;
            case "lbfgs" -> LBFGS;
            case "gd" -> GD;
            default -> throw new IllegalArgumentException("unknown solver '" + s
                    + "'; expected auto, normal, newton, lbfgs or gd");
        };
    }

    /** The lower-case name as the option spells it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
