package org.tessera.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Corners where the engine differed from PyTorch 1.13 (found by comparing random programs with
 * it): the expected values are PyTorch's for the same programs, written next to each case.
 */
class PyTorchCornerCasesTest {
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Tensor leaf(double... v) {
        return Tessera.tensor(v, DType.FLOAT64).requiresGrad(true);
    }

    @Test
    void maxAlongADimOfAZeroDimTensorHasAGradient() {
        // x = torch.tensor(2., dtype=torch.float64, requires_grad=True); x.max(0).values.backward() -> 1.
        Tensor x = Tessera.tensor(2.0, DType.FLOAT64).requiresGrad(true);
        x.max(0).values().backward();
        assertEquals(1.0, x.grad().item());
        Tensor y = Tessera.tensor(2.0, DType.FLOAT64).requiresGrad(true);
        y.min(0, true).values().mul(3).backward();
        assertEquals(3.0, y.grad().item());
    }

    @Test
    void anInfiniteGradientReachesOnlyTheSelectedElementOfAMax() {
        // x.reshape(1, 2).max(1).values.reciprocal().sum().backward() at x = [0, -1] -> [-inf, 0.]
        Tensor x = leaf(0, -1);
        x.reshape(1, 2).max(1).values().reciprocal().sum().backward();
        assertArrayEquals(new double[] {-INF, 0}, x.grad().toDoubleArray());
        Tensor y = leaf(0, -1);
        y.max().reciprocal().backward(); // torch: [-inf, 0.]
        assertArrayEquals(new double[] {-INF, 0}, y.grad().toDoubleArray());
    }

