package org.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;

/**
 * Every primitive on one device, checked against values computed independently in Java.
 *
 * <p>Subclasses name the device ({@link CpuConformanceTest}, and
 * {@code backend.cuda.CudaConformanceTest}, which is tagged {@code gpu} and skipped with the
 * reason where CUDA is unusable); the tests themselves are the same for every backend. Inputs
 * are created on the host and moved with {@code to(device)}; results are read back and
 * compared with a tolerance suited to the device's float math.
 */
public abstract class DeviceConformanceSuite {
    /** The device under test. */
    protected abstract Device device();

    private Tensor on(Tensor t) {
        Tensor d = t.to(device());
        assertEquals(device(), d.device());
        return d;
    }

    private Tensor f32(float[] v, long... shape) {
        return on(Tessera.fromArray(v, shape));
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian());
        }
        return v;
    }

    private static void close(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e)) {
                assertTrue(Double.isNaN(a), "element " + i + ": expected NaN, got " + a);
                continue;
            }
            assertEquals(e, a, tol * Math.max(1, Math.abs(e)), "element " + i);
        }
    }

    private void onDevice(Tensor t) {
        assertEquals(device(), t.device(), "result device");
    }

    @Test
    void copiesRoundTripEveryDtypeThroughTheDevice() {
        assertArrayEquals(new float[] {1.5f, -2, 3}, f32(new float[] {1.5f, -2, 3}, 3).toFloatArray());
        assertArrayEquals(new double[] {1e-300, 2, -3}, on(Tessera.fromArray(new double[] {1e-300, 2, -3}, 3))
                .toDoubleArray());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE},
                on(Tessera.fromArray(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, 3)).toLongArray());
        assertArrayEquals(new int[] {-7, 8}, on(Tessera.fromArray(new int[] {-7, 8}, 2)).toIntArray());
        assertArrayEquals(new boolean[] {true, false, true},
                on(Tessera.tensor(new boolean[] {true, false, true})).toBooleanArray());
        Tensor back = f32(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).cpu();
        assertEquals(Device.CPU, back.device());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, back.t().contiguous().toFloatArray());
    }

    @Test
    void nonContiguousViewsCopyBackInRowMajorOrder() {
        Tensor x = on(Tessera.arange(0, 24).reshape(2, 3, 4));
        assertArrayEquals(new long[] {0, 12, 4, 16, 8, 20}, x.permute(2, 1, 0).get("0").toLongArray());
        assertArrayEquals(new long[] {1, 3, 13, 15}, x.get(":, 0, 1::2").toLongArray());
        assertArrayEquals(new long[] {0, 4, 8, 12, 16, 20}, x.get(":, :, 0").reshape(6).toLongArray());
        Tensor e = on(Tessera.tensor(new float[] {1, 2})).unsqueeze(1).expand(2, 3);
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2}, e.toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2}, e.reshape(6).toFloatArray());
    }

    @Test
    void elementwiseBroadcastsLikePyTorch() {
        Tensor a = f32(new float[] {1, 2}, 2);
        Tensor b = f32(new float[] {10, 20}, 2, 1);
        Tensor s = a.add(b);
        onDevice(s);
        assertEquals("[2, 2]", s.shape().toString());
        assertArrayEquals(new float[] {11, 12, 21, 22}, s.toFloatArray());
        assertArrayEquals(new float[] {-19, -28, -39, -58}, a.sub(b).sub(a.mul(b)).toFloatArray());
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.05f, 0.1f}, a.div(b).toFloatArray());
        assertArrayEquals(new float[] {1, 4, 1, 4}, a.pow(2).add(Tessera.zeros(2, 2).to(device())).toFloatArray());
    }

    @Test
    void fusedChainMatchesJava() {
        int n = 10_001;
        float[] x = random(n, 1);
        float[] y = random(n, 2);
        float[] z = random(n, 3);
        Tensor r = f32(x, n).mul(f32(y, n)).add(f32(z, n)).relu().mul(2).sub(f32(y, n).exp().mul(0.5));
        onDevice(r);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = Math.max(0, x[i] * y[i] + z[i]) * 2 - 0.5 * Math.exp(y[i]);
        }
        close(expected, r.toDoubleArray(), 1e-5);
    }

    @Test
    void unaryOpsMatchJavaInBothFloatTypes() {
        float[] v = {0.5f, 1.25f, 2f, 3.5f};
        Tensor x32 = f32(v, 4);
        Tensor x64 = x32.to(DType.FLOAT64);
        double[][] expected = new double[9][4];
        for (int i = 0; i < 4; i++) {
            double d = v[i];
            expected[0][i] = -d;
            expected[1][i] = Math.exp(d);
            expected[2][i] = Math.log(d);
            expected[3][i] = Math.sqrt(d);
            expected[4][i] = Math.abs(d - 1);
            expected[5][i] = Math.signum(d - 1);
            expected[6][i] = Math.tanh(d);
            expected[7][i] = Math.sin(d);
            expected[8][i] = Math.cos(d);
        }
        for (Tensor x : List.of(x32, x64)) {
            Tensor[] got = {x.neg(), x.exp(), x.log(), x.sqrt(), x.sub(1).abs(), x.sub(1).sign(), x.tanh(), x.sin(),
                x.cos()};
            double tol = x.dtype() == DType.FLOAT64 ? 1e-12 : 1e-6;
            for (int k = 0; k < got.length; k++) {
                onDevice(got[k]);
                assertEquals(x.dtype(), got[k].dtype());
                close(expected[k], got[k].toDoubleArray(), tol);
            }
        }
        close(new double[] {1.0 / (1 + Math.exp(-0.5))}, f32(new float[] {0.5f}, 1).sigmoid().toDoubleArray(), 1e-6);
    }

    @Test
    void comparisonsLogicAndWhereProduceBools() {
        Tensor x = f32(new float[] {1, 5, 3, Float.NaN}, 4);
        Tensor gt = x.gt(2);
        onDevice(gt);
        assertEquals(DType.BOOL, gt.dtype());
        assertArrayEquals(new boolean[] {false, true, true, false}, gt.toBooleanArray());
        assertArrayEquals(new boolean[] {false, false, true, false}, x.eq(3).toBooleanArray());
        assertArrayEquals(new boolean[] {true, true, true, true}, x.ne(7).toBooleanArray());
        assertArrayEquals(new boolean[] {true, false, false, true}, gt.logicalNot().toBooleanArray());
        assertArrayEquals(new boolean[] {false, true, false, false}, gt.logicalAnd(x.gt(4)).toBooleanArray());
        assertArrayEquals(new float[] {0, 5, 3, 0}, Tessera.where(gt, x, 0).toFloatArray());
        close(new double[] {1, 5, 3, Double.NaN}, x.maximum(f32(new float[] {0, 0, 0, 0}, 4)).toDoubleArray(), 0);
        close(new double[] {2, 5, 3, Double.NaN}, x.clamp(2, 6).toDoubleArray(), 0);
    }

    @Test
    void integerArithmeticWrapsAndCastsTruncate() {
        Tensor i = on(Tessera.fromArray(new long[] {Long.MAX_VALUE, -3, 7}, 3));
        assertArrayEquals(new long[] {Long.MIN_VALUE, -2, 8}, i.add(1).toLongArray());
        assertArrayEquals(new long[] {-6, 14}, i.get("1:").mul(2).toLongArray());
        assertArrayEquals(new long[] {9, 49}, i.get("1:").pow(2).toLongArray());
        Tensor i32 = on(Tessera.fromArray(new int[] {Integer.MAX_VALUE, -5}, 2));
        assertEquals(DType.INT32, i32.add(i32).dtype());
        assertArrayEquals(new int[] {-2, -10}, i32.add(i32).toIntArray());
        Tensor f = f32(new float[] {-2.7f, 2.7f, Float.NaN, 1e20f}, 4);
        assertArrayEquals(new long[] {-2, 2, 0, Long.MAX_VALUE}, f.to(DType.INT64).toLongArray());
        assertArrayEquals(new boolean[] {true, true, true, true}, f.to(DType.BOOL).toBooleanArray());
        assertArrayEquals(new double[] {2.5, -1.5}, on(Tessera.fromArray(new long[] {5, -3}, 2)).div(2)
                .toDoubleArray());
    }

    @Test
    void reductionsOverDimsMatchJava() {
        Tensor x = on(Tessera.arange(0, 24).reshape(2, 3, 4).to(DType.FLOAT32));
        assertEquals(276.0, x.sum().item());
        onDevice(x.sum());
        assertArrayEquals(new float[] {12, 15, 18, 21, 48, 51, 54, 57}, x.sum(new int[] {1}, false).toFloatArray());
        assertEquals("[2, 1, 4]", x.sum(new int[] {1}, true).shape().toString());
        assertArrayEquals(new float[] {6, 22, 38, 54, 70, 86}, x.sum(2).toFloatArray());
        assertArrayEquals(new float[] {66, 210}, x.sum(new int[] {1, 2}, false).toFloatArray());
        assertArrayEquals(new float[] {60, 92, 124}, x.sum(new int[] {0, 2}, false).toFloatArray());
        assertEquals(11.5, x.mean().item(), 1e-6);
        ValuesIndices mx = x.max(1);
        assertArrayEquals(new float[] {8, 9, 10, 11, 20, 21, 22, 23}, mx.values().toFloatArray());
        assertArrayEquals(new long[] {2, 2, 2, 2, 2, 2, 2, 2}, mx.indices().toLongArray());
        assertEquals(0.0, x.min().item());
        assertArrayEquals(new long[] {3, 3, 3, 3, 3, 3}, x.argmax(2, false).toLongArray());
        assertEquals(5040.0, on(Tessera.arange(1, 8).to(DType.FLOAT64)).prod().item());
        assertEquals(DType.INT64, on(Tessera.fromArray(new int[] {1, 2}, 2)).sum().dtype());
        assertEquals(3L, on(Tessera.fromArray(new int[] {1, 2}, 2)).sum().longItem());
    }

    @Test
    void reductionsReadTransposedAndLongInputs() {
        int rows = 3;
        int cols = 200_003;
        float[] v = random(rows * cols, 7);
        Tensor x = f32(v, rows, cols);
        double[] rowSums = new double[rows];
        double[] colMax = new double[cols];
        java.util.Arrays.fill(colMax, Double.NEGATIVE_INFINITY);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                rowSums[r] += v[r * cols + c];
                colMax[c] = Math.max(colMax[c], v[r * cols + c]);
            }
        }
        close(rowSums, x.sum(1).toDoubleArray(), 1e-4);
        close(rowSums, x.t().sum(0).toDoubleArray(), 1e-4);
        close(colMax, x.t().amax(new int[] {1}, false).toDoubleArray(), 0);
        double total = 0;
        for (double s : rowSums) {
            total += s;
        }
        assertEquals(total, x.sum().item(), 1e-3);
        long[] expectedArg = new long[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 1; c < cols; c++) {
                if (v[r * cols + c] > v[r * cols + (int) expectedArg[r]]) {
                    expectedArg[r] = c;
                }
            }
        }
        assertArrayEquals(expectedArg, x.argmax(1, false).toLongArray());
    }

    @Test
    void extremesPropagateNaNAndArgmaxPicksTheFirst() {
        Tensor x = f32(new float[] {1, Float.NaN, 3, 3, 0, 0}, 2, 3);
        close(new double[] {Double.NaN, 3}, x.amax(new int[] {1}, false).toDoubleArray(), 0);
        assertArrayEquals(new long[] {1, 0}, x.argmax(1, false).toLongArray());
        assertArrayEquals(new long[] {1, 1}, x.argmin(1, false).toLongArray());
        Tensor ints = on(Tessera.tensor(new long[] {5, 5, 9, 9}));
        assertEquals(0, ints.argmin().longItem());
        assertEquals(2, ints.argmax().longItem());
    }

    @Test
    void catStackAndSliceScatterPlaceEveryPart() {
        Tensor a = f32(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = f32(new float[] {5, 6}, 2, 1);
        Tensor c = Tessera.cat(List.of(a, b), 1);
        onDevice(c);
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, c.toFloatArray());
        assertArrayEquals(new float[] {1, 3, 2, 4, 1, 2, 3, 4}, Tessera.stack(List.of(a.t(), a), 0).toFloatArray());
        Tensor x = f32(new float[] {1, 2, 3, 4, 5, 6}, 6).requiresGrad(true);
        x.slice(0, 1, 6, 2).mul(3).sum().backward();
        onDevice(x.grad());
        assertArrayEquals(new float[] {0, 3, 0, 3, 0, 3}, x.grad().toFloatArray());
    }

    @Test
    void maskIndexingSelectsInOrder() {
        int n = 50_000;
        float[] v = random(n, 11);
        Tensor x = f32(v, 100, 500);
        Tensor sel = x.get(x.gt(0.5));
        onDevice(sel);
        double[] expected = java.util.stream.IntStream.range(0, n).filter(i -> v[i] > 0.5).mapToDouble(i -> v[i])
                .toArray();
        close(expected, sel.toDoubleArray(), 0);
        assertArrayEquals(new float[] {6, 7}, on(Tessera.arange(0, 8).to(DType.FLOAT32)).reshape(2, 4).get(":, 2:")
                .get("1").toFloatArray());
        Tensor col = on(Tessera.arange(0, 6)).reshape(2, 3).get(":, 0");
        assertArrayEquals(new long[] {0, 3}, col.toLongArray());
        Tensor y = x.requiresGrad(true);
        y.get(y.gt(0.5)).sum().backward();
        double[] mask = new double[n];
        for (int i = 0; i < n; i++) {
            mask[i] = v[i] > 0.5 ? 1 : 0;
        }
        close(mask, y.grad().toDoubleArray(), 0);
    }

    @Test
    void matmulMatchesNaiveProductForEveryLayout() {
        int m = 67;
        int k = 130;
        int n = 45;
        float[] a = random(m * k, 21);
        float[] b = random(k * n, 22);
        double[] ref = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) {
                    s += (double) a[i * k + q] * b[q * n + j];
                }
                ref[i * n + j] = s;
            }
        }
        Tensor ta = f32(a, m, k);
        Tensor tb = f32(b, k, n);
        Tensor c = ta.matmul(tb);
        onDevice(c);
        close(ref, c.toDoubleArray(), 1e-4);
        close(ref, ta.t().contiguous().t().matmul(tb.t().contiguous().t()).toDoubleArray(), 1e-4);
        close(ref, ta.to(DType.FLOAT64).matmul(tb.to(DType.FLOAT64)).toDoubleArray(), 1e-10);
        Tensor batched = Tessera.stack(List.of(ta, ta.mul(2)), 0).matmul(tb);
        assertEquals("[2, 67, 45]", batched.shape().toString());
        double[] twice = new double[2 * m * n];
        for (int i = 0; i < m * n; i++) {
            twice[i] = ref[i];
            twice[m * n + i] = 2 * ref[i];
        }
        close(twice, batched.toDoubleArray(), 1e-4);
        Tensor li = on(Tessera.tensor(new long[][] {{1, 2}, {3, 4}}));
        assertArrayEquals(new long[] {7, 10, 15, 22}, li.matmul(li).toLongArray());
        Tensor v = f32(new float[] {1, 1}, 2);
        assertArrayEquals(new float[] {3, 7}, f32(new float[] {1, 2, 3, 4}, 2, 2).matmul(v).toFloatArray());
    }

    @Test
    void autogradRunsOnTheDeviceAndAccumulates() {
        Tensor x = on(Tessera.tensor(2.0f)).requiresGrad(true);
        Tensor y = on(Tessera.tensor(3.0f)).requiresGrad(true);
        Tensor z = x.pow(2).add(y.pow(3));
        z.backward();
        onDevice(x.grad());
        assertEquals(4.0, x.grad().item(), 1e-5);
        assertEquals(27.0, y.grad().item(), 1e-4);
        x.pow(2).add(y.pow(3)).backward();
        assertEquals(8.0, x.grad().item(), 1e-5);
        x.zeroGrad();
        assertEquals(device(), x.grad().device());
        x.mul(5).backward();
        assertEquals(5.0, x.grad().item(), 1e-6);

        Tensor w = f32(new float[] {1, 2, 3, 4, 5, 6}, 3, 2).requiresGrad(true);
        Tensor in = f32(new float[] {1, -1, 2, 0.5f, 0, 1}, 2, 3);
        Tensor loss = in.matmul(w).relu().sum(1).mean();
        loss.backward();
        onDevice(w.grad());
        // d loss / d w = inᵀ · (relu'(in w) / 2)
        double[] hw = {1 * 1 - 1 * 3 + 2 * 5, 1 * 2 - 1 * 4 + 2 * 6, 0.5 * 1 + 0 + 5, 0.5 * 2 + 0 + 6};
        double[] grad = new double[6];
        float[] inV = {1, -1, 2, 0.5f, 0, 1};
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 2; j++) {
                double g = hw[r * 2 + j] > 0 ? 0.5 : 0;
                for (int q = 0; q < 3; q++) {
                    grad[q * 2 + j] += inV[r * 3 + q] * g;
                }
            }
        }
        close(grad, w.grad().toDoubleArray(), 1e-6);
    }

    @Test
    void printsLikePyTorchWithTheDevice() {
        String s = f32(new float[] {1, 2}, 2).toString();
        assertTrue(s.startsWith("tensor([1., 2.]"), s);
        assertEquals(!device().equals(Device.CPU), s.contains("device='" + device() + "'"), s);
    }
}
