package org.tessera.spark;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;

/**
 * Every configuration key of Tessera on Spark, declared once with its default and its meaning.
 *
 * <p>Keys live under {@code spark.tessera.*} and are read from the Spark session's runtime
 * configuration when a tensor is planned, so {@code spark.conf().set(...)} takes effect for the
 * next computation. Sizes accept {@code k}, {@code m} and {@code g} suffixes.
 */
public final class TesseraConf {
    /** One configuration key: name, default, description and parser. */
    public record Key<T>(String name, String defaultValue, String doc, Function<String, T> parser) {
        /** The value in {@code session}'s configuration, or the default. */
        public T get(SparkSession session) {
            return parse(session == null ? defaultValue : session.conf().get(name, defaultValue));
        }

        /** The value in a Spark configuration (on executors: the application's), or the default. */
        public T read(org.apache.spark.SparkConf conf) {
            return parse(conf == null ? defaultValue : conf.get(name, defaultValue));
        }

        private T parse(String raw) {
            try {
                return parser.apply(raw.trim());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(name + ": cannot use value '" + raw + "': " + e.getMessage()
                        + " (default " + defaultValue + ")", e);
            }
        }
    }

    /** Target size of one block when Tessera chooses the grid. */
    public static final Key<Long> BLOCK_TARGET_BYTES = bytes("spark.tessera.block.targetBytes", "32m",
            "Target size of one block when Tessera chooses a grid (creation, distribute, to(device)).");
    /** Largest block allowed. */
    public static final Key<Long> BLOCK_MAX_BYTES = bytes("spark.tessera.block.maxBytes", "512m",
            "Largest block allowed; a grid or DataFrame partition that would make a larger block is refused.");
    /** Largest tensor that may be collected to the driver. */
    public static final Key<Long> COLLECT_MAX_BYTES = bytes("spark.tessera.collect.maxBytes", "1g",
            "Largest tensor that may be collected to the driver (reading values, local results of reductions"
                    + " and products).");
    /** Size under which the smaller matmul operand is broadcast. */
    public static final Key<Long> BROADCAST_THRESHOLD_BYTES = bytes("spark.tessera.matmul.broadcastThresholdBytes",
            "64m", "A distributed matmul operand at most this large goes whole to every task (no shuffle); a"
                    + " reduction over the partition dim whose result is larger stays distributed.");
    /** Largest operand broadcast when that moves fewer bytes than a shuffle. */
    public static final Key<Long> BROADCAST_MAX_BYTES = bytes("spark.tessera.matmul.broadcastMaxBytes", "512m",
            "Above the broadcast threshold and up to this size, the smaller matmul operand is still broadcast when"
                    + " that moves fewer bytes (size × executors) than the shuffle-based product would.");
    /** Matmul strategy. */
    public static final Key<MatmulStrategy> MATMUL_STRATEGY = new Key<>("spark.tessera.matmul.strategy", "auto",
            "Matmul strategy for distributed operands: auto (chosen by size), broadcast, selfProduct or shuffle.",
            MatmulStrategy::parse);
    /** Fan-in of tree reductions. */
    public static final Key<Integer> REDUCE_FAN_IN = new Key<>("spark.tessera.reduce.fanIn", "8",
            "How many partial results each step of a tree reduction combines (at least 2).", s -> {
                int v = Integer.parseInt(s);
                if (v < 2) {
                    throw new IllegalArgumentException("expected an integer of at least 2");
                }
                return v;
            });
    /** Total size of partials that the driver merges in one step. */
    public static final Key<Long> REDUCE_DRIVER_MERGE_BYTES = bytes("spark.tessera.reduce.driverMergeBytes", "16m",
            "When the partial results of a reduction or product add up to at most this many bytes, the driver merges"
                    + " them in one step (no intermediate shuffle stages); above it they are combined as a tree.");
    /** Storage level used by persist and checkpoint. */
    public static final Key<String> STORAGE_LEVEL = new Key<>("spark.tessera.storageLevel", "MEMORY_AND_DISK",
            "Spark storage level used by TesseraSession.persist and checkpoint (a StorageLevel name). With"
                    + " spark.memory.offHeap.enabled, a level that keeps deserialized blocks in memory keeps them in"
                    + " Spark's off-heap storage memory, where their data is.", s -> {
                org.apache.spark.storage.StorageLevel.fromString(s.toUpperCase(Locale.ROOT));
                return s.toUpperCase(Locale.ROOT);
            });
    /** Reliable checkpoint directory. */
    public static final Key<String> CHECKPOINT_DIR = new Key<>("spark.tessera.checkpoint.dir", "",
            "Directory for reliable checkpoints; empty means local checkpoints (executor storage).", s -> s);
    /** The device executor tasks are bound to. */
    public static final Key<String> DEVICE = new Key<>("spark.tessera.device", "auto",
            "Executor device: auto binds each task to the GPU that Spark's resource scheduling assigned to it"
                    + " (spark.executor/task.resource.gpu.amount) when CUDA can use it, and otherwise to the CPU,"
                    + " said once per executor in the log; cpu always uses the CPU; cuda fails the task with the reason"
                    + " when its GPU cannot be used. Read from the executors' Spark configuration. On a GPU, each"
                    + " block's kernels run on the task's device: the block's inputs are copied to it and its result"
                    + " back to the CPU, block by block (blocks that only move data stay on the CPU).",
            s -> {
                org.tessera.backend.cuda.DeviceSelector.Mode.parse(s);
                return s.trim().toLowerCase(Locale.ROOT);
            });
    /** The off-heap budget of one executor. */
    public static final Key<java.util.OptionalLong> MEMORY_LIMIT = new Key<>("spark.tessera.memory.limit", "auto",
            "Off-heap budget of one executor (bytes, k/m/g suffix): the limit of its Tessera allocator, which holds"
                    + " both the blocks Spark caches and the memory tasks compute with. auto: spark.memory.offHeap.size"
                    + " when spark.memory.offHeap.enabled is true (never above a -Dtessera.memory.limit given to the"
                    + " executor JVM), otherwise the engine's own limit. Read from the executors' Spark configuration.",
            s -> s.equalsIgnoreCase("auto") ? java.util.OptionalLong.empty()
                    : java.util.OptionalLong.of(parseBytes(s)));
    /** Whether allocation failures first evict cached blocks. */
    public static final Key<Boolean> MEMORY_EVICT = new Key<>("spark.tessera.memory.evictCachedBlocks", "true",
            "When a Tessera allocation on an executor would pass its budget, drop cached blocks from Spark's memory"
                    + " store first (least recently used; written to disk when their storage level has disk, else"
                    + " recomputed when next needed), collect their buffers and retry; false fails the task instead.",
            TesseraConf::bool);
    /** Rows per batch of mapBatches. */
    public static final Key<Integer> BATCH_ROWS = new Key<>("spark.tessera.batch.rows", "4096",
            "Rows per batch of TesseraSession.mapBatches and TesseraTransformer: each batch of a partition's rows"
                    + " becomes one [rows, features] tensor, and the memory a task holds is bounded by it, not by the"
                    + " partition's size (at least 1).", s -> {
                int v = Integer.parseInt(s);
                if (v < 1) {
                    throw new IllegalArgumentException("expected a positive number of rows");
                }
                return v;
            });
    /** Whether DataFrames are read from Spark's column batches where their plan gives them. */
    public static final Key<Boolean> DATAFRAME_COLUMNAR = new Key<>("spark.tessera.dataframe.columnar", "true",
            "fromDataFrame copies numeric columns from Spark's column batches when the DataFrame's plan is a columnar"
                    + " scan (Parquet, Spark's cache), and so does mapBatches when its inputs are numeric and every"
                    + " column has a fixed width (numbers, booleans, dates, timestamps), laying out the rows it passes"
                    + " on column by column; both raise spark.sql.codegen.maxFields in the session while they plan a"
                    + " scan wider than that; false always reads Spark's rows.", TesseraConf::bool);
    /** Fault injection for tests. */
    public static final Key<Boolean> FAIL_FIRST_ATTEMPT = new Key<>("spark.tessera.test.failFirstAttempt", "false",
            "Testing only: every Tessera task throws on its first attempt, so Spark must retry it"
                    + " (needs a master that allows retries, such as local[2,4]).", TesseraConf::bool);