    @Test
    void sigmoidIsFiniteWithAFiniteGradientForLargeNegativeInputs() {
        double[] xs = {-800, -100, -20, -1, -1e-300, 0, 1e-300, 1, 20, 100, 800};
        Tensor x = leaf(xs);
        Tensor s = x.sigmoid();
        s.sum().backward();
        double[] v = s.toDoubleArray();
        double[] g = x.grad().toDoubleArray();
        for (int i = 0; i < xs.length; i++) {
            double e = Math.exp(-Math.abs(xs[i]));
            double expected = xs[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
            assertEquals(expected, v[i], 1e-16 * Math.max(expected, 1e-300), "sigmoid(" + xs[i] + ")");
            assertEquals(v[i] * (1 - v[i]), g[i], 1e-16 + 1e-15 * g[i], "gradient at " + xs[i]);
        }
        assertEquals(3.7200759760208356e-44, v[1], 1e-58); // torch.sigmoid(torch.tensor(-100., dtype=float64))
        assertEquals(0.25, g[5]);
        // float32: torch gives 0 for both values and gradients; here the exponential is a subnormal float
        Tensor f = Tessera.tensor(new float[] {-100, -90}).requiresGrad(true);
        Tensor fs = f.sigmoid();
        fs.sum().backward();
        for (float[] a : new float[][] {fs.toFloatArray(), f.grad().toFloatArray()}) {
            for (float e : a) {
                assertEquals(0f, e, 1e-37f);
            }
        }
    }

    @Test
    void powWithExponentZeroHasGradientZeroAtZero() {
        Tensor x = leaf(0);
        x.pow(0).sum().backward(); // torch: 0.
        assertArrayEquals(new double[] {0}, x.grad().toDoubleArray());
        Tensor y = leaf(0);
        y.pow(y).sum().backward(); // torch: 0.
        assertArrayEquals(new double[] {0}, y.grad().toDoubleArray());
    }

    @Test
    void powOfOneAndMinusOneFollowsC() {
        // torch.tensor([1., -1, 1, -1, 1]).pow(torch.tensor([nan, inf, inf, -inf, -inf])) -> all 1
        Tensor b = Tessera.tensor(new double[] {1, -1, 1, -1, 1}, DType.FLOAT64);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1},
                b.pow(Tessera.tensor(new double[] {NAN, INF, INF, -INF, -INF}, DType.FLOAT64)).toDoubleArray());
        assertArrayEquals(new float[] {1}, Tessera.tensor(new float[] {1}).pow(NAN).toFloatArray());
        assertArrayEquals(new float[] {1, 1}, Tessera.tensor(new float[] {Float.NaN, 2}).pow(0).toFloatArray());
    }

    @Test
    void signOfNaNAndOfMinusZeroIsZero() {
        // torch.tensor([nan, -0., 0., -2., inf]).sign() -> [0., 0., 0., -1., 1.]
        double[] s = Tessera.tensor(new double[] {NAN, -0.0, 0, -2, INF}, DType.FLOAT64).sign().toDoubleArray();
        assertArrayEquals(new double[] {0, 0, 0, -1, 1}, s);
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(s[1]), "+0, as 1/sign(-0.) is inf");
        assertArrayEquals(new float[] {0, -1}, Tessera.tensor(new float[] {Float.NaN, -3}).sign().toFloatArray());
    }

    @Test
    void clampPromotesLikePyTorchAndANaNBoundGivesNaN() {
        Tensor i = Tessera.tensor(new long[] {-1, 0, 1, 2, 3}, DType.INT64);
        Tensor c = i.clamp(0.5, 2.5); // torch: float32 [0.5, 0.5, 1, 2, 2.5]
        assertEquals(DType.FLOAT32, c.dtype());
        assertArrayEquals(new float[] {0.5f, 0.5f, 1, 2, 2.5f}, c.toFloatArray());
        Tensor b = Tessera.tensor(new boolean[] {true, false}).clamp(null, 2); // torch: int64 [1, 0]
        assertEquals(DType.INT64, b.dtype());
        assertArrayEquals(new long[] {1, 0}, b.toLongArray());
        assertEquals(DType.INT64, i.clamp(0, 2).dtype());
        assertArrayEquals(new double[] {NAN, NAN, NAN},
                Tessera.tensor(new double[] {-1, .5, 2}, DType.FLOAT64).clamp(NAN, 1).toDoubleArray());
        Tensor x = leaf(1, 0.5, 3);
        Tensor y = x.clamp(0, NAN);
        assertArrayEquals(new double[] {NAN, NAN, NAN}, y.toDoubleArray());
        y.sum().backward(); // torch: [0., 0., 0.]
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray());
    }

    @Test
    void aBoolTensorSquaresToInt64() {
        Tensor b = Tessera.tensor(new boolean[] {true, false});
        for (Tensor t : new Tensor[] {b.pow(2), b.square(), b.pow(3)}) {
            assertEquals(DType.INT64, t.dtype());
            assertArrayEquals(new long[] {1, 0}, t.toLongArray());
        }
    }

    @Test
    void emptyTensorsThroughSoftmaxMasksAndMaskedFill() {
        assertArrayEquals(new long[] {0}, Tessera.zeros(0).softmax(0).shape().dims());
        assertArrayEquals(new long[] {2, 0}, Tessera.zeros(2, 0).logSoftmax(1).shape().dims());
        // torch.zeros(2, 0)[torch.tensor([True, False])].shape -> [1, 0]
        assertArrayEquals(new long[] {1, 0}, Tessera.zeros(2, 0).get(Tessera.tensor(new boolean[] {true, false}))
                .shape().dims());
        // torch.zeros(1).masked_fill(torch.tensor([[True], [False]]), 5) -> [[5.], [0.]]
        Tensor m = Tessera.zeros(1).maskedFill(Tessera.tensor(new boolean[][] {{true}, {false}}), 5);
        assertArrayEquals(new long[] {2, 1}, m.shape().dims());
        assertArrayEquals(new float[] {5, 0}, m.toFloatArray());
    }

    @Test
    void maximumAndMinimumGiveTheWholeGradientToBothSidesOfANaN() {
        // x = [nan, 1, 2, 3], y = [2, nan, 2, 1] (float64, requires_grad), w = [1, 2, 4, 8]:
        // torch.maximum(x, y).mul(w).sum().backward() -> x.grad [1, 2, 2, 8], y.grad [1, 2, 2, 0]
        // torch.minimum(x, y).mul(w).sum().backward() -> x.grad [1, 2, 2, 0], y.grad [1, 2, 2, 8]
        Tensor w = Tessera.tensor(new double[] {1, 2, 4, 8}, DType.FLOAT64);
        Tensor x = leaf(NAN, 1, 2, 3);
        Tensor y = leaf(2, NAN, 2, 1);
        x.maximum(y).mul(w).sum().backward();
        assertArrayEquals(new double[] {1, 2, 2, 8}, x.grad().toDoubleArray());
        assertArrayEquals(new double[] {1, 2, 2, 0}, y.grad().toDoubleArray());
        x.zeroGrad();
        y.zeroGrad();
        x.minimum(y).mul(w).sum().backward();
        assertArrayEquals(new double[] {1, 2, 2, 0}, x.grad().toDoubleArray());
        assertArrayEquals(new double[] {1, 2, 2, 8}, y.grad().toDoubleArray());
    }

    @Test
    void integerRangesCutStartEndAndStepAndCountInIntegersAsPyTorchDoes() {
        // torch.arange(-3, 5, 1.5, dtype=torch.int64) -> [-3, -2, -1, 0, 1, 2, 3, 4]; int32 -> [-3, ..., 2]
        assertArrayEquals(new long[] {-3, -2, -1, 0, 1, 2, 3, 4},
                Tessera.arange(-3, 5, 1.5, DType.INT64).toLongArray());
        assertArrayEquals(new long[] {-3, -2, -1, 0, 1, 2}, Tessera.arange(-3, 5, 1.5, DType.INT32).toLongArray());
        assertArrayEquals(new long[] {10, 8, 6, 4, 2}, Tessera.arange(10, 0.5, -2.7, DType.INT64).toLongArray());
        assertEquals(0, Tessera.arange(0.5, 0.2, 1, DType.INT64).numel()); // torch: tensor([], dtype=torch.int64)
        // exact above 2^53: torch.arange(2**62, 2**62 + 3), torch.arange(2**63 - 6, 2**63 - 1), torch.arange(2**53 + 1, 2**53 + 2)
        assertArrayEquals(new long[] {(1L << 62), (1L << 62) + 1, (1L << 62) + 2},
                Tessera.arange(1L << 62, (1L << 62) + 3).toLongArray());
        assertArrayEquals(new long[] {Long.MAX_VALUE - 5, Long.MAX_VALUE - 4, Long.MAX_VALUE - 3, Long.MAX_VALUE - 2,
            Long.MAX_VALUE - 1}, Tessera.arange(Long.MAX_VALUE - 5, Long.MAX_VALUE).toLongArray());
        assertArrayEquals(new long[] {(1L << 53) + 1}, Tessera.arange((1L << 53) + 1, (1L << 53) + 2).toLongArray());
        // torch: "step must be nonzero"; '"arange_cpu" not implemented for 'Bool''
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tessera.arange(0, 5, 0.5, DType.INT64));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("step must be nonzero"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tessera.arange(0, 7, 2, DType.BOOL));
    }

    @Test
    void decimalsBetweenMinusOneAndOneAreTrueAsBools() {
        // torch.tensor([0.5, -0.5, 0.2, 0.0, nan], dtype=torch.bool) -> [True, True, True, False, True]
        Tensor b = Tessera.tensor(new double[] {0.5, -0.5, 0.2, 0.0, NAN}, DType.BOOL);
        assertArrayEquals(new boolean[] {true, true, true, false, true}, b.toBooleanArray());
    }

    @Test
    void numbersThatWhereClampAndIntegerPowCannotHoldAreErrorsAndFloat32PowKeepsTheExponentsParity() {
        Tensor i = Tessera.tensor(new long[] {3, 4}).to(DType.INT32);
        Tensor c = Tessera.tensor(new boolean[] {true, false});
        // torch: "value cannot be converted to type int without overflow" (and "... type float ...")
        for (org.junit.jupiter.api.function.Executable call : new org.junit.jupiter.api.function.Executable[] {
            () -> Tessera.where(c, i, 1L << 31), () -> i.clamp(1L << 40, null), () -> i.clamp(null, 1L << 31),
            () -> i.pow(1L << 31), () -> Tessera.where(c, Tessera.ones(2), 1e39), () -> Tessera.ones(2).clamp(1e39, null)}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    call);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("without overflow"), e.getMessage());
        }
        assertArrayEquals(new long[] {3, 7}, Tessera.where(c, i, 7).toLongArray());
        // torch.tensor([-1., -2.5]).pow(16777217) -> [-1., -inf]; .pow(-2147483649) -> [-1., -0.]
        Tensor f = Tessera.tensor(new double[] {-1, -2.5});
        assertArrayEquals(new float[] {-1, Float.NEGATIVE_INFINITY}, f.pow(16777217).toFloatArray());
        assertArrayEquals(new float[] {-1, -0.0f}, f.pow(-2147483649L).toFloatArray());
        assertEquals(DType.FLOAT32, f.pow(16777217).dtype());
    }

    @Test
    void anEmptyIntegerOrBoolTensorPrintsItsDtype() {
        // torch.tensor([], dtype=torch.int64) and torch.zeros(0, 3, dtype=torch.bool)
        assertEquals("tensor([], dtype=torch.int64)", Tessera.tensor(new long[0]).toString());
        assertEquals("tensor([], size=(0, 3), dtype=torch.bool)", Tessera.zeros(DType.BOOL, 0, 3).toString());
        assertEquals("tensor([])", Tessera.zeros(0).toString());
        assertEquals("tensor([1, 2])", Tessera.tensor(new long[] {1, 2}).toString());
    }
}
