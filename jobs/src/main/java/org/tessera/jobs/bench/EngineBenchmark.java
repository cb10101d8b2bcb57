package org.tessera.jobs.bench;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
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
 * <p>A second table times reductions (whole, along a dim, over an elementwise chain), the fused
 * chain and random sources against a plain Java loop and, when a {@code python3} with
 * {@code torch} is found ({@code TESSERA_PYTHON}, {@code python3} on the PATH, then
 * {@code /usr/bin/python3}), against PyTorch measured in the same run by the script
 * {@code torch_reference.py} that sits beside this class, with the same thread count and with
 * freed memory kept for reuse (as Tessera's buffer pool keeps it). Ratios
 * are reference time over Tessera time: above 1 means Tessera is faster.
 *
 * <p>Run with {@code ./tessera bench-engine [--quick]}.
 */
public final class EngineBenchmark {
    private EngineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        int flat = quick ? 1 << 22 : 1 << 26;
        int side = quick ? 1024 : 4096;
        // PyTorch first, while this JVM holds no large buffers
        long[] stream = quick ? new long[] {65_536, 1024, 8192} : new long[] {524_288, 1024, 65_536};
        Map<String, Double> torch = torchReference(flat, side, stream);
        System.out.printf(Locale.ROOT, "Tessera engine benchmark: %d CPU threads, Java %s%n", Parallel.threads(),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-34s %12s %12s %8s%n", "case", "tessera", "reference", "ratio");
        int[] sizes = quick ? new int[] {512, 1024} : new int[] {1024, 2048, 4096};
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int n : sizes) {
                matmul(t, n, n >= 4096 ? 3 : 5);
            }
        }
        elementwise(flat);
        reductions(side);
        System.out.println();
        versusTorch(flat, side, torch);
        System.out.println();
        backward(quick ? 1024 : 4096, torch.get("mlp_step"));
        System.out.println();
        streaming(stream, torch.get("stream_blockwise"));
    }

    /**
     * One training step of an MLP ({@code batch} × 784 → 1024 → 10, float32, relu, squared loss):
     * forward, backward and both weight gradients read, with the gradient graph's intermediate
     * buffers given back as soon as they are read ({@code tessera.memory.releaseEarly=true}, the
     * default) against kept until the step ends, alternated in one run; inside a scope per step and
     * without one (where memory the step gives back is only reused once something frees it).
     */
    private static void backward(int batch, Double torchStep) throws Exception {
        int d = 784;
        int h = 1024;
        Generator g = new Generator(21);
        Tensor x = Tessera.randn(g, DType.FLOAT32, batch, d).realize();
        Tensor y = Tessera.randn(g, DType.FLOAT32, batch, 10).realize();
        Tensor w1 = Tessera.randn(g, DType.FLOAT32, d, h).mul(0.03).realize().requiresGrad(true);
        Tensor w2 = Tessera.randn(g, DType.FLOAT32, h, 10).mul(0.03).realize().requiresGrad(true);
        Timing.Work step = () -> {
            Tensor loss = x.matmul(w1).relu().matmul(w2).sub(y).square().sum();
            loss.backward();
            double g1 = w1.grad().sum().item();
            double g2 = w2.grad().sum().item();
            w1.zeroGrad();
            w2.zeroGrad();
            return g1 + g2;
        };
        String key = org.tessera.EngineProperty.MEMORY_RELEASE_EARLY.key();
        String was = System.getProperty(key);
        double[][] peak = new double[2][5];
        double[][] scopedT = new double[2][5];
        double[][] freeT = new double[2][5];
        try {
            for (int r = 0; r < 5; r++) {
                for (int m = 0; m < 2; m++) {
                    System.setProperty(key, m == 0 ? "true" : "false");
                    long[] pk = new long[1];
                    scopedT[m][r] = Timing.median(2, 5, () -> {
                        try (Scope s = Tessera.scope()) {
                            Object v = step.run();
                            pk[0] = s.peakBytes();
                            return v;
                        }
                    });
                    peak[m][r] = pk[0];
                    freeT[m][r] = Timing.median(2, 5, step);
                }
            }
        } finally {
            if (was == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, was);
            }
        }
        System.out.printf(Locale.ROOT, "MLP training step (%d x 784 -> 1024 -> 10, float32), backward's intermediates given"
                + " back once read (releaseEarly) vs kept to the step's end, alternated, medians%n", batch);
        System.out.printf(Locale.ROOT, "%-36s %10s %10s %7s%n", "case", "early", "kept", "ratio");
        double pe = Timing.median(peak[0]) / (1 << 20);
        double pkk = Timing.median(peak[1]) / (1 << 20);
        System.out.printf(Locale.ROOT, "%-36s %7.1f MiB %7.1f MiB %6.2fx%n", "peak bytes of the step's scope", pe, pkk,
                pkk / pe);
        double se = Timing.median(scopedT[0]);
        double sk = Timing.median(scopedT[1]);
        System.out.printf(Locale.ROOT, "%-36s %7.2f ms %7.2f ms %6.2fx%n", "step time, one scope per step", se * 1e3,
                sk * 1e3, sk / se);
        double fe = Timing.median(freeT[0]);
        double fk = Timing.median(freeT[1]);
        System.out.printf(Locale.ROOT, "%-36s %7.2f ms %7.2f ms %6.2fx%n", "step time, no scope", fe * 1e3, fk * 1e3,
                fk / fe);
        if (torchStep != null) {
            System.out.printf(Locale.ROOT, "%-36s %7.2f ms %7.2f ms %6.2fx%n", "step in a scope vs PyTorch's step",
                    se * 1e3, torchStep * 1e3, torchStep / se);
        }
    }

    /**
     * {@code randn(rows, cols).square().mean()} in float32 on the single-node engine and as a
     * distributed tensor on an embedded {@code local[2]} Spark (blocks of {@code blockRows} rows), and
     * PyTorch block by block in one reused buffer: medians of 3 after one warm-up each.
     */
    private static void streaming(long[] stream, Double torch) throws Exception {
        long rows = stream[0];
        long cols = stream[1];
        long block = stream[2];
        double[] values = new double[2];
        double single = Timing.median(1, 3, () -> values[0] = Tessera.randn(rows, cols).square().mean().item());
        double distributed;
        try (org.tessera.spark.TesseraSession ts = org.tessera.spark.TesseraSession.builder().master("local[2]")
                .appName("bench-engine streaming").config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false").getOrCreate()) {
            distributed = Timing.median(1, 3, () -> values[1] = ts.randn(DType.FLOAT32, new long[] {rows, cols},
                    block, cols).square().mean().item());
        }
        System.out.printf(Locale.ROOT, "streaming randn([%d, %d]).square().mean() f32 (%.2f GiB), blocks of %d rows,"
                + " medians of 3%n", rows, cols, rows * cols * 4.0 / (1L << 30), block);
        System.out.printf(Locale.ROOT, "%-36s %10s %10s %7s %10s %7s%n", "case", "distributed", "single", "ratio",
                "pytorch", "ratio");
        String t = torch == null ? String.format(Locale.ROOT, "%10s %7s", "-", "-")
                : String.format(Locale.ROOT, "%8.2f s %6.2fx", torch, torch / distributed);
        System.out.printf(Locale.ROOT, "%-36s %8.2f s %8.2f s %6.2fx %s%n", "local[2] vs single-node, PyTorch blockwise",
                distributed, single, single / distributed, t);
        System.out.printf(Locale.ROOT, "(mean of squares: single-node %.6f, distributed %.6f; targets: ratio to single-node"
                + " >= 0.7, to PyTorch >= 1.5)%n", values[0], values[1]);
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
        Operands o = Operands.random(7, n);
        Tensor a = o.a();
        Tensor b = o.b();
        Tensor c = o.c();
        float[] ha = o.ha();
        float[] hb = o.hb();
        float[] hc = o.hc();
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

    // ---- against PyTorch ----

    private static final int WARMUP = 5;
    /** Tessera's and the loops' warm-up lasts at least this long, for the JIT (PyTorch needs none). */
    private static final double WARM_SECONDS = 0.5;
    private static final int REPS = 11;

    /** Medians in seconds by case name from {@code torch_reference.py}, or an empty map (and why). */
    private static Map<String, Double> torchReference(int flat, int side, long[] stream) {
        Map<String, Double> out = new HashMap<>();
        File script = TorchScript.locate("torch_reference.py");
        if (script == null) {
            System.out.println("PyTorch reference: skipped (torch_reference.py not found beside the sources)");
            return out;
        }
        String python = TorchScript.python();
        if (python == null) {
            System.out.println("PyTorch reference: skipped (no python3 that imports torch)");
            return out;
        }
        // glibc keeps freed memory for reuse (as Tessera's pool does) instead of unmapping it
        Map<String, String> env = Map.of("MALLOC_MMAP_MAX_", "0", "MALLOC_TRIM_THRESHOLD_", Long.toString(1L << 40));
        List<String> lines = TorchScript.lines(List.of(python, script.getPath(), Integer.toString(Parallel.threads()),
                Integer.toString(flat), Integer.toString(side), Integer.toString(WARMUP), Integer.toString(REPS),
                Long.toString(stream[0]), Long.toString(stream[1]), Long.toString(stream[2])), env, 1800);
        if (lines == null) {
            System.out.println("PyTorch reference: skipped (" + script + " failed under " + python + ")");
            return out;
        }
        for (String l : lines) {
            String[] kv = l.trim().split("\\s+");
            if (kv.length == 2) {
                out.put(kv[0], Double.parseDouble(kv[1]));
            }
        }
        List<String> version = TorchScript.lines(List.of(python, "-c", "import torch; print(torch.__version__)"),
                Map.of(), 60);
        System.out.println("PyTorch reference: " + python + ", torch " + (version == null || version.isEmpty() ? "?"
                : version.get(0)) + ", " + Parallel.threads() + " threads");
        return out;
    }

    private static void header2() {
        System.out.printf(Locale.ROOT, "%-36s %10s %10s %7s %10s %7s%n", "case (float32, medians)", "tessera",
                "java loop", "ratio", "pytorch", "ratio");
    }

    private static void row2(String name, double ours, double loop, Double torch) {
        String t = torch == null ? String.format(Locale.ROOT, "%10s %7s", "-", "-")
                : String.format(Locale.ROOT, "%7.2f ms %6.2fx", torch * 1e3, torch / ours);
        System.out.printf(Locale.ROOT, "%-36s %7.2f ms %7.2f ms %6.2fx %s%n", name, ours * 1e3, loop * 1e3, loop / ours, t);
    }

    private static double scoped(Timing.Work w) throws Exception {
        return Timing.median(WARMUP, WARM_SECONDS, REPS, () -> {
            try (Scope s = Tessera.scope()) {
                return w.run();
            }
        });
    }

    /**
     * Three realized float32 tensors of n standard normal values, copies of them on the heap, and the
     * generator they came from (for further random sources).
     */
    private record Operands(Generator g, Tensor a, Tensor b, Tensor c, float[] ha, float[] hb, float[] hc) {
        static Operands random(long seed, int n) {
            Generator g = new Generator(seed);
            Tensor a = Tessera.randn(g, DType.FLOAT32, n).realize();
            Tensor b = Tessera.randn(g, DType.FLOAT32, n).realize();
            Tensor c = Tessera.randn(g, DType.FLOAT32, n).realize();
            return new Operands(g, a, b, c, a.toFloatArray(), b.toFloatArray(), c.toFloatArray());
        }
    }

    private static double loop(Timing.Work w) throws Exception {
        return Timing.median(WARMUP, WARM_SECONDS, REPS, w);
    }

    private static void versusTorch(int n, int side, Map<String, Double> torch) throws Exception {
        String fl = n == 1 << 26 ? "64M" : "2^" + Integer.numberOfTrailingZeros(n);
        String sq = side + "²";
        header2();
        Operands o = Operands.random(11, n);
        Generator g = o.g();
        Tensor a = o.a();
        Tensor b = o.b();
        Tensor c = o.c();
        float[] ha = o.ha();
        float[] hb = o.hb();
        float[] hc = o.hc();

        double sum = scoped(() -> a.sum().item());
        row2("x.sum() " + fl, sum, loop(() -> {
            double s = 0;
            for (float v : ha) {
                s += v;
            }
            return s;
        }), torch.get("sum_flat"));
        double chainSum = scoped(() -> a.mul(3).add(1).relu().sum().item());
        row2("x.mul(3).add(1).relu().sum() " + fl, chainSum, loop(() -> {
            double s = 0;
            for (float v : ha) {
                s += Math.max(v * 3f + 1f, 0f);
            }
            return s;
        }), torch.get("chain_sum_flat"));
        double squareMean = scoped(() -> a.square().mean().item());
        row2("x.square().mean() " + fl, squareMean, loop(() -> {
            double s = 0;
            for (float v : ha) {
                s += v * v;
            }
            return s / ha.length;
        }), torch.get("square_mean_flat"));
        double diffPow = scoped(() -> a.sub(b).pow(2).sum().item());
        row2("(a - b).pow(2).sum() " + fl, diffPow, loop(() -> {
            double s = 0;
            for (int i = 0; i < ha.length; i++) {
                float d = ha[i] - hb[i];
                s += d * d;
            }
            return s;
        }), torch.get("diff_pow_sum_flat"));
        double relu = scoped(() -> a.mul(b).add(c).relu().realize().numel());
        row2("relu(a*b+c) " + fl + ", new tensor", relu, loop(() -> {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = Math.max(ha[i] * hb[i] + hc[i], 0f);
            }
            return out;
        }), torch.get("relu_chain_flat"));
        row2("relu(a*b+c) " + fl + " vs addcmul+clamp_", relu, loop(() -> {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = Math.max(ha[i] * hb[i] + hc[i], 0f);
            }
            return out;
        }), torch.get("relu_addcmul_flat"));

        Tensor m = Tessera.randn(new Generator(12), DType.FLOAT32, side, side).realize();
        float[] hm = m.toFloatArray();
        row2("m.sum() " + sq, scoped(() -> m.sum().item()), loop(() -> {
            double s = 0;
            for (float v : hm) {
                s += v;
            }
            return s;
        }), torch.get("sum_side"));
        for (int d = 0; d < 2; d++) {
            final int dim = d;
            row2("m.sum(" + d + ") " + sq, scoped(() -> m.sum(dim).realize().numel()),
                    loop(() -> loopSum(hm, side, dim)), torch.get("sum" + d + "_side"));
        }
        for (int d = 1; d >= 0; d--) {
            final int dim = d;
            row2("m.max(" + d + ") values+indices " + sq, scoped(() -> {
                var r = m.max(dim);
                r.values().realize();
                return r.indices().realize().numel();
            }), loop(() -> loopMax(hm, side, dim)), torch.get("max" + d + "_side"));
            row2("m.argmax(" + d + ") " + sq, scoped(() -> m.argmax(dim, false).realize().numel()),
                    loop(() -> loopMax(hm, side, dim)), torch.get("argmax" + d + "_side"));
        }
        row2("rand(" + fl + ")", scoped(() -> Tessera.rand(g, DType.FLOAT32, n).realize().numel()), loop(() -> {
            SplittableRandom r = new SplittableRandom(5);
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = r.nextFloat();
            }
            return out;
        }), torch.get("rand_flat"));
        row2("randn(" + fl + ")", scoped(() -> Tessera.randn(g, DType.FLOAT32, n).realize().numel()), loop(() -> {
            SplittableRandom r = new SplittableRandom(5);
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = (float) r.nextGaussian();
            }
            return out;
        }), torch.get("randn_flat"));
        // randn generated tile by tile inside the reduction, against normal_ into a reused buffer and then the reduction
        row2("randn(" + fl + ").square().mean()", scoped(() -> Tessera.randn(g, DType.FLOAT32, n).square().mean().item()),
                loop(() -> {
                    SplittableRandom r = new SplittableRandom(5);
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        float v = (float) r.nextGaussian();
                        s += v * v;
                    }
                    return s / n;
                }), torch.get("randn_square_mean_flat"));
        System.out.printf(Locale.ROOT, "fusion: x.mul(3).add(1).relu().sum() runs at %.2fx the speed of x.sum()"
                + " over the realized x (%.2f ms vs %.2f ms)%n", sum / chainSum, chainSum * 1e3, sum * 1e3);
    }

    /** Sums along a dim of a row-major n×n array. */
    private static Object loopSum(float[] x, int n, int dim) {
        double[] out = new double[n];
        if (dim == 1) {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += x[i * n + j];
                }
                out[i] = s;
            }
        } else {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    out[j] += x[i * n + j];
                }
            }
        }
        return out;
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
