package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;
import org.tessera.memory.LeakCheck;

/**
 * max/min/argmax/argmin along a dim and float32 sums on the CPU backend, against plain loops
 * over the same values: every dtype the reductions take, runs longer than a tile, NaN (which
 * wins, at its first position, as in PyTorch), ties (the first index wins), permuted and fused
 * inputs, and values with indices computed together.
 */
@ExtendWith(LeakCheck.class)
class ExtremeAlongDimTest {

    /** A 2-D row-major array: rows × cols values with ties, and NaN when asked. */
    private static double[] values(int rows, int cols, boolean nan, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(50) - 25; // many ties
        }
        if (nan) {
            for (int k = 0; k < 5; k++) {
                v[r.nextInt(v.length)] = Double.NaN;
            }
            v[cols + 1] = Double.NaN; // a row and a column with two NaN
            v[cols + 3] = Double.NaN;
            v[3 * cols + 1] = Double.NaN;
        }
        return v;
    }

    /** The first extreme along {@code dim} of a rows × cols array: [values, indices]. */
    private static double[][] reference(double[] v, int rows, int cols, int dim, boolean max) {
        int outer = dim == 0 ? cols : rows;
        int len = dim == 0 ? rows : cols;
        double[] best = new double[outer];
        double[] idx = new double[outer];
        for (int o = 0; o < outer; o++) {
            int bi = 0;
            for (int k = 0; k < len; k++) {
                double x = dim == 0 ? v[k * cols + o] : v[o * cols + k];
                double b = dim == 0 ? v[bi * cols + o] : v[o * cols + bi];
                if (b != b) {
                    break;
                }
                if (x != x || (max ? x > b : x < b)) {
                    bi = k;
                }
            }
            idx[o] = bi;
            best[o] = dim == 0 ? v[bi * cols + o] : v[o * cols + bi];
        }
        return new double[][] {best, idx};
    }

    private static Tensor tensor(double[] v, int rows, int cols, DType t) {
        Tensor x = Tessera.fromArray(v, rows, cols);
        return t == DType.FLOAT64 ? x : x.to(t);
    }

    private static void check(Tensor x, double[] v, int rows, int cols, String what) {
        for (int dim = 0; dim < 2; dim++) {
            for (boolean max : new boolean[] {true, false}) {
                double[][] ref = reference(v, rows, cols, dim, max);
                String w = what + " dim=" + dim + (max ? " max" : " min");
                ValuesIndices r = max ? x.max(dim) : x.min(dim);
                assertArrayEquals(ref[0], r.values().to(DType.FLOAT64).toDoubleArray(), w + " values");
                assertArrayEquals(ref[1], r.indices().to(DType.FLOAT64).toDoubleArray(), w + " indices");
                Tensor arg = max ? x.argmax(dim, false) : x.argmin(dim, false);
                assertArrayEquals(ref[1], arg.to(DType.FLOAT64).toDoubleArray(), w + " arg");
            }
        }
    }

    @Test
    void extremesAlongEitherDimMatchLoopsForEveryDtype() {
        // 4099 > 2 tiles of 2048: the first extreme of a run spans tiles; 37 columns: vector tails
        int[][] shapes = {{5, 4099}, {4099, 37}, {3, 1}, {1, 3}, {33, 65}};
        for (int[] s : shapes) {
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32}) {
                boolean floating = t.isFloatingPoint();
                double[] v = values(s[0], s[1], floating && s[0] > 3 && s[1] > 3, s[0] * 31L + s[1]);
                check(tensor(v, s[0], s[1], t), v, s[0], s[1], t + " " + s[0] + "x" + s[1]);
            }
        }
    }

    @Test
    void boolExtremesTakeTheFirstTrue() {
        double[] v = {0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0};
        Tensor x = Tessera.fromArray(v, 3, 4).gt(0.5);
        assertArrayEquals(new long[] {2, 0, 1}, x.max(1).indices().toLongArray());
        assertArrayEquals(new long[] {0, 2, 0, 0}, x.max(0).indices().toLongArray());
        assertArrayEquals(new long[] {0, 0, 0}, x.min(1).indices().toLongArray());
    }

    @Test
    void permutedAndFusedInputsGiveTheSameAnswers() {
        int rows = 70;
        int cols = 2101;
        double[] v = values(rows, cols, true, 9);
        Tensor x = tensor(v, rows, cols, DType.FLOAT32);
        // the transpose reads columns as runs; its reference is the transposed array
        double[] tv = new double[v.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                tv[j * rows + i] = v[i * cols + j];
            }
        }
        check(x.t(), tv, cols, rows, "transposed");
        // a fused chain: 2x - 1 keeps order and ties, NaN stays NaN
        double[] fv = v.clone();
        for (int i = 0; i < fv.length; i++) {
            fv[i] = 2 * fv[i] - 1;
        }
        check(x.mul(2).sub(1), fv, rows, cols, "fused");
    }

    @Test
    void valuesAndIndicesAreComputedTogether() {
        Tensor x = Tessera.randn(new org.tessera.Generator(5), DType.FLOAT32, 64, 300).realize();
        for (int dim = 0; dim < 2; dim++) {
            ValuesIndices r = x.max(dim, true);
            r.values().realize();
            assertTrue(r.indices().node().isRealized(), "indices realized with the values, dim " + dim);
            ValuesIndices m = x.mul(3).min(dim);
            m.indices().realize();
            assertTrue(m.values().node().input(0).isRealized(), "values realized with the indices, dim " + dim);
        }
    }

    @Test
    void reducingAnEmptyDimFailsAsBefore() {
        Tensor x = Tessera.zeros(DType.FLOAT32, 3, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.max(1));
        assertTrue(e.getMessage().contains("size 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.argmax(1, false));
        assertArrayEquals(new float[] {0, 0, 0}, x.sum(1, false).toFloatArray());
    }

    @Test
    void float32SumsStayAccurateOverLongRunsAndRows() {
        int n = (1 << 20) + 3;
        float[] h = new float[n];
        SplittableRandom r = new SplittableRandom(6);
        double ref = 0;
        double abs = 0;
        for (int i = 0; i < n; i++) {
            h[i] = (float) (r.nextDouble() * 2 + 0.5); // all positive: a naive float32 sum drifts
            ref += h[i];
            abs += Math.abs(h[i]);
        }
        Tensor x = Tessera.fromArray(h, n);
        assertEquals(ref, x.sum().item(), abs * 1e-6);
        Tensor m = x.get("0:" + (1023 * 1025)).reshape(1023, 1025);
        float[] s0 = m.sum(0, false).toFloatArray();
        float[] s1 = m.sum(1, false).toFloatArray();
        for (int j = 0; j < 1025; j += 97) {
            double c = 0;
            for (int i = 0; i < 1023; i++) {
                c += h[i * 1025 + j];
            }
            assertEquals(c, s0[j], Math.abs(c) * 1e-6, "sum(0)[" + j + "]");
        }
        for (int i = 0; i < 1023; i += 101) {
            double c = 0;
            for (int j = 0; j < 1025; j++) {
                c += h[i * 1025 + j];
            }
            assertEquals(c, s1[i], Math.abs(c) * 1e-6, "sum(1)[" + i + "]");
        }
        float[] nan = h.clone();
        nan[n / 2] = Float.NaN;
        assertTrue(Double.isNaN(Tessera.fromArray(nan, n).sum().item()));
    }
}
