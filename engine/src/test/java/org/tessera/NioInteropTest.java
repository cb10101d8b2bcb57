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
}
