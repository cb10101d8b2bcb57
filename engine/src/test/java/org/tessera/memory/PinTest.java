package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * A scope closed by one thread while another computes on its tensors: the computation either
 * fails with the usual "released buffer" error or reads the tensor's own values, never memory that
 * another tensor has been given meanwhile (nor memory returned to the system, which crashed the JVM).
 */
@ExtendWith(LeakCheck.class)
class PinTest {

    @Test
    void aPinnedStorageReleasedMeanwhileKeepsItsMemoryUntilUnpinned() {
        long before = Memory.allocatedBytes();
        Storage s;
        MemoryScope scope = MemoryScope.open("pinned");
        try {
            s = Storage.allocate(2 << 20, "pinned buffer");
            Memory.putFloat(s.address(), 42f);
            s.pin();
            long address = s.address();
            scope.close(); // no leak reported: the pinned buffer waits outside the scope
            assertTrue(s.isReleased());
            IllegalStateException e = assertThrows(IllegalStateException.class, s::address);
            assertTrue(e.getMessage().contains("released buffer"), e.getMessage());
            assertThrows(IllegalStateException.class, s::pin);
            assertEquals(42f, Memory.getFloat(address), "the memory is still the storage's own");
            assertTrue(Memory.allocatedBytes() >= before + (2 << 20), "not given back while pinned");
            s.unpin();
        } finally {
            if (!scope.isClosed()) {
                scope.close();
            }
        }
        assertEquals(before, Memory.allocatedBytes(), "given back at the last unpin");
        assertThrows(IllegalStateException.class, s::unpin);
    }

    @Test
    void reductionsAndReadsRacingWithAScopeCloseNeverSeeAnotherTensorsData() throws Exception {
        int n = 1 << 22; // 16 MiB: large enough to be mid-read when the scope closes
        ExecutorService reader = Executors.newSingleThreadExecutor();
        List<String> wrong = new ArrayList<>();
        int failedCleanly = 0;
        try {
            for (int round = 0; round < 120; round++) {
                MemoryScope scope = MemoryScope.open("racing");
                Tensor ones = Tessera.ones(DType.FLOAT32, n).realize();
                int kind = round % 3;
                Future<Double> f = reader.submit(() -> switch (kind) {
                    case 0 -> ones.sum().item();
                    case 1 -> ones.mul(2).add(-1).sum().item();
                    default -> {
                        float[] v = ones.toFloatArray();
                        double t = 0;
                        for (float x : v) {
                            t += x;
                        }
                        yield t;
                    }
                });
                busyWait(round % 7 * 200_000L);
                scope.close();
                // another tensor gets memory now and fills it: a read of freed memory would see zeros
                try (MemoryScope other = MemoryScope.open("other")) {
                    Tessera.zeros(DType.FLOAT32, n).realize();
                    try {
                        double v = f.get();
                        if (v != n) {
                            wrong.add("round " + round + " (kind " + kind + "): " + v);
                        }
                    } catch (ExecutionException e) {
                        assertTrue(e.getCause() instanceof IllegalStateException
                                && e.getCause().getMessage().contains("released buffer"), String.valueOf(e.getCause()));
                        failedCleanly++;
                    }
                }
            }
        } finally {
            reader.shutdown();
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " results read another tensor's memory (" + failedCleanly
                + " failed cleanly): " + wrong);
    }

    @Test
    void aReductionThatFailsLeavesItsTensorUncomputedAndGivesBackWhatItAllocated() {
        // max(dim) computes values and indices in one pass; here the indices' buffer cannot be had
        float[] data = new float[512 * 256];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i * 7919) % 1000;
        }
        Tensor m = Tessera.tensor(data).reshape(512, 256).realize();
        org.tessera.ValuesIndices mx = m.max(1);
        long limit = Memory.limit();
        long before = Memory.allocatedBytes();
        try {
            Memory.trimPool();
            Memory.setLimit(Memory.allocatedBytes() + 3 * 1024); // the 2 KiB of values fit, not the 4 KiB of indices
            org.tessera.TesseraMemoryException e = assertThrows(org.tessera.TesseraMemoryException.class,
                    () -> mx.values().realize());
            assertTrue(e.getMessage().contains("MAX"), e.getMessage());
        } finally {
            Memory.setLimit(limit);
        }
        assertEquals(before, Memory.allocatedBytes(), "the values' buffer of the failed step was given back");
        // asked again with room, the same tensors are computed, not read from the failed step's buffer
        float[] values = mx.values().toFloatArray();
        long[] indices = mx.indices().toLongArray();
        for (int r = 0; r < 512; r++) {
            float best = Float.NEGATIVE_INFINITY;
            int at = -1;
            for (int c = 0; c < 256; c++) {
                if (data[r * 256 + c] > best) {
                    best = data[r * 256 + c];
                    at = c;
                }
            }
            assertEquals(best, values[r], "row " + r);
            assertEquals(at, indices[r], "row " + r);
        }
    }

    private static void busyWait(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
