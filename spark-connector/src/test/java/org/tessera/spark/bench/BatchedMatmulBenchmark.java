package org.tessera.spark.bench;

import java.util.Locale;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.TesseraSession;

/**
 * A batched product {@code [B, n, n] @ [B, n, n]} in float32 on local[2]: distributed Tessera
 * (both sides persisted, cut along the batch dim) against the single-node engine on the same data,
 * median of {@code reps} runs after one warm-up, with the ratio and a checksum of both results.
 */
public final class BatchedMatmulBenchmark {
    private BatchedMatmulBenchmark() {
    }

    /** Arguments: batch (64), n (512), batch block (8), repetitions (5). */
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int block = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        try (TesseraSession ts = TesseraSession.builder().master("local[2]").appName("batched-matmul-benchmark")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            ts.sparkContext().setLogLevel("WARN");
            Tessera.manualSeed(42);
            Tensor x = ts.persist(ts.randn(DType.FLOAT32, new long[] {batch, n, n}, block, n, n));
            Tensor y = ts.persist(ts.randn(DType.FLOAT32, new long[] {batch, n, n}, block, n, n));
            ts.blocks(x).count();
            ts.blocks(y).count();
            Tensor xl = x.cpu();
            Tensor yl = y.cpu();
            double single = Stats.medianSeconds(reps, () -> xl.matmul(yl).realize());
            double distributed = Stats.medianSeconds(reps, () -> ts.blocks(x.matmul(y)).count());
            String plan = ts.explain(x.matmul(y)).lines().filter(l -> l.contains("batched")).findFirst().orElse("")
                    .trim();
            double localSum = xl.matmul(yl).to(DType.FLOAT64).sum().item();
            double distSum = x.matmul(y).to(DType.FLOAT64).sum().item();
            System.out.println();
            System.out.printf(Locale.ROOT, "batched matmul [%d, %d, %d] @ [%d, %d, %d] float32, batch blocks of %d,"
                    + " local[2], median of %d%n", batch, n, n, batch, n, n, block, reps);
            System.out.println("plan: " + plan);
            System.out.println("| run | seconds |");
            System.out.println("|---|---|");
            System.out.printf(Locale.ROOT, "| single-node engine (reference) | %.3f |%n", single);
            System.out.printf(Locale.ROOT, "| Tessera distributed | %.3f |%n", distributed);
            System.out.printf(Locale.ROOT, "distributed / single-node = %.2fx%n", distributed / single);
            System.out.printf(Locale.ROOT, "checksums: single %.6e, distributed %.6e%n", localSum, distSum);
        }
    }
}
