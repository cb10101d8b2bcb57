package org.tessera.spark.plan;

import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.tessera.Device;
import org.tessera.backend.cuda.DeviceSelector;
import org.tessera.backend.cpu.Parallel;
import org.tessera.spark.TesseraConf;
import org.tessera.spark.block.BlockDevice;
import org.tessera.spark.memory.ExecutorMemory;

/**
 * What every Tessera task does first: apply the executor's off-heap budget (once per executor),
 * size kernel threads to the task, bind it to a device (spark.tessera.device) on which its blocks
 * are computed, and inject faults in tests.
 */
public final class TaskSupport {
    /** The task attempt whose completion already unbinds this thread's device. */
    private static final ThreadLocal<Long> UNBIND_REGISTERED = new ThreadLocal<>();

    private TaskSupport() {
    }

    /**
     * The device for a task with the given GPU addresses under {@code mode} (auto, cpu, cuda):
     * the assigned GPU when CUDA can use it; otherwise the CPU (auto, logged once per executor)
     * or an error naming the reason (cuda).
     */
    static Device selectDevice(String mode, List<String> gpuAddresses) {
        return DeviceSelector.select(mode, gpuAddresses);
    }

    /**
     * Limits kernels to the task's cores and binds the thread's {@link BlockDevice} to the task's
     * device until the task completes; throws on the first attempt when fault injection is on.
     *
     * @throws IllegalStateException the injected failure
     */
    public static void begin(boolean failFirstAttempt) {
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return;
        }
        Parallel.setTaskThreads(Math.max(1, tc.cpus()));
        SparkEnv env = SparkEnv.get();
        ExecutorMemory.install(env);
        String mode = env == null ? "auto" : env.conf().get(TesseraConf.DEVICE.name(), "auto");
        ResourceInformation gpu = tc.resourcesJMap().get("gpu");
        unbindOnCompletion(tc);
        BlockDevice.bind(selectDevice(mode, gpu == null ? List.of() : List.of(gpu.addresses())));
        if (failFirstAttempt && tc.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure (" + TesseraConf.FAIL_FIRST_ATTEMPT.name()
                    + "=true): stage " + tc.stageId() + ", partition " + tc.partitionId() + ", attempt 0");
        }
    }

    /**
     * Unbinds the thread's device (and its kernel thread count) when the task completes (once per task, however many Tessera
     * stages run in it), so that the executor thread's next task starts on the CPU.
     */
    private static void unbindOnCompletion(TaskContext tc) {
        Long attempt = tc.taskAttemptId();
        if (attempt.equals(UNBIND_REGISTERED.get())) {
            return;
        }
        UNBIND_REGISTERED.set(attempt);
        Thread thread = Thread.currentThread();
        tc.addTaskCompletionListener(new org.apache.spark.util.TaskCompletionListener() {
            @Override
            public void onTaskCompletion(TaskContext context) {
                // completion listeners run on the task's thread; a thread-local can only be cleared there
                if (Thread.currentThread() == thread) {
                    BlockDevice.unbind();
                    Parallel.setTaskThreads(null);
                    UNBIND_REGISTERED.remove();
                }
            }
        });
    }
}
