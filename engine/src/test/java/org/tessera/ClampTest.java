package org.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class ClampTest {
    @Test
    void gradientFlowsAtTheBoundsAsInPyTorch() {
        Tensor x = Tessera.tensor(new double[] {-1, -0.5, 0, 1, 2}).requiresGrad(true);
        x.clamp(-0.5, 1.0).sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 1, 0}, x.grad().toDoubleArray());
    }

    @Test
    void clampKeepsNaN() {
        Tensor x = Tessera.tensor(new float[] {Float.NaN, -3, 3});
        assertArrayEquals(new float[] {Float.NaN, -1, 1}, x.clamp(-1, 1).toFloatArray());
    }
}
