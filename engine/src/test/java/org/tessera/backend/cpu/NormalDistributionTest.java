package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Scope;
import org.tessera.Tessera;

/**
 * randn draws from the standard normal distribution: moments, the Kolmogorov–Smirnov distance
 * to the normal CDF, tail frequencies and the shape of the tail itself, over a million values of a
 * fixed seed. Every bound is five standard errors of the statistic (or the KS test at level 0.001),
 * so a correct generator passes and a biased layer, wedge or tail sampler does not.
 */
class NormalDistributionTest {
    private static final int N = 1_000_000;

    /** Φ(x) by Marsaglia's Taylor series (2004), accurate to about 1e-15 for |x| below 8. */
    static double phi(double x) {
        if (x < -8) {
            return 0;
        }
        if (x > 8) {
            return 1;
        }
        double q = x * x;
        double s = x;
        double t = 0;
        double b = x;
        for (int i = 1; s != t; ) {
            t = s;
            i += 2;
            b *= q / i;
            s = t + b;
        }
        return 0.5 + s * Math.exp(-0.5 * q - 0.91893853320467274178);
    }

    private static double[] sample(DType t, long seed, int n) {
        try (Scope s = Tessera.scope()) {
            return Tessera.randn(new Generator(seed), t, n).toDoubleArray();
        }
    }

    /** sup |F_n - Φ| scaled by √n, of values already sorted. */
    private static double ksStatistic(double[] sorted, java.util.function.DoubleUnaryOperator cdf) {
        int n = sorted.length;
        double d = 0;
        for (int i = 0; i < n; i++) {
            double f = cdf.applyAsDouble(sorted[i]);
            d = Math.max(d, Math.max((i + 1.0) / n - f, f - (double) i / n));
        }
        return d * Math.sqrt(n);
    }

