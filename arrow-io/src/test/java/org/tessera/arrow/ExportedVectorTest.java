package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * A vector that shares a tensor's memory keeps that memory to itself after the tensor is freed:
 * the engine's reuse pool never hands it to a new tensor while the vector can see it.
 */
@ExtendWith(LeakCheck.class)
class ExportedVectorTest {
    private static final int N = 1 << 20; // 4 MiB of float32: a size the reuse pool keeps

    @Test
    void vectorOutlivingItsTensorNeverSharesMemoryWithANewTensor(BufferAllocator alloc) {
        Float4Vector v;
        try (Scope s = Tessera.scope()) {
            Tensor t = Tessera.full(1f, N).mul(1).realize();
            v = (Float4Vector) ArrowVectors.toVector(t, "x", alloc);
        }
        try (v) {
            Tensor fresh;
            try (Scope s = Tessera.scope()) {
                fresh = Tessera.full(3f, N).mul(1).realize();
                assertNotEquals(v.getDataBufferAddress(), fresh.node().storage().address(),
                        "a new tensor was given the memory that the vector still sees");
                assertEquals(1f, v.get(N / 2), "the vector sees its own values, not a new tensor's");
                for (int i = 0; i < N; i++) {
                    v.set(i, -1f);
                }
                assertEquals(3.0 * N, fresh.sum().item(), "writing through the vector changed a new tensor");
            }
        }
    }

    @Test
    void vectorOutlivingACollectedTensorKeepsItsValues(BufferAllocator alloc) throws InterruptedException {
        Float4Vector v = (Float4Vector) ArrowVectors.toVector(
                Tessera.arange(0, N, 1, DType.FLOAT32).realize(), "x", alloc);
        try (v) {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(20);
                Tessera.full(9f, N).mul(1).realize();
            }
            assertEquals(12345f, v.get(12345));
            assertEquals(N - 1f, v.get(N - 1));
        }
    }
}
