package org.tessera.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ReduceLoops} on the JDK Vector API, in the widest vectors the CPU has (16 float lanes
 * with AVX-512). Loaded only by {@link ReduceLoops#vector()} once the module is known to be
 * present; the API exists with the same methods in Java 17 and later.
 */
final class VectorReduceLoops extends ReduceLoops {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Int lanes in the same bit width, so that each float lane has an index lane. */
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Double lanes per vector. */
    private static final int LD = D.length();
    /** Lane j takes lane (j + h) mod L: the fixed folds of a lane sum. */
    private static final VectorShuffle<Float> FOLD8 = VectorShuffle.iota(F, 8 % L, 1, true);
    private static final VectorShuffle<Float> FOLD4 = VectorShuffle.iota(F, 4 % L, 1, true);
    private static final VectorShuffle<Float> FOLD2 = VectorShuffle.iota(F, 2 % L, 1, true);
    private static final VectorShuffle<Float> FOLD1 = VectorShuffle.iota(F, 1 % L, 1, true);
    private static final VectorShuffle<Double> DFOLD4 = VectorShuffle.iota(D, 4 % LD, 1, true);
    private static final VectorShuffle<Double> DFOLD2 = VectorShuffle.iota(D, 2 % LD, 1, true);
    private static final VectorShuffle<Double> DFOLD1 = VectorShuffle.iota(D, 1 % LD, 1, true);

    VectorReduceLoops() {
        if (I.length() != L) {
            throw new IllegalStateException("float and int vectors of different lane counts: " + L + " and " + I.length());
        }
    }

    @Override
    String describe() {
        return "vector (" + L + " float lanes)";
    }

    /**
     * The sum of {@code w}'s lanes in a fixed order: folded in halves (lane j plus lane j + h, for
     * h = L/2 down to 1) by constant shuffles. {@code reduceLanes(ADD)} leaves the order of a
     * floating-point sum to the implementation, and compiled and interpreted code choose
     * differently, so one input could sum to two values within one run. No array: an allocation
     * per call costs more than the sum of a short run.
     */
    static float foldLanes(FloatVector w) {
        if (L >= 16) {
            w = w.add(w.rearrange(FOLD8));
        }
        if (L >= 8) {
            w = w.add(w.rearrange(FOLD4));
        }
        if (L >= 4) {
            w = w.add(w.rearrange(FOLD2));
        }
        if (L >= 2) {
            w = w.add(w.rearrange(FOLD1));
        }
        return w.lane(0);
    }

    /** {@link #foldLanes(FloatVector)} for float64 lanes. */
    static double foldLanes(DoubleVector w) {
        if (LD >= 8) {
            w = w.add(w.rearrange(DFOLD4));
        }
        if (LD >= 4) {
            w = w.add(w.rearrange(DFOLD2));
        }
        if (LD >= 2) {
            w = w.add(w.rearrange(DFOLD1));
        }
        return w.lane(0);
    }

    @Override
    double sum(float[] x, int len) {
        // four independent vector sums: each lane adds len / (4 L) elements in float32; their lanes
        // are then added in a fixed order (foldLanes)
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= len - 4 * L; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(F, x, i));
            a1 = a1.add(FloatVector.fromArray(F, x, i + L));
            a2 = a2.add(FloatVector.fromArray(F, x, i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(F, x, i + 3 * L));
        }
        for (; i <= len - L; i += L) {
            a0 = a0.add(FloatVector.fromArray(F, x, i));
        }
        float tail = 0;
        for (; i < len; i++) {
            tail += x[i];
        }
        return (double) foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }

    @Override
    float max(float[] x, int len) {
        if (len < 4 * L) {
            return ScalarReduceLoops.INSTANCE.max(x, len);
        }
        FloatVector m0 = FloatVector.fromArray(F, x, 0);
        FloatVector m1 = FloatVector.fromArray(F, x, L);
        FloatVector m2 = FloatVector.fromArray(F, x, 2 * L);
        FloatVector m3 = FloatVector.fromArray(F, x, 3 * L);
        int i = 4 * L;
        for (; i <= len - 4 * L; i += 4 * L) {
            m0 = m0.max(FloatVector.fromArray(F, x, i));
            m1 = m1.max(FloatVector.fromArray(F, x, i + L));
            m2 = m2.max(FloatVector.fromArray(F, x, i + 2 * L));
            m3 = m3.max(FloatVector.fromArray(F, x, i + 3 * L));
        }
        float m = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) {
            m = Math.max(m, x[i]);
        }
        return m;
    }

    @Override
    float min(float[] x, int len) {
        if (len < 4 * L) {
            return ScalarReduceLoops.INSTANCE.min(x, len);
        }
        FloatVector m0 = FloatVector.fromArray(F, x, 0);
        FloatVector m1 = FloatVector.fromArray(F, x, L);
        FloatVector m2 = FloatVector.fromArray(F, x, 2 * L);
        FloatVector m3 = FloatVector.fromArray(F, x, 3 * L);
        int i = 4 * L;
        for (; i <= len - 4 * L; i += 4 * L) {
            m0 = m0.min(FloatVector.fromArray(F, x, i));
            m1 = m1.min(FloatVector.fromArray(F, x, i + L));
            m2 = m2.min(FloatVector.fromArray(F, x, i + 2 * L));
            m3 = m3.min(FloatVector.fromArray(F, x, i + 3 * L));
        }
        float m = m0.min(m1).min(m2.min(m3)).reduceLanes(VectorOperators.MIN);
        for (; i < len; i++) {
            m = Math.min(m, x[i]);
        }
        return m;
    }

    @Override
    int firstExtreme(boolean max, float[] x, int len) {
        // the extreme by the unrolled vector pass, then its first position: the tile is in cache by
        // now, and a search that stops at the first match is cheaper than carrying indices along
        float m = max ? max(x, len) : min(x, len);
        if (m != m) {
            return firstNaN(x, 0);
        }
        int i = 0;
        for (; i <= len - L; i += L) {
            VectorMask<Float> hit = FloatVector.fromArray(F, x, i).compare(VectorOperators.EQ, m);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        while (x[i] != m) {
            i++;
        }
        return i;
    }

    /** The first NaN at or after {@code from} (one is known to exist). */
    private static int firstNaN(float[] x, int from) {
        int q = from;
        while (x[q] == x[q]) {
            q++;
        }
        return q;
    }

    @Override
    void addRows(float[] acc, float[] x, int len) {
        int j = 0;
        for (; j <= len - L; j += L) {
            FloatVector.fromArray(F, acc, j).add(FloatVector.fromArray(F, x, j)).intoArray(acc, j);
        }
        for (; j < len; j++) {
            acc[j] += x[j];
        }
    }

    @Override
    void extremeRows(boolean max, float[] acc, float[] x, int len) {
        int j = 0;
        if (max) {
            for (; j <= len - L; j += L) {
                FloatVector.fromArray(F, acc, j).max(FloatVector.fromArray(F, x, j)).intoArray(acc, j);
            }
            for (; j < len; j++) {
                acc[j] = Math.max(acc[j], x[j]);
            }
        } else {
            for (; j <= len - L; j += L) {
                FloatVector.fromArray(F, acc, j).min(FloatVector.fromArray(F, x, j)).intoArray(acc, j);
            }
            for (; j < len; j++) {
                acc[j] = Math.min(acc[j], x[j]);
            }
        }
    }

    @Override
    void extremeRowsWithIndex(boolean max, float[] best, int[] idx, float[] x, int len, int q) {
        VectorOperators.Comparison beats = max ? VectorOperators.GT : VectorOperators.LT;
        int j = 0;
        for (; j <= len - L; j += L) {
            FloatVector b = FloatVector.fromArray(F, best, j);
            FloatVector v = FloatVector.fromArray(F, x, j);
            VectorMask<Float> m = v.compare(beats, b);
            VectorMask<Float> nan = v.test(VectorOperators.IS_NAN);
            if (nan.anyTrue()) {
                // a NaN wins unless the best so far is already NaN
                m = m.or(nan.andNot(b.test(VectorOperators.IS_NAN)));
            }
            if (m.anyTrue()) {
                b.blend(v, m).intoArray(best, j);
                IntVector.fromArray(I, idx, j).blend(q, m.cast(I)).intoArray(idx, j);
            }
        }
        for (; j < len; j++) {
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
        // Math.max(v, 0f) as a compare and a blend, shorter than the lanewise MAX (which must also
        // order -0 below +0 and take NaN from either side): lanes <= 0, -0 among them, become +0,
        // and NaN compares false and stays as it is. Written out in each loop, not in a method
        // taking a vector, which the JIT would box if it did not inline the call.
        int i = 0;
        for (; i <= len - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(out, i);
        }
        for (; i < len; i++) {
            out[i] = Math.max(x[i], 0f);
        }
    }

    @Override
    void affine(float[] x, float[] out, int len, boolean mulFirst, float c1, float c2, boolean relu) {
        // relu as in relu(float[], float[], int)
        int i = 0;
        if (mulFirst && relu) {
            for (; i <= len - L; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, i).mul(c1).add(c2);
                v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(out, i);
            }
        } else if (mulFirst) {
            for (; i <= len - L; i += L) {
                FloatVector.fromArray(F, x, i).mul(c1).add(c2).intoArray(out, i);
            }
        } else if (relu) {
            for (; i <= len - L; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, i).add(c1).mul(c2);
                v.blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(out, i);
            }
        } else {
            for (; i <= len - L; i += L) {
                FloatVector.fromArray(F, x, i).add(c1).mul(c2).intoArray(out, i);
            }
        }
        for (; i < len; i++) {
            float y = mulFirst ? x[i] * c1 + c2 : (x[i] + c1) * c2;
            out[i] = relu ? Math.max(y, 0f) : y;
        }
    }

    @Override
    double affineSum(float[] x, int len, boolean mulFirst, float c1, float c2, boolean relu, float[] scratch) {
        // sum(float[], int) over affine's values as they are computed, never stored: the same
        // accumulators, additions and fold, so the same bits as affine then sum
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= len - 4 * L; i += 4 * L) {
            FloatVector y0 = FloatVector.fromArray(F, x, i);
            FloatVector y1 = FloatVector.fromArray(F, x, i + L);
            FloatVector y2 = FloatVector.fromArray(F, x, i + 2 * L);
            FloatVector y3 = FloatVector.fromArray(F, x, i + 3 * L);
            if (mulFirst) {
                y0 = y0.mul(c1).add(c2);
                y1 = y1.mul(c1).add(c2);
                y2 = y2.mul(c1).add(c2);
                y3 = y3.mul(c1).add(c2);
            } else {
                y0 = y0.add(c1).mul(c2);
                y1 = y1.add(c1).mul(c2);
                y2 = y2.add(c1).mul(c2);
                y3 = y3.add(c1).mul(c2);
            }
            if (relu) {
                y0 = y0.blend(0f, y0.compare(VectorOperators.LE, 0f));
                y1 = y1.blend(0f, y1.compare(VectorOperators.LE, 0f));
                y2 = y2.blend(0f, y2.compare(VectorOperators.LE, 0f));
                y3 = y3.blend(0f, y3.compare(VectorOperators.LE, 0f));
            }
            a0 = a0.add(y0);
            a1 = a1.add(y1);
            a2 = a2.add(y2);
            a3 = a3.add(y3);
        }
        for (; i <= len - L; i += L) {
            FloatVector y = FloatVector.fromArray(F, x, i);
            y = mulFirst ? y.mul(c1).add(c2) : y.add(c1).mul(c2);
            if (relu) {
                y = y.blend(0f, y.compare(VectorOperators.LE, 0f));
            }
            a0 = a0.add(y);
        }
        float tail = 0;
        for (; i < len; i++) {
            float y = mulFirst ? x[i] * c1 + c2 : (x[i] + c1) * c2;
            tail += relu ? Math.max(y, 0f) : y;
        }
        return (double) foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }

    @Override
    double sum(double[] x, int len) {
        // four independent vector sums, as for float32
        DoubleVector a0 = DoubleVector.zero(D);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        int i = 0;
        for (; i <= len - 4 * LD; i += 4 * LD) {
            a0 = a0.add(DoubleVector.fromArray(D, x, i));
            a1 = a1.add(DoubleVector.fromArray(D, x, i + LD));
            a2 = a2.add(DoubleVector.fromArray(D, x, i + 2 * LD));
            a3 = a3.add(DoubleVector.fromArray(D, x, i + 3 * LD));
        }
        for (; i <= len - LD; i += LD) {
            a0 = a0.add(DoubleVector.fromArray(D, x, i));
        }
        double tail = 0;
        for (; i < len; i++) {
            tail += x[i];
        }
        return foldLanes(a0.add(a1).add(a2.add(a3))) + tail;
    }
}
