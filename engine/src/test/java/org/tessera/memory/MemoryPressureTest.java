package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.TesseraMemoryException;

/**
 * An allocation over the limit, with a relief registered (as a cluster runtime registers its block
 * store): it drops what the relief can drop, and while nothing can be dropped it waits for memory
 * that other threads give back, failing only after {@link MemoryPressure#PATIENCE_MS} without
 * progress, with the relief's state in the message; and moves between allocators never take the root
 * past its limit.
 */
@ExtendWith(LeakCheck.class)
class MemoryPressureTest {
    private static final long MB = 1 << 20;

    /** Holds buffers like cached blocks; {@code release} drops the oldest unless told it cannot. */
    private static final class Cache implements MemoryPressure.Relief {
        final List<Storage> held = new ArrayList<>();
        final AtomicInteger asked = new AtomicInteger();
        volatile boolean canDrop = true;

        @Override
        public synchronized long release(long bytes) {
            asked.incrementAndGet();
            long dropped = 0;
            while (canDrop && dropped < bytes && !held.isEmpty()) {
                Storage s = held.remove(0);
                dropped += s.byteSize();
                s.release();
            }
            return dropped;
        }

        @Override
        public String state() {
            return "the test cache holds " + held.size() + " buffers";
        }

        synchronized void releaseAll() {
            held.forEach(Storage::release);
            held.clear();
        }
    }

    /** Runs {@code body} with the allocator limit at what is in use now plus {@code room}, and {@code cache} registered. */
    private static void underLimit(long room, Cache cache, Runnable body) {
        long limit = Memory.limit();
        MemoryPressure.register(cache);
        try {
            Memory.trimPool();
            Memory.setLimit(Memory.allocatedBytes() + room);
            body.run();
        } finally {
            MemoryPressure.unregister(cache);
            cache.releaseAll();
            Memory.setLimit(limit);
        }
    }

    @Test
    @LeakCheck.Unscoped
    void cachedBuffersAreDroppedToMakeRoom() {
        Cache cache = new Cache();
        underLimit(4 * MB, cache, () -> {
            for (int i = 0; i < 4; i++) {
                cache.held.add(Storage.allocate(MB, "cached " + i));
            }
            Storage s = Storage.allocate(2 * MB, "new");
            try {
                assertTrue(cache.asked.get() > 0 && cache.held.size() <= 2, "dropped: " + cache.held.size() + " left");
            } finally {
                s.release();
            }
        });
    }

    @Test
    @LeakCheck.Unscoped
    void cachedBuffersAreDroppedForASizeTheAllocatorRoundsUp() {
        // 1,024,000 bytes cost 1,048,576 (Arrow rounds below 16 MiB to a power of two): with 24,064
        // bytes short of that left under the limit, the unrounded size seemed to fit and nothing was dropped
        Cache cache = new Cache();
        underLimit(4 * MB - 24_064, cache, () -> {
            for (int i = 0; i < 3; i++) {
                cache.held.add(Storage.allocate(MB, "cached " + i));
            }
            Storage s = Storage.allocate(1_024_000, "new"); // 1,024,512 bytes left under the limit
            try {
                assertTrue(cache.asked.get() > 0 && cache.held.size() <= 2, "dropped: " + cache.held.size() + " left");
            } finally {
                s.release();
            }
        });
    }

    @Test
    @LeakCheck.Unscoped
    void whileNothingCanBeDroppedItWaitsForMemoryThatAnotherThreadGivesBack() throws Exception {
        Cache cache = new Cache();
        cache.canDrop = false; // what is cached is being read by other tasks
        Storage[] busy = new Storage[1];
        underLimit(4 * MB, cache, () -> {
            cache.held.add(Storage.allocate(2 * MB, "cached, in use"));
            busy[0] = Storage.allocate(2 * MB, "another task's work");
            // the other task ends after 1.5 s, well after a garbage collection alone would have given up
            Thread other = new Thread(() -> {
                sleep(1_500);
                busy[0].release();
            });
            other.start();
            long start = System.nanoTime();
            Storage s = Storage.allocate(2 * MB, "new");
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            try {
                assertTrue(waitedMs >= 1_000 && waitedMs < MemoryPressure.PATIENCE_MS, "waited " + waitedMs + " ms");
                assertTrue(cache.asked.get() > 1, "the cache was asked again while waiting: " + cache.asked.get());
            } finally {
                s.release();
                join(other);
            }
        });
    }

    @Test
    @LeakCheck.Unscoped
    void withNothingToDropAndNothingComingBackItFailsAfterItsPatienceNamingWhatIsHeld() {
        Cache cache = new Cache();
        cache.canDrop = false;
        underLimit(4 * MB, cache, () -> {
            cache.held.add(Storage.allocate(3 * MB, "cached, in use"));
            long start = System.nanoTime();
            TesseraMemoryException e = assertThrows(TesseraMemoryException.class,
                    () -> Storage.allocate(2 * MB, "new tensor"));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= MemoryPressure.PATIENCE_MS, "gave up after " + waitedMs + " ms");
            String m = e.getMessage();
            assertTrue(m.contains("cannot allocate " + 2 * MB + " bytes for new tensor")
                    && m.contains("the test cache holds 1 buffers") && m.contains("tessera.memory.limit"), m);
            assertEquals(1, cache.held.size());
        });
    }

    @Test
    @LeakCheck.Unscoped
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a retrying loop would never end
    void aLimitOtherThanTheRootsFailsAtOnceInsteadOfWaitingForDrops() {
        // a scope's allocator keeps the limit the root had when the scope opened
        Cache cache = new Cache();
        long limit = Memory.limit();
        MemoryPressure.register(cache);
        try {
            Memory.trimPool();
            Memory.setLimit(Memory.allocatedBytes() + 2 * MB);
            try (MemoryScope scope = MemoryScope.open("opened under a small limit")) {
                Memory.setLimit(limit);
                long start = System.nanoTime();
                assertThrows(TesseraMemoryException.class, () -> Storage.allocate(4 * MB, "larger than the scope's limit"));
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                assertTrue(tookMs < MemoryPressure.PATIENCE_MS, "took " + tookMs + " ms");
                assertEquals(0, cache.asked.get(), "nothing to drop for a limit that is not the root's");
            }
        } finally {
            MemoryPressure.unregister(cache);
            Memory.setLimit(limit);
        }
    }

    @Test
    void buffersMovingToAndFromThePoolNeverTakeTheRootPastItsLimit() throws Exception {
        // a move between allocators is counted twice for a moment; another thread's allocation
        // must not pass the limit's check meanwhile (it did: the peak reached four buffers)
        ForkedJvm.Result r = ForkedJvm.run(PeakProbe.class, "20000");
        assertEquals(0, r.exitCode(), r.output());
        long limit = figure(r.output(), "limit");
        long peak = figure(r.output(), "peak");
        assertTrue(peak <= limit, "peak " + peak + " above the limit " + limit + "\n" + r.output());
        assertEquals(0, figure(r.output(), "failed"), r.output());
    }

    private static long figure(String output, String key) {
        for (String line : output.split("\n")) {
            if (line.startsWith(key + "=")) {
                return Long.parseLong(line.substring(key.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + key + " in:\n" + output);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
