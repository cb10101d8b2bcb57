package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

class ElementwiseTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void binaryOpsOnTheSameGridMatchTheLocalEngine() {
        Random r = new Random(3);
        for (int trial = 0; trial < 3; trial++) {
            long n = 2 + r.nextInt(12);
            long m = 1 + r.nextInt(7);
            long[] block = {SharedSpark.block(r, n), SharedSpark.block(r, m)};
            Tensor a = SharedSpark.randn(n, m);
            Tensor b = SharedSpark.randn(n, m).abs().add(0.5);
            Tensor da = ts.distribute(a, block);
            Tensor db = ts.distribute(b, block);
            assertClose(a.add(b), da.add(db), 0);
            assertClose(a.sub(b), da.sub(db), 0);
            assertClose(a.mul(b), da.mul(db), 0);
            assertClose(a.div(b), da.div(db), 0);
            assertClose(b.pow(a), db.pow(da), 1e-15);
            assertClose(a.maximum(b), da.maximum(db), 0);
            assertClose(a.gt(b).to(DType.FLOAT64), da.gt(db).to(DType.FLOAT64), 0);
            assertClose(Tessera.where(a.gt(0), a, b), Tessera.where(da.gt(0), da, db), 0);
        }
    }

    @Test
    void unaryChainsMatchTheLocalEngine() {
        Tensor a = SharedSpark.randn(9, 4);
        Tensor d = ts.distribute(a, 4, 3);
        assertClose(a.exp().add(1).log(), d.exp().add(1).log(), 1e-15);
        assertClose(a.tanh().neg().abs().sqrt(), d.tanh().neg().abs().sqrt(), 1e-15);
        assertClose(a.relu().mul(a.sigmoid()).sin().cos(), d.relu().mul(d.sigmoid()).sin().cos(), 1e-15);
        assertClose(a.clamp(-0.5, 0.5), d.clamp(-0.5, 0.5), 0);
        assertClose(a.to(DType.FLOAT32), d.to(DType.FLOAT32), 0);
    }

    @Test
    void differentlyChunkedOperandsAreRechunkedToTheFirstOnesGrid() {
        Tensor a = SharedSpark.randn(11, 6);
        Tensor b = SharedSpark.randn(11, 6);
        Tensor da = ts.distribute(a, 4, 6);
        Tensor db = ts.distribute(b, 3, 4);
        Tensor sum = da.add(db);
        assertClose(a.add(b), sum, 0);
        assertEquals(ts.grid(da), ts.grid(sum));
        assertTrue(ts.explain(da.mul(db)).contains("re-chunked (shuffle)"));
    }

    @Test
    void localOperandsAreBroadcast() {
        Tensor a = SharedSpark.randn(10, 5);
        Tensor d = ts.distribute(a, 3, 2);
        Tensor row = SharedSpark.randn(5);
        Tensor col = SharedSpark.randn(10, 1);
        Tensor big = SharedSpark.randn(10, 5);
        assertClose(a.add(row), d.add(row), 0);
        assertClose(row.sub(a), row.sub(d), 0);
        assertClose(a.mul(col), d.mul(col), 0);
        assertClose(a.div(big), d.div(big), 0);
        assertClose(a.mul(3).add(1), d.mul(3).add(1), 0);
        // a distributed column broadcast against a distributed matrix (same row chunks)
        Tensor dc = ts.distribute(col, 3, 1);
        assertClose(a.sub(col), d.sub(dc), 0);
        // a local operand that broadcasts the distributed one up: [10, 1] x [1, 5] -> [10, 5]
        assertClose(col.mul(row.reshape(1, 5)), dc.mul(row.reshape(1, 5)), 0);
    }

    @Test
    void aChainOfElementwiseOpsIsOneFusedNarrowStage() {
        Tensor a = ts.distribute(SharedSpark.randn(8, 3), 3, 3);
        Tensor b = ts.distribute(SharedSpark.randn(8, 3), 3, 3);
        Tensor c = ts.distribute(SharedSpark.randn(8, 3), 3, 3);
        Tensor out = a.mul(b).add(c).relu();
        String plan = ts.explain(out);
        assertEquals(1, plan.lines().filter(l -> l.contains("fused")).count(), plan);
        assertTrue(plan.contains("3 distributed inputs"), plan);
        out.realize();
        String lineage = ts.blocks(out).toDebugString();
        assertFalse(lineage.contains("ShuffledRDD"), "co-partitioned inputs are not shuffled:\n" + lineage);
    }

    @Test
    void shapeMismatchesFailOnTheDriverBeforeAnyJob() {
        Tensor a = ts.distribute(SharedSpark.randn(6, 3), 2, 3);
        Tensor b = ts.distribute(SharedSpark.randn(6, 4), 2, 4);
        int before = SharedSpark.jobsStarted();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("[6, 3]") && e.getMessage().contains("[6, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.matmul(b));
        assertThrows(IllegalArgumentException.class, () -> a.add(Tessera.ones(5)));
        ts.explain(a.add(1).sum());
        assertEquals(before, SharedSpark.jobsStarted(), "neither a bad op nor explain() runs a job");
    }
}
