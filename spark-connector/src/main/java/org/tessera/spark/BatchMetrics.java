package org.tessera.spark;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.AccumulatorV2;

/**
 * What the tasks of {@link TesseraSession#mapBatches} report: the device each ran on, the rows and
 * batches it computed, and the most off-heap memory one of its batches held. A Spark accumulator:
 * register it on the driver, pass it in {@link BatchOptions#metrics}, read it after the action.
 *
 * <pre>{@code
 * BatchMetrics m = BatchMetrics.register(ts.spark(), "scoring");
 * ts.mapBatches(df, cols, fn, schema, BatchOptions.defaults().metrics(m)).write().parquet(out);
 * System.out.println("scored on " + m.value().devices());   // scored on cpu (16 tasks)
 * }</pre>
 *
 * <p>Like every accumulator updated inside a transformation, a task that runs twice (a retry, or a
 * DataFrame computed by two actions) is counted twice.
 */
public final class BatchMetrics extends AccumulatorV2<BatchMetrics.TaskRecord, BatchMetrics.Totals> {
    private static final long serialVersionUID = 1L;

    /** One task's report. */
    public record TaskRecord(String device, long rows, long batches, long peakBatchBytes) implements Serializable {
    }

    /**
     * The reports summed: tasks per device (sorted by device name), rows, batches, and the largest
     * peak of off-heap bytes held while computing one batch.
     */
    public record Totals(Map<String, Long> tasksByDevice, long rows, long batches, long peakBatchBytes)
            implements Serializable {
        /** The devices with their task counts, such as {@code cpu (16 tasks)} or {@code cuda:0 (3 tasks), cuda:1 (3 tasks)}. */
        public String devices() {
            if (tasksByDevice.isEmpty()) {
                return "no device (no task reported)";
            }
            StringBuilder b = new StringBuilder();
            tasksByDevice.forEach((d, n) -> b.append(b.length() == 0 ? "" : ", ").append(d).append(" (").append(n)
                    .append(n == 1 ? " task)" : " tasks)"));
            return b.toString();
        }

        /** Total tasks reported. */
        public long tasks() {
            return tasksByDevice.values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String toString() {
            return devices() + ", " + rows + " rows in " + batches + " batches, at most " + peakBatchBytes
                    + " off-heap bytes per batch";
        }
    }

    private TreeMap<String, Long> tasks = new TreeMap<>();
    private long rows;
    private long batches;
    private long peak;

    /** An accumulator registered with the session's Spark context under {@code name}. */
    public static BatchMetrics register(SparkSession spark, String name) {
        BatchMetrics m = new BatchMetrics();
        spark.sparkContext().register(m, name);
        return m;
    }

    @Override
    public boolean isZero() {
        return tasks.isEmpty() && rows == 0 && batches == 0 && peak == 0;
    }

    @Override
    public BatchMetrics copy() {
        BatchMetrics c = new BatchMetrics();
        synchronized (this) {
            c.tasks = new TreeMap<>(tasks);
            c.rows = rows;
            c.batches = batches;
            c.peak = peak;
        }
        return c;
    }

    @Override
    public synchronized void reset() {
        tasks = new TreeMap<>();
        rows = 0;
        batches = 0;
        peak = 0;
    }

    @Override
    public synchronized void add(TaskRecord r) {
        tasks.merge(r.device(), 1L, Long::sum);
        rows += r.rows();
        batches += r.batches();
        peak = Math.max(peak, r.peakBatchBytes());
    }

    @Override
    public void merge(AccumulatorV2<TaskRecord, Totals> other) {
        if (!(other instanceof BatchMetrics o)) {
            throw new IllegalArgumentException("BatchMetrics: cannot merge a " + other.getClass().getName());
        }
        BatchMetrics c = o.copy();
        synchronized (this) {
            c.tasks.forEach((d, n) -> tasks.merge(d, n, Long::sum));
            rows += c.rows;
            batches += c.batches;
            peak = Math.max(peak, c.peak);
        }
    }

    @Override
    public synchronized Totals value() {
        return new Totals(Collections.unmodifiableMap(new TreeMap<>(tasks)), rows, batches, peak);
    }
}
