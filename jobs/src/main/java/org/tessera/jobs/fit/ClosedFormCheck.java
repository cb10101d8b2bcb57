package org.tessera.jobs.fit;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The check of a linear fit against the closed-form solution of the normal equations, coefficient by
 * coefficient in standardized units: {@code |σⱼ(wⱼ − w*ⱼ)| / σ_y}, how differently a change of one
 * standard deviation in feature j moves the prediction, in label standard deviations (and the same
 * for the prediction at the feature means).
 *
 * @param objective the objective that was minimized
 * @param closedForm the closed-form solution in standardized coordinates
 * @param maxDifference the largest standardized difference
 * @param tolerance the largest difference allowed
 */
public record ClosedFormCheck(Objective objective, double[] closedForm, double maxDifference, double tolerance) {
    /** Checks {@code fit} of {@code objective} (a linear one) against its normal equations. */
    public static ClosedFormCheck of(Objective objective, Fit fit, double tolerance) {
        Moments m = objective.moments();
        double[] star = m.normalEquations(objective.penaltyScale());
        double sy = Math.sqrt(m.labelVariance());
        double scale = sy > 0 ? sy : 1;
        double diff = 0;
        for (int j = 0; j < star.length; j++) {
            diff = Math.max(diff, Math.abs(fit.theta()[j] - star[j]) / scale);
        }
        return new ClosedFormCheck(objective, star, diff, tolerance);
    }

    /** Whether the fit is within the tolerance. */
    public boolean passed() {
        return maxDifference <= tolerance;
    }

    /** The check as the job reports it: closed-form weights and intercept in data units, difference, verdict. */
    public Map<String, Object> toMap() {
        double[] raw = objective.toRaw(closedForm);
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("weights", Arrays.copyOf(raw, raw.length - 1));
        check.put("bias", raw[raw.length - 1]);
        check.put("maxDifference", maxDifference);
        check.put("unit", "label standard deviations per feature standard deviation");
        check.put("allowed", tolerance);
        check.put("passed", passed());
        return check;
    }

    /** Why {@code fit} failed the check, and what to do. */
    public String failure(Fit fit) {
        Moments m = objective.moments();
        String head = String.format(Locale.ROOT, "the %s fit differs from the closed-form least-squares solution by"
                + " %.3g (standardized), more than --tolerance %.3g: ", fit.solver(), maxDifference, tolerance);
        if (fit.solver() == Solver.GD) {
            double kappa = m.d() <= Solver.DENSE_LIMIT ? m.conditionNumber() : Double.NaN;
            String need = Double.isFinite(kappa) ? String.format(Locale.ROOT, "; the features' correlation matrix has"
                    + " condition number %.3g, so at the default step gradient descent needs about %,.0f epochs",
                    kappa, Math.ceil(kappa * Math.log(1 / tolerance))) : "";
            return head + "gradient descent has not converged after " + fit.iterations() + " epochs (gradient norm "
                    + String.format(Locale.ROOT, "%.3g", fit.relativeGradient()) + " of the start's)" + need
                    + "; use --solver auto for the exact solution, or more --epochs";
        }
        return head + fit.criterion() + (fit.converged() ? "; the closed form itself loses accuracy when features"
                + " are nearly collinear or their means are large against their spread" : "; raise --max-iter");
    }
}