    private static final List<Key<?>> ALL = List.of(BLOCK_TARGET_BYTES, BLOCK_MAX_BYTES, COLLECT_MAX_BYTES,
            BROADCAST_THRESHOLD_BYTES, BROADCAST_MAX_BYTES, MATMUL_STRATEGY, REDUCE_FAN_IN, REDUCE_DRIVER_MERGE_BYTES,
            STORAGE_LEVEL, CHECKPOINT_DIR, DEVICE, MEMORY_LIMIT, MEMORY_EVICT,
            BATCH_ROWS, DATAFRAME_COLUMNAR, FAIL_FIRST_ATTEMPT);

    private TesseraConf() {
    }

    /** Every key, in the order of the documentation table. */
    public static List<Key<?>> all() {
        return ALL;
    }

    /** The keys as a Markdown table (key, default, meaning), for the README. */
    public static String markdownTable() {
        StringBuilder b = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
        for (Key<?> k : ALL) {
            b.append("| `").append(k.name()).append("` | `").append(k.defaultValue().isEmpty() ? "(empty)"
                    : k.defaultValue()).append("` | ").append(k.doc()).append(" |\n");
        }
        return b.toString();
    }

    private static Key<Long> bytes(String name, String def, String doc) {
        return new Key<>(name, def, doc, TesseraConf::parseBytes);
    }

    /** Parses {@code 123}, {@code 64k}, {@code 32m}, {@code 1g} (also with a trailing b). */
    public static long parseBytes(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        long mult = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g' || last == 't') {
            mult = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : last == 'g' ? 1L << 30 : 1L << 40;
            t = t.substring(0, t.length() - 1);
        }
        long v = Long.parseLong(t.trim());
        if (v <= 0) {
            throw new IllegalArgumentException("expected a positive size in bytes");
        }
        return v * mult;
    }

    private static boolean bool(String s) {
        if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("expected true or false");
    }
}
