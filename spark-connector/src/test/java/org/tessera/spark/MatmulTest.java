package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tessera.Tensor;

class MatmulTest {
    private final TesseraSession ts = SharedSpark.session();

    @AfterEach
    void auto() {
        ts.matmulStrategy(MatmulStrategy.AUTO);
        ts.spark().conf().unset(TesseraConf.BROADCAST_THRESHOLD_BYTES.name());
        ts.spark().conf().unset(TesseraConf.BROADCAST_MAX_BYTES.name());
    }

    @Test
    void aMidSizedOperandIsBroadcastWhenThatMovesLessThanAShuffle() {
        ts.spark().conf().set(TesseraConf.BROADCAST_THRESHOLD_BYTES.name(), "64");
        Tensor a = SharedSpark.randn(10, 8);
        Tensor b = SharedSpark.randn(8, 9);
        Tensor p = ts.distribute(a, 3, 3).matmul(ts.distribute(b, 3, 4));
        assertTrue(ts.explain(p).contains("moves less than the shuffle"), ts.explain(p));
        assertClose(a.matmul(b), p, 1e-13);
    }

    @Test
    void distributedTimesLocalBroadcastsTheLocalSide() {
        Random r = new Random(8);
        for (int trial = 0; trial < 3; trial++) {
            long n = 2 + r.nextInt(15);
            long k = 1 + r.nextInt(7);
            long m = 1 + r.nextInt(4);
            Tensor x = SharedSpark.randn(n, k);
            Tensor w = SharedSpark.randn(k, m);
            Tensor dx = ts.distribute(x, SharedSpark.block(r, n), SharedSpark.block(r, k));
            Tensor p = dx.matmul(w);
            assertTrue(ts.explain(p).contains("strategy broadcast (one operand is local): right side"), ts.explain(p));
            assertClose(x.matmul(w), p, 1e-13);
            assertClose(x.matmul(w.select(1, 0)), dx.matmul(w.select(1, 0)), 1e-13);
        }
    }

    @Test
    void localTimesDistributed() {
        Tensor a = SharedSpark.randn(3, 7);
        Tensor y = SharedSpark.randn(7, 5);
        Tensor dy = ts.distribute(y, 3, 2);
        assertClose(a.matmul(y), a.matmul(dy), 1e-13);
        Tensor dyt = ts.distribute(y.t().contiguous(), 2, 3).t();
        assertClose(a.matmul(y), a.matmul(dyt), 1e-13);
    }

    @Test
    void selfProductSumsPartialProductsPerRowBlock() {
        Tensor x = SharedSpark.randn(23, 4);
        Tensor dx = ts.distribute(x, 5, 3);
        Tensor gram = dx.t().matmul(dx);
        String plan = ts.explain(gram);
        assertTrue(plan.contains("strategy selfProduct"), plan);
        assertClose(x.t().matmul(x), gram, 1e-13);
        assertEquals(-1, ts.partitionDim(gram), "a small product is held on the driver");
    }

    @Test
    void everyStrategyGivesTheSameProductAndExplainShowsTheForcedOne() {
        Tensor a = SharedSpark.randn(9, 7);
        Tensor b = SharedSpark.randn(7, 6);
        Tensor expected = a.matmul(b);
        Tensor da = ts.distribute(a, 4, 3);
        Tensor db = ts.distribute(b, 2, 4);
        for (MatmulStrategy s : MatmulStrategy.values()) {
            ts.matmulStrategy(s);
            Tensor p = da.matmul(db);
            String plan = ts.explain(p);
            String name = s == MatmulStrategy.AUTO ? "strategy broadcast" : "strategy " + s.confValue();
            assertTrue(plan.contains(name), s + ":\n" + plan);
            assertClose(expected, p, 1e-13);
        }
    }

    @Test
    void twoLargeOperandsUseTheShuffleStrategyChosenBySize() {
        ts.spark().conf().set(TesseraConf.BROADCAST_THRESHOLD_BYTES.name(), "64");
        ts.spark().conf().set(TesseraConf.BROADCAST_MAX_BYTES.name(), "64");
        Tensor a = SharedSpark.randn(10, 8);
        Tensor b = SharedSpark.randn(8, 9);
        Tensor p = ts.distribute(a, 3, 3).matmul(ts.distribute(b, 3, 4));
        assertTrue(ts.explain(p).contains("strategy shuffle (both operands are above the broadcast threshold"),
                ts.explain(p));
        assertClose(a.matmul(b), p, 1e-13);
        assertEquals(0, ts.partitionDim(p), "rows of the product stay partitioned like the left rows");
    }

