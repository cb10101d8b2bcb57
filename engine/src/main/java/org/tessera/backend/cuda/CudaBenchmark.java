package org.tessera.backend.cuda;

import java.util.Locale;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.memory.Storage;

/**
 * Measures the CUDA backend against references taken in the same run and prints a table:
 * fp32 matmul GFLOP/s of the own GEMM kernel next to cuBLAS (4096 and 8192), a fused
 * elementwise chain in GB/s next to a device-to-device copy, and host-device copy GB/s.
 *
 * <pre>
 *   java -cp ... org.tessera.backend.cuda.CudaBenchmark [device]     (default cuda:0)
 * </pre>
 */
public final class CudaBenchmark {
    private CudaBenchmark() {
    }

    /** Runs the benchmark; exits with status 2 when CUDA cannot be used. */
    public static void main(String[] args) {
        Device device = Device.of(args.length > 0 ? args[0] : "cuda:0");
        if (!Tessera.isCudaAvailable()) {
            System.out.println("benchmark: CUDA is not usable here: " + Cuda.unavailableReason());
            System.exit(2);
        }
        CudaContext ctx = Cuda.context(device);
        System.out.println("device: " + device + " " + Cuda.describe(device) + "; matmul: " + Cuda.cublasStatus(device));
        System.out.printf(Locale.ROOT, "%-44s %14s %22s %8s%n", "measure", "value", "reference", "ratio");
        for (int n : new int[] {4096, 8192}) {
            matmul(ctx, n);
        }
        fused(ctx, 1L << 26);
        hostCopies(ctx, 256L << 20);
    }

    private static void row(String what, double value, String unit, double ref, String refName) {
        String r = Double.isNaN(ref) ? "n/a" : String.format(Locale.ROOT, "%.1f %s", ref, unit);
        String ratio = Double.isNaN(ref) ? "" : String.format(Locale.ROOT, "%.2f", value / ref);
        System.out.printf(Locale.ROOT, "%-44s %10.1f %-3s %22s %8s%n", what, value, unit, refName + " " + r, ratio);
    }

    /** Seconds per call of {@code body}, after a warm-up, over at least {@code minSeconds}. */
    private static double time(CudaContext ctx, Runnable body, double minSeconds) {
        body.run();
        ctx.synchronize();
        int reps = 0;
        long start = System.nanoTime();
        double elapsed;
        do {
            body.run();
            reps++;
            ctx.synchronize();
            elapsed = (System.nanoTime() - start) / 1e9;
        } while (elapsed < minSeconds);
        return elapsed / reps;
    }

    private static Tensor randomOnDevice(CudaContext ctx, long... shape) {
        return Tessera.rand(shape).sub(0.5).to(Device.cuda(ctx.ordinal())).realize();
    }

    private static void matmul(CudaContext ctx, int n) {
        Tensor a = randomOnDevice(ctx, n, n);
        Tensor b = randomOnDevice(ctx, n, n);
        CudaData da = CudaBackend.data(a.node());
        CudaData db = CudaBackend.data(b.node());
        DeviceBuffer c = ctx.allocate(4L * n * n, "benchmark output");
        long[] st = {(long) n * n, n, 1};
        double flops = 2.0 * n * n * n;
        ctx.lock().lock();
        try {
            ctx.enter();
            double own = time(ctx, () -> MatmulKernel.gemm(ctx, DType.FLOAT32, 1, n, n, n, da.address(DType.FLOAT32),
                    st, db.address(DType.FLOAT32), st, c.address(), MatmulKernel.Impl.KERNEL), 1.0);
            double ref = Double.NaN;
            if (ctx.cublas().isLoaded()) {
                ref = flops / time(ctx, () -> MatmulKernel.gemm(ctx, DType.FLOAT32, 1, n, n, n,
                        da.address(DType.FLOAT32), st, db.address(DType.FLOAT32), st, c.address(),
                        MatmulKernel.Impl.CUBLAS), 1.0) / 1e9;
            }
            row("fp32 matmul " + n + "x" + n + " (own GEMM kernel)", flops / own / 1e9, "GF/s", ref, "cuBLAS");
        } finally {
            ctx.lock().unlock();
            c.release();
        }
    }

    private static void fused(CudaContext ctx, long n) {
        Tensor a = randomOnDevice(ctx, n);
        Tensor b = randomOnDevice(ctx, n);
        Tensor c = randomOnDevice(ctx, n);
        double chain = time(ctx, () -> a.mul(b).add(c).relu().realize(), 1.0);
        double bytes = 4.0 * 4 * n; // three reads and one write of float32
        DeviceBuffer dst = ctx.allocate(4L * n, "benchmark copy");
        long src = CudaBackend.data(a.node()).address(DType.FLOAT32);
        double copy;
        ctx.lock().lock();
        try {
            ctx.enter();
            copy = time(ctx, () -> ctx.copyDeviceToDevice(dst.address(), src, 4L * n), 1.0);
        } finally {
            ctx.lock().unlock();
            dst.release();
        }
        row("fused relu(a*b+c) fp32, " + (n >> 20) + "M elements", bytes / chain / 1e9, "GB/s",
                2.0 * 4 * n / copy / 1e9, "D2D copy");
    }

    private static void hostCopies(CudaContext ctx, long bytes) {
        Storage host = Storage.allocateZeroed(bytes, "benchmark host buffer");
        DeviceBuffer dev = ctx.allocate(bytes, "benchmark device buffer");
        try {
            ctx.lock().lock();
            try {
                ctx.enter();
                double h2d = time(ctx, () -> ctx.copyHostToDevice(dev.address(), host.address(), bytes), 1.0);
                double d2h = time(ctx, () -> ctx.copyDeviceToHost(host.address(), dev.address(), bytes), 1.0);
                row("host->device copy, " + (bytes >> 20) + " MiB Arrow buffer", bytes / h2d / 1e9, "GB/s",
                        Double.NaN, "");
                row("device->host copy, " + (bytes >> 20) + " MiB Arrow buffer", bytes / d2h / 1e9, "GB/s",
                        Double.NaN, "");
            } finally {
                ctx.lock().unlock();
            }
            Tensor t = Tessera.zeros(DType.FLOAT32, bytes / 4);
            double api = time(ctx, () -> t.to(Device.cuda(ctx.ordinal())).realize(), 1.0);
            row("Tensor.to(cuda), " + (bytes >> 20) + " MiB (pool + copy)", bytes / api / 1e9, "GB/s", Double.NaN, "");
        } finally {
            dev.release();
            host.release();
        }
    }
}
