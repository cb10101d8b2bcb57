package org.tessera.jobs.fit;

/**
 * The Cholesky factor {@code L} of a small symmetric positive definite matrix ({@code A = LLᵀ}),
 * for the normal equations and Newton steps that the solvers take on the driver.
 */
public final class Cholesky {
    private final double[] l;
    private final int n;

    private Cholesky(double[] l, int n) {
        this.l = l;
        this.n = n;
    }

    /**
     * Thrown when the matrix is not (numerically) positive definite; {@link #pivot()} is the first
     * row that depends on the rows before it.
     */
    public static final class NotPositiveDefinite extends ArithmeticException {
        private static final long serialVersionUID = 1L;
        private final int pivot;

        NotPositiveDefinite(int pivot, double value) {
            super("not positive definite: pivot " + pivot + " is " + value);
            this.pivot = pivot;
        }

        /** The index of the failing pivot. */
        public int pivot() {
            return pivot;
        }
    }

    /**
     * Factors {@code a} (n×n, row-major). A pivot at or below {@code 1e-13} times its diagonal entry
     * counts as zero: that row is a linear combination of the ones before it, up to rounding.
     */
    public static Cholesky factor(double[] a, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * n + k] * l[j * n + k];
                }
                if (i == j) {
                    if (!(s > 1e-13 * Math.abs(a[i * n + i]))) {
                        throw new NotPositiveDefinite(i, s);
                    }
                    l[i * n + i] = Math.sqrt(s);
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        return new Cholesky(l, n);
    }

    /** The solution {@code x} of {@code A x = b}. */
    public double[] solve(double[] b) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i * n + k] * y[k];
            }
            y[i] = s / l[i * n + i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k * n + i] * x[k];
            }
            x[i] = s / l[i * n + i];
        }
        return x;
    }

    /**
     * The smallest eigenvalue of {@code A}, by inverse iteration (a few dozen solves): what the
     * condition number of the standardized problem needs.
     */
    public double smallestEigenvalue() {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1 / Math.sqrt(n));
        double mu = 0;
        for (int it = 0; it < 300; it++) {
            double[] w = solve(v);
            double norm = Vectors.norm(w);
            double next = 1 / norm;
            for (int i = 0; i < n; i++) {
                v[i] = w[i] / norm;
            }
            if (Math.abs(next - mu) <= 1e-10 * next) {
                return next;
            }
            mu = next;
        }
        return mu;
    }
}
