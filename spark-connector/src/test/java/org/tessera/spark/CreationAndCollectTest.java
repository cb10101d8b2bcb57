package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.Tessera;

class CreationAndCollectTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void distributeThenCollectGivesBackTheSameValuesForRandomShapesAndBlocks() {
        Random r = new Random(11);
        for (int trial = 0; trial < 6; trial++) {
            int rank = 1 + r.nextInt(3);
            long[] shape = new long[rank];
            long[] block = new long[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = 1 + r.nextInt(9);
                block[d] = SharedSpark.block(r, shape[d]);
            }
            Tensor local = SharedSpark.randn(shape);
            Tensor dist = ts.distribute(local, block);
            assertEquals(Device.of("spark"), dist.device());
            assertEquals(BlockGrid.regular(Shape.of(shape), block), ts.grid(dist));
            Tensor back = ts.collect(dist);
            assertEquals(Device.CPU, back.device());
            assertArrayEquals(local.toDoubleArray(), back.toDoubleArray(), 0);
        }
    }

    @Test
    void irregularGridsAreAllowed() {
        Tensor local = Tessera.arange(0, 24, 1, DType.FLOAT64).reshape(6, 4);
        Tensor dist = ts.distribute(local, BlockGrid.of(new long[] {1, 0, 3, 2}, new long[] {3, 1}));
        assertArrayEquals(local.toDoubleArray(), dist.toDoubleArray(), 0);
        assertClose(local.mul(2).sum(1), dist.mul(2).sum(1), 0);
    }

    @Test
    void filledTensorsMatchTheLocalEngine() {
        assertArrayEquals(Tessera.zeros(DType.FLOAT64, 5, 3).toDoubleArray(),
                ts.zeros(DType.FLOAT64, new long[] {5, 3}, 2, 2).toDoubleArray(), 0);
        assertArrayEquals(Tessera.ones(5, 3).toDoubleArray(), ts.ones(DType.FLOAT32, new long[] {5, 3}, 4, 3)
                .toDoubleArray(), 0);
        Tensor full = ts.full(new long[] {4, 2}, 2.5, DType.FLOAT64, 3, 1);
        assertEquals(DType.FLOAT64, full.dtype());
        assertArrayEquals(Tessera.full(DType.FLOAT64, 2.5, 4, 2).toDoubleArray(), full.toDoubleArray(), 0);
        assertArrayEquals(Tessera.arange(3, 40, 3, DType.FLOAT64).toDoubleArray(),
                ts.arange(3, 40, 3, DType.FLOAT64, 5).toDoubleArray(), 0);
        assertArrayEquals(Tessera.arange(0, 17, 1, DType.INT64).toLongArray(),
                ts.arange(0, 17, 1, DType.INT64, 4).toLongArray());
    }

    @Test
    void randomBlocksAreSeededByTheGlobalSeedAndTheBlockIndex() {
        Tessera.manualSeed(7);
        Tensor a = ts.randn(DType.FLOAT64, new long[] {9, 5}, 4, 2);
        Tessera.manualSeed(7);
        Tensor b = ts.randn(DType.FLOAT64, new long[] {9, 5}, 4, 2);
        Tensor c = ts.randn(DType.FLOAT64, new long[] {9, 5}, 4, 2);
        double[] av = a.toDoubleArray();
        assertArrayEquals(av, b.toDoubleArray(), 0);
        assertArrayEquals(av, a.toDoubleArray(), 0, "recomputing the blocks gives the same bytes");
        assertFalse(java.util.Arrays.equals(av, c.toDoubleArray()));
        // blocks differ from each other
        assertTrue(av[0] != av[4 * 5]);
        double[] u = ts.rand(DType.FLOAT64, new long[] {2000}, 300).toDoubleArray();
        double mean = java.util.Arrays.stream(u).average().orElse(0);
        assertTrue(java.util.Arrays.stream(u).allMatch(v -> v >= 0 && v < 1));
        assertEquals(0.5, mean, 0.05);
        double[] n = ts.randn(DType.FLOAT64, new long[] {4000}, 700).toDoubleArray();
        assertEquals(0, java.util.Arrays.stream(n).average().orElse(1), 0.1);
    }

    @Test
    void toDeviceDistributesAndBack() {
        Tensor local = SharedSpark.randn(7, 3);
        Tensor d = local.to(ts.device());
        assertEquals(ts.device(), d.device());
        assertArrayEquals(local.toDoubleArray(), d.cpu().toDoubleArray(), 0);
        assertTrue(d.toString().startsWith("tensor("));
    }

    @Test
    void collectAboveTheLimitFailsNamingTheSetting() {
        Tensor d = ts.zeros(DType.FLOAT64, new long[] {64, 4}, 16, 4);
        ts.spark().conf().set(TesseraConf.COLLECT_MAX_BYTES.name(), "1k");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, d::toDoubleArray);
            assertTrue(e.getMessage().contains("spark.tessera.collect.maxBytes"), e.getMessage());
            assertEquals(0, d.sum().item(), "a reduction to a small result is still allowed");
        } finally {
            ts.spark().conf().unset(TesseraConf.COLLECT_MAX_BYTES.name());
        }
    }

    @Test
    void blocksAboveTheLimitAreRefusedOnTheDriverNamingTheSetting() {
        ts.spark().conf().set(TesseraConf.BLOCK_MAX_BYTES.name(), "1k");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ts.zeros(DType.FLOAT64, new long[] {100, 100}, 50, 50));
            assertTrue(e.getMessage().contains("spark.tessera.block.maxBytes"), e.getMessage());
        } finally {
            ts.spark().conf().unset(TesseraConf.BLOCK_MAX_BYTES.name());
        }
    }

    @Test
    void defaultGridsFollowTheTargetBlockSize() {
        ts.spark().conf().set(TesseraConf.BLOCK_TARGET_BYTES.name(), "800");
        try {
            Tensor d = ts.zeros(DType.FLOAT64, new long[] {100, 10});
            BlockGrid g = ts.grid(d);
            assertEquals(10, g.chunk(0, 0), "100 doubles per block: 10 rows of 10");
            assertEquals(1, g.numChunks(1));
        } finally {
            ts.spark().conf().unset(TesseraConf.BLOCK_TARGET_BYTES.name());
        }
    }
}
