package org.tessera.backend.cuda;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import org.tessera.TesseraMemoryException;

/**
 * A caching allocator for device memory, so that an op does not pay for {@code cuMemAlloc}.
 *
 * <p>Sizes are rounded up (to 512 bytes below 1 MiB, to 2 MiB above) and freed blocks are kept
 * per size; a request takes a cached block of its size, or of up to twice its size, before it
 * asks the driver. When the driver is out of memory the pool frees its cache, asks the JVM to
 * release unreachable tensors, and tries once more before failing with a message that names
 * the bytes in use.
 *
 * <p>All work of a device goes through one stream in order, so a block freed while a queued
 * kernel still reads it is reused only by work queued later: no extra synchronization is needed.
 * {@link #free} makes no driver call and is safe from any thread (tensors are freed by a
 * {@link java.lang.ref.Cleaner}).
 */
public final class DevicePool {
    /** Raw device allocation: {@code cuMemAlloc} and {@code cuMemFree} for a real device. */
    interface Raw {
        /** A block of {@code bytes}, or 0 when the device is out of memory. */
        long allocate(long bytes);

        void free(long address);

        /** Free and total device bytes, for error messages. */
        default long[] memInfo() {
            return new long[] {-1, -1};
        }
    }

    /**
     * A snapshot of the pool's counters.
     *
     * @param inUseBytes bytes of blocks handed out and not yet freed
     * @param cachedBytes bytes of free blocks kept for reuse
     * @param rawAllocations how many times the driver was asked for memory
     * @param reuses how many requests a cached block served
     */
    public record Stats(long inUseBytes, long cachedBytes, long rawAllocations, long reuses) {
    }

    static final long SMALL = 1L << 20;
    static final long SMALL_ROUND = 512;
    static final long LARGE_ROUND = 2L << 20;

    private final String device;
    private final Raw raw;
    private final Runnable reclaim;
    private final TreeMap<Long, ArrayDeque<Long>> cache = new TreeMap<>();
    private long inUse;
    private long cached;
    private long rawAllocations;
    private long reuses;

    DevicePool(String device, Raw raw, Runnable reclaim) {
        this.device = device;
        this.raw = raw;
        this.reclaim = reclaim;
    }

    /** The block size a request of {@code bytes} gets. */
    static long roundUp(long bytes) {
        long b = Math.max(bytes, 1);
        long unit = b < SMALL ? SMALL_ROUND : LARGE_ROUND;
        return (b + unit - 1) / unit * unit;
    }

    /** A block of at least {@code bytes}; {@code what} names the tensor for error messages. */
    Block allocate(long bytes, String what) {
        long size = roundUp(bytes);
        synchronized (this) {
            Map.Entry<Long, ArrayDeque<Long>> e = cache.ceilingEntry(size);
            if (e != null && e.getKey() <= 2 * size) {
                long address = e.getValue().pop();
                if (e.getValue().isEmpty()) {
                    cache.remove(e.getKey());
                }
                cached -= e.getKey();
                inUse += e.getKey();
                reuses++;
                return new Block(address, e.getKey());
            }
        }
        long address = rawAllocate(size);
        if (address == 0) {
            trim();
            reclaim.run();
            synchronized (this) {
                // reclaimed tensors may have returned a block of the right size
                Map.Entry<Long, ArrayDeque<Long>> e = cache.ceilingEntry(size);
                if (e != null && e.getKey() <= 2 * size) {
                    address = e.getValue().pop();
                    if (e.getValue().isEmpty()) {
                        cache.remove(e.getKey());
                    }
                    cached -= e.getKey();
                    inUse += e.getKey();
                    reuses++;
                    return new Block(address, e.getKey());
                }
            }
            trim();
            address = rawAllocate(size);
        }
        if (address == 0) {
            long[] info = raw.memInfo();
            throw new TesseraMemoryException(device + ": out of device memory allocating " + bytes + " bytes for "
                    + what + ": " + inUseBytes() + " bytes are held by tensors on this device"
                    + (info[0] >= 0 ? ", " + info[0] + " of " + info[1] + " bytes free" : "")
                    + " (after freeing the pool's cache and reclaiming unreachable tensors); free tensors or use"
                    + " smaller blocks", null);
        }
        synchronized (this) {
            inUse += size;
        }
        return new Block(address, size);
    }

    private long rawAllocate(long size) {
        long a = raw.allocate(size);
        if (a != 0) {
            synchronized (this) {
                rawAllocations++;
            }
        }
        return a;
    }

    /** Returns a block to the cache (no driver call). */
    synchronized void free(Block b) {
        inUse -= b.size();
        cached += b.size();
        cache.computeIfAbsent(b.size(), k -> new ArrayDeque<>()).push(b.address());
    }

    /** Gives every cached block back to the driver. */
    void trim() {
        TreeMap<Long, ArrayDeque<Long>> all;
        synchronized (this) {
            all = new TreeMap<>(cache);
            cache.clear();
            cached = 0;
        }
        for (ArrayDeque<Long> q : all.values()) {
            for (long a : q) {
                raw.free(a);
            }
        }
    }

    synchronized long inUseBytes() {
        return inUse;
    }

    /** The current counters. */
    public synchronized Stats stats() {
        return new Stats(inUse, cached, rawAllocations, reuses);
    }

    /** A device block handed out by the pool. */
    record Block(long address, long size) {
    }
}
