package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tessera.spark.SharedSpark.assertClose;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Results that become 0-d, and reshapes to any shape with the same element count, on tensors cut
 * along every dim: the same values as the local engine (a 0-d result is a local value).
 */
class ZeroDimAndReshapeTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void indexingDownToOneElementGivesALocalScalar() {
        Tensor a = SharedSpark.randn(5, 4);
        Tensor d = ts.distribute(a, 2, 3);
        Tensor e = d.get(0, 0);
        assertEquals(0, e.dim());
        assertEquals(a.get(0, 0).item(), e.item(), 0.0);
        assertEquals(a.get(4, 3).item(), d.get(-1, -1).item(), 0.0);
        Tensor v = ts.distribute(SharedSpark.randn(7), 3);
        assertEquals(v.cpu().get(1).item(), v.get(1).item(), 0.0);
        assertEquals(v.cpu().get(6).mul(2).item(), v.get(6).mul(2).item(), 0.0);
    }

    @Test
    void squeezeReshapeMatmulAndReductionsToZeroDims() {
        Tensor one = ts.distribute(Tessera.full(DType.FLOAT64, 2.5, 1, 1, 1), 1, 1, 1);
        assertEquals(0, one.squeeze().dim());
        assertEquals(2.5, one.squeeze().item(), 0.0);
        assertEquals(2.5, one.reshape().item(), 0.0);
        Tensor x = ts.distribute(Tessera.tensor(new double[] {3}, DType.FLOAT64), 1);
        Tensor y = ts.distribute(Tessera.tensor(new double[] {-2}, DType.FLOAT64), 1);
        assertEquals(-6.0, x.matmul(y).item(), 0.0);
        assertEquals(3.0, x.min(-1).values().item(), 0.0);
        assertEquals(0L, x.min(-1).indices().longItem());
    }

    @Test
    void backwardIntoALocalScalarLeafFromADistributedSizeOneTensor() {
        Tensor w = Tessera.tensor(2.0, DType.FLOAT64).requiresGrad(true);
        Tensor x = ts.distribute(Tessera.tensor(new double[][] {{3}}, DType.FLOAT64), 1, 1);
        Tensor loss = x.mul(w).sum();
        loss.backward();
        assertEquals(3.0, w.grad().item(), 0.0);
    }

    @Test
    void generalReshapesMatchTheLocalEngine() {
        Tensor a = SharedSpark.randn(6, 4);
        Tensor d = ts.distribute(a, 4, 3);
        assertClose(a.reshape(4, 6), d.reshape(4, 6), 0);
        assertClose(a.reshape(2, 3, 4), d.reshape(2, 3, 4), 0);
        assertClose(a.reshape(-1), d.reshape(-1), 0);
        Tensor b = SharedSpark.randn(8, 3, 2);
        Tensor db = ts.distribute(b, 3, 2, 1);
        assertClose(b.reshape(2, 24), db.reshape(2, 24), 0);
        assertClose(b.flatten(), db.flatten(), 0);
        assertClose(b.reshape(4, 2, 6).sum(1), db.reshape(4, 2, 6).sum(1), 1e-12);
        assertClose(b.transpose(0, 2).reshape(6, 8), db.transpose(0, 2).reshape(6, 8), 0);
        assertClose(b.transpose(0, 2).reshape(2, 3, 8).sum(), db.transpose(0, 2).reshape(2, 3, 8).sum(), 1e-12);
        assertEquals(Device.CPU, d.reshape(24).cpu().device());
    }
}
