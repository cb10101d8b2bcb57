package org.tessera.spark.plan;

import java.io.Serializable;
import org.apache.spark.sql.SparkSession;
import org.tessera.DType;
import org.tessera.spark.MatmulStrategy;
import org.tessera.spark.TesseraConf;

/** A snapshot of the {@code spark.tessera.*} settings, taken when a computation is planned. */
public record Settings(long blockTargetBytes, long blockMaxBytes, long collectMaxBytes, long broadcastThresholdBytes,
                       long broadcastMaxBytes,
                       MatmulStrategy strategy, int fanIn, long driverMergeBytes, String storageLevel,
                       String checkpointDir,
                       boolean failFirstAttempt) implements Serializable {

    /** Reads the settings from the session's runtime configuration. */
    public static Settings read(SparkSession s) {
        return new Settings(TesseraConf.BLOCK_TARGET_BYTES.get(s), TesseraConf.BLOCK_MAX_BYTES.get(s),
                TesseraConf.COLLECT_MAX_BYTES.get(s), TesseraConf.BROADCAST_THRESHOLD_BYTES.get(s),
                TesseraConf.BROADCAST_MAX_BYTES.get(s),
                TesseraConf.MATMUL_STRATEGY.get(s), TesseraConf.REDUCE_FAN_IN.get(s),
                TesseraConf.REDUCE_DRIVER_MERGE_BYTES.get(s),
                TesseraConf.STORAGE_LEVEL.get(s), TesseraConf.CHECKPOINT_DIR.get(s),
                TesseraConf.FAIL_FIRST_ATTEMPT.get(s));
    }

    /**
     * The fan-in of a tree over {@code partitions} partials of {@code partialBytes} each: all of
     * them at once (merged on the driver) when they are small in total, else the configured one.
     */
    public int treeFanIn(int partitions, long partialBytes) {
        return partialBytes * partitions <= driverMergeBytes ? Math.max(fanIn, partitions) : fanIn;
    }

    /** Refuses a layout whose largest block is above {@code spark.tessera.block.maxBytes}. */
    public void checkBlocks(Layout layout, DType dtype, String op) {
        long bytes = layout.grid().maxBlockElements() * dtype.byteSize();
        if (bytes > blockMaxBytes) {
            throw new IllegalArgumentException(op + ": a block of " + layout.grid() + " holds " + bytes
                    + " bytes of " + dtype + ", above " + TesseraConf.BLOCK_MAX_BYTES.name() + " = " + blockMaxBytes
                    + "; choose smaller blocks or raise " + TesseraConf.BLOCK_MAX_BYTES.name());
        }
    }

    /** Refuses to bring more than {@code spark.tessera.collect.maxBytes} to the driver. */
    public void checkCollect(long bytes, String what) {
        if (bytes > collectMaxBytes) {
            throw new IllegalStateException(what + ": " + bytes + " bytes would be collected to the driver, above "
                    + TesseraConf.COLLECT_MAX_BYTES.name() + " = " + collectMaxBytes + "; raise "
                    + TesseraConf.COLLECT_MAX_BYTES.name() + " or reduce the tensor first");
        }
    }
}
