package org.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.memory.LeakCheck;

@ExtendWith(LeakCheck.class)
class NioInteropTest {
    @Test
    void tensorFromADirectBufferSharesItsMemoryBothWays() {
        ByteBuffer b = ByteBuffer.allocateDirect(6 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) {
            b.putFloat(4 * i, i);
        }
        Tensor t = Tessera.fromBuffer(b, DType.FLOAT32, 2, 3);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toFloatArray());
        b.putFloat(4 * 4, 40f);                     // write through the buffer
        assertEquals(40.0, t.get(1, 1).item());
        t.set(-7, 0, 2);                             // write through the tensor
        assertEquals(-7f, b.getFloat(2 * 4));
        assertEquals(0 + 1 - 7 + 3 + 40 + 5, t.sum().item(), 1e-6);
    }

    @Test
    void byteBufferOfATensorSharesItsMemoryBothWays() {
        Tensor t = Tessera.arange(0, 4, 1, DType.INT64).realize();
        ByteBuffer b = t.asByteBuffer();
        assertEquals(32, b.capacity());
        assertEquals(3L, b.getLong(3 * 8));
        b.putLong(0, 100);
        assertEquals(100L, t.get(0).longItem());
        t.set(9, 1);
        assertEquals(9L, b.getLong(8));
    }

    @Test
    void heapBuffersAndShortBuffersAreRefused() {
        IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> Tessera.fromBuffer(ByteBuffer.allocate(16), DType.FLOAT32, 4));
        assertTrue(heap.getMessage().contains("direct"), heap.getMessage());
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> Tessera.fromBuffer(ByteBuffer.allocateDirect(8), DType.FLOAT32, 4));
        assertTrue(small.getMessage().contains("needs 16 bytes but the buffer holds 8"), small.getMessage());
    }

    @Test
    void aMaskWrittenThroughSharedMemoryAfterTheSelectionWasDefinedIsRefusedNotOverrun() {
        // x.get(mask) fixes its shape from the mask's count when called; a write through the buffer
        // before it is computed changes the count: more true elements wrote past the output (a JVM
        // crash), fewer left part of a pooled buffer unwritten (another tensor's old values)
        int n = 1 << 16;
        ByteBuffer more = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        more.putFloat(0, 1f).putFloat(4, 1f);
        Tensor x = Tessera.fromBuffer(more, DType.FLOAT32, n);
        Tensor sel = x.get(x.gt(0));
        assertEquals(Shape.of(2), sel.shape());
        for (int i = 0; i < n; i++) {
            more.putFloat(4 * i, 1f);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, sel::toFloatArray);
        assertTrue(e.getMessage().contains("masked_select [2]: the mask [65536] holds more than the 2 true elements"),
                e.getMessage());

        ByteBuffer fewer = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            fewer.putFloat(4 * i, 1f);
        }
        Tensor y = Tessera.fromBuffer(fewer, DType.FLOAT32, n).requiresGrad(true);
        Tensor picked = y.get(y.gt(0));
        for (int i = 0; i < n; i++) {
            fewer.putFloat(4 * i, i < 10 ? 1f : 0f);
        }
        e = assertThrows(IllegalStateException.class, picked::toFloatArray);
        assertTrue(e.getMessage().contains("holds 10, fewer than the 65536 true elements"), e.getMessage());
        // the gradient (a masked scatter of the same mask) is refused the same way
        Tensor z = Tessera.fromBuffer(fewer, DType.FLOAT32, n).requiresGrad(true);
        fewer.putFloat(0, 1f);
        Tensor s = z.get(z.gt(0)).sum();
        fewer.putFloat(4 * 20, 1f);
        e = assertThrows(IllegalStateException.class, s::backward);
        assertTrue(e.getMessage().contains("masked_"), e.getMessage());
        assertEquals(7.0, Tessera.ones(7).sum().item()); // the engine goes on
    }
}
