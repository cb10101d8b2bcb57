package org.tessera.spark;

import static org.tessera.spark.SharedSpark.assertSameBits;

import org.junit.jupiter.api.Test;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Every task fails once (attempt 0) and Spark retries it: the results must not change by one bit. */
class FaultInjectionTest {
    private final TesseraSession ts = SharedSpark.session();

    private Tensor[] run() {
        Tessera.manualSeed(99);
        Tensor x = ts.randn(org.tessera.DType.FLOAT64, new long[] {30, 4}, 7, 3);
        Tensor y = ts.randn(org.tessera.DType.FLOAT64, new long[] {30, 1}, 7, 1);
        Tensor w = Tessera.tensor(new double[][] {{0.1}, {-0.2}, {0.3}, {0.05}}, org.tessera.DType.FLOAT64).requiresGrad(true);
        Tensor xl = ts.distribute(Tessera.tensor(new double[][] {{1, 2}, {3, 4}, {5, 6}}, org.tessera.DType.FLOAT64), 2, 1)
                .requiresGrad(true);
        // a persisted right operand is read in place by the tasks, forward and backward (through its transpose)
        Tensor b = ts.persist(ts.randn(org.tessera.DType.FLOAT64, new long[] {4, 5}, 3, 2));
        Tensor xa = ts.randn(org.tessera.DType.FLOAT64, new long[] {12, 4}, 5, 3).requiresGrad(true);
        Tensor loss = x.matmul(w).sub(y).square().mean();
        Tensor other = xl.t().matmul(xl).sum().add(xl.sigmoid().sum());
        Tensor third = xa.matmul(b).square().sum();
        org.junit.jupiter.api.Assertions.assertTrue(ts.explain(third).contains("read in place"), ts.explain(third));
        double forward = loss.item();
        loss.backward();
        other.backward();
        third.backward();
        Tensor spread;
        ts.spark().conf().set(TesseraConf.BROADCAST_THRESHOLD_BYTES.name(), "8");
        try {
            spread = x.sum(0).cpu(); // summed across partitions by a shuffle, result distributed
        } finally {
            ts.spark().conf().unset(TesseraConf.BROADCAST_THRESHOLD_BYTES.name());
        }
        ts.unpersist(b);
        return new Tensor[] {Tessera.tensor(forward), w.grad(), x.t().matmul(x).cpu(), xl.grad().cpu(),
            x.sum(0).cpu(), third.detach(), xa.grad().cpu(), spread};
    }

    @Test
    void tasksThatFailOnceAreRetriedAndGiveBitIdenticalResults() {
        Tensor[] clean = run();
        ts.spark().conf().set(TesseraConf.FAIL_FIRST_ATTEMPT.name(), "true");
        Tensor[] faulty;
        try {
            faulty = run();
        } finally {
            ts.spark().conf().unset(TesseraConf.FAIL_FIRST_ATTEMPT.name());
        }
        for (int i = 0; i < clean.length; i++) {
            assertSameBits(clean[i], faulty[i]);
        }
    }
}
