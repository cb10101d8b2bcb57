package org.tessera.jobs.fit;

/** Small dense vector helpers for the solvers (the vectors have d + 1 entries, on the driver). */
final class Vectors {
    private Vectors() {
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** {@code a + t·b}, a new array. */
    static double[] axpy(double[] a, double t, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + t * b[i];
        }
        return out;
    }

    static double[] sub(double[] a, double[] b) {
        return axpy(a, -1, b);
    }

    static double[] scale(double t, double[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = t * a[i];
        }
        return out;
    }
}
