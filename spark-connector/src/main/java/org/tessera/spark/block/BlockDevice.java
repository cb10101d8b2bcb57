package org.tessera.spark.block;

import org.tessera.Device;

/**
 * The device on which the current thread computes blocks: every {@link Block} realizes its data
 * there (through {@link org.tessera.backend.Offload}), and keeps the result on the CPU.
 *
 * <p>Executor tasks bind it when they start ({@code TaskSupport.begin}, from
 * {@code spark.tessera.device}) and unbind it when they complete, so that a reused executor
 * thread does not keep an earlier task's device. Unbound, as on the driver, it is the CPU.
 */
public final class BlockDevice {
    private static final ThreadLocal<Device> CURRENT = new ThreadLocal<>();

    private BlockDevice() {
    }

    /** The device blocks are computed on by this thread: the bound one, or the CPU. */
    public static Device current() {
        Device d = CURRENT.get();
        return d == null ? Device.CPU : d;
    }

    /** Computes this thread's blocks on {@code device} until {@link #unbind()}. */
    public static void bind(Device device) {
        if (device == null || device.equals(Device.CPU)) {
            CURRENT.remove();
        } else {
            CURRENT.set(device);
        }
    }

    /** Back to the CPU. */
    public static void unbind() {
        CURRENT.remove();
    }
}
