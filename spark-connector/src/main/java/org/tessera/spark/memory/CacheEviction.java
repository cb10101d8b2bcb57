package org.tessera.spark.memory;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkEnv;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.storage.memory.MemoryStore;
import org.tessera.memory.MemoryPressure;

/**
 * Drops blocks from the executor's Spark memory store when a Tessera allocation would pass the
 * budget, through Spark's own eviction: least recently used first, each block written to disk when
 * its storage level has disk (otherwise recomputed from its lineage when it is next needed), and
 * blocks that a task is reading at that moment left alone.
 *
 * <p>Blocks held in {@link #mode} (where Tessera caches its blocks) go first, then those of the
 * other memory mode. Dropping a block only removes Spark's reference to it: its off-heap buffers
 * come back when no task uses its tensor any more, which the engine's allocator then collects.
 */
final class CacheEviction implements MemoryPressure.Relief {
    /** Bytes of cached blocks dropped under memory pressure in this JVM (Spark's size of each block). */
    static final AtomicLong DROPPED = new AtomicLong();
    private final MemoryMode mode;

    CacheEviction(MemoryMode mode) {
        this.mode = mode;
    }

    @Override
    public long release(long bytes) {
        SparkEnv env = SparkEnv.get();
        if (env == null || env.blockManager() == null) {
            return 0;
        }
        MemoryStore store = env.blockManager().memoryStore();
        long dropped = evict(store, mode, bytes);
        if (dropped < bytes) {
            dropped += evict(store, mode == MemoryMode.OFF_HEAP ? MemoryMode.ON_HEAP : MemoryMode.OFF_HEAP,
                    bytes - dropped);
        }
        return dropped;
    }

    /**
     * Evicts one block at a time (asking Spark for one byte evicts exactly the least recently used
     * block that nobody is reading), so no more is dropped than needed.
     */
    private static long evict(MemoryStore store, MemoryMode mode, long bytes) {
        long dropped = 0;
        while (dropped < bytes) {
            long freed = store.evictBlocksToFreeSpace(scala.Option.empty(), 1L, mode);
            if (freed <= 0) {
                break;
            }
            dropped += freed;
            DROPPED.addAndGet(freed);
        }
        return dropped;
    }

    @Override
    public String state() {
        SparkEnv env = SparkEnv.get();
        if (env == null || env.memoryManager() == null) {
            return "";
        }
        long off = env.memoryManager().offHeapStorageMemoryUsed();
        long on = env.memoryManager().onHeapStorageMemoryUsed();
        return "Spark's memory store still holds " + (off + on) + " bytes of cached blocks (" + off + " off-heap, "
                + on + " on-heap) that running tasks are reading; " + DROPPED.get() + " bytes of blocks were dropped"
                + " in this JVM so far (a dropped block's memory comes back when no task reads it)";
    }

    @Override
    public String toString() {
        return "CacheEviction[" + mode + " first]";
    }
}
