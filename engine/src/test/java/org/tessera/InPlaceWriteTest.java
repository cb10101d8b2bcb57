package org.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.memory.LeakCheck;

/**
 * An in-place write ({@code set}) and the tensors defined from the written memory: PyTorch computes
 * each op when it is called, so a result defined before the write holds the old values; here a
 * result computed before the write keeps them, a view shows the write (as in PyTorch), and a result
 * defined before the write but not yet computed refuses to compute rather than read the new ones.
 */
@ExtendWith(LeakCheck.class)
class InPlaceWriteTest {
    @Test
    void aResultDefinedBeforeAWriteAndComputedAfterItIsRefused() {
        Tensor x = Tessera.tensor(new float[] {1, 2, 3}).realize();
        Tensor y = x.mul(2);
        Tensor z = x.add(1).relu().sum(); // a fused chain under a reduction
        x.set(100, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::toFloatArray);
        assertTrue(e.getMessage().contains("mul [3]: an input was written in place (set) after this tensor was defined"),
                e.getMessage());
        e = assertThrows(IllegalStateException.class, z::item);
        assertTrue(e.getMessage().contains("written in place (set)"), e.getMessage());
        // defined again after the write, it reads the new values
        assertArrayEquals(new float[] {200, 4, 6}, x.mul(2).toFloatArray());
    }

    @Test
    void aResultComputedBeforeTheWriteKeepsTheOldValues() {
        Tensor x = Tessera.tensor(new float[] {1, 2, 3}).realize();
        Tensor y = x.mul(2).realize();
        x.set(100, 0);
        assertArrayEquals(new float[] {2, 4, 6}, y.toFloatArray());
    }

    @Test
    void aViewShowsTheWriteAsInPyTorch() {
        Tensor x = Tessera.tensor(new float[][] {{1, 2}, {3, 4}}).realize();
        Tensor t = x.t();
        Tensor row = x.get(0);
        x.set(100, 0, 1);
        assertArrayEquals(new float[] {1, 3, 100, 4}, t.toFloatArray());
        assertArrayEquals(new float[] {1, 100}, row.toFloatArray());
        assertArrayEquals(new float[] {2, 200}, row.mul(2).toFloatArray());
    }

    @Test
    void aWriteIntoAnInputComputedLaterIsRefusedToo() {
        // x itself is computed by y's first read of it, then written: y (defined before) must not read it
        Tensor a = Tessera.tensor(new float[] {1, 2, 3});
        Tensor x = a.add(1);
        Tensor y = x.mul(3);
        x.realize();
        x.set(-1, 2);
        assertThrows(IllegalStateException.class, y::toFloatArray);
        assertArrayEquals(new float[] {2, 3, -1}, x.toFloatArray());
    }

    @Test
    void backwardRefusesAValueItsGradientReadsThatWasWrittenAfterTheOp() {
        // PyTorch: "one of the variables needed for gradient computation has been modified by an inplace operation"
        Tensor c = Tessera.tensor(new double[] {1, 2, 3}).realize();
        Tensor w = Tessera.tensor(new double[] {4, 5, 6}).requiresGrad(true);
        Tensor loss = w.mul(c).sum();
        loss.realize();
        c.set(100, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("backward: the gradient of mul [3] reads its input 1 (shape [3]), which was"
                + " written in place (set) after the op used it"), e.getMessage());
        assertTrue(w.grad() == null, "nothing accumulated before the failure");

        // a slice of the written memory, and the op's own result written through detach()
        Tensor c2 = Tessera.tensor(new double[] {1, 2, 3, 4}).realize();
        Tensor l2 = w.mul(c2.get("1:")).sum();
        l2.realize();
        c2.set(-7, 2);
        assertThrows(IllegalStateException.class, l2::backward);
        Tensor e3 = w.exp();
        Tensor l3 = e3.sum();
        l3.realize();
        e3.detach().set(0, 1);
        e = assertThrows(IllegalStateException.class, l3::backward);
        assertTrue(e.getMessage().contains("the gradient of exp [3] reads its result"), e.getMessage());
        assertTrue(w.grad() == null);
    }

