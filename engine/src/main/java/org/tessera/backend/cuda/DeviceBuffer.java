package org.tessera.backend.cuda;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reference-counted block of device memory. Each node that views it holds one reference,
 * dropped when the node becomes unreachable; the last release returns the block to its pool.
 */
final class DeviceBuffer {
    private static final Cleaner CLEANER = Cleaner.create();

    private final DevicePool pool;
    private final DevicePool.Block block;
    private final long bytes;
    private final AtomicInteger refs = new AtomicInteger(1);

    DeviceBuffer(DevicePool pool, DevicePool.Block block, long bytes) {
        this.pool = pool;
        this.block = block;
        this.bytes = bytes;
    }

    /** The device address of the first byte. */
    long address() {
        if (refs.get() <= 0) {
            throw new IllegalStateException("use of a released device buffer (" + bytes + " bytes)");
        }
        return block.address();
    }

    /** Bytes requested (the block may be larger). */
    long bytes() {
        return bytes;
    }

    DeviceBuffer retain() {
        if (refs.getAndUpdate(r -> r <= 0 ? r : r + 1) <= 0) {
            throw new IllegalStateException("retain of a released device buffer (" + bytes + " bytes)");
        }
        return this;
    }

    void release() {
        if (refs.decrementAndGet() == 0) {
            pool.free(block);
        }
    }

    /**
     * Drops one reference when {@code owner} becomes unreachable; cleaning the returned handle
     * drops it earlier (once either way).
     */
    Cleaner.Cleanable releaseWhenUnreachable(Object owner) {
        return CLEANER.register(owner, this::release);
    }
}
