package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.spark.SharedSpark.assertClose;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Distributed tensors whose grids have empty chunks (a slice or a mask that leaves a partition
 * without elements, even along a dim of size 1), parts joined along the partition dim after the
 * same shuffle, and sources cut into blocks: each against the local engine on the same values.
 */
class EmptyChunksAndJoinsTest {
    private final TesseraSession ts = SharedSpark.session();

    private static final Tensor M = Tessera.tensor(new double[][] {{1, 2}, {3, 4}, {5, 6}, {7, 8}}, DType.FLOAT64);

    @Test
    void partsReCutByTheSameShuffleAreAppendedNotMerged() {
        Tensor v = Tessera.tensor(new double[] {1, 2, 3, 4, 5}, DType.FLOAT64);
        Tensor r = ts.rechunk(ts.distribute(v, 5), 2); // a shuffle: both parts below share its partitioner
        Tensor c = Tessera.cat(r, r.mul(10));
        Tensor expected = Tessera.cat(v, v.mul(10));
        assertEquals(ts.grid(c).numChunks(0), ts.blocks(c).getNumPartitions(), "one partition per chunk");
        assertClose(expected, c, 0);
        assertClose(expected.add(1), c.add(1), 0);
        assertClose(expected.mul(expected), c.mul(c), 0);
        Tensor x = ts.distribute(Tessera.tensor(new double[][] {{1, 2, 3}}, DType.FLOAT64), 1, 2).flatten();
        assertClose(Tessera.cat(x.cpu(), x.cpu().mul(2)).mul(3), Tessera.cat(x, x.mul(2)).mul(3), 0);
    }

    @Test
    void aChainOverASliceThatEmptiesAPartitionReadsOnlyTheSlice() {
        Tensor d = ts.distribute(M, 2, 2);
        Tensor s = d.get("2:3"); // one row: chunks [0, 1] along a dim of size 1
        Tensor local = M.get("2:3");
        assertClose(local.exp().sum(0, true), s.exp().sum(0, true), 1e-15);
        assertClose(local.softmax(0), s.softmax(0), 0);
        assertClose(local.sub(local.amax(new int[] {0}, true)).exp(), s.sub(s.amax(new int[] {0}, true)).exp(), 0);
        Tensor row = Tessera.tensor(new double[][] {{10, 20}}, DType.FLOAT64);
        assertClose(local.add(row).exp().sum(0, true), s.add(row).exp().sum(0, true), 1e-15);
        assertClose(local.add(row).mul(2), s.add(row).mul(2), 0);
    }

    @Test
    void maxAndMinOverPartitionsSkipEmptyChunks() {
        Tensor x = Tessera.arange(1, 13, 1, DType.FLOAT64).neg().reshape(6, 2); // every value below 0
        Tensor d = ts.distribute(x, 2, 2);
        assertClose(x.get("0:2").max(0).values(), d.get("0:2").max(0).values(), 0);
        assertClose(x.get("0:2").amax(new int[] {0}, false), d.get("0:2").amax(new int[] {0}, false), 0);
        assertEquals(x.get("0:2").max().item(), d.get("0:2").max().item());
        assertEquals(x.neg().get("4:").min().item(), d.neg().get("4:").min().item());
        assertEquals(x.get(x.lt(-8.5)).max().item(), d.get(d.lt(-8.5)).max().item());
        assertEquals(x.neg().get(x.lt(-8.5)).min().item(), d.neg().get(d.lt(-8.5)).min().item());
        assertClose(x.get("0:2").sum(0), d.get("0:2").sum(0), 0);
        assertClose(x.get("0:2").prod(0, false), d.get("0:2").prod(0, false), 0);
    }

    @Test
    void aMaskOverASliceWithAnEmptyChunkSelectsWhatTheLocalEngineSelects() {
        Tensor v = Tessera.tensor(new long[] {5, 7, 9}, DType.INT64);
        Tensor s = ts.distribute(v, 2).get("1:2");
        Tensor local = v.get("1:2");
        Tensor sel = s.get(s.gt(0));
        assertEquals(local.get(local.gt(0)).shape(), sel.shape());
        assertArrayEquals(new long[] {7}, sel.cpu().toLongArray());
    }

    @Test
    void blocksOfARangeHoldTheLocalRangesValues() {
        for (DType t : new DType[] {DType.INT64, DType.INT32, DType.FLOAT32, DType.FLOAT64}) {
            // an integer dtype truncates start, end and step (PyTorch: arange(0, 9, 1.5, dtype=int64) is 0..8,
            // with dtype=int32 0..5: the int32 count comes from the values as given)
            assertClose(Tessera.arange(0, 9, 1.5, t), ts.arange(0, 9, 1.5, t, 2), 0);
            assertClose(Tessera.arange(-1.5, 20, 2.5, t), ts.arange(-1.5, 20, 2.5, t, 4), 0);
            if (t.isFloatingPoint()) { // 0.3 and 0.7 are 0 as integers: refused as in PyTorch
                assertClose(Tessera.arange(-1, 2, 0.3, t), ts.arange(-1, 2, 0.3, t, 4), 0);
                assertClose(Tessera.arange(0.1, 100, 0.7, t), ts.arange(0.1, 100, 0.7, t, 7), 0);
            }
        }
        assertEquals(9, ts.arange(0, 9, 1.5, DType.INT64, 2).numel());
        assertEquals(6, ts.arange(0, 9, 1.5, DType.INT32, 2).numel());
        assertArrayEquals(new long[] {(1L << 53) + 1, (1L << 53) + 2},
                ts.arange((1L << 53) + 1, (1L << 53) + 3, 1, DType.INT64, 1).cpu().toLongArray());
    }

    @Test
    void distributedFillsRefuseValuesTheDtypeCannotHoldAsTheLocalOnesDo() {
        // Tessera.full(INT32, 1L << 40) is refused; the distributed fill used to wrap it to 0
        for (Number v : new Number[] {1L << 40, Double.NaN, 1e40}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ts.full(new long[] {2, 3}, v, DType.INT32, 1, 3));
            assertTrue(e.getMessage().contains("without overflow"), e.getMessage());
            Tensor d = ts.distribute(Tessera.zeros(DType.INT32, 2, 3), 1, 3);
            assertThrows(IllegalArgumentException.class, () -> Tessera.fullLike(d, v));
        }
        assertThrows(IllegalArgumentException.class, () -> ts.full(new long[] {4}, 1e40, DType.FLOAT32, 2));
        assertArrayEquals(new long[] {7, 7}, ts.full(new long[] {2}, 7, DType.INT64, 1).cpu().toLongArray());
    }

    @Test
    void randomSourcesOfANonFloatingDtypeAreRefusedAtTheCall() {
        int before = SharedSpark.jobsStarted();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ts.rand(DType.INT64, new long[] {5, 3}, 2, 3));
        assertTrue(e.getMessage().contains("rand: dtype must be floating, got int64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ts.randn(DType.BOOL, new long[] {5}, 2));
        assertTrue(e.getMessage().contains("randn: dtype must be floating, got bool"), e.getMessage());
        assertEquals(before, SharedSpark.jobsStarted(), "no job");
    }
}
