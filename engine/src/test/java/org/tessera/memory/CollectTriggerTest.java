package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Off-heap growth asks for a garbage collection, so dropped tensors come back while the heap is idle. */
@ExtendWith(LeakCheck.class)
class CollectTriggerTest {
    @Test
    void firesAfterTheGrowthSinceTheLastCollectionAndOneAtATime() {
        CollectTrigger t = new CollectTrigger(100);
        assertFalse(t.due(60, 40), "exactly the growth allowed");
        assertTrue(t.due(60, 41));
        assertFalse(t.due(500, 1), "another thread is collecting");
        t.collected(300);
        assertFalse(t.due(350, 50), "growth counts from what was in use after the collection");
        assertTrue(t.due(350, 51));
        t.collected(0);
        t.setEvery(0);
        assertFalse(t.due(Long.MAX_VALUE / 2, 1 << 30), "0 turns it off");
        assertThrows(IllegalArgumentException.class, () -> t.setEvery(-1));
    }

    @Test
    @LeakCheck.Unscoped
    void droppedTensorsAreReclaimedWithoutAnyHeapPressure() {
        long every = Memory.collectEvery();
        Memory.setCollectEvery(64L << 20);
        try {
            long before = Memory.root().getAllocatedMemory();
            long most = 0;
            // 40 × 32 MiB dropped at once: 1.25 GiB of off-heap garbage and almost none on the heap
            for (int i = 0; i < 40; i++) {
                Tensor x = Tessera.zeros(8L << 20).add(1).realize();
                assertEquals(1f, x.get(0).item(), 0f);
                most = Math.max(most, Memory.root().getAllocatedMemory() - before);
            }
            // held at most: the growth allowed, the reuse pool, and buffers the cleaner has yet to return
            long bound = (64L << 20) + Memory.pooledBytes() + (256L << 20);
            assertTrue(most < bound, "off-heap memory reached " + (most >> 20) + " MiB (bound " + (bound >> 20)
                    + " MiB)");
        } finally {
            Memory.setCollectEvery(every);
        }
    }
}
