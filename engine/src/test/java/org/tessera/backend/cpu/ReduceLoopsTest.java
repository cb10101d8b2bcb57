package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The innermost reduction loops, vector and scalar, against plain reference loops: odd lengths
 * (below, at and past the vector widths and unroll factors), NaN anywhere, ties, signed zeros.
 */
class ReduceLoopsTest {
    private static final int[] LENGTHS = {1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 257,
        1000, 2047, 2048, 2049};

    static Stream<ReduceLoops> loops() {
        List<ReduceLoops> all = new ArrayList<>();
        all.add(ReduceLoops.scalar());
        ReduceLoops v = ReduceLoops.vector();
        if (v != null) {
            all.add(v);
            ReduceLoops inPlace = ReduceLoops.inPlace(v);
            if (inPlace != null) {
                all.add(inPlace);
            }
        }
        return all.stream();
    }

    @Test
    void inPlaceLoopsLoadFromJava22() {
        // the test JVM has jdk.incubator.vector and --enable-native-access=ALL-UNNAMED (pom.xml)
        ReduceLoops v = ReduceLoops.vector();
        if (v == null) {
            return;
        }
        ReduceLoops inPlace = ReduceLoops.inPlace(v);
        if (Runtime.version().feature() >= 22) {
            assertNotNull(inPlace, "Java " + Runtime.version() + " with native access: the in-place loops did not load");
            assertTrue(inPlace.readsInPlace());
            assertEquals(inPlace.getClass(), ReduceLoops.get().getClass(), "the engine does not use the in-place loops");
        } else {
            assertNull(inPlace, "in-place loops on Java " + Runtime.version());
        }
    }

    /** Random values with NaN, ties and signed zeros in some of them. */
    private static float[] awkward(SplittableRandom r, int n, int kind) {
        float[] x = random(r, n);
        if (n > 3) {
            switch (kind) {
                case 1 -> x[r.nextInt(n)] = Float.NaN;
                case 2 -> {
                    float m = 1e6f;
                    x[r.nextInt(n)] = m;
                    x[r.nextInt(n)] = m;
                    x[r.nextInt(n)] = -m;
                    x[r.nextInt(n)] = -m;
                }
                case 3 -> {
                    x[r.nextInt(n)] = 0f;
                    x[r.nextInt(n)] = -0f;
                }
                default -> {
                }
            }
        }
        return x;
    }

    @ParameterizedTest
    @MethodSource("loops")
    void float64SumsAgreeWithAPlainSumAndReadInPlaceBitForBit(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(5);
        double[] scratch = new double[4096];
        try (org.apache.arrow.memory.ArrowBuf buf = org.tessera.memory.Memory.root().buffer(8L * 4096 + 64)) {
            long at = buf.memoryAddress() + 8;
            for (int n : LENGTHS) {
                double[] x = new double[n];
                double ref = 0;
                double abs = 0;
                for (int i = 0; i < n; i++) {
                    x[i] = r.nextGaussian() * 1e3;
                    ref += x[i];
                    abs += Math.abs(x[i]);
                }
                double got = loops.sum(x, n);
                assertEquals(ref, got, abs * 1e-14, loops.describe() + " n=" + n);
                org.tessera.memory.Memory.putDoubles(at, x, 0, n);
                assertEquals(Double.doubleToRawLongBits(got), Double.doubleToRawLongBits(loops.sumDoubles(at, n, scratch)),
                        "in place, " + loops.describe() + " n=" + n);
            }
        }
        double[] nan = {1, 2, Double.NaN, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
            25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
        assertEquals(Double.NaN, loops.sum(nan, nan.length), loops.describe());
    }

    /** {@code VectorReduceLoops.sum(float[], int)} written out lane by lane in its defined order. */
    private static double vectorOrderSum(float[] x, int len, int lanes) {
        float[][] acc = new float[4][lanes];
        int i = 0;
        for (; i <= len - 4 * lanes; i += 4 * lanes) {
            for (int q = 0; q < 4; q++) {
                for (int j = 0; j < lanes; j++) {
                    acc[q][j] += x[i + q * lanes + j];
                }
            }
        }
        for (; i <= len - lanes; i += lanes) {
            for (int j = 0; j < lanes; j++) {
                acc[0][j] += x[i + j];
            }
        }
        float tail = 0;
        for (; i < len; i++) {
            tail += x[i];
        }
        // (a0 + a1) + (a2 + a3), then folded in halves: lane j plus lane j + h mod lanes
        float[] w = new float[lanes];
        for (int j = 0; j < lanes; j++) {
            w[j] = (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j]);
        }
        for (int h = lanes / 2; h >= 1; h /= 2) {
            float[] folded = new float[lanes];
            for (int j = 0; j < lanes; j++) {
                folded[j] = w[j] + w[(j + h) % lanes];
            }
            w = folded;
        }
        return (double) w[0] + tail;
    }

