package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.tessera.spark.SharedSpark.assertClose;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tessera.Tensor;

class MovementAndMaskTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void transposeAndPermuteReKeyBlocksWithoutAShuffle() {
        Tensor a = SharedSpark.randn(7, 5, 3);
        Tensor d = ts.distribute(a, 3, 2, 2);
        Tensor t = d.transpose(0, 2);
        assertClose(a.transpose(0, 2), t, 0);
        assertEquals(2, ts.partitionDim(t), "the partition dim moves with its data");
        assertFalse(ts.blocks(t).toDebugString().contains("ShuffledRDD"));
        assertClose(a.permute(1, 2, 0), d.permute(1, 2, 0), 0);
        Tensor m = ts.distribute(SharedSpark.randn(6, 4), 4, 3);
        assertClose(m.cpu().t(), m.t(), 0);
        assertClose(m.cpu().t().add(1), m.t().add(1), 0);
    }

    @Test
    void slicingAlongAnyDimMatchesTheLocalEngine() {
        Random r = new Random(9);
        Tensor a = SharedSpark.randn(13, 8);
        Tensor d = ts.distribute(a, 5, 3);
        assertClose(a.get("2:11:3, :"), d.get("2:11:3, :"), 0);
        assertClose(a.get(":, 1:7:2"), d.get(":, 1:7:2"), 0);
        assertClose(a.get(":, 0"), d.get(":, 0"), 0);
        assertClose(a.get("4"), d.get("4"), 0);
        assertClose(a.get("-3:, -5:-1"), d.get("-3:, -5:-1"), 0);
        for (int trial = 0; trial < 4; trial++) {
            int dim = r.nextInt(2);
            long size = a.size(dim);
            long start = r.nextInt((int) size);
            long stop = start + 1 + r.nextInt((int) (size - start));
            long step = 1 + r.nextInt(3);
            assertClose(a.slice(dim, start, stop, step), d.slice(dim, start, stop, step), 0);
            assertClose(a.slice(dim, start, stop, step).mul(2).sum(dim), d.slice(dim, start, stop, step).mul(2)
                    .sum(dim), 1e-13);
        }
    }

    @Test
    void booleanMasksSelectInRowMajorOrderWithAKnownShape() {
        Tensor a = SharedSpark.randn(11, 6);
        Tensor d = ts.distribute(a, 4, 4);
        Tensor sel = d.get(d.gt(0.3));
        Tensor expected = a.get(a.gt(0.3));
        assertEquals(expected.shape(), sel.shape(), "the count is known once the mask is computed");
        assertClose(expected, sel, 0);
        assertClose(expected.sum(), sel.sum(), 1e-13);
        assertClose(a.maskedFill(a.lt(0), 0), d.maskedFill(d.lt(0), 0), 0);
    }

    @Test
    void flattenAndViewRegroupWholeRows() {
        Tensor a = SharedSpark.randn(6, 4);
        Tensor d = ts.distribute(a, 3, 4);
        assertClose(a.flatten(), d.flatten(), 0);
        assertClose(a.reshape(4, 6), d.reshape(4, 6), 0);
        assertClose(a.reshape(12, 2), ts.distribute(a, 1, 3).reshape(12, 2), 0);
        assertClose(a.unsqueeze(0).unsqueeze(2), d.unsqueeze(0).unsqueeze(2), 0);
    }
}
