package org.tessera.spark.plan;

import org.apache.spark.TaskContext;
import org.tessera.backend.cpu.Parallel;
import org.tessera.spark.TesseraConf;

/** What every Tessera task does first: size kernel threads to the task, and inject faults in tests. */
public final class TaskSupport {
    private TaskSupport() {
    }

    /**
     * Limits kernels to the task's cores; throws on the first attempt when fault injection is on.
     *
     * @throws IllegalStateException the injected failure
     */
    public static void begin(boolean failFirstAttempt) {
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return;
        }
        Parallel.setTaskThreads(Math.max(1, tc.cpus()));
        if (failFirstAttempt && tc.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure (" + TesseraConf.FAIL_FIRST_ATTEMPT.name()
                    + "=true): stage " + tc.stageId() + ", partition " + tc.partitionId() + ", attempt 0");
        }
    }
}
