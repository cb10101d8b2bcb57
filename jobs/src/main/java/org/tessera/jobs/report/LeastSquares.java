package org.tessera.jobs.report;

/** Solves the normal equations {@code (XᵀX) w = Xᵀy} of a small system by Cholesky factorization. */
public final class LeastSquares {
    private LeastSquares() {
    }

    /**
     * The solution of {@code a · w = b} for a symmetric positive definite {@code a} (d×d, row-major).
     *
     * @throws IllegalArgumentException when {@code a} is not positive definite (collinear features)
     */
    public static double[] solveSpd(double[] a, double[] b, int d) {
        double[] l = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * d + j];
                for (int k = 0; k < j; k++) {
                    s -= l[i * d + k] * l[j * d + k];
                }
                if (i == j) {
                    if (s <= 0) {
                        throw new IllegalArgumentException("least squares: XᵀX is not positive definite (pivot " + i
                                + " is " + s + "); some feature columns are constant or collinear");
                    }
                    l[i * d + i] = Math.sqrt(s);
                } else {
                    l[i * d + j] = s / l[j * d + j];
                }
            }
        }
        double[] y = new double[d];
        for (int i = 0; i < d; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i * d + k] * y[k];
            }
            y[i] = s / l[i * d + i];
        }
        double[] w = new double[d];
        for (int i = d - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < d; k++) {
                s -= l[k * d + i] * w[k];
            }
            w[i] = s / l[i * d + i];
        }
        return w;
    }
}