    @Test
    void vectorSumsKeepTheirOrderOnceCompiled() {
        // values spanning 16 decades, so that any other order of adding the lanes gives another sum
        ReduceLoops v = ReduceLoops.vector();
        if (v == null) {
            return;
        }
        ReduceLoops inPlace = ReduceLoops.inPlace(v);
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        SplittableRandom r = new SplittableRandom(17);
        float[] x = new float[2048];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(-8, 9)));
        }
        int[] lengths = {2048, 2047, 1000, 65};
        try (org.apache.arrow.memory.ArrowBuf buf = org.tessera.memory.Memory.root().buffer(4L * x.length)) {
            long at = buf.memoryAddress();
            org.tessera.memory.Memory.putFloats(at, x, 0, x.length);
            float[] scratch = new float[x.length];
            // checked cold and again after enough calls for the JIT to have compiled both loops
            for (int round = 0; round < 2; round++) {
                for (int len : lengths) {
                    double expected = vectorOrderSum(x, len, lanes);
                    assertEquals(expected, v.sum(x, len), 0, "round " + round + ", " + v.describe() + ", n=" + len);
                    if (inPlace != null) {
                        assertEquals(expected, inPlace.sum(at, len, scratch), 0,
                                "round " + round + ", " + inPlace.describe() + ", n=" + len);
                    }
                }
                double sink = 0;
                for (int k = 0; k < 30_000; k++) {
                    sink += v.sum(x, x.length);
                    if (inPlace != null) {
                        sink += inPlace.sum(at, x.length, scratch);
                    }
                }
                assertTrue(!Double.isNaN(sink));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("loops")
    void affineLoopsRoundEachOpLikeTwoLoops(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(8);
        float[][] constants = {{3f, 1f}, {-2.5f, -0.1f}, {1e30f, 3e38f}, {0f, 0f}, {-1f, 0f}, {1f / 3, 1e-7f}};
        for (int n : LENGTHS) {
            float[] x = awkward(r, n, r.nextInt(4));
            for (int k = 0; k < n; k += 5) {
                x[k] *= 1e20f;
            }
            float[] out = new float[n];
            for (float[] c : constants) {
                for (boolean mulFirst : new boolean[] {true, false}) {
                    for (boolean relu : new boolean[] {true, false}) {
                        loops.affine(x, out, n, mulFirst, c[0], c[1], relu);
                        // the same bits (any NaN counts as one value: its sign is the hardware's choice)
                        assertEquals(Double.doubleToLongBits(loops.sum(out, n)),
                                Double.doubleToLongBits(loops.affineSum(x, n, mulFirst, c[0], c[1], relu, new float[n])),
                                "summed as computed, " + loops.describe() + ", n=" + n);
                        for (int i = 0; i < n; i++) {
                            float first = mulFirst ? x[i] * c[0] : x[i] + c[0];
                            float y = mulFirst ? first + c[1] : first * c[1];
                            float expected = relu ? Math.max(y, 0f) : y;
                            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(out[i]), loops.describe()
                                    + ": " + (mulFirst ? "mul add" : "add mul") + (relu ? " relu" : "") + " of " + x[i]
                                    + " by " + c[0] + ", " + c[1] + " at " + i + " of " + n);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("loops")
    void reluIsMathMaxWithZeroBitForBit(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : LENGTHS) {
            float[] x = awkward(r, n, 1);
            x[r.nextInt(n)] = -0f;
            x[r.nextInt(n)] = Float.NEGATIVE_INFINITY;
            x[r.nextInt(n)] = Float.NaN;
            float[] out = new float[n];
            loops.relu(x, out, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(Math.max(x[i], 0f)), Float.floatToRawIntBits(out[i]),
                        loops.describe() + " n=" + n + " x=" + x[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("loops")
    void fourRowsAddLikeFourSingleRows(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(9);
        float[] scratch = new float[4096];
        int stride = 2100;
        try (org.apache.arrow.memory.ArrowBuf buf = org.tessera.memory.Memory.root().buffer(4L * 4 * stride + 64)) {
            long at = buf.memoryAddress() + 8;
            for (int n : LENGTHS) {
                float[][] rows = new float[4][];
                for (int k = 0; k < 4; k++) {
                    rows[k] = awkward(r, n, k);
                    org.tessera.memory.Memory.putFloats(at + 4L * k * stride, rows[k], 0, n);
                }
                float[] acc1 = random(r, n);
                float[] acc2 = acc1.clone();
                for (int k = 0; k < 4; k++) {
                    loops.addRows(acc1, rows[k], n);
                }
                loops.addFourRows(acc2, at, 4L * stride, n, scratch);
                assertArrayEquals(acc1, acc2, loops.describe() + " n=" + n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("loops")
    void addressFormsMatchArrayFormsBitForBit(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(7);
        float[] scratch = new float[4096];
        try (org.apache.arrow.memory.ArrowBuf buf = org.tessera.memory.Memory.root().buffer(4L * 4096)) {
            // an odd offset from the buffer's alignment, so unaligned vector loads are covered too
            long at = buf.memoryAddress() + 4;
            for (int n : LENGTHS) {
                for (int kind = 0; kind < 4; kind++) {
                    String what = loops.describe() + " n=" + n + " kind=" + kind;
                    float[] x = awkward(r, n, kind);
                    org.tessera.memory.Memory.putFloats(at, x, 0, n);
                    assertEquals(Double.doubleToRawLongBits(loops.sum(x, n)),
                            Double.doubleToRawLongBits(loops.sum(at, n, scratch)), "sum " + what);
                    assertEquals(Float.floatToRawIntBits(loops.max(x, n)),
                            Float.floatToRawIntBits(loops.max(at, n, scratch)), "max " + what);
                    assertEquals(Float.floatToRawIntBits(loops.min(x, n)),
                            Float.floatToRawIntBits(loops.min(at, n, scratch)), "min " + what);
                    for (boolean max : new boolean[] {true, false}) {
                        assertEquals(loops.firstExtreme(max, x, n), loops.firstExtreme(max, at, n, scratch),
                                "firstExtreme " + max + " " + what);
                        assertEquals(refFirstExtreme(max, x, n), loops.firstExtreme(max, at, n, scratch),
                                "firstExtreme against the reference, " + max + " " + what);
                    }
                    for (float[] c : new float[][] {{3f, 1f}, {-2.5f, -0.1f}, {1e30f, 3e38f}}) {
                        for (boolean mulFirst : new boolean[] {true, false}) {
                            for (boolean relu : new boolean[] {true, false}) {
                                assertEquals(Double.doubleToLongBits(loops.affineSum(x, n, mulFirst, c[0], c[1], relu,
                                                new float[n])),
                                        Double.doubleToLongBits(loops.affineSum(at, n, mulFirst, c[0], c[1], relu,
                                                scratch)), "affineSum " + c[0] + ", " + c[1] + (mulFirst ? " mul add"
                                                : " add mul") + (relu ? " relu " : " ") + what);
                            }
                        }
                    }
                    float[] acc1 = random(r, n);
                    float[] acc2 = acc1.clone();
                    loops.addRows(acc1, x, n);
                    loops.addRows(acc2, at, n, scratch);
                    assertArrayEquals(acc1, acc2, "addRows " + what);
                    for (boolean max : new boolean[] {true, false}) {
                        loops.extremeRows(max, acc1, x, n);
                        loops.extremeRows(max, acc2, at, n, scratch);
                        assertArrayEquals(acc1, acc2, "extremeRows " + what);
                        int[] i1 = new int[n];
                        int[] i2 = new int[n];
                        loops.extremeRowsWithIndex(max, acc1, i1, x, n, 5);
                        loops.extremeRowsWithIndex(max, acc2, i2, at, n, 5, scratch);
                        assertArrayEquals(acc1, acc2, "extremeRowsWithIndex values " + what);
                        assertArrayEquals(i1, i2, "extremeRowsWithIndex indices " + what);
                    }
                }
            }
        }
    }

    @Test
    void vectorLoopsLoadWhenTheModuleIsPresent() {
        // the test JVM runs with the flags from pom.xml, which add jdk.incubator.vector
        if (ReduceLoops.hasVectorModule()) {
            assertNotNull(ReduceLoops.vector(), "jdk.incubator.vector is present but the vector loops did not load");
        }
        assertEquals("scalar", ReduceLoops.scalar().describe());
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 10);
        }
        return x;
    }

    private static int refFirstExtreme(boolean max, float[] x, int len) {
        int best = 0;
        for (int i = 0; i < len; i++) {
            if (x[i] != x[i]) {
                return i;
            }
            if (max ? x[i] > x[best] : x[i] < x[best]) {
                best = i;
            }
        }
        return best;
    }

    @ParameterizedTest
    @MethodSource("loops")
    void sumsAgreeWithAFloat64Sum(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : LENGTHS) {
            float[] x = random(r, n + 5);
            double ref = 0;
            double abs = 0;
            for (int i = 0; i < n; i++) {
                ref += x[i];
                abs += Math.abs(x[i]);
            }
            // partial sums of at most a few hundred float32 additions each
            assertEquals(ref, loops.sum(x, n), abs * 1e-6, loops.describe() + " n=" + n);
        }
        float[] withNaN = random(r, 300);
        withNaN[211] = Float.NaN;
        assertEquals(Double.NaN, loops.sum(withNaN, 300), loops.describe());
        float[] inf = random(r, 300);
        inf[5] = Float.POSITIVE_INFINITY;
        assertEquals(Double.POSITIVE_INFINITY, loops.sum(inf, 300), loops.describe());
    }

    @ParameterizedTest
    @MethodSource("loops")
    void extremesPropagateNaNAndFindTheFirstPosition(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : LENGTHS) {
            for (int variant = 0; variant < 4; variant++) {
                float[] x = random(r, n);
                if (variant == 1) {
                    x[r.nextInt(n)] = Float.NaN;
                    x[r.nextInt(n)] = Float.NaN;
                } else if (variant == 2) {
                    // ties: few distinct values
                    for (int i = 0; i < n; i++) {
                        x[i] = r.nextInt(3);
                    }
                } else if (variant == 3) {
                    java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
                    x[n - 1] = n % 2 == 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
                }
                String what = loops.describe() + " n=" + n + " variant=" + variant;
                float max = Float.NEGATIVE_INFINITY;
                float min = Float.POSITIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    max = Math.max(max, x[i]);
                    min = Math.min(min, x[i]);
                }
                assertEquals(max, loops.max(x, n), what);
                assertEquals(min, loops.min(x, n), what);
                assertEquals(refFirstExtreme(true, x, n), loops.firstExtreme(true, x, n), what);
                assertEquals(refFirstExtreme(false, x, n), loops.firstExtreme(false, x, n), what);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("loops")
    void signedZerosTieAtTheFirstIndex(ReduceLoops loops) {
        float[] x = new float[100];
        java.util.Arrays.fill(x, -1f);
        x[40] = -0f;
        x[70] = 0f;
        assertEquals(40, loops.firstExtreme(true, x, 100));
        assertEquals(0, loops.firstExtreme(false, x, 100));
    }

    @ParameterizedTest
    @MethodSource("loops")
    void rowCombinesMatchElementwiseLoops(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : LENGTHS) {
            float[] acc = random(r, n);
            float[] x = random(r, n);
            x[r.nextInt(n)] = Float.NaN;
            float[] sum = acc.clone();
            float[] mx = acc.clone();
            float[] mn = acc.clone();
            loops.addRows(sum, x, n);
            loops.extremeRows(true, mx, x, n);
            loops.extremeRows(false, mn, x, n);
            for (int j = 0; j < n; j++) {
                assertEquals(acc[j] + x[j], sum[j], loops.describe());
                assertEquals(Math.max(acc[j], x[j]), mx[j], loops.describe());
                assertEquals(Math.min(acc[j], x[j]), mn[j], loops.describe());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("loops")
    void rowsWithIndexKeepTheFirstExtremeAndTheFirstNaN(ReduceLoops loops) {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : LENGTHS) {
            int rows = 9;
            float[][] m = new float[rows][];
            for (int q = 0; q < rows; q++) {
                m[q] = new float[n];
                for (int j = 0; j < n; j++) {
                    m[q][j] = r.nextInt(4); // many ties
                }
                if (q % 3 == 1) {
                    m[q][r.nextInt(n)] = Float.NaN;
                }
            }
            for (boolean max : new boolean[] {true, false}) {
                float[] best = m[0].clone();
                int[] idx = new int[n];
                for (int q = 1; q < rows; q++) {
                    loops.extremeRowsWithIndex(max, best, idx, m[q], n, q);
                }
                float[] col = new float[rows];
                int[] refIdx = new int[n];
                float[] refBest = new float[n];
                for (int j = 0; j < n; j++) {
                    for (int q = 0; q < rows; q++) {
                        col[q] = m[q][j];
                    }
                    refIdx[j] = refFirstExtreme(max, col, rows);
                    refBest[j] = col[refIdx[j]];
                }
                assertArrayEquals(refIdx, idx, loops.describe() + " n=" + n + " max=" + max);
                assertArrayEquals(refBest, best, loops.describe() + " n=" + n + " max=" + max);
            }
        }
    }
}
