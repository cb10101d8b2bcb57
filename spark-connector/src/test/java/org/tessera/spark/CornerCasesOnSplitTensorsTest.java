package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

    @Test
    void tensorMethodsOutsideTheConformanceSuiteMatchTheLocalEngine() {
        Tensor x = values();
        Tensor y = Tessera.tensor(new double[][] {{2, -100, 0, 0, -1, 100}, {1, 0.0, NAN, -3, -INF, INF},
            {1, 1, 0.5, -7, -7, 4}, {-19, 21, 0, 0.5, 0.25, 8}}, DType.FLOAT64);
        Tensor xs = splitEveryDim(x);
        Tensor ys = splitEveryDim(y);
        assertSameBits(x.amin(new int[] {1}, false), xs.amin(new int[] {1}, false));
        assertSameBits(x.amin(new int[] {0, 1}, true), xs.amin(new int[] {0, 1}, true));
        assertSameBits(x.minimum(y), xs.minimum(ys));
        assertSameBits(x.sin().add(x.cos()), xs.sin().add(xs.cos()));
        assertSameBits(x.sign(), xs.sign());
        assertSameBits(x.eq(y).logicalAnd(x.ne(0)).logicalOr(x.ge(y).logicalNot()).logicalOr(x.le(-1)),
                xs.eq(ys).logicalAnd(xs.ne(0)).logicalOr(xs.ge(ys).logicalNot()).logicalOr(xs.le(-1)));
        assertSameBits(x.view(2, 12), xs.view(2, 12));
        assertSameBits(x.view(24), xs.view(24));
        assertSameBits(x.narrow(1, 1, 4), xs.narrow(1, 1, 4));
        assertSameBits(x.select(1, 2), xs.select(1, 2));
        assertSameBits(x.get(1).expandAs(x), xs.get(1).expandAs(xs));
        assertSameBits(x.maskedSelect(x.gt(0)), xs.maskedSelect(xs.gt(0)));
        assertSameBits(x.logSoftmax(1), xs.logSoftmax(1));
        Tensor fin = Tessera.where(x.ne(x), 0, x).clamp(-5, 5);
        assertSameBits(fin.mm(fin.t()), splitEveryDim(fin).mm(splitEveryDim(fin.t())));
        Tensor ints = Tessera.tensor(new long[][] {{-1, 0, 1, 2}, {3, 4, -5, 6}}, DType.INT64);
        assertArrayEquals(ints.toIntArray(), splitEveryDim(ints).toIntArray());
        assertEquals(ints.gt(5).sum().gt(0).boolItem(), splitEveryDim(ints).gt(5).sum().gt(0).boolItem());
    }

    @Test
    void gradientsOfTheMethodsOutsideTheConformanceSuiteMatchTheLocalEngine() {
        double[][] v = {{1, -1, 0.5, 7, -7, 3}, {-20, 20, 0, -0.5, 0.25, 9}, {2, 2, -3, 4, 0.125, -6}};
        Tensor w = Tessera.tensor(new double[] {0.5, -1, 2, 0.25, 3, -0.75}, DType.FLOAT64);
        Tensor local = Tessera.tensor(v, DType.FLOAT64).requiresGrad(true);
        Tensor dist = splitEveryDim(Tessera.tensor(v, DType.FLOAT64)).requiresGrad(true);
        for (Tensor t : new Tensor[] {local, dist}) {
            Tensor loss = t.amin(new int[] {1}, false).sum()
                    .add(t.minimum(w).mul(t.sin()).sum())
                    .add(t.cos().narrow(1, 1, 3).sum())
                    .add(t.select(0, 2).mul(w).sum())
                    .add(t.view(18).mul(t.view(18)).sum())
                    .add(t.get(1).expandAs(t).mul(t).sum())
                    .add(t.maskedSelect(t.gt(0)).square().sum())
                    .add(t.mm(t.t()).logSoftmax(1).sum())
                    .add(t.sign().mul(t).sum()) // sign's gradient is 0: d/dt is sign(t)
                    .add(t.maximum(w.mul(Double.NaN)).sum()); // a NaN side: the whole gradient to both
            loss.backward();
        }
        assertClose(local.grad(), dist.grad(), 1e-13);
    }
}
