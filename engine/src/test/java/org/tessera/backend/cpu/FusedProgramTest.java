package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

class FusedProgramTest {
    @Test
    void chainStepRealizedByAnotherInputIsReadFromItsData() {
        Tensor x = Tessera.tensor(new float[] {1, 3, 2});
        // m is an inner step of the fused chain for r, and also the input of the sum c; realizing c
        // (a leaf of r's chain) realizes m first, which then forgets its inputs
        Tensor m = x.gt(1.5).to(DType.FLOAT32);
        Tensor c = m.sum();
        Tensor r = x.mul(m).div(c);
        assertArrayEquals(new float[] {0, 1.5f, 1}, r.toFloatArray());
    }
}
