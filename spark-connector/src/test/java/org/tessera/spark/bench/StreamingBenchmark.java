package org.tessera.spark.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.TesseraSession;

/**
 * A streaming reduction, {@code randn(rows, cols).square().mean()} in float32, distributed on
 * local[2] (blocks of {@code blockRows} rows) against the single-node engine on the same shape and,
 * when {@code /usr/bin/python3} or {@code python3} imports torch, against PyTorch doing the same work
 * block by block with one reused buffer ({@code normal_}, then {@code square().sum()}), all in one
 * run: medians of {@code reps} after one warm-up, and the ratios.
 */
public final class StreamingBenchmark {
    private StreamingBenchmark() {
    }

    private static final String TORCH = String.join("\n",
            "import sys, time, torch",
            "rows, cols, block, reps = (int(v) for v in sys.argv[1:5])",
            "torch.set_num_threads(2)",
            "buf = torch.empty(block, cols)",
            "def run():",
            "    s = 0.0",
            "    for _ in range(rows // block):",
            "        buf.normal_()",
            "        s += buf.square().sum().item()",
            "    return s / (rows * cols)",
            "run()",
            "ts = []",
            "for _ in range(reps):",
            "    t0 = time.perf_counter(); run(); ts.append(time.perf_counter() - t0)",
            "ts.sort()",
            "print(ts[len(ts) // 2] if len(ts) % 2 else (ts[len(ts) // 2 - 1] + ts[len(ts) // 2]) / 2)");

    /** Arguments: rows (524288), cols (1024), block rows (65536), repetitions (3). */
    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 524_288;
        long cols = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        long block = args.length > 2 ? Long.parseLong(args[2]) : 65_536;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        try (TesseraSession ts = TesseraSession.builder().master("local[2]").appName("streaming-benchmark")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            ts.sparkContext().setLogLevel("WARN");
            double[] values = new double[2];
            double single = Stats.medianSeconds(reps, () -> values[0] = Tessera.randn(rows, cols).square().mean().item());
            double distributed = Stats.medianSeconds(reps, () -> values[1] = ts.randn(DType.FLOAT32,
                    new long[] {rows, cols}, block, cols).square().mean().item());
            String plan = ts.explain(ts.randn(DType.FLOAT32, new long[] {rows, cols}, block, cols).square().mean());
            double torch = torchSeconds(rows, cols, block, reps);
            System.out.println();
            System.out.printf(Locale.ROOT, "randn([%d, %d]).square().mean() float32 (%.2f GiB), blocks of %d rows,"
                    + " local[2], median of %d%n", rows, cols, rows * cols * 4.0 / (1L << 30), block, reps);
            System.out.println(plan);
            System.out.println("| run | seconds |");
            System.out.println("|---|---|");
            System.out.printf(Locale.ROOT, "| single-node engine | %.2f |%n", single);
            System.out.printf(Locale.ROOT, "| Tessera distributed | %.2f |%n", distributed);
            if (torch > 0) {
                System.out.printf(Locale.ROOT, "| PyTorch, block by block, one reused buffer | %.2f |%n", torch);
            }
            System.out.printf(Locale.ROOT, "single-node time / distributed time = %.2f (target >= 0.7)%n",
                    single / distributed);
            if (torch > 0) {
                System.out.printf(Locale.ROOT, "PyTorch time / distributed time = %.2f (target >= 1.5)%n",
                        torch / distributed);
            }
            System.out.printf(Locale.ROOT, "mean of squares: single-node %.6f, distributed %.6f (expected about 1)%n",
                    values[0], values[1]);
        }
    }

    /** PyTorch's median in seconds, or -1 (with the reason printed) when no python3 imports torch. */
    private static double torchSeconds(long rows, long cols, long block, int reps) throws InterruptedException {
        for (String python : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(python, "-c", TORCH, rows + "", cols + "", block + "", reps + "")
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (p.waitFor() == 0) {
                    return Double.parseDouble(out.lines().reduce((a, b) -> b).orElse("-1"));
                }
            } catch (IOException | NumberFormatException e) {
                // try the next interpreter
            }
        }
        System.out.println("PyTorch reference: skipped (no python3 that imports torch)");
        return -1;
    }
}
