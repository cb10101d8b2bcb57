package org.tessera.spark;

import java.io.Serializable;

/**
 * How {@link TesseraSession#mapBatches} reads and groups rows: the conversion options (dtype, nulls,
 * NaNs), the rows per batch, and where to report the tasks' devices and memory.
 *
 * <pre>{@code
 * BatchMetrics metrics = BatchMetrics.register(ts.spark(), "scoring");
 * BatchOptions o = BatchOptions.defaults().batchRows(1024).metrics(metrics)
 *         .dataFrameOptions(DataFrameOptions.defaults().dtype(DType.FLOAT32));
 * }</pre>
 */
public final class BatchOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    private final DataFrameOptions dataFrameOptions;
    private final int batchRows;
    private final BatchMetrics metrics;

    private BatchOptions(DataFrameOptions dataFrameOptions, int batchRows, BatchMetrics metrics) {
        if (batchRows < 0) {
            throw new IllegalArgumentException("batchRows: " + batchRows + "; expected a positive number of rows (or 0"
                    + " for " + TesseraConf.BATCH_ROWS.name() + ")");
        }
        this.dataFrameOptions = java.util.Objects.requireNonNull(dataFrameOptions, "dataFrameOptions");
        this.batchRows = batchRows;
        this.metrics = metrics;
    }

    /**
     * Float64 input, nulls and NaNs are errors, {@code spark.tessera.batch.rows} rows per batch, no
     * metrics.
     */
    public static BatchOptions defaults() {
        return new BatchOptions(DataFrameOptions.defaults(), 0, null);
    }

    /**
     * With other conversion options. {@code DROP} leaves the row out of the result as well: the
     * result holds the rows that were computed.
     */
    public BatchOptions dataFrameOptions(DataFrameOptions o) {
        return new BatchOptions(o, batchRows, metrics);
    }

    /** With {@code rows} rows per batch (0: {@code spark.tessera.batch.rows}). */
    public BatchOptions batchRows(int rows) {
        return new BatchOptions(dataFrameOptions, rows, metrics);
    }

    /** Reporting each task's device, rows, batches and peak memory to {@code m} (null: no report). */
    public BatchOptions metrics(BatchMetrics m) {
        return new BatchOptions(dataFrameOptions, batchRows, m);
    }

    /** The conversion options. */
    public DataFrameOptions dataFrameOptions() {
        return dataFrameOptions;
    }

    /** The rows per batch asked for, or 0 for the configured number. */
    public int batchRows() {
        return batchRows;
    }

    /** The metrics accumulator, or null. */
    public BatchMetrics metrics() {
        return metrics;
    }
}
