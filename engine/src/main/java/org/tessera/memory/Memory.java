package org.tessera.memory;

import java.lang.ref.Cleaner;
import java.lang.reflect.Field;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;
import org.tessera.TesseraMemoryException;
import sun.misc.Unsafe;

/**
 * The engine's off-heap memory: one Arrow root allocator with a byte limit, and raw access.
 *
 * <p>The limit comes from the system property {@code tessera.memory.limit} (bytes, or with a
 * suffix k, m, g), default: unlimited by the engine (the operating system is the limit).
 * Running out triggers one attempt to reclaim buffers of unreachable tensors before failing
 * with {@link TesseraMemoryException}.
 */
public final class Memory {
    /** Alignment of every tensor buffer, in bytes. */
    public static final int ALIGNMENT = 64;

    static final Unsafe UNSAFE = loadUnsafe();
    static final long FLOAT_BASE = UNSAFE.arrayBaseOffset(float[].class);
    static final long DOUBLE_BASE = UNSAFE.arrayBaseOffset(double[].class);
    static final long LONG_BASE = UNSAFE.arrayBaseOffset(long[].class);
    static final long INT_BASE = UNSAFE.arrayBaseOffset(int[].class);
    static final long BYTE_BASE = UNSAFE.arrayBaseOffset(byte[].class);

    static final Cleaner CLEANER = Cleaner.create();

