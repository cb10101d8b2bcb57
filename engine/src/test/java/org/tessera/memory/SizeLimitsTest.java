package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.TesseraMemoryException;

/**
 * Sizes that cannot be held fail at the call that asks for them with a clear error: byte counts
 * beyond a {@code long} with {@link IllegalArgumentException}, memory beyond the limit or the
 * machine with {@link TesseraMemoryException}, never a JVM crash or an {@code OutOfMemoryError}.
 */
@ExtendWith(LeakCheck.class)
class SizeLimitsTest {

    @Test
    void byteCountBeyondALongIsRefusedWhereTheTensorIsMade() {
        // 2^61 elements fit in a long; 2^64 bytes do not
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tessera.zeros(DType.FLOAT64, 1L << 61));
        assertTrue(e.getMessage().contains("[2305843009213693952]") && e.getMessage().contains("float64"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tessera.rand(1L << 62));
        assertThrows(IllegalArgumentException.class, () -> Tessera.arange(0, 1L << 62, 1, DType.INT64));
    }

    @Test
    void viewsAndOpsCannotReachAnOverflowingByteCountEither() {
        Tensor one = Tessera.ones(DType.FLOAT64, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one.expand(1L << 61));
        assertTrue(e.getMessage().startsWith("expand: shape [2305843009213693952] of float64"), e.getMessage());
        Tensor big = Tessera.ones(DType.FLOAT32, 1).expand(1L << 30, 1L << 30); // 2^60 elements (2^62 bytes), a view
        assertThrows(IllegalArgumentException.class, () -> big.to(DType.FLOAT64));
        assertThrows(IllegalArgumentException.class, () -> big.reshape(1L << 60).to(DType.INT64));
    }

    @Test
    void aSourceLargerThanTheMachineFailsAtTheCall() {
        TesseraMemoryException e = assertThrows(TesseraMemoryException.class, () -> Tessera.zeros(1L << 20, 1L << 20));
        String m = e.getMessage();
        assertTrue(m.contains("4398046511104 bytes") && m.contains("full [1048576, 1048576] float32"), m);
        assertThrows(TesseraMemoryException.class, () -> Tessera.randn(1L << 20, 1L << 20));
        assertThrows(TesseraMemoryException.class, () -> Tessera.arange(0, 1L << 42, 1));
    }

    @Test
    void aSourceOverTheLimitFailsAtTheCallNamingSizeLimitAndUse() {
        long limit = Memory.limit();
        try {
            Memory.setLimit(Memory.allocatedBytes() + (64L << 20));
            TesseraMemoryException e = assertThrows(TesseraMemoryException.class,
                    () -> Tessera.rand(32L << 20)); // 128 MiB of float32
            String m = e.getMessage();
            assertTrue(m.contains("134217728 bytes") && m.contains("allocator limit of " + Memory.limit())
                    && m.contains("bytes are in use") && m.contains("rand [33554432] float32"), m);
        } finally {
            Memory.setLimit(limit);
        }
    }

    @Test
    void aComputedResultThatCannotBeHeldFailsWithTesseraMemoryException() {
        // a broadcast view costs nothing; materializing it would take 4 TiB
        Tensor view = Tessera.ones(1).expand(1L << 40);
        Tensor doubled = view.mul(2);
        TesseraMemoryException e = assertThrows(TesseraMemoryException.class, doubled::realize);
        assertTrue(e.getMessage().contains("4398046511104 bytes") && e.getMessage().contains("MUL output"),
                e.getMessage());
        assertEquals(1L << 40, view.numel());
    }
}