    @Test
    void aPersistedRightOperandIsReadInPlaceByEveryTask() {
        Random r = new Random(12);
        for (int trial = 0; trial < 3; trial++) {
            long n = 2 + r.nextInt(12);
            long k = 1 + r.nextInt(9);
            long m = 1 + r.nextInt(8);
            Tensor a = SharedSpark.randn(n, k);
            Tensor b = SharedSpark.randn(k, m);
            // the left and right operands cut K differently: the task joins whole panels
            Tensor da = ts.distribute(a, SharedSpark.block(r, n), SharedSpark.block(r, k));
            Tensor db = ts.persist(ts.distribute(b, SharedSpark.block(r, k), SharedSpark.block(r, m)));
            try {
                Tensor p = da.matmul(db);
                String plan = ts.explain(p);
                assertTrue(plan.contains("right side read in place from its persisted blocks"), plan);
                // what runs is what explain() said: the right blocks come by a narrow dependency
                assertTrue(ts.blocks(p).rdd().toDebugString().contains("CartesianRDD"),
                        ts.blocks(p).rdd().toDebugString());
                assertClose(a.matmul(b), p, 1e-13);
                assertEquals(0, ts.partitionDim(p), "rows of the product stay partitioned like the left rows");
                // through a transpose (a movement op) the persisted blocks are still read in place
                Tensor dbt = ts.persist(ts.distribute(b.t().contiguous(), SharedSpark.block(r, m),
                        SharedSpark.block(r, k)));
                Tensor q = da.matmul(dbt.t());
                assertTrue(ts.explain(q).contains("read in place"), ts.explain(q));
                assertTrue(ts.blocks(q).rdd().toDebugString().contains("CartesianRDD"));
                assertClose(a.matmul(b), q, 1e-13);
                ts.unpersist(dbt);
                // a computed right side goes through the driver
                Tensor c = da.matmul(db.mul(2.0));
                assertTrue(ts.explain(c).contains("right side broadcast"), ts.explain(c));
                assertFalse(ts.blocks(c).rdd().toDebugString().contains("CartesianRDD"));
                assertClose(a.matmul(b.mul(2.0)), c, 1e-13);
            } finally {
                ts.unpersist(db);
            }
        }
    }

    @Test
    void aLeftOperandSplitAlongTheInnerDimIsNotReadInPlace() {
        Tensor a = SharedSpark.randn(6, 10);
        Tensor b = SharedSpark.randn(10, 4);
        Tensor dat = ts.distribute(a.t().contiguous(), 3, 6).t();   // partitioned along K
        Tensor db = ts.persist(ts.distribute(b, 3, 4));
        try {
            Tensor p = dat.matmul(db);
            assertFalse(ts.explain(p).contains("read in place"), ts.explain(p));
            assertClose(a.matmul(b), p, 1e-13);
        } finally {
            ts.unpersist(db);
        }
    }
    @Test
    void aSelfProductOverOneInnerChunkIsLaidOutAsItClaims() {
        // K in one chunk: the one partition of partial products held every row chunk of the result
        Tensor x = org.tessera.Tessera.arange(0, 21, 1, org.tessera.DType.FLOAT64).reshape(3, 7);
        Tensor dx = ts.distribute(x, 3, 3);
        Tensor gram = dx.t().matmul(dx);
        Tensor expected = x.t().matmul(x);
        if (ts.grid(gram) != null) { // a small result is combined on the driver; a large one stays distributed
            assertEquals(ts.grid(gram).numChunks(ts.partitionDim(gram)), ts.blocks(gram).getNumPartitions());
        }
        assertClose(expected.mul(2), gram.mul(2), 0);
        assertClose(expected, gram.add(ts.distribute(org.tessera.Tessera.zeros(org.tessera.DType.FLOAT64, 7, 7), 2, 2)), 0);
        // forced, and under a gradient: v @ A's backward is the product [7, 1] @ [1, 3], K = 1
        ts.matmulStrategy(MatmulStrategy.SELF_PRODUCT);
        Tensor v = org.tessera.Tessera.arange(1, 8, 1, org.tessera.DType.FLOAT64);
        Tensor a = org.tessera.Tessera.arange(0, 21, 1, org.tessera.DType.FLOAT64).reshape(7, 3);
        Tensor g = org.tessera.Tessera.tensor(new double[] {1, 10, 100}, org.tessera.DType.FLOAT64);
        Tensor da = ts.distribute(a, 2, 2).requiresGrad(true);
        ts.distribute(v, 3).matmul(da).mul(g).sum().backward();
        assertClose(v.reshape(7, 1).matmul(g.reshape(1, 3)), da.grad(), 0);
        Tensor dv = ts.distribute(v, 3).requiresGrad(true);
        dv.matmul(dv).backward();
        assertClose(v.mul(2), dv.grad(), 0);
    }

    @Test
    void explainShowsAForcedStrategyWithALocalOperandWithoutRunningIt() {
        Tensor a = SharedSpark.randn(9, 6);
        Tensor g = SharedSpark.randn(6, 1);
        for (MatmulStrategy s : new MatmulStrategy[] {MatmulStrategy.SHUFFLE, MatmulStrategy.SELF_PRODUCT}) {
            ts.matmulStrategy(s);
            int before = SharedSpark.jobsStarted();
            String plan = ts.explain(ts.distribute(a, 3, 2).matmul(g));
            assertTrue(plan.contains("strategy " + s.confValue()), plan);
            assertEquals(before, SharedSpark.jobsStarted(), "explain runs no job");
            assertClose(a.matmul(g), ts.distribute(a, 3, 2).matmul(g), 1e-12);
        }
    }

    @Test
    void rechunkRefusesATensorWithAutogradHistory() {
        Tensor p = ts.distribute(SharedSpark.randn(6, 4), 3, 4).requiresGrad(true);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ts.rechunk(p.tanh(), 2, 2));
        assertTrue(e.getMessage().contains("rechunk: the tensor [6, 4] requires grad"), e.getMessage());
        assertClose(p.detach().tanh(), ts.rechunk(p.tanh().detach(), 2, 2), 0);
    }
}
