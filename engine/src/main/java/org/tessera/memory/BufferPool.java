package org.tessera.memory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Keeps recently freed large buffers for reuse.
 *
 * <p>A fresh multi-megabyte buffer comes from the operating system as untouched pages, and
 * the first write to each page faults: for a 256 MiB result that costs as much as the op
 * itself. Reusing a freed buffer of the same size class avoids it. Pooled buffers belong to
 * the root allocator and count against its limit; allocation drains the pool before it gives
 * up. The capacity comes from {@code tessera.memory.pool} (bytes, k/m/g suffix; default 512m,
 * 0 disables pooling).
 */
final class BufferPool {
    /** Buffers below this size are cheap to get from the allocator and are not pooled. */
    static final long MIN_POOLED = 1L << 20;

    private final Map<Long, ArrayDeque<ArrowBuf>> free = new HashMap<>();
    /** Every pooled buffer, most recently pooled first. */
    private final ArrayDeque<ArrowBuf> order = new ArrayDeque<>();
    private long pooledBytes;
    private final long capacity;

    BufferPool(long capacity) {
        this.capacity = capacity;
    }

    /** The size actually allocated for a request of {@code bytes} (pooled sizes round to 1 MiB). */
    static long sizeClass(long bytes) {
        if (bytes < MIN_POOLED) {
            return Math.max(Memory.ALIGNMENT, (bytes + Memory.ALIGNMENT - 1) / Memory.ALIGNMENT * Memory.ALIGNMENT);
        }
        return (bytes + MIN_POOLED - 1) / MIN_POOLED * MIN_POOLED;
    }

    /** A pooled root-owned buffer of exactly {@code size} bytes, or null. */
    synchronized ArrowBuf take(long size) {
        ArrayDeque<ArrowBuf> q = free.get(size);
        if (q == null || q.isEmpty()) {
            return null;
        }
        pooledBytes -= size;
        ArrowBuf b = q.pop();
        order.remove(b);
        return b;
    }

    /**
     * Keeps a root-owned buffer for reuse, closing the least recently pooled buffers when the pool
     * would overflow (the newest is the likeliest to be asked for again); returns false (the
     * caller closes it) when the buffer is too small or larger than the whole pool.
     */
    synchronized boolean offer(ArrowBuf buf, long size) {
        if (size < MIN_POOLED || size > capacity) {
            return false;
        }
        while (pooledBytes + size > capacity && !order.isEmpty()) {
            ArrowBuf oldest = order.pollLast();
            long oldSize = oldest.capacity();
            free.get(oldSize).remove(oldest);
            pooledBytes -= oldSize;
            oldest.close();
        }
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(buf);
        order.push(buf);
        pooledBytes += size;
        return true;
    }

    /** Closes every pooled buffer. */
    synchronized void drain() {
        for (ArrayDeque<ArrowBuf> q : free.values()) {
            for (ArrowBuf b : q) {
                b.close();
            }
        }
        free.clear();
        order.clear();
        pooledBytes = 0;
    }

    synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** Moves {@code buf} to {@code to}, returning the buffer that now belongs there. */
    static ArrowBuf transfer(ArrowBuf buf, BufferAllocator to) {
        if (buf.getReferenceManager().getAllocator() == to) {
            return buf;
        }
        ArrowBuf moved = buf.getReferenceManager().transferOwnership(buf, to).getTransferredBuffer();
        buf.close();
        return moved;
    }
}
