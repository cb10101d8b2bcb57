package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.TesseraMemoryException;

/** The pool's caching and out-of-memory handling, over a fake device allocator. */
class DevicePoolTest {
    /** Hands out increasing addresses until {@code capacity} bytes are allocated. */
    private static final class FakeRaw implements DevicePool.Raw {
        long capacity;
        long used;
        long next = 1 << 20;
        final List<Long> freed = new ArrayList<>();
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        FakeRaw(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            if (used + bytes > capacity) {
                return 0;
            }
            used += bytes;
            long a = next;
            next += bytes;
            sizes.put(a, bytes);
            return a;
        }

        @Override
        public void free(long address) {
            freed.add(address);
            used -= sizes.remove(address);
        }
    }

    @Test
    void roundsSmallRequestsTo512BytesAndLargeOnesTo2MiB() {
        assertEquals(512, DevicePool.roundUp(1));
        assertEquals(512, DevicePool.roundUp(0));
        assertEquals(1024, DevicePool.roundUp(513));
        assertEquals(2L << 20, DevicePool.roundUp((1L << 20) + 1));
        assertEquals(4L << 20, DevicePool.roundUp((2L << 20) + 1));
    }

    @Test
    void repeatedOpsReuseCachedBlocksWithoutNewDriverAllocations() {
        FakeRaw raw = new FakeRaw(1L << 30);
        DevicePool pool = new DevicePool("cuda:0", raw, () -> { });
        for (int i = 0; i < 100; i++) {
            DevicePool.Block a = pool.allocate(4000, "a");
            DevicePool.Block b = pool.allocate(3 << 20, "b");
            pool.free(a);
            pool.free(b);
        }
        DevicePool.Stats s = pool.stats();
        assertEquals(2, s.rawAllocations());
        assertEquals(198, s.reuses());
        assertEquals(0, s.inUseBytes());
        assertEquals(DevicePool.roundUp(4000) + DevicePool.roundUp(3 << 20), s.cachedBytes());
    }

    @Test
    void takesACachedBlockUpToTwiceTheSizeButNotLarger() {
        FakeRaw raw = new FakeRaw(1L << 30);
        DevicePool pool = new DevicePool("cuda:0", raw, () -> { });
        DevicePool.Block big = pool.allocate(8192, "big");
        pool.free(big);
        DevicePool.Block half = pool.allocate(4096, "half");
        assertEquals(big.address(), half.address());
        pool.free(half);
        DevicePool.Block small = pool.allocate(1000, "small");
        assertNotEquals(big.address(), small.address());
        assertEquals(2, pool.stats().rawAllocations());
    }

    @Test
    void outOfMemoryFreesTheCacheAndRetriesBeforeFailing() {
        FakeRaw raw = new FakeRaw(8L << 20);
        DevicePool pool = new DevicePool("cuda:0", raw, () -> { });
        DevicePool.Block a = pool.allocate(2L << 20, "a");
        pool.free(a);
        // 2 MiB cached, too small to serve 7 MiB (rounded to 8): that fits only once the cache is given back
        DevicePool.Block b = pool.allocate(7L << 20, "b");
        assertTrue(raw.freed.contains(a.address()));
        assertEquals(8L << 20, pool.stats().inUseBytes());
        TesseraMemoryException e = assertThrows(TesseraMemoryException.class,
                () -> pool.allocate(6L << 20, "tensor [1536, 1024] float32"));
        assertTrue(e.getMessage().contains("out of device memory allocating 6291456 bytes for tensor [1536, 1024]"
                + " float32"), e.getMessage());
        assertTrue(e.getMessage().contains("8388608 bytes are held by tensors"), e.getMessage());
        pool.free(b);
    }

    @Test
    void reclaimingUnreachableTensorsCanSatisfyARequest() {
        FakeRaw raw = new FakeRaw(4L << 20);
        DevicePool[] holder = new DevicePool[1];
        DevicePool.Block[] held = new DevicePool.Block[1];
        DevicePool pool = new DevicePool("cuda:0", raw, () -> {
            if (held[0] != null) {
                holder[0].free(held[0]); // what a Cleaner does for an unreachable tensor
                held[0] = null;
            }
        });
        holder[0] = pool;
        held[0] = pool.allocate(4L << 20, "a");
        DevicePool.Block b = pool.allocate(4L << 20, "b");
        assertEquals(4L << 20, b.size());
        assertEquals(1, pool.stats().rawAllocations());
    }
}
