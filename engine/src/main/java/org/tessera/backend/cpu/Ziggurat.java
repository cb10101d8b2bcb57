package org.tessera.backend.cpu;

/**
 * The standard normal distribution by Marsaglia and Tsang's ziggurat method (2000) with 256
 * layers, driven by counter-based draws so that a value is a pure function of its element.
 *
 * <p>The area under {@code f(x) = exp(-x²/2)} for {@code x ≥ 0} is covered by 256 layers of equal
 * area {@code v}: layer 0 is the rectangle {@code [0, r] × [0, f(r)]} together with the tail beyond
 * {@code r}, seen as a rectangle of width {@code x[0] = v / f(r)}; layer {@code j ≥ 1} is the
 * rectangle of width {@code x[j]} between heights {@code f(x[j])} and {@code f(x[j+1])}, with
 * {@code x[1] = r} and {@code x[256] = 0}. One 64-bit draw picks the layer (8 bits), the sign (1 bit)
 * and a 53-bit uniform {@code u}; {@code x = u·x[j]} is accepted at once when {@code x < x[j+1]}
 * (about 99% of draws), since then the whole column under the layer lies below the curve. Otherwise
 * layer 0 samples the tail beyond {@code r} by Marsaglia's method ({@code a = -ln(U₁)/r},
 * {@code b = -ln(U₂)}, accept {@code r + a} when {@code 2b > a²}), and layer {@code j ≥ 1} draws a
 * height uniform in the layer and accepts {@code x} when it lies under the curve; a rejected draw
 * starts again with a fresh draw. Every value is computed in float64 from 53-bit uniforms, so the
 * tail keeps full double precision: values beyond {@code r ≈ 3.654} are {@code r} plus the
 * logarithm of a 53-bit uniform over {@code r}, which reaches {@code r + 53·ln 2 / r ≈ 13.7}, far
 * beyond anything a normal sample of realistic size shows ({@code P(|x| > 8) ≈ 1.2e-15}).
 *
 * <p>{@code r} is found here by bisection, as the width at which 256 layers of equal area exactly
 * reach the top of the curve; {@code v} follows from {@code r}, with the tail integral computed by
 * Laplace's continued fraction.
 */
final class Ziggurat {
    /** Number of layers; the layer index is the low 8 bits of a draw. */
    static final int LAYERS = 256;
    /** The right edge of the base layer's rectangle, where the tail begins. */
    static final double R;
    /** The area of every layer. */
    static final double V;
    /** {@code x[j] · 2⁻⁵³}: turns the 53 high bits of a draw into a point of layer {@code j}. */
    private static final double[] SCALE = new double[LAYERS];
    /** {@code x[j+1]}: points of layer {@code j} below it are accepted at once. */
    private static final double[] INNER = new double[LAYERS];
    /** {@code f(x[j])} for {@code j} in {@code [0, 256]} ({@code f(x[256]) = f(0) = 1}). */
    private static final double[] HEIGHT = new double[LAYERS + 1];
    /** A constant that separates the draws of rejected attempts from the first draw of each element. */
    private static final long RETRY_SALT = 0xD1B54A32D192ED03L;

    static {
        R = solveR();
        V = area(R);
        double[] x = edges(R, V);
        for (int j = 0; j < LAYERS; j++) {
            SCALE[j] = x[j] * 0x1.0p-53;
            INNER[j] = x[j + 1];
            HEIGHT[j] = f(x[j]);
        }
        HEIGHT[LAYERS] = 1;
    }

    private Ziggurat() {
    }

    private static double f(double x) {
        return Math.exp(-0.5 * x * x);
    }

    /** The layer area for base width {@code r}: the base rectangle plus the tail beyond {@code r}. */
    private static double area(double r) {
        return r * f(r) + tail(r);
    }

    /**
     * {@code ∫_r^∞ exp(-t²/2) dt} by Laplace's continued fraction
     * {@code f(r) / (r + 1/(r + 2/(r + 3/(r + …))))}, evaluated from the bottom; for {@code r > 3}
     * a few hundred terms are far more than double precision needs.
     */
    private static double tail(double r) {
        double d = r;
        for (int k = 400; k >= 1; k--) {
            d = r + k / d;
        }
        return f(r) / d;
    }

    /**
     * The layer edges {@code x[0..256]} for base width {@code r} and layer area {@code v}; when the
     * layers overshoot the top of the curve before the last one, the edges stop there with NaN.
     */
    private static double[] edges(double r, double v) {
        double[] x = new double[LAYERS + 1];
        x[0] = v / f(r);
        x[1] = r;
        for (int j = 1; j < LAYERS - 1; j++) {
            double y = f(x[j]) + v / x[j];
            x[j + 1] = y >= 1 ? Double.NaN : Math.sqrt(-2 * Math.log(y));
        }
        x[LAYERS] = 0;
        return x;
    }

    /**
     * How far the top layer's area misses {@code v}: its area {@code x[255]·(1 - f(x[255]))} minus
     * {@code v}; negative when the layers are too thick and overshoot the top (r too small).
     */
    private static double topExcess(double r) {
        double v = area(r);
        double x255 = edges(r, v)[LAYERS - 1];
        return Double.isNaN(x255) ? -1 : x255 * (1 - f(x255)) - v;
    }

