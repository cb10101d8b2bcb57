package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Buffers of tensors outside every scope are released when the tensors become unreachable. */
@ExtendWith(LeakCheck.class)
class ReclaimTest {
    private static final long WAIT_MS = 10_000;

    /** Runs the garbage collector until {@code done} holds or the time is up; returns whether it held. */
    static boolean gcUntil(BooleanSupplier done) {
        long deadline = System.nanoTime() + WAIT_MS * 1_000_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Test
    @LeakCheck.Unscoped
    void buffersOfUnreachableTensorsAreReclaimed() {
        assertNull(MemoryScope.current());
        long before = Memory.allocatedBytes();
        for (int i = 0; i < 20; i++) {
            Tensor t = Tessera.rand(250_000).mul(2).realize();
            assertTrue(t.numel() == 250_000);
        }
        assertTrue(gcUntil(() -> Memory.allocatedBytes() <= before),
                "still held after gc: " + (Memory.allocatedBytes() - before) + " bytes");
    }

    @Test
    @LeakCheck.Unscoped
    void sharedStorageLivesWhileAnyViewIsReachable() {
        long before = Memory.allocatedBytes();
        Tensor base = Tessera.arange(0, 250_000, 1, DType.FLOAT32).realize();
        Tensor view = base.reshape(500, 500).t().get("::2").realize();
        Storage storage = view.node().storage();
        assertSame(base.node().storage(), storage);
        WeakReference<Object> baseNode = new WeakReference<>(base.node());
        base = null;
        assertTrue(gcUntil(() -> baseNode.get() == null), "the base tensor was not collected");
        System.gc();
        assertFalse(storage.isReleased(), "the view still holds a reference");
        // view[i][j] = base[500 * j + 2 * i]
        float[] v = view.toFloatArray();
        assertArrayEquals(new float[] {0, 500, 1000}, new float[] {v[0], v[1], v[2]});
        assertArrayEquals(new float[] {2, 502}, new float[] {v[500], v[501]});
        view = null;
        assertTrue(gcUntil(storage::isReleased), "the storage was not released after its last view went");
        assertTrue(gcUntil(() -> Memory.allocatedBytes() <= before));
    }

    @Test
    @LeakCheck.Unscoped
    void allocationOverTheLimitFirstReclaimsUnreachableTensors() {
        long limit = Memory.limit();
        try {
            Memory.setLimit(Memory.allocatedBytes() + 3_500_000);
            double total = 0;
            for (int i = 0; i < 12; i++) {
                // 1 MB each: more than the limit in all, but each becomes unreachable at once
                total += Tessera.full(DType.FLOAT32, 1, 250_000).mul(2).sum().item();
            }
            assertTrue(total == 12 * 500_000.0, "total " + total);
        } finally {
            Memory.setLimit(limit);
        }
    }
}
