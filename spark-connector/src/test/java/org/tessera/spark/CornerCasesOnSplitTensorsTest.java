package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tessera.spark.SharedSpark.assertClose;
import static org.tessera.spark.SharedSpark.assertSameBits;
import static org.tessera.spark.SharedSpark.splitEveryDim;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * The engine's PyTorch corner cases (sigmoid far below 0, clamp's promotion and NaN bounds, sign of
 * NaN, pow of 1 and -1, bool squares, the gradients of max and sigmoid) on tensors cut into two
 * chunks along every dim, against the local engine on the same values.
 */
class CornerCasesOnSplitTensorsTest {
    private final TesseraSession ts = SharedSpark.session();

    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Tensor values() {
        return Tessera.tensor(new double[][] {{-800, -100, -1, 0, 1, 100}, {NAN, -0.0, 2.5, -3, INF, -INF},
            {1, -1, 0.5, 7, -7, 3}, {-20, 20, 0, -0.5, 0.25, 9}}, DType.FLOAT64);
    }

    private void same(Function<Tensor, Tensor> op, Tensor x) {
        assertSameBits(op.apply(x), op.apply(splitEveryDim(x)));
    }

    @Test
    void valuesMatchTheLocalEngineBitForBit() {
        Tensor x = values();
        same(Tensor::sigmoid, x);
        same(Tensor::sign, x);
        same(t -> t.clamp(-2, 2), x);
        same(t -> t.clamp(NAN, 1), x);
        same(t -> t.pow(Tessera.tensor(new double[] {NAN, INF, -INF, 2, 0.5, 0}, DType.FLOAT64)), x);
        Tensor ints = Tessera.tensor(new long[][] {{-1, 0, 1, 2}, {3, 4, -5, 6}}, DType.INT64);
        same(t -> t.clamp(0.5, 2.5), ints);
        assertEquals(DType.FLOAT32, splitEveryDim(ints).clamp(0.5, 2.5).dtype());
        Tensor bools = ints.gt(1);
        same(Tensor::square, bools);
        assertEquals(DType.INT64, splitEveryDim(bools).square().dtype());
    }

    @Test
    void gradientsMatchTheLocalEngine() {
        double[][] finite = {{1, -1, 0.5, 7, -7, 3}, {-20, 20, 0, -0.5, 0.25, 9}};
        Tensor local = Tessera.tensor(finite, DType.FLOAT64).requiresGrad(true);
        Tensor dist = splitEveryDim(Tessera.tensor(finite, DType.FLOAT64)).requiresGrad(true);
        for (Tensor t : new Tensor[] {local, dist}) {
            t.sigmoid().sum().add(t.max(1).values().reciprocal().sum()).add(t.amax(new int[] {0}, false).sum())
                    .backward();
        }
        assertClose(local.grad(), dist.grad(), 1e-15);
        double[][] far = {{-800, -100}, {-710, -50}};
        Tensor l2 = Tessera.tensor(far, DType.FLOAT64).requiresGrad(true);
        Tensor d2 = splitEveryDim(Tessera.tensor(far, DType.FLOAT64)).requiresGrad(true);
        l2.sigmoid().sum().backward();
        d2.sigmoid().sum().backward();
        assertClose(l2.grad(), d2.grad(), 0);
    }
}
