package org.tessera.memory;

import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * Lets whoever keeps tensors cached (such as a cluster runtime's block store) give memory back
 * before an allocation fails.
 *
 * <p>When an allocation would pass the limit and a garbage collection does not give back enough,
 * the allocator asks each registered {@link Relief} to drop cached tensors worth the missing bytes,
 * collects the buffers that became unreachable, and tries again, for as long as something is
 * dropped. When nothing can be dropped at the moment (the cached tensors left are being read by
 * other tasks, or the buffers of dropped ones have not come back yet), it keeps collecting and
 * asking for up to {@link #PATIENCE_MS} without progress, since other tasks give their tensors back
 * when they end; only then does it fall back to its usual reclaim-or-fail path. A relief that itself
 * allocates (for example to write a dropped tensor to disk) is not asked again from inside that
 * allocation. Without a registered relief nothing changes.
 */
public final class MemoryPressure {
    /** Something that can drop cached tensors to make room. */
    @FunctionalInterface
    public interface Relief {
        /**
         * Drops cached tensors holding about {@code bytes} bytes (least recently used first) and
         * returns how many bytes it dropped; 0 when it has nothing it can drop now.
         */
        long release(long bytes);

        /** What this relief holds now, for the message of an allocation that failed; empty when nothing to say. */
        default String state() {
            return "";
        }
    }

    private static final CopyOnWriteArrayList<Relief> RELIEFS = new CopyOnWriteArrayList<>();
    private static final ThreadLocal<Boolean> RELIEVING = new ThreadLocal<>();
    /**
     * Each drop frees at least the limit divided by this, so that a run of allocations under
     * pressure stops for a collection every few blocks rather than at each one.
     */
    private static final long DROP_FRACTION = 4;
    /** How long to wait for the buffers of unreachable tensors after a collection, before dropping any. */
    private static final long FIRST_WAIT_MS = 50;
    /** How long to wait for the buffers of dropped tensors before dropping more. */
    private static final long DROPPED_WAIT_MS = 500;
    /**
     * How long an allocation keeps waiting while nothing can be dropped and no memory comes back,
     * before it gives up; every drop or returned buffer starts the wait again.
     */
    static final long PATIENCE_MS = 5_000;
    /** How long each round of that wait lasts (a collection, then polling for returned buffers). */
    private static final long IDLE_WAIT_MS = 100;
    /** The longest an allocation waits in all, progress or not. */
    private static final long MAX_WAIT_MS = 60_000;

    private MemoryPressure() {
    }

    /** Registers {@code relief} (once; registering it again changes nothing). */
    public static void register(Relief relief) {
        RELIEFS.addIfAbsent(relief);
    }

    /** Removes {@code relief}. */
    public static void unregister(Relief relief) {
        RELIEFS.remove(relief);
    }

    /**
     * After an allocation of {@code size} bytes failed: collects unreachable tensors once; when that
     * is not enough, drops cached tensors through the reliefs, waits for their buffers to come back
     * and retries, for as long as something is dropped. Returns null when no relief is registered
     * or nothing more can be dropped (the caller then goes on as without reliefs).
     */
    static ArrowBuf relieveAndRetry(BufferAllocator allocator, long size) {
        if (RELIEFS.isEmpty() || RELIEVING.get() != null) {
            return null;
        }
        RELIEVING.set(Boolean.TRUE);
        try {
            BufferAllocator root = Memory.root();
            long charged = Memory.charged(allocator, size); // what the allocation counts against the limit
            // buffers of tensors that are unreachable already come back without dropping anything
            collect(root.getLimit() - charged, FIRST_WAIT_MS);
            ArrowBuf buf = tryAllocate(allocator, size);
            long start = System.nanoTime();
            long progress = start;
            while (buf == null) {
                long before = root.getAllocatedMemory();
                long need = before + charged - root.getLimit();
                long dropped = need > 0 ? drop(Math.max(need, root.getLimit() / DROP_FRACTION)) : 0;
                long now = System.nanoTime();
                if (dropped > 0) {
                    progress = now;
                    // a dropped tensor's buffers come back through the cleaner once no task uses it
                    collect(before - Math.min(dropped, need), DROPPED_WAIT_MS);
                } else if (need > 0) {
                    // nothing to drop now: what is cached is being read by other tasks, or dropped
                    // tensors are still on their way back; both end when those tasks do
                    if (now - progress > PATIENCE_MS * 1_000_000L || now - start > MAX_WAIT_MS * 1_000_000L) {
                        return null;
                    }
                    collect(root.getLimit() - charged, IDLE_WAIT_MS);
                    if (root.getAllocatedMemory() < before) {
                        progress = System.nanoTime();
                    }
                } else {
                    // the root has room: the limit in the way is another allocator's, which dropping cannot help
                    return tryAllocate(allocator, size);
                }
                buf = tryAllocate(allocator, size);
            }
            return buf;
        } finally {
            RELIEVING.remove();
        }
    }

    private static ArrowBuf tryAllocate(BufferAllocator allocator, long size) {
        try {
            return Memory.charge(allocator, size);
        } catch (OutOfMemoryException e) {
            return null;
        }
    }

    /**
     * Asks for a garbage collection and waits up to {@code maxWaitMs} for the bytes held (pooled
     * buffers returned to the system) to fall to {@code target}.
     */
    private static void collect(long target, long maxWaitMs) {
        System.gc();
        long deadline = System.nanoTime() + maxWaitMs * 1_000_000L;
        while (true) {
            Memory.trimPool();
            if (Memory.root().getAllocatedMemory() <= target || System.nanoTime() > deadline) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What the registered reliefs hold now ("" when none says anything), for the message of a failed allocation. */
    static String state() {
        StringBuilder b = new StringBuilder();
        for (Relief r : RELIEFS) {
            String st = r.state();
            if (st != null && !st.isEmpty()) {
                b.append(b.length() == 0 ? "" : "; ").append(st);
            }
        }
        return b.toString();
    }

    private static long drop(long need) {
        long dropped = 0;
        for (Relief r : RELIEFS) {
            dropped += r.release(need - dropped);
            if (dropped >= need) {
                break;
            }
        }
        return dropped;
    }
}
