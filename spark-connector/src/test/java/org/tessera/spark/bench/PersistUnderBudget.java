package org.tessera.spark.bench;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.rdd.RDD;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.RDDBlockId;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.memory.Memory;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.memory.ExecutorMemory;

/**
 * Persists a float32 tensor several times larger than the executor's off-heap budget on local[2]
 * and computes its sum twice (after one sum without persisting, the reference); prints the figures
 * as {@code key=value} lines (read by {@code SharedBudgetTest}, which runs this program in its own
 * JVM). The time covers persisting and the two sums.
 *
 * <p>Arguments: rows (65536), columns (1024), rows per block (2048), budget (64m), mode
 * ({@code offheap}: Spark's off-heap memory enabled with the budget as its size, Tessera's budget
 * derived from it; {@code limit}: only {@code spark.tessera.memory.limit}, blocks cached on the
 * heap side), eviction ({@code true}, or {@code false} to show what happens without it). Spark logs
 * errors only; {@code -DlogLevel=INFO} shows each block it stores, drops or spills.
 */
public final class PersistUnderBudget {
    private PersistUnderBudget() {
    }

    /** Runs the check and exits with 0, or prints {@code failed=...} and exits with 1. */
    public static void main(String[] args) throws java.util.concurrent.TimeoutException {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 65_536;
        long cols = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        long blockRows = args.length > 2 ? Long.parseLong(args[2]) : 2048;
        String budget = args.length > 3 ? args[3] : "64m";
        String mode = args.length > 4 ? args[4] : "offheap";
        boolean evict = args.length <= 5 || Boolean.parseBoolean(args[5]);
        TesseraSession.Builder b = TesseraSession.builder().master("local[2]").appName("persist-under-budget")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config(TesseraConf.MEMORY_EVICT.name(), Boolean.toString(evict));
        switch (mode) {
            case "offheap" -> b.config("spark.memory.offHeap.enabled", "true").config("spark.memory.offHeap.size", budget);
            case "limit" -> b.config(TesseraConf.MEMORY_LIMIT.name(), budget);
            default -> throw new IllegalArgumentException("mode: '" + mode + "'; expected offheap or limit");
        }
        int status = 0;
        try (TesseraSession ts = b.getOrCreate()) {
            ts.sparkContext().setLogLevel(System.getProperty("logLevel", "ERROR"));
            AtomicInteger failedTasks = new AtomicInteger();
            ts.sparkContext().sc().addSparkListener(new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    if (!end.taskInfo().successful()) {
                        failedTasks.incrementAndGet();
                    }
                }
            });
            long persistedBytes = rows * cols * DType.FLOAT32.byteSize();
            System.out.println("persistedBytes=" + persistedBytes);
            System.out.println("blockBytes=" + blockRows * cols * DType.FLOAT32.byteSize());
            try {
                Tensor t = ts.randn(DType.FLOAT32, new long[] {rows, cols}, blockRows, cols).mul(2);
                System.out.println("sumWithoutPersist=" + t.sum().item());
                long start = System.nanoTime();
                ts.persist(t);
                System.out.println("sum1=" + t.sum().item());
                System.out.println("sum2=" + t.sum().item());
                System.out.println("seconds=" + String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
                reportBlocks(ts.blocks(t).rdd());
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                String message = String.valueOf(root.getMessage());
                int trace = message.indexOf("\n\tat ");
                System.out.println("failed=" + root.getClass().getSimpleName() + ": "
                        + (trace < 0 ? message : message.substring(0, trace)).replace('\n', ' '));
                status = 1;
                // what the allocator still holds once the garbage collector has had its chance: a
                // figure near the limit would mean buffers kept alive, not merely late to come back
                for (int i = 0; i < 20; i++) {
                    System.gc();
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                Memory.trimPool();
                System.out.println("heldAfterFailure=" + Memory.allocatedBytes());
                System.out.println("storageBytesAfterFailure=" + SparkEnv.get().memoryManager().storageMemoryUsed());
            }
            ts.sparkContext().sc().listenerBus().waitUntilEmpty();
            System.out.println("failedTasks=" + failedTasks.get());
            System.out.println("budgetBytes=" + Memory.limit());
            System.out.println("peakOffHeapBytes=" + Memory.root().getPeakMemoryAllocation());
            System.out.println("droppedBytes=" + ExecutorMemory.droppedBytes());
        }
        System.exit(status);
    }

    /** Where the persisted blocks are now (local mode: the driver is the executor). */
    private static void reportBlocks(RDD<?> rdd) {
        BlockManager bm = SparkEnv.get().blockManager();
        int inMemory = 0;
        int onDisk = 0;
        long diskBytes = 0;
        for (int p = 0; p < rdd.getNumPartitions(); p++) {
            RDDBlockId id = new RDDBlockId(rdd.id(), p);
            if (bm.memoryStore().contains(id)) {
                inMemory++;
            }
            if (bm.diskStore().contains(id)) {
                onDisk++;
                diskBytes += bm.diskStore().getSize(id);
            }
        }
        System.out.println("blocksInMemory=" + inMemory + "/" + rdd.getNumPartitions());
        System.out.println("blocksOnDisk=" + onDisk + "/" + rdd.getNumPartitions());
        System.out.println("diskBytes=" + diskBytes);
    }
}
