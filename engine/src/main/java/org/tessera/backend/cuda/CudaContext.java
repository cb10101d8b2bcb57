package org.tessera.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device as the backend uses it: its primary context, the kernel module, the memory
 * pool, cuBLAS when available, and the lock that serializes the backend's work on it. All work
 * goes to the legacy default stream, so it runs in the order it was queued and synchronous
 * copies wait for the kernels before them.
 */
final class CudaContext {
    /** The PTX resource built from {@code src/main/cuda} by {@code scripts/build-ptx.sh}. */
    static final String PTX_RESOURCE = "tessera.ptx";

    private final int ordinal;
    private final String label;
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final DevicePool pool;
    private final ReentrantLock lock = new ReentrantLock();
    private final String name;
    private final int computeCapability;
    private final int multiprocessors;
    private final long totalMemory;
    private volatile Cublas cublas;

    CudaContext(int ordinal) {
        this.ordinal = ordinal;
        this.label = "cuda:" + ordinal;
        CUdevice dev = new CUdevice();
        check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet");
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain");
        enter();
        byte[] nameBytes = new byte[256];
        JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, dev);
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        this.name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        this.computeCapability = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) * 10
                + attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        this.multiprocessors = attribute(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] free = new long[1];
        long[] total = new long[1];
        JCudaDriver.cuMemGetInfo(free, total);
        this.totalMemory = total[0];
        if (computeCapability < 75) {
            throw new IllegalStateException(label + " (" + name + ") has compute capability "
                    + computeCapability / 10 + "." + computeCapability % 10 + "; the Tessera kernels need 7.5 or newer");
        }
        loadModule();
        this.pool = new DevicePool(label, new DevicePool.Raw() {
            @Override
            public long allocate(long bytes) {
                CUdeviceptr p = new CUdeviceptr();
                int r = JCudaDriver.cuMemAlloc(p, bytes);
                if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
                    return 0;
                }
                check(r, "cuMemAlloc(" + bytes + ")");
                return Pointers.address(p);
            }

            @Override
            public void free(long address) {
                check(JCudaDriver.cuMemFree(Pointers.device(address)), "cuMemFree");
            }

            @Override
            public long[] memInfo() {
                long[] f = new long[1];
                long[] t = new long[1];
                JCudaDriver.cuMemGetInfo(f, t);
                return new long[] {f[0], t[0]};
            }
        }, CudaContext::reclaim);
    }

    private static void reclaim() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(20L << i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void loadModule() {
        byte[] ptx;
        try (InputStream in = CudaContext.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(label + ": the kernel resource " + PTX_RESOURCE
                        + " is missing from the engine jar; regenerate it with engine/scripts/build-ptx.sh");
            }
            byte[] text = in.readAllBytes();
            ptx = java.util.Arrays.copyOf(text, text.length + 1); // the driver reads a NUL-terminated string
        } catch (IOException e) {
            throw new IllegalStateException(label + ": cannot read " + PTX_RESOURCE + ": " + e.getMessage(), e);
        }
        int r = JCudaDriver.cuModuleLoadData(module, ptx);
        if (r != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException(label + ": loading the kernels (" + PTX_RESOURCE + ") failed: "
                    + CUresult.stringFor(r) + (r == 222 ? " (the driver is older than the PTX ISA the kernels use)"
                    : ""));
        }
    }

    private static int attribute(CUdevice dev, int attr) {
        int[] v = new int[1];
        JCudaDriver.cuDeviceGetAttribute(v, attr, dev);
        return v[0];
    }

    /** Throws with the call and the driver's error name unless {@code result} is success. */
    void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException(label + ": " + call + " failed: " + CUresult.stringFor(result));
        }
    }

    /** Makes this device's context current on the calling thread. */
    void enter() {
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    ReentrantLock lock() {
        return lock;
    }

    int ordinal() {
        return ordinal;
    }

    String label() {
        return label;
    }

    String name() {
        return name;
    }

    int computeCapability() {
        return computeCapability;
    }

    int multiprocessors() {
        return multiprocessors;
    }

    long totalMemory() {
        return totalMemory;
    }

    DevicePool pool() {
        return pool;
    }

    /** cuBLAS for this device, loaded on first use (possibly unavailable, with a reason). */
    Cublas cublas() {
        Cublas c = cublas;
        if (c == null) {
            synchronized (this) {
                c = cublas;
                if (c == null) {
                    enter();
                    c = Cublas.load();
                    cublas = c;
                }
            }
        }
        return c;
    }

    /** A new device buffer of {@code bytes} from the pool. */
    DeviceBuffer allocate(long bytes, String what) {
        enter(); // a pool miss calls cuMemAlloc, which needs this context on the calling thread
        return new DeviceBuffer(pool, pool.allocate(bytes, what), bytes);
    }

    /** Launches {@code kernel} on a grid of blocks of {@code block} threads. */
    void launch(String kernel, long gridX, int gridY, int gridZ, int block, KernelArgs args) {
        if (gridX <= 0 || gridY <= 0 || gridZ <= 0) {
            return;
        }
        CUfunction f = functions.computeIfAbsent(kernel, k -> {
            CUfunction fn = new CUfunction();
            check(JCudaDriver.cuModuleGetFunction(fn, module, k), "cuModuleGetFunction(" + k + ")");
            return fn;
        });
        int gx = (int) Math.min(gridX, Integer.MAX_VALUE);
        check(JCudaDriver.cuLaunchKernel(f, gx, gridY, gridZ, block, 1, 1, 0, null, args.toPointer(), null),
                "cuLaunchKernel(" + kernel + ")");
    }

    /** Blocks for a grid-stride kernel over {@code n} elements: enough to fill the device, no more. */
    long gridFor(long n, int block) {
        long needed = (n + block - 1) / block;
        return Math.max(1, Math.min(needed, (long) multiprocessors * 32));
    }

    void copyHostToDevice(long device, long host, long bytes) {
        if (bytes > 0) {
            check(JCudaDriver.cuMemcpyHtoD(Pointers.device(device), Pointers.host(host), bytes), "cuMemcpyHtoD");
        }
    }

    void copyDeviceToHost(long host, long device, long bytes) {
        if (bytes > 0) {
            check(JCudaDriver.cuMemcpyDtoH(Pointers.host(host), Pointers.device(device), bytes), "cuMemcpyDtoH");
        }
    }

    void copyDeviceToDevice(long to, long from, long bytes) {
        if (bytes > 0) {
            check(JCudaDriver.cuMemcpyDtoD(Pointers.device(to), Pointers.device(from), bytes), "cuMemcpyDtoD");
        }
    }

    /** Copies Java longs to the device (small tables such as scan offsets). */
    void copyToDevice(long device, long[] values) {
        check(JCudaDriver.cuMemcpyHtoD(Pointers.device(device), Pointer.to(values), 8L * values.length),
                "cuMemcpyHtoD");
    }

    /** Copies device longs into a Java array. */
    void copyFromDevice(long[] values, long device) {
        check(JCudaDriver.cuMemcpyDtoH(Pointer.to(values), Pointers.device(device), 8L * values.length),
                "cuMemcpyDtoH");
    }

    void zero(long device, long bytes) {
        if (bytes > 0) {
            check(JCudaDriver.cuMemsetD8(Pointers.device(device), (byte) 0, bytes), "cuMemsetD8");
        }
    }

    /** Waits for all queued work; surfaces errors of kernels that ran asynchronously. */
    void synchronize() {
        check(JCudaDriver.cuCtxSynchronize(), "cuCtxSynchronize (a kernel failed)");
    }
}
