package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;

class ReductionTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void reductionsOverAllElementsMatchTheLocalEngine() {
        Random r = new Random(5);
        for (int trial = 0; trial < 3; trial++) {
            long n = 3 + r.nextInt(20);
            long m = 1 + r.nextInt(6);
            Tensor a = SharedSpark.randn(n, m);
            Tensor d = ts.distribute(a, SharedSpark.block(r, n), SharedSpark.block(r, m));
            assertClose(a.sum(), d.sum(), 1e-13);
            assertClose(a.mean(), d.mean(), 1e-13);
            assertClose(a.max(), d.max(), 0);
            assertClose(a.min(), d.min(), 0);
            assertClose(a.abs().add(0.5).prod(), d.abs().add(0.5).prod(), 1e-12);
            assertEquals(a.argmax().longItem(), d.argmax().longItem());
        }
    }

    @Test
    void reductionsAlongEachDimMatchTheLocalEngine() {
        Tensor a = SharedSpark.randn(7, 5, 4);
        Tensor d = ts.distribute(a, 3, 2, 3);
        for (int dim = 0; dim < 3; dim++) {
            assertClose(a.sum(dim), d.sum(dim), 1e-13);
            assertClose(a.sum(dim, true), d.sum(dim, true), 1e-13);
            assertClose(a.mean(dim), d.mean(dim), 1e-13);
            assertClose(a.amax(new int[] {dim}, false), d.amax(new int[] {dim}, false), 0);
            ValuesIndices lv = a.max(dim);
            ValuesIndices dv = d.max(dim);
            assertClose(lv.values(), dv.values(), 0);
            assertArrayEquals(lv.indices().toLongArray(), dv.indices().toLongArray());
            assertArrayEquals(a.argmin(dim, false).toLongArray(), d.argmin(dim, false).toLongArray());
        }
        assertClose(a.sum(new int[] {0, 2}, false), d.sum(new int[] {0, 2}, false), 1e-13);
        assertClose(a.sum(new int[] {1, 2}, true), d.sum(new int[] {1, 2}, true), 1e-13);
    }

    @Test
    void reducingThePartitionDimOfASinglePartitionTensorDropsIt() {
        Tensor a = SharedSpark.randn(6, 4);
        Tensor d = ts.distribute(a, 6, 2);
        assertClose(a.sum(0), d.sum(0), 1e-13);
        assertClose(a.mean(0), d.mean(0), 1e-13);
        assertClose(a.sum(0, true), d.sum(0, true), 1e-13);
        assertArrayEquals(a.argmax(0, false).toLongArray(), d.argmax(0, false).toLongArray());
    }

    @Test
    void aFullReductionIsALocalScalarComputedAsATree() {
        ts.spark().conf().set(TesseraConf.REDUCE_FAN_IN.name(), "2");
        ts.spark().conf().set(TesseraConf.REDUCE_DRIVER_MERGE_BYTES.name(), "1");
        try {
            Tensor a = SharedSpark.randn(40, 3);
            Tensor d = ts.distribute(a, 4, 3);
            Tensor s = d.sum();
            assertTrue(ts.explain(s).contains("tree of fan-in 2 across 10 partitions"), ts.explain(s));
            assertClose(a.sum(), s, 1e-13);
            assertEquals(Device.of("spark"), s.device());
            assertEquals(-1, ts.partitionDim(s), "held on the driver");
            double first = s.item();
            for (int i = 0; i < 3; i++) {
                assertEquals(Double.doubleToLongBits(first), Double.doubleToLongBits(d.sum().item()),
                        "the tree combines in a fixed order");
            }
        } finally {
            ts.spark().conf().unset(TesseraConf.REDUCE_FAN_IN.name());
            ts.spark().conf().unset(TesseraConf.REDUCE_DRIVER_MERGE_BYTES.name());
        }
    }

    @Test
    void smallPartialsAreMergedOnTheDriverInOneStep() {
        Tensor a = SharedSpark.randn(40, 3);
        Tensor d = ts.distribute(a, 4, 3);
        Tensor s = d.sum();
        assertTrue(ts.explain(s).contains("merged on the driver (10 small partials)"), ts.explain(s));
        assertClose(a.sum(), s, 1e-13);
    }

    @Test
    void reducingTheNonPartitionedDimStaysDistributed() {
        Tensor a = SharedSpark.randn(9, 8);
        Tensor d = ts.distribute(a, 2, 3);
        Tensor rowSums = d.sum(1);
        assertEquals(0, ts.partitionDim(rowSums));
        assertArrayEquals(new long[] {2, 2, 2, 2, 1}, ts.grid(rowSums).chunks(0));
        assertClose(a.sum(1), rowSums, 1e-13);
    }

    @Test
    void aLargeReductionOverThePartitionDimStaysDistributed() {
        ts.spark().conf().set(TesseraConf.BROADCAST_THRESHOLD_BYTES.name(), "16");
        try {
            Tensor a = SharedSpark.randn(11, 9, 4);
            Tensor d = ts.distribute(a, 3, 2, 3);
            Tensor s = d.sum(0);
            String plan = ts.explain(s);
            assertTrue(plan.contains("summed across 4 partitions by a shuffle"), plan);
            assertEquals(0, ts.partitionDim(s), "the widest kept dim (9 in chunks of 2) partitions the result");
            assertClose(a.sum(0), s, 1e-13);
            assertClose(a.sum(0, true), d.sum(0, true), 1e-13);
            assertClose(a.amax(new int[] {0}, false), d.amax(new int[] {0}, false), 0);
            assertClose(a.mean(new int[] {0, 2}, false), d.mean(new int[] {0, 2}, false), 1e-13);
            Tensor first = s.cpu();
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(first.toDoubleArray(), d.sum(0).cpu().toDoubleArray(),
                        "partials are summed in partition order");
            }
        } finally {
            ts.spark().conf().unset(TesseraConf.BROADCAST_THRESHOLD_BYTES.name());
        }
    }

    @Test
    void aReductionTooLargeToCollectStaysDistributedWhateverTheBroadcastThreshold() {
        ts.spark().conf().set(TesseraConf.COLLECT_MAX_BYTES.name(), "64");
        try {
            Tensor a = SharedSpark.randn(10, 12);
            Tensor d = ts.distribute(a, 3, 4);
            Tensor s = d.mul(2).sum(0); // 96 bytes: under the default broadcast threshold, over the collect limit
            String plan = ts.explain(s);
            assertTrue(plan.contains("stays distributed"), plan);
            ts.spark().conf().unset(TesseraConf.COLLECT_MAX_BYTES.name());
            assertClose(a.mul(2).sum(0), s, 1e-13);
        } finally {
            ts.spark().conf().unset(TesseraConf.COLLECT_MAX_BYTES.name());
        }
    }

    @Test
    void aReductionOfAnElementwiseChainConsumesItsBlocksWithoutStoringThem() {
        Tensor a = SharedSpark.randn(13, 7);
        Tensor b = SharedSpark.randn(7);
        Tensor d = ts.distribute(a, 4, 3);
        Tensor chain = d.mul(3).add(b).relu();
        String plan = ts.explain(chain.sum(0));
        assertTrue(plan.contains("fused into the reduction"), plan);
        Tensor expectedChain = a.mul(3).add(b).relu();
        assertClose(expectedChain.sum(0), chain.sum(0), 1e-13);
        assertClose(expectedChain.sum(), chain.sum(), 1e-13);
        assertClose(expectedChain.amax(new int[] {1}, true), chain.amax(new int[] {1}, true), 0);
        assertClose(expectedChain.square().mean(), d.mul(3).add(b).relu().square().mean(), 1e-13);
        double first = d.mul(3).add(b).relu().sum().item();
        assertEquals(first, d.mul(3).add(b).relu().sum().item(), 0.0, "bit-identical from run to run");
    }

    @Test
    void foldedMultiplyAddReluChainsMatchTheLocalEngineOnBlocksCutAlongEveryDim() {
        // float32 with constant operands: the chains each task runs as one folded loop (and sums as computed)
        Tensor a = Tessera.randn(new org.tessera.Generator(41), DType.FLOAT32, 9, 7, 5).realize();
        Tensor d = SharedSpark.splitEveryDim(a);
        java.util.List<java.util.function.UnaryOperator<Tensor>> chains = java.util.List.of(
                t -> t.mul(3).add(1).relu(), t -> t.sub(0.5).mul(2), t -> t.add(-0.25).relu(), t -> t.mul(-2).sub(1));
        for (java.util.function.UnaryOperator<Tensor> chain : chains) {
            Tensor local = chain.apply(a);
            SharedSpark.assertSameBits(local.realize(), chain.apply(d).realize());
            assertClose(local.sum(), chain.apply(d).sum(), 1e-6);
            for (int dim = 0; dim < 3; dim++) {
                assertClose(local.sum(dim), chain.apply(d).sum(dim), 1e-6);
            }
        }
    }

    @Test
    void consumersOfARandomSourceGenerateItsBlocksInTheirTasks() {
        for (DType t : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            // an irregular last block in both dims
            Tensor x = ts.randn(t, new long[] {40, 6}, 7, 4);
            Tensor u = ts.rand(t, new long[] {40, 6}, 7, 4);
            String plan = ts.explain(x.square().add(u).sum(1));
            assertTrue(plan.contains("$0 generated in each task") && plan.contains("$1 generated in each task")
                    && plan.contains("fused into the reduction"), plan);
            assertTrue(ts.explain(x.sum()).contains("generated in each task"), ts.explain(x.sum()));
            // the source's own blocks, read back from its RDD
            Tensor lx = Tessera.tensor(x.toDoubleArray(), t).reshape(40, 6);
            Tensor lu = Tessera.tensor(u.toDoubleArray(), t).reshape(40, 6);
            // a stored region made from generated blocks holds the very same values
            assertArrayEquals(lx.mul(2).add(lu).toDoubleArray(), x.mul(2).add(u).toDoubleArray(), 0.0, t.toString());
            assertClose(lx.square().add(lu).sum(1), x.square().add(u).sum(1), 1e-6);
            assertClose(lx.sum(0), x.sum(0), 1e-6);
            assertClose(lx.square().mean(), x.square().mean(), 1e-6);
            assertClose(lx.max(), x.max(), 0);
        }
        Tensor r = ts.arange(0, 300, 1, DType.INT64, 70);
        assertTrue(ts.explain(r.mul(3).sum()).contains("generated in each task"));
        assertEquals(3 * 299 * 300 / 2, r.mul(3).sum().longItem());
        assertArrayEquals(Tessera.arange(0, 300, 1, DType.INT64).mul(3).toLongArray(),
                r.mul(3).toLongArray());
    }

    @Test
    void aPersistedSourceIsReadFromItsBlocks() {
        Tensor x = ts.persist(ts.randn(DType.FLOAT64, new long[] {30, 5}, 8, 5));
        String plan = ts.explain(x.square().sum());
        assertTrue(!plan.contains("generated in each task") && plan.contains("fused into the reduction"), plan);
        Tensor lx = Tessera.tensor(x.toDoubleArray(), DType.FLOAT64).reshape(30, 5);
        assertClose(lx.square().sum(), x.square().sum(), 1e-13);
        ts.unpersist(x);
    }
}