    @Test
    void backwardIgnoresAWriteIntoAValueNoGradientReads() {
        // add saves nothing: PyTorch computes this gradient too
        Tensor w = Tessera.tensor(new double[] {4, 5, 6}).requiresGrad(true);
        Tensor other = Tessera.tensor(new double[] {1, 1, 1}).realize();
        Tensor l2 = w.add(other).sum();
        l2.realize();
        other.set(50, 1);
        l2.backward();
        assertArrayEquals(new double[] {1, 1, 1}, w.grad().toDoubleArray());
    }

    @Test
    void aViewDefinedAfterAWriteReadsTheNewValuesWithoutComplaint() {
        Tensor a = Tessera.tensor(new double[] {1, 2, 3}).realize();
        a.set(5, 0);
        assertArrayEquals(new double[] {10, 4, 6}, a.unsqueeze(0).mul(2).toDoubleArray());
        assertArrayEquals(new double[] {5, 2, 3, 5, 2, 3}, Tessera.cat(java.util.List.of(a.unsqueeze(0),
                a.unsqueeze(0)), 0).toDoubleArray());
        assertArrayEquals(new double[] {10, 4, 6}, a.expand(2, 3).sum(0).toDoubleArray());
    }

    @Test
    void detachSharesTheMemoryOfANonContiguousTensor() {
        // PyTorch: a.t().detach()[0, 1] = 9 writes a[1, 0]
        Tensor a = Tessera.tensor(new double[][] {{1, 2}, {3, 4}}).realize();
        a.t().detach().set(9, 0, 1);
        assertArrayEquals(new double[] {1, 2, 9, 4}, a.toDoubleArray());
        a.get("::1, 1").detach().set(7, 0);
        assertArrayEquals(new double[] {1, 7, 9, 4}, a.toDoubleArray());
    }

    @Test
    void aWriteIntoALazyBaseOrUnderACopyingReshapeIsRefusedNotReadSilently() {
        // PyTorch computes s = x[:, 0].sum() at once (0); x computed only by the write must not give 5
        Tensor x = Tessera.zeros(3, 3);
        Tensor s = x.get(":, 0").sum();
        x.set(5, 0, 0);
        assertThrows(IllegalStateException.class, s::item);
        // a reshape that copies reads its input when computed: PyTorch's copy has the old values
        Tensor y = Tessera.tensor(new float[][] {{0, 1, 2}, {3, 4, 5}}).realize();
        Tensor r = y.t().reshape(-1);
        Tensor m = r.mul(2);
        y.set(100, 0, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, r::toFloatArray);
        assertTrue(e.getMessage().contains("reshape [6]: an input was written in place"), e.getMessage());
        assertThrows(IllegalStateException.class, m::toFloatArray);
        assertArrayEquals(new float[] {0, 3, 100, 4, 2, 5}, y.t().reshape(-1).toFloatArray()); // defined after: new values
    }

    @Test
    void aParameterWrittenInsideNoGradIsAllowedAndBackwardRefusesOnlyGradientsThatReadIt() {
        Tensor w = Tessera.tensor(new double[] {1, 2}).requiresGrad(true);
        assertThrows(IllegalStateException.class, () -> w.set(3, 0));
        Tensor c = Tessera.tensor(new double[] {5, 7});
        Tensor linear = w.mul(c).sum(); // d/dw reads c only
        Tensor square = w.mul(w).sum(); // d/dw reads w
        linear.realize();
        square.realize();
        try (var g = Tessera.noGrad()) {
            w.set(3, 0); // torch.no_grad(): w[0] = 3
        }
        assertArrayEquals(new double[] {3, 2}, w.toDoubleArray());
        linear.backward();
        assertArrayEquals(new double[] {5, 7}, w.grad().toDoubleArray());
        assertThrows(IllegalStateException.class, square::backward); // PyTorch: "modified by an inplace operation"
        assertArrayEquals(new double[] {5, 7}, w.grad().toDoubleArray());
    }
}
