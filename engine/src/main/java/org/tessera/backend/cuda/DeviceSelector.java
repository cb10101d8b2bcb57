package org.tessera.backend.cuda;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.tessera.Device;

/**
 * Chooses the device a task on a Spark executor computes on: the GPU that Spark's resource
 * scheduling assigned to the task when CUDA can use it, otherwise the CPU.
 *
 * <p>The engine knows nothing of Spark; the connector passes the task's GPU addresses
 * ({@code TaskContext.get().resources().get("gpu").addresses()}) and the configured mode:
 * <ul>
 *   <li>{@code auto}: the assigned GPU if usable; otherwise the CPU, logged once per executor
 *       (JVM) with the reason;</li>
 *   <li>{@code cpu}: always the CPU;</li>
 *   <li>{@code cuda}: the assigned GPU (cuda:0 when Spark assigned none), or an error that says
 *       why it cannot be used.</li>
 * </ul>
 *
 * <pre>{@code
 * Device d = DeviceSelector.select("auto", List.of("1"));   // cuda:1, or cpu (logged once)
 * }</pre>
 *
 * <p>Addresses are the ordinals the discovery script reports (as {@code nvidia-smi} numbers
 * GPUs). When {@code CUDA_VISIBLE_DEVICES} is set, an address is looked up in it and its
 * position is the CUDA ordinal, as CUDA renumbers the visible devices.
 */
public final class DeviceSelector {
    private static final System.Logger LOG = System.getLogger(DeviceSelector.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    /** How the device is chosen. */
    public enum Mode {
        /** The assigned GPU when usable, else the CPU. */
        AUTO,
        /** Always the CPU. */
        CPU,
        /** The assigned GPU, or an error. */
        CUDA;

        /** Parses {@code auto}, {@code cpu} or {@code cuda} (any case). */
        public static Mode parse(String value) {
            String v = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "", "auto" -> AUTO;
                case "cpu" -> CPU;
                case "cuda", "gpu" -> CUDA;
                default -> throw new IllegalArgumentException("device mode: '" + value
                        + "' is not one of auto, cpu, cuda");
            };
        }
    }

    /**
     * What the executor sees: why CUDA cannot be used (null when it can), the device count, and
     * {@code CUDA_VISIBLE_DEVICES} (null when unset).
     */
    public record Environment(String cudaUnavailableReason, int deviceCount, String visibleDevices) {
        /** The environment of this JVM (probes the driver once). */
        public static Environment current() {
            return new Environment(Cuda.unavailableReason(), Cuda.deviceCount(), System.getenv("CUDA_VISIBLE_DEVICES"));
        }
    }

    /**
     * The choice and, for a CPU fallback in {@code auto} mode, the sentence that says why.
     *
     * @param device the device to compute on
     * @param fallbackReason why the CPU was chosen over an assigned or requested GPU, or null
     */
    public record Selection(Device device, String fallbackReason) {
    }

    private DeviceSelector() {
    }

    /**
     * The device for a task with the given Spark GPU addresses (empty when none were assigned),
     * logging a CPU fallback once per JVM through {@link System.Logger}.
     *
     * @throws IllegalStateException in {@code cuda} mode when the GPU cannot be used
     * @throws IllegalArgumentException for an unknown mode
     */
    public static Device select(String mode, List<String> gpuAddresses) {
        return select(mode, gpuAddresses, m -> LOG.log(System.Logger.Level.WARNING, m));
    }

    /** As {@link #select(String, List)}, logging the one fallback line to {@code log}. */
    public static Device select(String mode, List<String> gpuAddresses, Consumer<String> log) {
        Selection s = choose(Mode.parse(mode), gpuAddresses, Environment.current());
        if (s.fallbackReason() != null && FALLBACK_LOGGED.compareAndSet(false, true)) {
            log.accept("Tessera: tasks on this executor run on the CPU: " + s.fallbackReason());
        }
        return s.device();
    }

    /** The decision alone, for a given environment (no logging, no driver calls). */
    public static Selection choose(Mode mode, List<String> gpuAddresses, Environment env) {
        List<String> addresses = gpuAddresses == null ? List.of() : gpuAddresses;
        if (mode == Mode.CPU) {
            return new Selection(Device.CPU, null);
        }
        if (addresses.isEmpty()) {
            if (mode == Mode.AUTO) {
                return new Selection(Device.CPU, "Spark assigned no GPU to the task (set"
                        + " spark.executor.resource.gpu.amount and spark.task.resource.gpu.amount to use one)");
            }
            if (env.cudaUnavailableReason() != null) {
                throw new IllegalStateException("device mode cuda: CUDA cannot be used on this executor: "
                        + env.cudaUnavailableReason());
            }
            return new Selection(Device.cuda(0), null);
        }
        String address = addresses.get(0).trim();
        String why;
        if (env.cudaUnavailableReason() != null) {
            why = "GPU " + address + " was assigned but CUDA cannot be used: " + env.cudaUnavailableReason();
        } else {
            int ordinal = ordinal(address, env.visibleDevices());
            if (ordinal < 0) {
                why = "GPU address '" + address + "' is not among the devices CUDA can see (CUDA_VISIBLE_DEVICES="
                        + env.visibleDevices() + ")";
            } else if (ordinal >= env.deviceCount()) {
                why = "GPU address '" + address + "' maps to cuda:" + ordinal + " but CUDA sees only "
                        + env.deviceCount() + " device(s)";
            } else {
                return new Selection(Device.cuda(ordinal), null);
            }
        }
        if (mode == Mode.CUDA) {
            throw new IllegalStateException("device mode cuda: " + why);
        }
        return new Selection(Device.CPU, why);
    }

    /** The CUDA ordinal of a Spark GPU address, or -1 when CUDA does not see it. */
    static int ordinal(String address, String visibleDevices) {
        if (visibleDevices != null && !visibleDevices.isBlank()) {
            List<String> visible = Arrays.stream(visibleDevices.split(",")).map(String::trim).toList();
            return visible.indexOf(address);
        }
        try {
            int i = Integer.parseInt(address);
            return i >= 0 ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Forgets that the fallback was logged (for tests). */
    static void resetLogOnce() {
        FALLBACK_LOGGED.set(false);
    }
}
