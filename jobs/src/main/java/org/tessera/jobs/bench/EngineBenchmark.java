package org.tessera.jobs.bench;

import java.util.Locale;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.cpu.Blas;
import org.tessera.backend.cpu.Parallel;

/**
 * Prints the engine's CPU figures, each next to a reference measured in the same run:
 * matmul against a direct OpenBLAS call on the same buffers, a fused elementwise chain against
 * a plain Java loop over heap arrays, and reductions over a 4096×4096 float32 tensor.
 *
 * <p>Run with {@code ./tessera bench-engine [--quick]}.
 */
public final class EngineBenchmark {
    private EngineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        System.out.printf(Locale.ROOT, "Tessera engine benchmark: %d CPU threads, Java %s%n", Parallel.threads(),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-34s %12s %12s %8s%n", "case", "tessera", "reference", "ratio");
        int[] sizes = quick ? new int[] {512, 1024} : new int[] {1024, 2048, 4096};
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int n : sizes) {
                matmul(t, n, n >= 4096 ? 3 : 5);
            }
        }
        elementwise(quick ? 1 << 22 : 1 << 26);
        reductions(quick ? 1024 : 4096);
    }

    private static void row(String name, double ours, double ref, String unit) {
        System.out.printf(Locale.ROOT, "%-34s %8.2f %-3s %8.2f %-3s %6.2fx%n", name, ours, unit, ref, unit, ours / ref);
    }

    private static void matmul(DType t, int n, int reps) throws Exception {
        Generator g = new Generator(n);
        Tensor a = Tessera.rand(g, t, n, n).realize();
        Tensor b = Tessera.rand(g, t, n, n).realize();
        double flops = 2.0 * n * n * n;
        double ours = Timing.median(1, reps, () -> {
            try (Scope s = Tessera.scope()) {
                return a.matmul(b).realize().numel();
            }
        });
        Tensor c = Tessera.zeros(t, n, n).realize();
        long pa = a.node().address();
        long pb = b.node().address();
        long pc = c.node().address();
        double direct = Timing.median(1, reps, () -> {
            if (t == DType.FLOAT32) {
                openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                        openblas_nolapack.CblasNoTrans, n, n, n, 1f, Blas.floatPointer(pa, (long) n * n), n,
                        Blas.floatPointer(pb, (long) n * n), n, 0f, Blas.floatPointer(pc, (long) n * n), n);
            } else {
                openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                        openblas_nolapack.CblasNoTrans, n, n, n, 1d, Blas.doublePointer(pa, (long) n * n), n,
                        Blas.doublePointer(pb, (long) n * n), n, 0d, Blas.doublePointer(pc, (long) n * n), n);
            }
            return pc;
        });
        row("matmul " + t + " n=" + n + " (GFLOP/s)", flops / ours / 1e9, flops / direct / 1e9, "");
    }

    private static void elementwise(int n) throws Exception {
        Generator g = new Generator(7);
        Tensor a = Tessera.randn(g, DType.FLOAT32, n).realize();
        Tensor b = Tessera.randn(g, DType.FLOAT32, n).realize();
        Tensor c = Tessera.randn(g, DType.FLOAT32, n).realize();
        float[] ha = a.toFloatArray();
        float[] hb = b.toFloatArray();
        float[] hc = c.toFloatArray();
        double bytes = 4.0 * 4 * n; // three inputs read, one output written
        double ours = Timing.median(2, 7, () -> {
            try (Scope s = Tessera.scope()) {
                return a.mul(b).add(c).relu().realize().numel();
            }
        });
        double fresh = Timing.median(2, 7, () -> {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = Math.max(ha[i] * hb[i] + hc[i], 0f);
            }
            return out;
        });
        float[] reused = new float[n];
        double prealloc = Timing.median(2, 7, () -> {
            for (int i = 0; i < n; i++) {
                reused[i] = Math.max(ha[i] * hb[i] + hc[i], 0f);
            }
            return reused;
        });
        // correctness of what was timed: compare one result with the loop
        float[] check;
        try (Scope s = Tessera.scope()) {
            check = a.mul(b).add(c).relu().toFloatArray();
        }
        for (int i = 0; i < n; i += 9973) {
            if (check[i] != reused[i]) {
                throw new AssertionError("fused chain differs from the loop at " + i + ": " + check[i] + " vs " + reused[i]);
            }
        }
        String label = "relu(a*b+c) 2^" + Integer.numberOfTrailingZeros(n) + " f32 (GB/s)";
        row(label + " vs new[]", bytes / ours / 1e9, bytes / fresh / 1e9, "");
        row(label + " vs reused[]", bytes / ours / 1e9, bytes / prealloc / 1e9, "");
    }

    private static void reductions(int n) throws Exception {
        Tensor x = Tessera.randn(new Generator(3), DType.FLOAT32, n, n).realize();
        float[] hx = x.toFloatArray();
        double bytes = 4.0 * n * n;
        double sum = Timing.median(2, 7, () -> {
            try (Scope s = Tessera.scope()) {
                return x.sum().item();
            }
        });
        double loopSum = Timing.median(2, 7, () -> {
            double s = 0;
            for (float v : hx) {
                s += v;
            }
            return s;
        });
        row("sum() " + n + "x" + n + " f32 (GB/s)", bytes / sum / 1e9, bytes / loopSum / 1e9, "");
        for (int dim = 0; dim < 2; dim++) {
            final int d = dim;
            double max = Timing.median(2, 7, () -> {
                try (Scope s = Tessera.scope()) {
                    var r = x.max(d);
                    r.values().realize();
                    return r.indices().realize().numel();
                }
            });
            double loopMax = Timing.median(2, 7, () -> loopMax(hx, n, d));
            row("max(" + d + ") values+indices " + n + "² (GB/s)", bytes / max / 1e9, bytes / loopMax / 1e9, "");
        }
    }

    /** Values and first indices of the max along a dim of a row-major n×n array, in one pass. */
    private static Object loopMax(float[] x, int n, int dim) {
        float[] best = new float[n];
        long[] idx = new long[n];
        if (dim == 1) {
            for (int i = 0; i < n; i++) {
                float b = x[i * n];
                long bi = 0;
                for (int j = 1; j < n; j++) {
                    if (x[i * n + j] > b) {
                        b = x[i * n + j];
                        bi = j;
                    }
                }
                best[i] = b;
                idx[i] = bi;
            }
        } else {
            System.arraycopy(x, 0, best, 0, n);
            for (int i = 1; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    float v = x[i * n + j];
                    if (v > best[j]) {
                        best[j] = v;
                        idx[j] = i;
                    }
                }
            }
        }
        return idx;
    }
}
