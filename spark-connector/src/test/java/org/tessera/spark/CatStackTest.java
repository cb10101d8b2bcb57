package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** cat and stack of distributed (and mixed local) tensors along every dim, with gradients. */
class CatStackTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void catAlongEveryDimMatchesTheLocalEngine() {
        Tensor a = SharedSpark.randn(5, 4, 3);
        Tensor b = SharedSpark.randn(5, 4, 3);
        Tensor da = ts.distribute(a, 2, 3, 2);
        Tensor db = ts.distribute(b, 3, 2, 2); // cut differently: re-cut to a's grid
        for (int dim = 0; dim < 3; dim++) {
            assertClose(Tessera.cat(List.of(a, b), dim), Tessera.cat(List.of(da, db), dim), 0);
            assertClose(Tessera.cat(List.of(a, b, a), dim).mul(2).sum(dim),
                    Tessera.cat(List.of(da, db, da), dim).mul(2).sum(dim), 1e-13);
        }
        // a local operand next to a distributed one, and a shorter piece
        Tensor c = SharedSpark.randn(2, 4, 3);
        assertClose(Tessera.cat(a, c), Tessera.cat(da, c), 0);
        assertClose(Tessera.cat(c, a), Tessera.cat(c, da), 0);
        assertEquals(ts.device(), Tessera.cat(da, c).device());
    }

    @Test
    void stackAlongEveryDimMatchesTheLocalEngine() {
        Tensor a = SharedSpark.randn(6, 4);
        Tensor b = SharedSpark.randn(6, 4);
        Tensor da = ts.distribute(a, 4, 3);
        Tensor db = ts.distribute(b, 4, 3);
        for (int dim = 0; dim <= 2; dim++) {
            assertClose(Tessera.stack(List.of(a, b), dim), Tessera.stack(List.of(da, db), dim), 0);
        }
        assertClose(Tessera.stack(a, b).sum(), Tessera.stack(da, db).sum(), 1e-13);
    }

    @Test
    void catAndStackGradientsMatchTheLocalEngine() {
        catGradient(new long[] {5, 4}, new long[] {3, 4}, 0);
        catGradient(new long[] {5, 4}, new long[] {5, 2}, 1);
        Tensor xl = SharedSpark.randn(4, 3).requiresGrad(true);
        Tensor xd = ts.distribute(xl.detach(), 3, 2).requiresGrad(true);
        Tensor v = SharedSpark.randn(4, 2, 3);
        Tessera.stack(List.of(xl, xl.mul(2)), 1).mul(v).sum().backward();
        Tessera.stack(List.of(xd, xd.mul(2)), 1).mul(v).sum().backward();
        assertClose(xl.grad(), xd.grad(), 1e-12);
    }

    private void catGradient(long[] aShape, long[] bShape, int dim) {
        Tensor al = SharedSpark.randn(aShape).requiresGrad(true);
        Tensor bl = SharedSpark.randn(bShape).requiresGrad(true);
        Tensor ad = ts.distribute(al.detach(), 2, 3).requiresGrad(true);
        Tensor bd = ts.distribute(bl.detach(), 2, 3).requiresGrad(true);
        Tensor w = SharedSpark.randn(Tessera.cat(List.of(al, bl), dim).shape().dims());
        Tessera.cat(List.of(al, bl), dim).mul(w).tanh().sum().backward();
        Tessera.cat(List.of(ad, bd), dim).mul(w).tanh().sum().backward();
        assertEquals(ts.device(), ad.grad().device());
        assertClose(al.grad(), ad.grad(), 1e-12);
        assertClose(bl.grad(), bd.grad(), 1e-12);
    }
}