    /** The base width for which all 256 layers have the same area, by bisection to the last bit. */
    private static double solveR() {
        double lo = 3;
        double hi = 4.5;
        while (true) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) {
                return lo;
            }
            if (topExcess(mid) < 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }

    /** {@code x[j] · 2⁻⁵³} (for tests). */
    static double scale(int j) {
        return SCALE[j];
    }

    /** Gives {@code x} the sign held in bit 8 of {@code draw}. */
    static double signed(long draw, double x) {
        return Double.longBitsToDouble(Double.doubleToRawLongBits(x) ^ ((draw << 55) & Long.MIN_VALUE));
    }

    /**
     * The standard normal value whose first draw is {@code draw}: the fast path inline, else
     * {@link #slow}. {@code key} and {@code i} identify the element for the draws of the slow path.
     */
    static double normal(long key, long i, long draw) {
        int j = (int) draw & (LAYERS - 1);
        double x = (draw >>> 11) * SCALE[j];
        if (x < INNER[j]) {
            return signed(draw, x);
        }
        return rejectedValue(key, i, draw);
    }

    /** The value of element {@code i} whose first draw {@code draw} fell outside its layer's inner rectangle. */
    private static double rejectedValue(long key, long i, long draw) {
        int j = (int) draw & (LAYERS - 1);
        return signed(draw, slow(key, i, j, (draw >>> 11) * SCALE[j]));
    }

    /**
     * {@code o[off + k] = (float) normal(key, e0 + k * stride, d[k])} for {@code k < m}: the fast path
     * for every element in a loop of its own, then the rare elements outside their layer's inner
     * rectangle again by {@link #slow}; the same values as {@link #normal}, one by one.
     */
    static void normalsFloat(long key, long e0, long stride, long[] d, int m, float[] o, int off, int[] rejected) {
        int nr = 0;
        for (int k = 0; k < m; k++) {
            long draw = d[k];
            int j = (int) draw & (LAYERS - 1);
            double x = (draw >>> 11) * SCALE[j];
            o[off + k] = (float) signed(draw, x);
            if (x >= INNER[j]) {
                rejected[nr++] = k;
            }
        }
        for (int r = 0; r < nr; r++) {
            int k = rejected[r];
            o[off + k] = (float) rejectedValue(key, e0 + k * stride, d[k]);
        }
    }

    /** {@link #normalsFloat} in float64: {@code o[off + k] = normal(key, e0 + k * stride, d[k])}. */
    static void normalsDouble(long key, long e0, long stride, long[] d, int m, double[] o, int off, int[] rejected) {
        int nr = 0;
        for (int k = 0; k < m; k++) {
            long draw = d[k];
            int j = (int) draw & (LAYERS - 1);
            double x = (draw >>> 11) * SCALE[j];
            o[off + k] = signed(draw, x);
            if (x >= INNER[j]) {
                rejected[nr++] = k;
            }
        }
        for (int r = 0; r < nr; r++) {
            int k = rejected[r];
            o[off + k] = rejectedValue(key, e0 + k * stride, d[k]);
        }
    }

    /**
     * The magnitude for an element whose first draw fell outside the inner rectangle of layer
     * {@code j} at {@code x}. Further draws are SplitMix64's sequence from a state that is itself a
     * pure hash of (key, element), independent of the first draw: draw {@code k} of element
     * {@code i} is {@code mix(s + (k + 1)·γ)} with {@code s = mix(mix(key ^ salt) + (i + 1)·γ)}.
     */
    static double slow(long key, long i, int j, double x) {
        long state = SourceKernels.mix(SourceKernels.mix(key ^ RETRY_SALT) + (i + 1) * SourceKernels.GOLDEN);
        long k = 0;
        while (true) {
            if (j == 0) {
                // the tail beyond R (Marsaglia 1964): exponential proposals under the normal tail
                double a;
                double b;
                do {
                    a = -Math.log(open(state, ++k)) / R;
                    b = -Math.log(open(state, ++k));
                } while (b + b < a * a);
                return R + a;
            }
            double y = HEIGHT[j] + closed(state, ++k) * (HEIGHT[j + 1] - HEIGHT[j]);
            if (y < f(x)) {
                return x;
            }
            long draw = SourceKernels.mix(state + ++k * SourceKernels.GOLDEN);
            j = (int) draw & (LAYERS - 1);
            x = (draw >>> 11) * SCALE[j];
            if (x < INNER[j]) {
                return x;
            }
        }
    }

    /** Draw {@code k} of a retry sequence as a uniform in {@code (0, 1]}. */
    private static double open(long state, long k) {
        return ((SourceKernels.mix(state + k * SourceKernels.GOLDEN) >>> 11) + 1) * 0x1.0p-53;
    }

    /** Draw {@code k} of a retry sequence as a uniform in {@code [0, 1)}. */
    private static double closed(long state, long k) {
        return (SourceKernels.mix(state + k * SourceKernels.GOLDEN) >>> 11) * 0x1.0p-53;
    }
}
