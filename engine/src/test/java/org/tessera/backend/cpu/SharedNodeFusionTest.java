package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.tessera.Tensor;
import org.tessera.Tessera;

class SharedNodeFusionTest {
    @Test
    void aChainNodeAlsoNeededByAReductionIsReadOnceRealized() {
        Tensor a = Tessera.tensor(new double[] {0, 1, 2});
        Tensor x = a.mul(2);
        Tensor z = x.add(x.sum());
        assertArrayEquals(new double[] {6, 8, 10}, z.toDoubleArray(), 0);
    }
}
