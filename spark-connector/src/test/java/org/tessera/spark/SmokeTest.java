package org.tessera.spark;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

class SmokeTest {
    @Test
    void linearModel() {
        TesseraSession ts = SharedSpark.session();
        Tessera.manualSeed(1);
        Tensor xl = SharedSpark.randn(10, 3);
        Tensor yl = SharedSpark.randn(10, 1);
        Tensor x = ts.distribute(xl, 4, 2);
        Tensor y = ts.distribute(yl, 4, 1);
        SharedSpark.assertClose(xl, x, 0);
        SharedSpark.assertClose(xl.add(1).mul(2), x.add(1).mul(2), 1e-15);
        SharedSpark.assertClose(xl.sum(), x.sum(), 1e-12);
        Tensor w = SharedSpark.randn(3, 1).requiresGrad(true);
        Tensor wl = w.detach().requiresGrad(true);
        System.out.println(ts.explain(x.matmul(w).sub(y).square().mean()));
        Tensor loss = x.matmul(w).sub(y).square().mean();
        Tensor lossL = xl.matmul(wl).sub(yl).square().mean();
        SharedSpark.assertClose(lossL, loss, 1e-12);
        loss.backward();
        lossL.backward();
        System.out.println(w.grad() + " " + w.grad().device());
        SharedSpark.assertClose(wl.grad(), w.grad(), 1e-12);
    }
}
