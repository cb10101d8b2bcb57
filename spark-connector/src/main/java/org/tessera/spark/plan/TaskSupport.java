package org.tessera.spark.plan;

import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.tessera.Device;
import org.tessera.backend.cuda.DeviceSelector;
import org.tessera.backend.cpu.Parallel;
import org.tessera.spark.TesseraConf;

/**
 * What every Tessera task does first: size kernel threads to the task, bind it to a device
 * (spark.tessera.device), and inject faults in tests.
 */
public final class TaskSupport {
    private static final ThreadLocal<Device> DEVICE = new ThreadLocal<>();

    private TaskSupport() {
    }

    /** The device the current task was bound to (the CPU outside a task). */
    public static Device device() {
        Device d = DEVICE.get();
        return d == null ? Device.CPU : d;
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
        SparkEnv env = SparkEnv.get();
        String mode = env == null ? "auto" : env.conf().get(TesseraConf.DEVICE.name(), "auto");
        ResourceInformation gpu = tc.resourcesJMap().get("gpu");
        DEVICE.set(selectDevice(mode, gpu == null ? List.of() : List.of(gpu.addresses())));
        if (failFirstAttempt && tc.attemptNumber() == 0) {
            throw new IllegalStateException("injected failure (" + TesseraConf.FAIL_FIRST_ATTEMPT.name()
                    + "=true): stage " + tc.stageId() + ", partition " + tc.partitionId() + ", attempt 0");
        }
    }
}
