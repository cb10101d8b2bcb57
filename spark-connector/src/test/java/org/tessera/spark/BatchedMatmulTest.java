package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import org.junit.jupiter.api.Test;
import org.tessera.Tensor;

/** Batched products with distributed operands cut along every dim, broadcast batch dims, and gradients. */
class BatchedMatmulTest {
    private static final double TOL = 1e-12;
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void batchedProductsMatchTheLocalEngine() {
        Tensor a = SharedSpark.randn(2, 5, 6);
        Tensor b = SharedSpark.randn(2, 6, 6);
        Tensor da = ts.distribute(a, 1, 2, 4);
        Tensor db = ts.distribute(b, 1, 3, 2);
        assertClose(a.matmul(b), da.matmul(db), TOL);
        assertClose(a.matmul(b).matmul(b), da.matmul(db).matmul(db), TOL); // a chain
        assertClose(a.matmul(b), da.matmul(b), TOL);  // a local right side
        assertClose(a.matmul(b), a.matmul(db), TOL);  // a local left side
        assertTrue(ts.explain(da.matmul(db)).contains("batched matmul"), ts.explain(da.matmul(db)));
    }

    @Test
    void broadcastBatchDimsMatchTheLocalEngine() {
        Tensor a = SharedSpark.randn(3, 1, 4, 5);
        Tensor b = SharedSpark.randn(2, 5, 3);
        Tensor da = ts.distribute(a, 2, 1, 3, 2);
        Tensor db = ts.distribute(b, 1, 2, 2);
        Tensor expected = a.matmul(b);
        assertEquals(expected.shape(), da.matmul(db).shape());
        assertClose(expected, da.matmul(db), TOL);
        Tensor m = SharedSpark.randn(5, 3);
        assertClose(a.matmul(m), da.matmul(ts.distribute(m, 2, 2)), TOL); // a matrix against a batch
    }

    @Test
    void batchedGradientsMatchTheLocalEngine() {
        Tensor al = SharedSpark.randn(3, 4, 5).requiresGrad(true);
        Tensor bl = SharedSpark.randn(3, 5, 2).requiresGrad(true);
        Tensor ad = ts.distribute(al.detach(), 2, 3, 3).requiresGrad(true);
        Tensor bd = ts.distribute(bl.detach(), 2, 2, 1).requiresGrad(true);
        Tensor w = SharedSpark.randn(3, 4, 2);
        al.matmul(bl).tanh().mul(w).sum().backward();
        ad.matmul(bd).tanh().mul(w).sum().backward();
        assertEquals(ts.device(), ad.grad().device());
        assertClose(al.grad(), ad.grad(), TOL);
        assertClose(bl.grad(), bd.grad(), TOL);
    }
}
