package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.memory.LeakCheck;

/** Realization of fused elementwise chains whose nodes are also needed by other consumers. */
@ExtendWith(LeakCheck.class)
class FusedRealizationTest {

    @Test
    void chainSharedWithAReductionIsComputedCorrectly() {
        // m is fused into the division's pass, and realized on its own for the sum
        Tensor a = Tessera.tensor(new float[][] {{1, 2}, {3, 4}});
        Tensor m = a.mul(2);
        Tensor y = m.div(m.sum(0, true));
        assertArrayEquals(new float[] {0.25f, 1f / 3, 0.75f, 2f / 3}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void chainSharedWithAMatmulIsComputedCorrectly() {
        Tensor a = Tessera.tensor(new float[][] {{1, 2}, {3, 4}});
        Tensor m = a.add(1).exp().log();
        Tensor y = m.add(m.matmul(Tessera.eye(2)));
        assertArrayEquals(new float[] {4, 6, 8, 10}, y.toFloatArray(), 1e-5f);
    }
}
