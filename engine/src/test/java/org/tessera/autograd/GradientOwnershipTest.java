package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.memory.LeakCheck;

/**
 * A leaf's gradient is a tensor of its own, as in PyTorch: writing into one gradient changes no
 * other gradient, no upstream tensor and no constant, and a leaf made by a constant creation
 * ({@code ones}, {@code full}) gets its gradient through a cast like any other leaf. Expected
 * values are PyTorch's for the same programs.
 */
@ExtendWith(LeakCheck.class)
class GradientOwnershipTest {
    @Test
    void aGradientThatIsABroadcastOfTheSeedIsACopy() {
        Tensor x = Tessera.tensor(new float[] {1, 2, 3}).requiresGrad(true);
        x.sum().backward();
        x.grad().set(5, 0);
        assertArrayEquals(new float[] {5, 1, 1}, x.grad().toFloatArray());
    }

    @Test
    void twoLeavesGivenTheSameGradientGetACopyEach() {
        Tensor a = Tessera.tensor(new float[] {1, 2, 3}).requiresGrad(true);
        Tensor b = Tessera.tensor(new float[] {4, 5, 6}).requiresGrad(true);
        Tensor c = Tessera.tensor(new float[] {1, 2, 3});
        a.add(b).mul(c).sum().backward();
        a.grad().set(100, 0);
        assertArrayEquals(new float[] {100, 2, 3}, a.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3}, b.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3}, c.toFloatArray());
    }

    @Test
    void theUpstreamGradientIsNeverWrittenThroughALeafsGradient() {
        Tensor x = Tessera.tensor(new float[] {1, 2, 3}).requiresGrad(true);
        Tensor upstream = Tessera.ones(3).realize();
        x.add(1).backward(upstream);
        x.grad().set(7, 1);
        assertArrayEquals(new float[] {1, 7, 1}, x.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1}, upstream.toFloatArray());
    }

    @Test
    void aGradientWrittenBeforeAnotherIsReadDoesNotChangeTheOther() {
        // b's gradient (2 b c) is computed from a's (c): it must not see a write into a's
        Tensor a = Tessera.tensor(new float[] {1, 2, 3}).requiresGrad(true);
        Tensor b = Tessera.tensor(new float[] {1, 1, 2}).requiresGrad(true);
        Tensor c = Tessera.tensor(new float[] {3, 4, 5});
        a.add(b.square()).mul(c).sum().backward();
        a.grad().set(-1, 0);
        a.grad().asByteBuffer().putFloat(4, -2f);
        assertArrayEquals(new float[] {-1, -2, 5}, a.grad().toFloatArray());
        assertArrayEquals(new float[] {6, 8, 20}, b.grad().toFloatArray());
    }

    @Test
    void leavesMadeByConstantCreationsGetTheirGradientsThroughACast() {
        Tensor y = Tessera.ones(3).requiresGrad(true);
        Tensor w = Tessera.full(DType.FLOAT64, 2.0, 3).requiresGrad(true);
        y.mul(w).sum().backward(); // y is promoted to float64
        assertNotNull(y.grad(), "y.grad()");
        assertEquals(DType.FLOAT32, y.grad().dtype());
        assertArrayEquals(new float[] {2, 2, 2}, y.grad().toFloatArray());
        assertArrayEquals(new double[] {1, 1, 1}, w.grad().toDoubleArray());

        Tensor z = Tessera.ones(DType.FLOAT64, 3).requiresGrad(true);
        z.to(DType.FLOAT32).sum().add(z.sum()).backward();
        assertArrayEquals(new double[] {2, 2, 2}, z.grad().toDoubleArray());

        Tensor v = Tessera.zeros(DType.FLOAT64, 3).requiresGrad(true);
        v.to(DType.FLOAT32).sum().backward();
        assertArrayEquals(new double[] {1, 1, 1}, v.grad().toDoubleArray());
    }
}
