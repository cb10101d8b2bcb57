package org.tessera.spark.memory;

import java.util.OptionalLong;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.storage.StorageLevel;
import org.tessera.memory.Memory;
import org.tessera.memory.MemoryPressure;
import org.tessera.spark.TesseraConf;

/**
 * Makes Tessera's off-heap memory and the blocks Spark caches share one budget per executor.
 *
 * <ul>
 *   <li>The budget is the limit of the engine's allocator, which holds every tensor buffer of the
 *       executor, cached or not: {@code spark.tessera.memory.limit}, by default
 *       {@code spark.memory.offHeap.size} when {@code spark.memory.offHeap.enabled} is true.
 *   <li>With Spark's off-heap memory enabled, cached blocks are kept as objects in Spark's off-heap
 *       storage memory ({@link #blockLevel}), so Spark accounts their data bytes where they live
 *       and its own eviction and spilling apply to them.
 *   <li>When an allocation would pass the budget, {@link CacheEviction} drops cached blocks through
 *       Spark's block manager (to disk when the storage level has disk) before the task fails.
 * </ul>
 *
 * {@link #install} runs at the start of every Tessera task and does its work once per Spark
 * environment (executor).
 */
public final class ExecutorMemory {
    private static final Object LOCK = new Object();
    private static volatile SparkEnv installedFor;
    private static CacheEviction eviction;
    /** The engine's limit before the first executor configuration changed it (restored for a later one that sets none). */
    private static long engineLimit = -1;

    private ExecutorMemory() {
    }

    /** Applies the budget and the eviction policy of this executor's configuration (once per executor). */
    public static void install(SparkEnv env) {
        if (env == null || env == installedFor) {
            return;
        }
        synchronized (LOCK) {
            if (env == installedFor) {
                return;
            }
            SparkConf conf = env.conf();
            if (engineLimit < 0) {
                engineLimit = Memory.limit();
            }
            long limit = budget(conf, engineLimit).orElse(engineLimit);
            if (limit != Memory.limit()) {
                Memory.setLimit(limit);
            }
            if (eviction != null) {
                MemoryPressure.unregister(eviction);
                eviction = null;
            }
            if (TesseraConf.MEMORY_EVICT.read(conf)) {
                eviction = new CacheEviction(offHeapCaching(conf) ? MemoryMode.OFF_HEAP : MemoryMode.ON_HEAP);
                MemoryPressure.register(eviction);
            }
            installedFor = env;
        }
    }

    /**
     * Undoes {@link #install} in this JVM (when the Spark environment it was made for stops, as a
     * local session's does on close): the engine's limit as it was before, no eviction hook.
     */
    public static void uninstall() {
        synchronized (LOCK) {
            if (eviction != null) {
                MemoryPressure.unregister(eviction);
                eviction = null;
            }
            if (engineLimit >= 0 && Memory.limit() != engineLimit) {
                Memory.setLimit(engineLimit);
            }
            engineLimit = -1;
            installedFor = null;
        }
    }

    /** Bytes of cached blocks that this JVM dropped from Spark's memory store to make room for allocations. */
    public static long droppedBytes() {
        return CacheEviction.DROPPED.get();
    }

    /**
     * The allocator limit that {@code conf} asks for, given the engine's current limit: the explicit
     * {@code spark.tessera.memory.limit}; else, with Spark's off-heap memory enabled, its size (or the
     * engine's limit when that is lower); else none (the engine's limit stays).
     */
    public static OptionalLong budget(SparkConf conf, long engineLimit) {
        OptionalLong explicit = TesseraConf.MEMORY_LIMIT.read(conf);
        if (explicit.isPresent()) {
            return explicit;
        }
        if (offHeapCaching(conf)) {
            return OptionalLong.of(Math.min(engineLimit, offHeapSize(conf)));
        }
        return OptionalLong.empty();
    }

    /** Whether Spark's off-heap memory is enabled with a positive size. */
    public static boolean offHeapCaching(SparkConf conf) {
        return conf.getBoolean("spark.memory.offHeap.enabled", false) && offHeapSize(conf) > 0;
    }

    private static long offHeapSize(SparkConf conf) {
        return conf.getSizeAsBytes("spark.memory.offHeap.size", "0");
    }

    /**
     * The storage level for Tessera blocks named {@code name}: with Spark's off-heap memory enabled,
     * a level that keeps blocks in memory as objects keeps them in off-heap storage memory (the data
     * is off-heap already; Spark then counts it against its off-heap pool, not the heap); any other
     * level is used as named.
     */
    public static StorageLevel blockLevel(String name, SparkConf conf) {
        StorageLevel level = StorageLevel.fromString(name);
        if (!offHeapCaching(conf) || !level.useMemory() || !level.deserialized() || level.useOffHeap()) {
            return level;
        }
        return StorageLevel.apply(level.useDisk(), true, true, true, level.replication());
    }
}
