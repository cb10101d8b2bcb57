package org.tessera.jobs.fit;

import java.util.Locale;
import org.tessera.Tensor;

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
            // softplus(z) = max(z, 0) + log(1 + exp(-|z|)) never overflows
            case LOGISTIC -> z.relu().add(z.abs().neg().exp().add(1).log()).sub(z.mul(y)).mean();
        };
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
