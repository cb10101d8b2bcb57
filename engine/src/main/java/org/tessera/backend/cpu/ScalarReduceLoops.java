package org.tessera.backend.cpu;

/**
 * {@link ReduceLoops} as plain Java loops with independent accumulators (so that additions do
 * not wait on each other): the fallback when the JVM lacks the Vector API.
 */
final class ScalarReduceLoops extends ReduceLoops {
    static final ScalarReduceLoops INSTANCE = new ScalarReduceLoops();

    /** Independent partial sums. */
    private static final int LANES = 8;

    private ScalarReduceLoops() {
    }

    @Override
    String describe() {
        return "scalar";
    }

    @Override
    double sum(float[] x, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i <= len - LANES; i += LANES) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
        }
        float tail = 0;
        for (; i < len; i++) {
            tail += x[i];
        }
        return (double) ((s0 + s1) + (s2 + s3)) + (double) ((s4 + s5) + (s6 + s7)) + tail;
    }

    @Override
    float max(float[] x, int len) {
        float m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0];
        int i = 0;
        for (; i <= len - 4; i += 4) {
            m0 = Math.max(m0, x[i]);
            m1 = Math.max(m1, x[i + 1]);
            m2 = Math.max(m2, x[i + 2]);
            m3 = Math.max(m3, x[i + 3]);
        }
        for (; i < len; i++) {
            m0 = Math.max(m0, x[i]);
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    @Override
    float min(float[] x, int len) {
        float m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0];
        int i = 0;
        for (; i <= len - 4; i += 4) {
            m0 = Math.min(m0, x[i]);
            m1 = Math.min(m1, x[i + 1]);
            m2 = Math.min(m2, x[i + 2]);
            m3 = Math.min(m3, x[i + 3]);
        }
        for (; i < len; i++) {
            m0 = Math.min(m0, x[i]);
        }
        return Math.min(Math.min(m0, m1), Math.min(m2, m3));
    }

    @Override
    int firstExtreme(boolean max, float[] x, int len) {
        // the extreme first (a branch-free pass, NaN propagating), then its first position
        float m = max ? max(x, len) : min(x, len);
        int q = 0;
        if (m != m) {
            while (x[q] == x[q]) {
                q++;
            }
        } else {
            while (x[q] != m) {
                q++;
            }
        }
        return q;
    }

    @Override
    void addRows(float[] acc, float[] x, int len) {
        for (int j = 0; j < len; j++) {
            acc[j] += x[j];
        }
    }

    @Override
    void extremeRows(boolean max, float[] acc, float[] x, int len) {
        if (max) {
            for (int j = 0; j < len; j++) {
                acc[j] = Math.max(acc[j], x[j]);
            }
        } else {
            for (int j = 0; j < len; j++) {
                acc[j] = Math.min(acc[j], x[j]);
            }
        }
    }

    @Override
    void extremeRowsWithIndex(boolean max, float[] best, int[] idx, float[] x, int len, int q) {
        for (int j = 0; j < len; j++) {
            float v = x[j];
            float b = best[j];
            if (b == b && (v != v || (max ? v > b : v < b))) {
                best[j] = v;
                idx[j] = q;
            }
        }
    }

    @Override
    void relu(float[] x, float[] out, int len) {
        for (int i = 0; i < len; i++) {
            out[i] = Math.max(x[i], 0f);
        }
    }

    @Override
    void affine(float[] x, float[] out, int len, boolean mulFirst, float c1, float c2, boolean relu) {
        if (mulFirst && relu) {
            for (int i = 0; i < len; i++) {
                out[i] = Math.max(x[i] * c1 + c2, 0f);
            }
        } else if (mulFirst) {
            for (int i = 0; i < len; i++) {
                out[i] = x[i] * c1 + c2;
            }
        } else if (relu) {
            for (int i = 0; i < len; i++) {
                out[i] = Math.max((x[i] + c1) * c2, 0f);
            }
        } else {
            for (int i = 0; i < len; i++) {
                out[i] = (x[i] + c1) * c2;
            }
        }
    }

    @Override
    double sum(double[] x, int len) {
        // four independent accumulators in locals: no array to allocate per call
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i <= len - 4; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < len; i++) {
            s0 += x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
