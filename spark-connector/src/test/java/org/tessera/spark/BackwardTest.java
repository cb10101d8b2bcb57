package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Distributed backward passes compared with the local engine on the same float64 data. */
class BackwardTest {
    private static final double TOL = 1e-9;
    private final TesseraSession ts = SharedSpark.session();

    @AfterEach
    void auto() {
        ts.matmulStrategy(MatmulStrategy.AUTO);
    }

    private static Tensor leaf(Tensor t) {
        return t.detach().requiresGrad(true);
    }

    @Test
    void linearModelGradientOfALocalParameterMatchesTheLocalEngine() {
        Random r = new Random(21);
        for (int trial = 0; trial < 3; trial++) {
            long n = 5 + r.nextInt(30);
            long k = 1 + r.nextInt(6);
            Tensor x = SharedSpark.randn(n, k);
            Tensor y = SharedSpark.randn(n, 1);
            Tensor dx = ts.distribute(x, SharedSpark.block(r, n), SharedSpark.block(r, k));
            Tensor dy = ts.distribute(y, SharedSpark.block(r, n), 1);
            Tensor w0 = SharedSpark.randn(k, 1);
            Tensor wl = leaf(w0);
            Tensor bl = leaf(Tessera.tensor(0.3).to(org.tessera.DType.FLOAT64));
            Tensor wd = leaf(w0);
            Tensor bd = leaf(Tessera.tensor(0.3).to(org.tessera.DType.FLOAT64));
            Tensor lossL = x.matmul(wl).add(bl).sub(y).square().mean();
            Tensor lossD = dx.matmul(wd).add(bd).sub(dy).square().mean();
            assertClose(lossL, lossD, TOL);
            lossL.backward();
            lossD.backward();
            assertEquals(Device.CPU, wd.grad().device(), "the gradient stays with the local parameter");
            assertClose(wl.grad(), wd.grad(), TOL);
            assertClose(bl.grad(), bd.grad(), TOL);
        }
    }

    @Test
    void logisticRegressionGradientMatches() {
        Tensor x = SharedSpark.randn(40, 5);
        Tensor y = SharedSpark.randn(40, 1).gt(0).to(org.tessera.DType.FLOAT64);
        Tensor dx = ts.distribute(x, 7, 3);
        Tensor dy = ts.distribute(y, 7, 1);
        Tensor w0 = SharedSpark.randn(5, 1).mul(0.1);
        Tensor wl = leaf(w0);
        Tensor wd = leaf(w0);
        Tensor pl = x.matmul(wl).sigmoid();
        Tensor pd = dx.matmul(wd).sigmoid();
        Tensor lossL = y.mul(pl.log()).add(y.neg().add(1).mul(pl.neg().add(1).log())).mean().neg();
        Tensor lossD = dy.mul(pd.log()).add(dy.neg().add(1).mul(pd.neg().add(1).log())).mean().neg();
        lossL.backward();
        lossD.backward();
        assertClose(lossL, lossD, TOL);
        assertClose(wl.grad(), wd.grad(), TOL);
    }

    @Test
    void gradientsOfDistributedLeavesMatch() {
        Tensor a = SharedSpark.randn(9, 6);
        Tensor al = leaf(a);
        Tensor ad = leaf(ts.distribute(a, 4, 4));
        Tensor fl = al.tanh().mul(al).sum(1).square().sum().add(al.max(0).values().sum()).add(al.mean());
        Tensor fd = ad.tanh().mul(ad).sum(1).square().sum().add(ad.max(0).values().sum()).add(ad.mean());
        fl.backward();
        fd.backward();
        assertClose(fl, fd, TOL);
        assertEquals(ts.device(), ad.grad().device());
        assertClose(al.grad(), ad.grad(), TOL);
    }

    @Test
    void matmulGradientsMatchForEveryStrategy() {
        Tensor a = SharedSpark.randn(8, 5);
        Tensor b = SharedSpark.randn(5, 7);
        Tensor al = leaf(a);
        Tensor bl = leaf(b);
        al.matmul(bl).relu().sum().backward();
        for (MatmulStrategy s : new MatmulStrategy[] {MatmulStrategy.AUTO, MatmulStrategy.SHUFFLE,
                MatmulStrategy.SELF_PRODUCT, MatmulStrategy.BROADCAST}) {
            ts.matmulStrategy(s);
            Tensor ad = leaf(ts.distribute(a, 3, 2));
            Tensor bd = leaf(ts.distribute(b, 2, 3));
            ad.matmul(bd).relu().sum().backward();
            assertClose(al.grad(), ad.grad(), TOL);
            assertClose(bl.grad(), bd.grad(), TOL);
            // the same with persisted operands, which the tasks read in place
            Tensor ap = leaf(ts.persist(ts.distribute(a, 3, 2)));
            Tensor bp = leaf(ts.persist(ts.distribute(b, 2, 3)));
            ap.matmul(bp).relu().sum().backward();
            assertClose(al.grad(), ap.grad(), TOL);
            assertClose(bl.grad(), bp.grad(), TOL);
        }
    }

    @Test
    void movementAndMaskGradientsMatch() {
        Tensor a = SharedSpark.randn(10, 7);
        Tensor al = leaf(a);
        Tensor ad = leaf(ts.distribute(a, 4, 3));
        Tensor fl = al.t().get("1:6:2, :").exp().sum().add(al.get(al.gt(0)).square().sum())
                .add(al.get(":, 2").mul(3).sum());
        Tensor fd = ad.t().get("1:6:2, :").exp().sum().add(ad.get(ad.gt(0)).square().sum())
                .add(ad.get(":, 2").mul(3).sum());
        fl.backward();
        fd.backward();
        assertClose(fl, fd, TOL);
        assertClose(al.grad(), ad.grad(), TOL);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Tensor x = SharedSpark.randn(12, 3);
        Tensor dx = ts.distribute(x, 5, 3);
        Tensor w = leaf(SharedSpark.randn(3, 1));
        Tensor wl = leaf(w);
        for (int i = 0; i < 2; i++) {
            dx.matmul(w).sum().backward();
            x.matmul(wl).sum().backward();
        }
        assertClose(wl.grad(), w.grad(), TOL);
        assertClose(x.sum(0).reshape(3, 1).mul(2), w.grad(), TOL);
        w.zeroGrad();
        assertClose(Tessera.zeros(org.tessera.DType.FLOAT64, 3, 1), w.grad(), 0);
        dx.matmul(w).sum().backward();
        assertClose(x.sum(0).reshape(3, 1), w.grad(), TOL);
        Tensor dl = leaf(dx);
        dl.mul(2).sum().backward();
        dl.mul(2).sum().backward();
        assertClose(Tessera.full(org.tessera.DType.FLOAT64, 4, 12, 3), dl.grad(), 0);
        dl.zeroGrad();
        dl.sum().backward();
        assertClose(Tessera.ones(12, 3), dl.grad(), 0);
    }
}
