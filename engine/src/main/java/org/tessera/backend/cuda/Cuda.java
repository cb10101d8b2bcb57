package org.tessera.backend.cuda;

import org.tessera.Device;

/**
 * Whether CUDA can be used in this process, how many devices there are, and why not.
 *
 * <pre>{@code
 * if (Cuda.isAvailable()) {
 *     Tensor x = Tessera.randn(1024, 1024).to(Device.cuda(0));
 * } else {
 *     System.out.println(Cuda.unavailableReason());  // e.g. "libcuda.so.1 not found: ..."
 * }
 * }</pre>
 *
 * <p>The driver is probed once, on first use; the answer never throws.
 */
public final class Cuda {
    private static volatile CudaStatus status;
    private static final CudaContext[] CONTEXTS = new CudaContext[64];

    private Cuda() {
    }

    static CudaStatus status() {
        CudaStatus s = status;
        if (s == null) {
            synchronized (Cuda.class) {
                s = status;
                if (s == null) {
                    s = CudaProbe.probe();
                    status = s;
                }
            }
        }
        return s;
    }

    /** Whether at least one CUDA device can be used. */
    public static boolean isAvailable() {
        return status().usable();
    }

    /** The number of usable CUDA devices (0 when CUDA cannot be used). */
    public static int deviceCount() {
        return status().usable() ? status().deviceCount() : 0;
    }

    /** A sentence naming why CUDA cannot be used, or null when it can. */
    public static String unavailableReason() {
        return status().reason();
    }

    /** Why {@code device} cannot be used, or null when it can. */
    static String unavailableReason(Device device) {
        String r = unavailableReason();
        if (r != null) {
            return r;
        }
        if (!device.type().equals("cuda")) {
            return device + " is not a CUDA device";
        }
        if (device.index() < 0 || device.index() >= deviceCount()) {
            return device + " does not exist: " + deviceCount() + " CUDA device(s) found (cuda:0 to cuda:"
                    + (deviceCount() - 1) + ")";
        }
        return null;
    }

    /**
     * The context of a usable device, created on first use.
     *
     * @throws IllegalStateException naming why the device cannot be used
     */
    static CudaContext context(Device device) {
        String why = unavailableReason(device);
        if (why != null) {
            throw new IllegalStateException("cuda: device " + device + " is not usable: " + why);
        }
        int i = device.index();
        if (i >= CONTEXTS.length) {
            throw new IllegalStateException("cuda: device ordinal " + i + " is beyond the " + CONTEXTS.length
                    + " devices this backend supports");
        }
        CudaContext c = CONTEXTS[i];
        if (c == null) {
            synchronized (CONTEXTS) {
                c = CONTEXTS[i];
                if (c == null) {
                    c = new CudaContext(i);
                    CONTEXTS[i] = c;
                }
            }
        }
        return c;
    }

    /** The device's name and compute capability, such as {@code NVIDIA H100 (sm_90)}. */
    public static String describe(Device device) {
        CudaContext c = context(device);
        return c.name() + " (sm_" + c.computeCapability() + ", " + c.multiprocessors() + " SMs, "
                + (c.totalMemory() >> 20) + " MiB)";
    }

    /** Device memory statistics of {@code device}: bytes held by tensors, cached, and raw allocations made. */
    public static DevicePool.Stats memoryStats(Device device) {
        return context(device).pool().stats();
    }

    /** Whether matmul on {@code device} uses cuBLAS (libcublas.so.12 loaded), and if not, why. */
    public static String cublasStatus(Device device) {
        Cublas b = context(device).cublas();
        return b.isLoaded() ? "cuBLAS " + b.version() : "own GEMM kernel (" + b.reason() + ")";
    }
}
