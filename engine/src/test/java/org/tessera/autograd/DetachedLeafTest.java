package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tessera.Tensor;
import org.tessera.Tessera;

class DetachedLeafTest {
    @Test
    void detachedTensorCanRequireGradAndReceivesGradient() {
        Tensor x = Tessera.tensor(new double[] {1, 2, 3}).requiresGrad(true);
        Tensor d = x.mul(2).detach().requiresGrad(true);
        assertTrue(d.isLeaf());
        d.mul(d).sum().backward();
        assertArrayEquals(new double[] {4, 8, 12}, d.grad().toDoubleArray(), 0);
    }
}
