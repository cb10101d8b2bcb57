package org.tessera.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits loops over the CPU threads that this process (or, on an executor, this task) owns.
 *
 * <p>The thread count comes from the system property {@code tessera.threads}, default the
 * available processors; {@link #setTaskThreads} narrows it for the current thread, so that an
 * executor running several tasks does not oversubscribe its cores.
 */
public final class Parallel {
    private static final int MAX = Math.max(1, threadsSetting());
    private static final ForkJoinPool POOL = new ForkJoinPool(MAX, pool -> {
        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("tessera-cpu-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);
    private static final ThreadLocal<Integer> TASK_THREADS = new ThreadLocal<>();

    private static int threadsSetting() {
        String v = org.tessera.EngineProperty.THREADS.value();
        if (v == null || v.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(org.tessera.EngineProperty.THREADS.key() + ": cannot parse '" + v
                    + "'; expected a positive integer");
        }
    }

    /** A body run over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(long start, long end);
    }

    private Parallel() {
    }

    /** The threads kernels started on this thread may use. */
    public static int threads() {
        Integer t = TASK_THREADS.get();
        return t == null ? MAX : Math.max(1, Math.min(t, MAX));
    }

    /** Limits kernels started on this thread to {@code n} threads (null restores the default). */
    public static void setTaskThreads(Integer n) {
        if (n == null) {
            TASK_THREADS.remove();
        } else {
            if (n < 1) {
                throw new IllegalArgumentException("threads: " + n + "; expected at least 1");
            }
            TASK_THREADS.set(n);
        }
    }

    /**
     * Runs {@code body} over {@code [0, n)} in up to {@link #threads()} chunks of at least
     * {@code grain} elements, each chunk boundary a multiple of {@code align}.
     */
    public static void forRange(long n, long grain, long align, RangeBody body) {
        int threads = threads();
        long chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || java.util.concurrent.ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        long per = (n + chunks - 1) / chunks;
        per = (per + align - 1) / align * align;
        final long step = per;
        RecursiveAction[] tasks = new RecursiveAction[(int) ((n + step - 1) / step)];
        for (int i = 0; i < tasks.length; i++) {
            long s = i * step;
            long e = Math.min(n, s + step);
            tasks[i] = new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(s, e);
                }
            };
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }
}
