package org.tessera.jobs.fit;

import java.util.Locale;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** The models the regression job fits: each defines its loss on the linear score {@code z = Xw + b}. */
public enum Model {
    /** Least squares: mean of {@code (z − y)²}. */
    LINEAR,
    /** Logistic regression on 0/1 labels: mean binary cross-entropy, written stably as {@code softplus(z) − y·z}. */
    LOGISTIC;

    /** The mean loss of scores {@code z} against labels {@code y} (both n×1). */
    public Tensor loss(Tensor z, Tensor y) {
        return switch (this) {
            case LINEAR -> z.sub(y).square().mean();
            case LOGISTIC -> softplus(z).sub(z.mul(y)).mean();
        };
    }

    /**
     * {@code log(1 + exp(z))} elementwise, without overflow and with the gradient {@code σ(z)} everywhere,
     * {@code z = 0} included.
     *
     * <p>Each branch only ever sees arguments where it is finite: {@code z + log(1 + exp(−z))} the
     * non-negative scores, {@code log(1 + exp(z))} the negative ones (the other elements are fed 0).
     * A form such as {@code relu(z) + log(1 + exp(−|z|))} has the same values, but the gradients of
     * {@code relu} and {@code abs} at 0 are 0 (as in PyTorch), which makes its gradient at 0 equal 0
     * instead of {@code σ(0) = 1/2}: every sample of a zero-initialized model would start wrong.
     * Example: {@code softplus([0, 800, −800])} is {@code [0.6931, 800, 0]}.
     */
    public static Tensor softplus(Tensor z) {
        Tensor nonNegative = z.ge(0);
        Tensor zp = Tessera.where(nonNegative, z, 0);
        Tensor zn = Tessera.where(nonNegative, 0, z);
        Tensor upper = zp.add(zp.neg().exp().add(1).log());
        Tensor lower = zn.exp().add(1).log();
        return Tessera.where(nonNegative, upper, lower);
    }

    /**
     * A bound on the curvature of the loss in standardized coordinates (the largest eigenvalue of
     * its Hessian), from the largest eigenvalue of the features' correlation matrix.
     */
    double curvature(double largestCorrelationEigenvalue) {
        double l = Math.max(1, largestCorrelationEigenvalue);
        return this == LINEAR ? 2 * l : l / 4;
    }

    /** Parses {@code linear} or {@code logistic}. */
    public static Model parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "linear" -> LINEAR;
            case "logistic" -> LOGISTIC;
            default -> throw new IllegalArgumentException("unknown model '" + s + "'; expected linear or logistic");
        };
    }

    /** The lower-case name. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
