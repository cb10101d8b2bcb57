package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tessera.Shape;

/** Broadcast strides and the merging of dims that kernels walk contiguously. */
class GeometryTest {
    @Test
    void broadcastStridesAreZeroWhereTheInputHasSizeOneOrIsMissing() {
        assertArrayEquals(new long[] {0, 0, 1}, Geometry.broadcastStrides(Shape.of(1, 3), new long[] {3, 1},
                Shape.of(2, 4, 3)));
        assertArrayEquals(new long[] {5, 0}, Geometry.broadcastStrides(Shape.of(4, 1), new long[] {5, 1},
                Shape.of(4, 7)));
    }

    @Test
    void contiguousOperandsMergeIntoOneDim() {
        Geometry.Merged m = Geometry.merge(new long[] {2, 3, 4}, new long[] {12, 4, 1}, new long[] {12, 4, 1});
        assertArrayEquals(new long[] {24}, m.shape());
        assertArrayEquals(new long[] {1}, m.strides()[1]);
    }

    @Test
    void aTransposedOperandKeepsItsDimsApart() {
        Geometry.Merged m = Geometry.merge(new long[] {3, 4}, new long[] {4, 1}, new long[] {1, 3});
        assertArrayEquals(new long[] {3, 4}, m.shape());
        assertArrayEquals(new long[] {1, 3}, m.strides()[1]);
    }

    @Test
    void sizeOneDimsDropAndBroadcastDimsMerge() {
        Geometry.Merged m = Geometry.merge(new long[] {1, 5, 6, 1, 7}, new long[] {210, 42, 7, 7, 1},
                new long[] {0, 0, 0, 0, 1});
        assertArrayEquals(new long[] {30, 7}, m.shape());
        assertArrayEquals(new long[] {0, 1}, m.strides()[1]);
        assertEquals(0, Geometry.merge(new long[] {1, 1}, new long[] {1, 1}).rank());
    }

    @Test
    void ranksAboveTheKernelLimitMergeWhenContiguous() {
        long[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
        long[] st = Geometry.contiguous(shape);
        assertEquals(1, Geometry.merge(shape, st, st).rank());
    }
}
