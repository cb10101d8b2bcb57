package org.tessera.jobs.fit;

import org.tessera.Tensor;

/**
 * First and second moments of a design matrix {@code X} (n×d) and a label column {@code y}
 * (n×1), computed through tensors ({@code XᵀX}, {@code Xᵀy} and column sums; each one
 * distributed job when the tensors are): what standardization, the step size, the normal
 * equations and the closed-form least-squares check need.
 *
 * @param n rows
 * @param sumX column sums of X (d)
 * @param gram {@code XᵀX}, d×d row-major
 * @param xty {@code Xᵀy} (d)
 * @param sumY the sum of y
 * @param sumY2 the sum of y²
 */
public record Moments(long n, double[] sumX, double[] gram, double[] xty, double sumY, double sumY2) {
    /**
     * Computes the moments from {@code a = [X, 1, y]} (n×(d+2)) in one distributed product:
     * {@code AᵀA} holds XᵀX, the column sums, n, Xᵀy, the sum of y and the sum of y².
     */
    public static Moments ofAugmented(Tensor a) {
        int d = (int) a.shape().get(1) - 2;
        int w = d + 2;
        // in float64 whatever the data's dtype: the normal equations, the closed-form check and the
        // standardization are then as exact as the data allow (a float32 product lost 1e-4 of them)
        Tensor a64 = a.dtype() == org.tessera.DType.FLOAT64 ? a : a.to(org.tessera.DType.FLOAT64);
        double[] g = a64.t().matmul(a64).toDoubleArray();
        double[] gram = new double[d * d];
        double[] sums = new double[d];
        double[] xy = new double[d];
        for (int i = 0; i < d; i++) {
            System.arraycopy(g, i * w, gram, i * d, d);
            sums[i] = g[d * w + i];
            xy[i] = g[i * w + d + 1];
        }
        return new Moments(Math.round(g[d * w + d]), sums, gram, xy, g[d * w + d + 1], g[(d + 1) * w + d + 1]);
    }

    /** The number of features d. */
    public int d() {
        return sumX.length;
    }

    /** Column means. */
    public double[] mean() {
        double[] m = new double[d()];
        for (int j = 0; j < m.length; j++) {
            m[j] = sumX[j] / n;
        }
        return m;
    }

    /** The covariance matrix {@code XᵀX/n − μμᵀ} (population), d×d row-major. */
    public double[] covariance() {
        int d = d();
        double[] mu = mean();
        double[] c = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                c[i * d + j] = gram[i * d + j] / n - mu[i] * mu[j];
            }
        }
        return c;
    }

    /** Population standard deviations of the columns. */
    public double[] std() {
        int d = d();
        double[] c = covariance();
        double[] s = new double[d];
        for (int j = 0; j < d; j++) {
            s[j] = Math.sqrt(Math.max(0, c[j * d + j]));
        }
        return s;
    }

    /** The correlation matrix, d×d row-major (NaN for a constant column). */
    public double[] correlation() {
        int d = d();
        double[] c = covariance();
        double[] s = std();
        double[] r = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                r[i * d + j] = c[i * d + j] / (s[i] * s[j]);
            }
        }
        return r;
    }

    /**
     * The least-squares fit with an intercept (ridge when {@code ridge > 0}) from the normal equations,
     * in standardized coordinates {@code θ = [w̃; b̃]}: {@code (R + ridge·I) w̃ = c̃} with {@code R} the
     * correlation matrix and {@code c̃ⱼ = Cov(xⱼ, y)/σⱼ}, solved by Cholesky, and {@code b̃ = ȳ}. This
     * minimizes {@code mean((z − y)²) + ridge·Σ w̃ⱼ²}.
     *
     * @throws Cholesky.NotPositiveDefinite when a feature is constant or a linear combination of the
     *     features before it (its index is the pivot)
     */
    public double[] normalEquations(double ridge) {
        int d = d();
        double[] r = correlation();
        double[] s = std();
        double[] mu = mean();
        double yMean = sumY / n;
        double[] c = new double[d];
        for (int j = 0; j < d; j++) {
            c[j] = (xty[j] / n - mu[j] * yMean) / s[j];
            r[j * d + j] += ridge;
        }
        double[] theta = java.util.Arrays.copyOf(Cholesky.factor(r, d).solve(c), d + 1);
        theta[d] = yMean;
        return theta;
    }

    /**
     * The condition number of the correlation matrix (largest over smallest eigenvalue): how
     * elongated the least-squares problem is after standardization, and so roughly how many
     * gradient-descent steps it takes per decade of accuracy.
     */
    public double conditionNumber() {
        try {
            return largestCorrelationEigenvalue() / Cholesky.factor(correlation(), d()).smallestEigenvalue();
        } catch (Cholesky.NotPositiveDefinite e) {
            return Double.POSITIVE_INFINITY;
        }
    }

    /** The population variance of the label. */
    /**
     * The mean squared error of the predictions {@code Xw + b}, from the moments:
     * {@code (Σy² − 2 wᵀXᵀy − 2bΣy + wᵀXᵀXw + 2b wᵀΣx + n b²) / n}. Exact to the moments' float64
     * rounding times {@code Σy² / SSE}, so for data held in float32 it is far closer than summing the
     * float32 residuals; for a fit whose residuals are tiny next to the labels, the sum is better.
     */
    public double meanSquaredError(double[] w, double b) {
        int d = d();
        double sse = sumY2 - 2 * b * sumY + n * b * b;
        for (int i = 0; i < d; i++) {
            double gw = 0;
            for (int j = 0; j < d; j++) {
                gw += gram[i * d + j] * w[j];
            }
            sse += w[i] * gw - 2 * w[i] * xty[i] + 2 * b * w[i] * sumX[i];
        }
        return Math.max(0, sse / n);
    }

    public double labelVariance() {
        double m = sumY / n;
        return Math.max(0, sumY2 / n - m * m);
    }

    /** The largest eigenvalue of the correlation matrix (power iteration; at least 1 for d = 1). */
    public double largestCorrelationEigenvalue() {
        int d = d();
        double[] r = correlation();
        double[] v = new double[d];
        java.util.Arrays.fill(v, 1 / Math.sqrt(d));
        double lambda = 1;
        for (int it = 0; it < 200; it++) {
            double[] nv = new double[d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    nv[i] += r[i * d + j] * v[j];
                }
            }
            double norm = 0;
            for (double e : nv) {
                norm += e * e;
            }
            norm = Math.sqrt(norm);
            if (!(norm > 0)) {
                return 1;
            }
            for (int i = 0; i < d; i++) {
                nv[i] /= norm;
            }
            boolean done = Math.abs(norm - lambda) < 1e-12 * norm;
            lambda = norm;
            v = nv;
            if (done) {
                break;
            }
        }
        return lambda;
    }
}
