package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.memory.LeakCheck;

/** PyTorch's autograd semantics: accumulation, zeroing, detach, no-grad, explicit gradients, broadcasting. */
@ExtendWith(LeakCheck.class)
class AutogradSemanticsTest {

    private static Tensor leaf(double... v) {
        return Tessera.tensor(v, DType.FLOAT64).requiresGrad(true);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).sum().backward();
        assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleArray());
        x.mul(3).sum().backward();
        assertArrayEquals(new double[] {5, 7, 9}, x.grad().toDoubleArray());
    }

    @Test
    void backwardTwiceOnTheSameGraphAccumulates() {
        Tensor x = leaf(2);
        Tensor z = x.pow(3.0).sum();
        z.backward();
        z.backward();
        assertArrayEquals(new double[] {24}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void zeroGradResetsTheAccumulatedGradientKeepingItsShape() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).sum().backward();
        x.zeroGrad();
        assertEquals(Shape.of(3), x.grad().shape());
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray());
        x.mul(x).sum().backward();
        assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleArray());
    }

    @Test
    void zeroGradBeforeAnyBackwardLeavesNoGradient() {
        Tensor x = leaf(1, 2);
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void leafUsedTwiceReceivesBothContributions() {
        Tensor x = leaf(3);
        x.mul(2).add(x.exp()).sum().backward();
        assertEquals(2 + Math.exp(3), x.grad().item(), 1e-12);
    }

    @Test
    void detachStopsGradientsAndSharesValues() {
        Tensor x = leaf(1, 2, 3);
        Tensor d = x.detach();
        assertFalse(d.requiresGrad());
        assertTrue(d.isLeaf());
        assertArrayEquals(new double[] {1, 2, 3}, d.toDoubleArray());
        x.mul(d).sum().backward();
        assertArrayEquals(new double[] {1, 2, 3}, x.grad().toDoubleArray());
        assertNull(d.grad());
    }

    @Test
    void detachedTensorCanBecomeANewLeaf() {
        Tensor x = leaf(1, 2, 3);
        Tensor y = x.mul(2).detach().requiresGrad(true);
        assertTrue(y.requiresGrad());
        assertTrue(y.isLeaf());
        y.mul(y).sum().backward();
        assertArrayEquals(new double[] {4, 8, 12}, y.grad().toDoubleArray());
        assertNull(x.grad(), "no gradient may flow through detach");
    }

    @Test
    void resultOfOpsWithoutHistoryCanBeMarkedAsLeaf() {
        Tensor a = Tessera.tensor(new double[] {1, 2}, DType.FLOAT64);
        Tensor s = a.add(1).requiresGrad(true);
        s.mul(s).sum().backward();
        assertArrayEquals(new double[] {4, 6}, s.grad().toDoubleArray());
    }

    @Test
    void noGradScopeRecordsNoHistoryAndRestoresOnClose() {
        Tensor x = leaf(1, 2);
        Tensor inside;
        try (var ignored = Tessera.noGrad()) {
            assertFalse(Tessera.isGradEnabled());
            try (var nested = Tessera.noGrad()) {
                assertFalse(Tessera.isGradEnabled());
            }
            assertFalse(Tessera.isGradEnabled());
            inside = x.mul(2);
        }
        assertTrue(Tessera.isGradEnabled());
        assertFalse(inside.requiresGrad());
        assertArrayEquals(new double[] {2, 4}, inside.toDoubleArray());
        assertTrue(x.mul(2).requiresGrad());
        assertThrows(IllegalStateException.class, () -> inside.sum().backward());
    }

    @Test
    void backwardWithAnExplicitGradient() {
        Tensor x = leaf(1, 2, 3);
        Tensor y = x.mul(x);
        y.backward(Tessera.tensor(new double[] {1, 0.1, 0.01}, DType.FLOAT64));
        assertArrayEquals(new double[] {2, 0.4, 0.06}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void explicitGradientOfAnotherFloatTypeIsConverted() {
        Tensor x = leaf(1, 2);
        x.mul(3).backward(Tessera.tensor(new float[] {1, 2}));
        assertEquals(DType.FLOAT64, x.grad().dtype());
        assertArrayEquals(new double[] {3, 6}, x.grad().toDoubleArray());
    }

    @Test
    void gradientOfABroadcastInputIsSummedToItsShape() {
        Tensor row = Tessera.tensor(new double[][] {{1, 2, 3}}, DType.FLOAT64).requiresGrad(true);
        Tensor col = Tessera.tensor(new double[][] {{10}, {20}}, DType.FLOAT64).requiresGrad(true);
        Tensor s = Tessera.scalarLike(5, row).requiresGrad(true);
        row.mul(col).add(s).sum().backward();
        assertEquals(Shape.of(1, 3), row.grad().shape());
        assertArrayEquals(new double[] {30, 30, 30}, row.grad().toDoubleArray());
        assertEquals(Shape.of(2, 1), col.grad().shape());
        assertArrayEquals(new double[] {6, 6}, col.grad().toDoubleArray());
        assertEquals(Shape.scalar(), s.grad().shape());
        assertEquals(6, s.grad().item());
    }

    @Test
    void gradientOfAFloat32LeafIsFloat32() {
        Tensor x = Tessera.tensor(new float[] {1, 2}).requiresGrad(true);
        x.mul(x).sum().backward();
        assertEquals(DType.FLOAT32, x.grad().dtype());
        assertArrayEquals(new float[] {2, 4}, x.grad().toFloatArray());
    }

    @Test
    void requiresGradOnAnIntegerTensorIsRefused() {
        Tensor i = Tessera.tensor(new long[] {1, 2, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> i.requiresGrad(true));
        assertTrue(e.getMessage().contains("requiresGrad") && e.getMessage().contains("int64"), e.getMessage());
        assertFalse(i.requiresGrad());
        assertArrayEquals(new long[] {1, 2, 3}, i.toLongArray());
    }

    @Test
    void requiresGradOnANonLeafIsRefused() {
        Tensor x = leaf(1, 2);
        Tensor y = x.mul(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
        assertTrue(e.getMessage().contains("requiresGrad"), e.getMessage());
        assertTrue(y.requiresGrad());
        assertTrue(y.requiresGrad(true) == y, "already requires grad: a no-op, as in PyTorch");
        assertFalse(y.isLeaf());
    }

    @Test
    void signHasAZeroGradientAsInPyTorch() {
        // a.sign().sum().backward() -> a.grad = [0, 0, 0]; a.sign().requires_grad is True
        Tensor a = leaf(-1, 0, 2);
        Tensor s = a.sign();
        assertTrue(s.requiresGrad());
        assertFalse(s.isLeaf());
        s.sum().backward();
        assertArrayEquals(new double[] {0, 0, 0}, a.grad().toDoubleArray(), 0);
    }

    @Test
    void aBackwardThatFailsWhileComputingLeavesTheGradientsAsTheyWere() {
        Tensor a = leaf(-1, 2);
        a.mul(2).sum().backward();
        Tensor s = a.relu().mul(a.relu()).sum();
        s.realize();
        a.detach().set(0.5, 0); // detach shares a's memory: the relu's comparison, not computed yet, would read it
        assertThrows(IllegalStateException.class, s::backward);
        assertArrayEquals(new double[] {2, 2}, a.grad().toDoubleArray(), 0);
        a.mul(3).sum().backward();
        assertArrayEquals(new double[] {5, 5}, a.grad().toDoubleArray(), 0);
    }

    @Test
    void aGradientReleasedWithItsScopeIsNamedWhenTheNextBackwardWouldAddToIt() {
        Tensor w = leaf(1, 2);
        try (org.tessera.Scope ignored = Tessera.scope()) {
            w.mul(2).sum().backward();
        }
        try (org.tessera.Scope ignored = Tessera.scope()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.mul(3).sum().backward());
            assertTrue(e.getMessage().contains("released when the scope it was computed in closed"), e.getMessage());
            w.zeroGrad();
            w.mul(3).sum().backward();
            assertArrayEquals(new double[] {3, 3}, w.grad().toDoubleArray(), 0);
        }
    }

    @Test
    void castToAnIntegerTypeEndsTheGradientHistory() {
        // as in PyTorch, integer tensors never require grad; the cast is piecewise constant
        Tensor x = leaf(1.5, 2.5);
        Tensor i = x.to(DType.INT64);
        assertFalse(i.requiresGrad());
        assertFalse(x.gt(2).requiresGrad());
        Tensor y = i.to(DType.FLOAT64).mul(x).sum();
        y.backward();
        assertArrayEquals(new double[] {1, 2}, x.grad().toDoubleArray());
    }

    @Test
    void gradientsOfNonLeavesAreNotKept() {
        Tensor x = leaf(1, 2);
        Tensor y = x.mul(2);
        y.sum().backward();
        assertNull(y.grad());
        assertFalse(y.isLeaf());
        assertTrue(x.isLeaf());
    }

    @Test
    void backwardBuildsTheGraphLazilyAndLeavesGradModeOn() {
        Tensor x = leaf(1, 2);
        x.exp().sum().backward();
        assertTrue(Tessera.isGradEnabled());
        assertFalse(x.grad().requiresGrad());
        assertArrayEquals(new double[] {Math.exp(1), Math.exp(2)}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void powGradientForTheExponentIsZeroAtBaseZero() {
        // torch: x = tensor([0., 2.]); y = tensor([2., 3.], requires_grad) ; (x ** y).sum().backward()
        // gives y.grad = tensor([0.0000, 5.5452]) (8 * ln 2)
        Tensor x = Tessera.tensor(new double[] {0, 2}, DType.FLOAT64).requiresGrad(true);
        Tensor y = leaf(2, 3);
        x.pow(y).sum().backward();
        assertArrayEquals(new double[] {0, 8 * Math.log(2)}, y.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0, 12}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void prodGradientWithZerosMatchesPyTorch() {
        // torch.tensor([[1., 0., 3.], [0., 0., 2.]], requires_grad=True).prod(1).sum().backward()
        // grad: tensor([[0., 3., 0.], [0., 0., 0.]])
        Tensor x = Tessera.tensor(new double[][] {{1, 0, 3}, {0, 0, 2}}, DType.FLOAT64).requiresGrad(true);
        x.prod(1, false).sum().backward();
        assertArrayEquals(new double[] {0, 3, 0, 0, 0, 0}, x.grad().toDoubleArray());
    }

    @Test
    void maxGradientIsSharedEquallyBetweenTies() {
        // torch.tensor([1., 3., 3.], requires_grad=True).max().backward() gives tensor([0.0, 0.5, 0.5])
        Tensor x = leaf(1, 3, 3);
        x.max().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5}, x.grad().toDoubleArray());
    }
}
