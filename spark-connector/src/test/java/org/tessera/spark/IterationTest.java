package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;

class IterationTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void gradientDescentWithALocalParameterMatchesTheLocalEngine() {
        Tensor x = SharedSpark.randn(60, 4);
        Tensor trueW = Tessera.tensor(new double[][] {{1}, {-2}, {0.5}, {3}}, DType.FLOAT64);
        Tensor y = x.matmul(trueW);
        Tensor dx = ts.persist(ts.distribute(x, 13, 4));
        Tensor dy = ts.persist(ts.distribute(y, 13, 1));
        Tensor w = Tessera.zeros(DType.FLOAT64, 4, 1).requiresGrad(true);
        Tensor wl = Tessera.zeros(DType.FLOAT64, 4, 1).requiresGrad(true);
        double first = 0;
        double last = 0;
        for (int i = 0; i < 30; i++) {
            Tensor loss = dx.matmul(w).sub(dy).square().mean();
            Tensor lossL = x.matmul(wl).sub(y).square().mean();
            loss.backward();
            lossL.backward();
            last = loss.item();
            first = i == 0 ? last : first;
            w = w.sub(w.grad().mul(0.1)).detach().requiresGrad(true);
            wl = wl.sub(wl.grad().mul(0.1)).detach().requiresGrad(true);
        }
        assertTrue(last < first / 100, "the loss fell from " + first + " to " + last);
        assertClose(wl, w, 1e-9);
    }

    @Test
    void checkpointingADistributedParameterKeepsLineageAndMemoryBoundedOverAHundredIterations() {
        Tensor target = SharedSpark.randn(2000, 30);
        Tensor dt = ts.persist(ts.distribute(target, 600, 20));
        Tensor v = ts.checkpoint(ts.zeros(DType.FLOAT64, new long[] {2000, 30}, 600, 20)).requiresGrad(true);
        Tensor vl = Tessera.zeros(DType.FLOAT64, 2000, 30).requiresGrad(true);
        int lineageAt5 = 0;
        long offHeapAt20 = 0;
        for (int i = 0; i < 100; i++) {
            v.sub(dt).square().sum().backward();
            vl.sub(target).square().sum().backward();
            Tensor next;
            try (var ignored = Tessera.noGrad()) {
                next = v.sub(v.grad().mul(0.25));
            }
            v = ts.checkpoint(next).requiresGrad(true);
            vl = vl.sub(vl.grad().mul(0.25)).detach().requiresGrad(true);
            int lineage = lineageSize(ts.blocks(v).rdd());
            if (i == 5) {
                lineageAt5 = lineage;
            }
            if (i > 5) {
                assertEquals(lineageAt5, lineage, "iteration " + i + ": the lineage does not grow");
            }
            if (i == 20) {
                offHeapAt20 = settledOffHeap();
            }
        }
        long offHeapAt100 = settledOffHeap();
        // earlier iterations' blocks must be released: 80 more iterations may not keep 80 copies
        long perIteration = 2000 * 30 * 8;
        assertTrue(offHeapAt100 - offHeapAt20 < 10 * perIteration,
                "off-heap memory grew from " + offHeapAt20 + " to " + offHeapAt100 + " bytes over 80 iterations");
        assertClose(vl, v, 1e-9);
        assertClose(target, v, 1e-3);
    }

    /**
     * The number of RDDs the tensor's blocks depend on (itself included). Counted on the
     * dependency graph rather than on toDebugString(), whose lines also report cached partitions
     * and so change with the cache's state.
     */
    private static int lineageSize(org.apache.spark.rdd.RDD<?> root) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        java.util.ArrayDeque<org.apache.spark.rdd.RDD<?>> todo = new java.util.ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            org.apache.spark.rdd.RDD<?> r = todo.pop();
            if (seen.add(r.id())) {
                scala.jdk.javaapi.CollectionConverters.asJava(r.dependencies()).forEach(d -> todo.push(d.rdd()));
            }
        }
        return seen.size();
    }

    /**
     * Off-heap bytes once the garbage collector and Spark's context cleaner (which drops the
     * blocks of unreachable RDDs asynchronously) have caught up: collected until the figure stops
     * falling, for at most about three seconds.
     */
    private static long settledOffHeap() {
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 30; round++) {
            org.tessera.memory.Memory.reclaim();
            long now = org.tessera.memory.Memory.allocatedBytes();
            if (now >= best && round >= 2) {
                return best;
            }
            best = Math.min(best, now);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return best;
    }

    @Test
    void scopesStillWorkAroundDistributedWork() {
        try (Scope s = Tessera.scope()) {
            Tensor d = ts.distribute(SharedSpark.randn(5, 2), 2, 2);
            assertEquals(10, d.mul(0).add(1).sum().item(), 0);
        }
    }
}