    private static volatile RootAllocator root;
    private static final BufferPool POOL = new BufferPool(parsePool(org.tessera.EngineProperty.MEMORY_POOL.value()));
    /**
     * Off-heap memory lives outside the Java heap, so an application whose heap is idle may never
     * collect the tensors it dropped: this asks for a collection each time memory grows by
     * {@code tessera.memory.collectEvery} past what was in use after the previous one.
     */
    private static final CollectTrigger COLLECT = new CollectTrigger(
            parseCollectEvery(org.tessera.EngineProperty.MEMORY_COLLECT.value()));

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("Tessera needs a little-endian platform (Arrow's byte order)");
        }
    }

    private Memory() {
    }

    private static Unsafe loadUnsafe() {
        try {
            Field f = Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The root allocator that every tensor buffer comes from (created on first use). */
    public static BufferAllocator root() {
        RootAllocator r = root;
        if (r == null) {
            synchronized (Memory.class) {
                r = root;
                if (r == null) {
                    r = new RootAllocator(RootAllocator.configBuilder()
                            .allocationManagerFactory(UnsafeAllocationManager.FACTORY)
                            .maxAllocation(parseLimit(org.tessera.EngineProperty.MEMORY_LIMIT.value()))
                            .build());
                    root = r;
                }
            }
        }
        return r;
    }

    private static long parsePool(String s) {
        if (s != null && s.trim().equals("0")) {
            return 0;
        }
        return s == null || s.isBlank() ? 512L << 20 : parseLimit(s);
    }

    private static long parseCollectEvery(String s) {
        if (s != null && s.trim().equals("0")) {
            return 0;
        }
        if (s == null || s.isBlank()) {
            return Math.max(256L << 20, Runtime.getRuntime().maxMemory());
        }
        return parseLimit(s);
    }

    /**
     * Sets the growth of off-heap memory after which a garbage collection is asked for (0: never),
     * for tests and embedding applications; {@code tessera.memory.collectEvery} sets it at start.
     */
    public static void setCollectEvery(long bytes) {
        COLLECT.setEvery(bytes);
    }

    /** The current growth after which a garbage collection is asked for (0: never). */
    public static long collectEvery() {
        return COLLECT.every();
    }

    static long parseLimit(String s) {
        if (s == null || s.isBlank()) {
            return Long.MAX_VALUE;
        }
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        long mult = 1;
        char last = t.charAt(t.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            mult = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t) * mult;
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tessera.memory.limit: cannot parse '" + s
                    + "'; expected a positive number of bytes, optionally with k, m or g");
        }
    }

    /** Sets the byte limit of the root allocator (for tests and embedding applications). */
    public static void setLimit(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memory limit: " + bytes + " bytes; expected a positive number");
        }
        root().setLimit(bytes);
    }

    /** The current byte limit. */
    public static long limit() {
        return root().getLimit();
    }

    /** Bytes currently held by tensor buffers, in all scopes (not counting the reuse pool). */
    public static long allocatedBytes() {
        return root().getAllocatedMemory() - POOL.pooledBytes();
    }

    /** Bytes of freed buffers kept for reuse. */
    public static long pooledBytes() {
        return POOL.pooledBytes();
    }

    /** Returns every pooled buffer to the operating system. */
    public static void trimPool() {
        POOL.drain();
    }

    /**
     * Held while memory is charged to an allocator: while a buffer moves between allocators, Arrow
     * counts it twice (it charges the target before the source lets go), so an allocation must not
     * pass the limit's check in the meantime, nor a move start while another is under way. With it
     * no allocation is let through by, or refused because of, a buffer counted twice. A move that
     * must happen whatever the room ({@link #move}: a tensor kept past its scope, a pinned buffer
     * freed while another thread reads it) can count one buffer twice for that instant, so the
     * root's recorded peak may pass the limit by that buffer; no memory is taken twice.
     */
    private static final Object CHARGE = new Object();

    /** Frees a buffer: keeps it for reuse when it is large and the pool has room, else closes it. */
    static void recycle(ArrowBuf buf, long size) {
        ArrowBuf owned = size >= BufferPool.MIN_POOLED ? moveIfRoom(buf, root(), size) : null;
        if (owned == null) {
            buf.close();
        } else if (!POOL.offer(owned, size)) {
            owned.close();
        }
    }

    /** {@code allocator.buffer(size)}, charged under {@link #CHARGE}. */
    static ArrowBuf charge(BufferAllocator allocator, long size) {
        synchronized (CHARGE) {
            return allocator.buffer(size);
        }
    }

    /**
     * Moves {@code buf} to {@code to} (a scope's allocator or the root) whatever the room: a tensor
     * that outlives its scope must go. Under {@link #CHARGE}, so no allocation sees the moment when
     * it is counted twice.
     */
    static ArrowBuf move(ArrowBuf buf, BufferAllocator to) {
        synchronized (CHARGE) {
            return BufferPool.transfer(buf, to);
        }
    }

    /** {@code buf} moved to {@code to} when the root has room for counting it twice meanwhile, else null (buf untouched). */
    private static ArrowBuf moveIfRoom(ArrowBuf buf, BufferAllocator to, long size) {
        if (buf.getReferenceManager().getAllocator() == to) {
            return buf; // nothing moves, nothing is counted twice
        }
        synchronized (CHARGE) {
            return hasRoomToMove(buf, to, size) ? BufferPool.transfer(buf, to) : null;
        }
    }

    /**
     * Allocates {@code bytes} (rounded up to the alignment) from {@code allocator}, reclaiming
     * unreachable buffers once if the limit is hit.
     *
     * @throws TesseraMemoryException when the memory cannot be had: above the limit (at once, when
     *     the size alone exceeds it or the machine's physical memory), or refused by the system
     */
    static ArrowBuf allocate(BufferAllocator allocator, long bytes, String what) {
        if (bytes < 0) {
            throw new IllegalArgumentException("allocate: " + bytes + " bytes for " + what + "; expected 0 or more");
        }
        checkCanHold(bytes, what);
        // the capacity Arrow gives for the request (it rounds sizes below its chunk size up to a power
        // of two): a freed buffer is pooled under its capacity, so the pool is asked for the same size
        long size = allocator.getRoundingPolicy().getRoundedSize(BufferPool.sizeClass(bytes));
        ArrowBuf pooled = fromPool(allocator, size);
        if (pooled != null) {
            return pooled;
        }
        if (COLLECT.due(allocatedBytes(), size)) {
            try {
                System.gc(); // unreachable tensors' buffers come back through the cleaner, into the pool
            } finally {
                COLLECT.collected(allocatedBytes());
            }
            pooled = fromPool(allocator, size);
            if (pooled != null) {
                return pooled;
            }
        }
        try {
            return charge(allocator, size);
        } catch (OutOfMemoryException | OutOfMemoryError first) {
            if (first instanceof OutOfMemoryException) {
                // over the limit: whoever caches tensors (Spark's block store) may give memory back
                ArrowBuf relieved = MemoryPressure.relieveAndRetry(allocator, size);
                if (relieved != null) {
                    return relieved;
                }
            }
            // unreachable tensors first return their buffers to the pool; then empty the pool
            reclaim();
            POOL.drain();
            try {
                return charge(allocator, size);
            } catch (OutOfMemoryException | OutOfMemoryError second) {
                String why = second instanceof OutOfMemoryError
                        ? "the operating system refused the memory (" + second.getMessage() + ")"
                        : "it would exceed the allocator limit";
                throw new TesseraMemoryException("allocate: cannot allocate " + bytes + " bytes for " + what
                        + ": " + why + "; the allocator limit is " + root().getLimit() + " bytes and "
                        + allocatedBytes() + " are in use (after reclaiming unreachable tensors"
                        + relievedState() + "); release tensors (close a scope) or raise tessera.memory.limit", second);
            }
        }
    }

    private static String relievedState() {
        String state = MemoryPressure.state();
        return state.isEmpty() ? "" : " and dropping what could be dropped; " + state;
    }

    /**
     * A pooled buffer of {@code size} bytes moved to {@code allocator}, or null. Moving a buffer
     * between allocators counts it twice for a moment (Arrow charges the target before the source
     * lets go), so near the limit the pooled buffer is closed instead and the caller allocates
     * afresh: the limit holds even for that moment.
     */
    private static ArrowBuf fromPool(BufferAllocator allocator, long size) {
        ArrowBuf pooled = POOL.take(size);
        if (pooled == null) {
            return null;
        }
        ArrowBuf moved = moveIfRoom(pooled, allocator, size);
        if (moved == null) {
            pooled.close();
        }
        return moved;
    }

    /** Whether moving {@code size} bytes of {@code buf} to {@code to} keeps the root under its limit meanwhile. */
    private static boolean hasRoomToMove(ArrowBuf buf, BufferAllocator to, long size) {
        if (buf.getReferenceManager().getAllocator() == to) {
            return true;
        }
        BufferAllocator r = root();
        return r.getAllocatedMemory() + charged(to, size) <= r.getLimit();
    }

    /**
     * What an allocation of {@code size} bytes counts against the limit: Arrow rounds a request below
     * its chunk size (16 MiB) up to a power of two, so 1,024,000 bytes cost 1,048,576.
     */
    static long charged(BufferAllocator allocator, long size) {
        return Math.max(size, allocator.getRoundingPolicy().getRoundedSize(size));
    }

    /** The machine's physical memory in bytes (the container's limit where one is set), or 0 if unknown. */
    public static long physicalBytes() {
        return PHYSICAL;
    }

    private static final long PHYSICAL = readPhysical();

    private static long readPhysical() {
        try {
            java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
                return Math.max(0, sun.getTotalMemorySize());
            }
        } catch (RuntimeException | LinkageError e) {
            // unknown: only the allocator limit applies
        }
        return 0;
    }

    /**
     * Fails with {@link TesseraMemoryException} when {@code bytes} alone exceed the allocator limit
     * or the machine's physical memory: such a tensor can never be held, so it fails at the call
     * that asks for it rather than later, when it is computed.
     */
    public static void checkCanHold(long bytes, String what) {
        long limit = root().getLimit();
        long physical = PHYSICAL;
        if (bytes > limit || (physical > 0 && bytes > physical)) {
            boolean overLimit = bytes > limit;
            throw new TesseraMemoryException("allocate: cannot allocate " + bytes + " bytes for " + what + ": "
                    + (overLimit ? "more than the allocator limit of " + limit + " bytes"
                            : "more than the machine's " + physical + " bytes of physical memory (the limit is "
                                    + limit + " bytes)")
                    + "; " + allocatedBytes() + " bytes are in use; split the work into smaller tensors"
                    + (overLimit ? " or raise tessera.memory.limit" : "") + " (a distributed tensor may be"
                    + " larger than one machine)", null);
        }
    }

    /** Asks the JVM to collect unreachable tensors and waits briefly for their buffers to be released. */
    public static void reclaim() {
        long before = allocatedBytes();
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(20L << i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (allocatedBytes() < before) {
                return;
            }
        }
    }

    // ---- raw access; every address comes from a live Storage ----

    /** Copies {@code n} floats from off-heap {@code address} into {@code dst[off..]}. */
    public static void getFloats(long address, float[] dst, int off, int n) {
        UNSAFE.copyMemory(null, address, dst, FLOAT_BASE + 4L * off, 4L * n);
    }

    /** Copies {@code n} floats from {@code src[off..]} to off-heap {@code address}. */
    public static void putFloats(long address, float[] src, int off, int n) {
        UNSAFE.copyMemory(src, FLOAT_BASE + 4L * off, null, address, 4L * n);
    }

    /** Copies {@code n} doubles from off-heap memory. */
    public static void getDoubles(long address, double[] dst, int off, int n) {
        UNSAFE.copyMemory(null, address, dst, DOUBLE_BASE + 8L * off, 8L * n);
    }

    /** Copies {@code n} doubles to off-heap memory. */
    public static void putDoubles(long address, double[] src, int off, int n) {
        UNSAFE.copyMemory(src, DOUBLE_BASE + 8L * off, null, address, 8L * n);
    }

    /** Copies {@code n} longs from off-heap memory. */
    public static void getLongs(long address, long[] dst, int off, int n) {
        UNSAFE.copyMemory(null, address, dst, LONG_BASE + 8L * off, 8L * n);
    }

    /** Copies {@code n} longs to off-heap memory. */
    public static void putLongs(long address, long[] src, int off, int n) {
        UNSAFE.copyMemory(src, LONG_BASE + 8L * off, null, address, 8L * n);
    }

    /** Copies {@code n} ints from off-heap memory. */
    public static void getInts(long address, int[] dst, int off, int n) {
        UNSAFE.copyMemory(null, address, dst, INT_BASE + 4L * off, 4L * n);
    }

    /** Copies {@code n} ints to off-heap memory. */
    public static void putInts(long address, int[] src, int off, int n) {
        UNSAFE.copyMemory(src, INT_BASE + 4L * off, null, address, 4L * n);
    }

    /** Copies {@code n} bytes from off-heap memory. */
    public static void getBytes(long address, byte[] dst, int off, int n) {
        UNSAFE.copyMemory(null, address, dst, BYTE_BASE + off, n);
    }

    /** Copies {@code n} bytes to off-heap memory. */
    public static void putBytes(long address, byte[] src, int off, int n) {
        UNSAFE.copyMemory(src, BYTE_BASE + off, null, address, n);
    }

    /** Copies between off-heap regions. */
    public static void copy(long from, long to, long bytes) {
        UNSAFE.copyMemory(from, to, bytes);
    }

    /** Sets {@code bytes} bytes at {@code address} to zero. */
    public static void zero(long address, long bytes) {
        UNSAFE.setMemory(address, bytes, (byte) 0);
    }

    public static float getFloat(long address) {
        return UNSAFE.getFloat(address);
    }

    public static double getDouble(long address) {
        return UNSAFE.getDouble(address);
    }

    public static long getLong(long address) {
        return UNSAFE.getLong(address);
    }

    public static int getInt(long address) {
        return UNSAFE.getInt(address);
    }

    public static byte getByte(long address) {
        return UNSAFE.getByte(address);
    }

    public static void putFloat(long address, float v) {
        UNSAFE.putFloat(address, v);
    }

    public static void putDouble(long address, double v) {
        UNSAFE.putDouble(address, v);
    }

    public static void putLong(long address, long v) {
        UNSAFE.putLong(address, v);
    }

    public static void putInt(long address, int v) {
        UNSAFE.putInt(address, v);
    }

    public static void putByte(long address, byte v) {
        UNSAFE.putByte(address, v);
    }
}