    /** Asserts that {@code count} of {@code n} trials is within five standard errors of probability {@code p}. */
    private static void assertFrequency(long count, int n, double p, String what) {
        double expected = n * p;
        double sd = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(count - expected) <= 5 * sd, what + ": " + count + " of " + n + ", expected "
                + expected + " ± " + 5 * sd);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void momentsAreThoseOfTheStandardNormal(DType t) {
        double[] x = sample(t, 1234, N);
        double m = 0;
        for (double v : x) {
            m += v;
        }
        m /= N;
        double m2 = 0;
        double m3 = 0;
        double m4 = 0;
        for (double v : x) {
            double d = v - m;
            m2 += d * d;
            m3 += d * d * d;
            m4 += d * d * d * d;
        }
        m2 /= N;
        m3 /= N;
        m4 /= N;
        double skew = m3 / Math.pow(m2, 1.5);
        double kurtosis = m4 / (m2 * m2) - 3;
        // standard errors for a normal sample: 1/√n, √(2/n), √(6/n), √(24/n)
        assertEquals(0, m, 5 / Math.sqrt(N), t + " mean");
        assertEquals(1, m2, 5 * Math.sqrt(2.0 / N), t + " variance");
        assertEquals(0, skew, 5 * Math.sqrt(6.0 / N), t + " skewness");
        assertEquals(0, kurtosis, 5 * Math.sqrt(24.0 / N), t + " excess kurtosis");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void kolmogorovSmirnovDistanceToTheNormalCdfIsSmall(DType t) {
        double[] x = sample(t, 4321, N);
        Arrays.sort(x);
        double ks = ksStatistic(x, NormalDistributionTest::phi);
        // the KS test's critical value at level 0.001
        assertTrue(ks < 1.949, t + ": √n·D = " + ks);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void tailsBeyondThreeAndFourSigmaHaveTheirFrequencies(DType t) {
        int n = 4 * N;
        double[] x = sample(t, 77, n);
        long[] beyond = new long[3];
        double[] at = {3, Ziggurat.R, 4};
        long positive = 0;
        for (double v : x) {
            for (int k = 0; k < at.length; k++) {
                beyond[k] += Math.abs(v) > at[k] ? 1 : 0;
            }
            positive += v > 3 ? 1 : 0;
        }
        for (int k = 0; k < at.length; k++) {
            assertFrequency(beyond[k], n, 2 * phi(-at[k]), t + " |x| > " + at[k]);
        }
        // both tails, not one
        assertFrequency(positive, n, phi(-3), t + " x > 3");
    }

    @Test
    void valuesBeyondThreeSigmaFollowTheNormalTail() {
        // the tail sampler and the outer layers' wedges: |x| given |x| > 3 against Φ's tail
        double[] x = sample(DType.FLOAT64, 5, 8 * N);
        double[] tail = Arrays.stream(x).map(Math::abs).filter(v -> v > 3).sorted().toArray();
        double q = 2 * phi(-3);
        double ks = ksStatistic(tail, v -> 1 - 2 * phi(-v) / q);
        assertTrue(tail.length > 20_000, "tail count " + tail.length);
        assertTrue(ks < 1.949, "tail: √n·D = " + ks + " over " + tail.length + " values");
    }

    @Test
    void theTailSamplerFollowsTheNormalTailBeyondTheBase() {
        // the base layer's tail algorithm alone, element by element: X given X > r
        int n = 200_000;
        long key = SourceKernels.key(11, 3);
        double[] tail = new double[n];
        for (int i = 0; i < n; i++) {
            tail[i] = Ziggurat.slow(key, i, 0, Ziggurat.R);
        }
        Arrays.sort(tail);
        assertTrue(tail[0] > Ziggurat.R, "smallest tail value " + tail[0]);
        double q = phi(-Ziggurat.R);
        double ks = ksStatistic(tail, v -> 1 - phi(-v) / q);
        assertTrue(ks < 1.949, "tail sampler: √n·D = " + ks);
    }

    @Test
    void float64TailValuesUseTheFullDoublePrecision() {
        // beyond the ziggurat's base the values come from a logarithm of a 53-bit uniform, not
        // from a float32 computation: almost none of them is a float32 number
        double[] x = sample(DType.FLOAT64, 6, 2 * N);
        int tail = 0;
        int float32 = 0;
        for (double v : x) {
            if (Math.abs(v) > Ziggurat.R) {
                tail++;
                float32 += (double) (float) v == v ? 1 : 0;
            }
        }
        assertTrue(tail > 300, "tail count " + tail);
        assertTrue(float32 <= 2, float32 + " of " + tail + " tail values are float32 numbers");
    }

    @Test
    void theTileLoopsGiveEachElementsOwnValueBitForBit() {
        // the tile loops take the fast path for every element first and redo the rejected ones: the
        // values must be those of Ziggurat.normal element by element, rejections and tails included
        long key = SourceKernels.key(42, 7);
        int m = 4096;
        long[] d = new long[m];
        float[] f = new float[m];
        double[] g = new double[m];
        int[] rejected = new int[m];
        int slow = 0;
        for (long[] run : new long[][] {{0, 1}, {123_456_789, 1}, {5, 3}, {1L << 40, 1000}}) {
            long e0 = run[0];
            long stride = run[1];
            for (int rep = 0; rep < 25; rep++, e0 += m * stride) {
                for (int k = 0; k < m; k++) {
                    d[k] = SourceKernels.mix(key + (e0 + k * stride + 1) * SourceKernels.GOLDEN);
                }
                Ziggurat.normalsFloat(key, e0, stride, d, m, f, 0, rejected);
                Ziggurat.normalsDouble(key, e0, stride, d, m, g, 0, rejected);
                for (int k = 0; k < m; k++) {
                    double want = Ziggurat.normal(key, e0 + k * stride, d[k]);
                    assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(g[k]), "element "
                            + (e0 + k * stride));
                    assertEquals(Float.floatToRawIntBits((float) want), Float.floatToRawIntBits(f[k]));
                    int j = (int) d[k] & (Ziggurat.LAYERS - 1);
                    slow += Math.abs(want) != (d[k] >>> 11) * Ziggurat.scale(j) ? 1 : 0;
                }
            }
        }
        assertTrue(slow > 100, "the slow path was taken " + slow + " times");
    }

    @Test
    void zigguratBaseWidthIsThePublishedOne() {
        // Marsaglia and Tsang (2000) give r = 3.6541528853610088 and v = 4.92867323399e-3 for 256 layers
        assertEquals(3.6541528853610088, Ziggurat.R, 1e-14);
        assertEquals(4.92867323399e-3, Ziggurat.V, 1e-13);
    }
}
