package org.tessera.spark.bench;

import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.mllib.linalg.DenseMatrix;
import org.apache.spark.mllib.linalg.Matrix;
import org.apache.spark.mllib.linalg.distributed.BlockMatrix;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.spark.MatmulStrategy;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.block.Block;
import scala.Tuple2;

/**
 * Multiplies two n×n float64 matrices on local[2] with distributed Tessera (each strategy), with
 * Spark MLlib's BlockMatrix (same block size, pointed at the same OpenBLAS library), and with the
 * single-node engine, and prints the median of {@code reps} times (after one warm-up run) and the
 * ratios.
 */
public final class MatmulBenchmark {
    private MatmulBenchmark() {
    }

    /** Arguments: n (4096), block size (1024), repetitions (3). */
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        // MLlib's BLAS (dev.ludovic.netlib) loads the same OpenBLAS library that Tessera uses
        String jni = Loader.load(openblas_nolapack.class);
        java.io.File blas = new java.io.File(new java.io.File(jni).getParentFile(), "libopenblas_nolapack.so.0");
        String lib = blas.exists() ? blas.getPath() : jni;
        System.setProperty("dev.ludovic.netlib.blas.nativeLibPath", lib);
        try (TesseraSession ts = TesseraSession.builder().master("local[2]").appName("matmul-benchmark")
                .config("spark.ui.enabled", "false").config("spark.driver.memory", "10g").getOrCreate()) {
            ts.sparkContext().setLogLevel("WARN");
            Tessera.manualSeed(42);
            Tensor x = ts.randn(DType.FLOAT64, new long[] {n, n}, block, block);
            Tensor y = ts.randn(DType.FLOAT64, new long[] {n, n}, block, block);
            ts.persist(x);
            ts.persist(y);
            ts.blocks(x).count();
            ts.blocks(y).count();
            Tensor xl = x.cpu();
            Tensor yl = y.cpu();
            BlockMatrix bx = blockMatrix(ts.blocks(x), block, n);
            BlockMatrix by = blockMatrix(ts.blocks(y), block, n);

            double single = Stats.medianSeconds(reps, () -> xl.matmul(yl).realize());
            double auto = Stats.medianSeconds(reps, () -> count(ts, x.matmul(y)));
            String autoPlan = ts.explain(x.matmul(y)).lines().filter(l -> l.contains("strategy")).findFirst()
                    .orElse("").trim();
            ts.matmulStrategy(MatmulStrategy.BROADCAST);
            double broadcast = Stats.medianSeconds(reps, () -> count(ts, x.matmul(y)));
            // the right operand not persisted (a computed view): collected on the driver and broadcast
            double viaDriver = Stats.medianSeconds(reps, () -> count(ts, x.matmul(y.mul(1.0))));
            String driverPlan = ts.explain(x.matmul(y.mul(1.0))).lines().filter(l -> l.contains("strategy"))
                    .findFirst().orElse("").trim();
            ts.matmulStrategy(MatmulStrategy.SHUFFLE);
            double shuffle = Stats.medianSeconds(reps, () -> count(ts, x.matmul(y)));
            ts.matmulStrategy(MatmulStrategy.AUTO);
            double mllib = Stats.medianSeconds(reps, () -> bx.multiply(by).blocks().count());

            // the products agree
            double tesseraSum = x.matmul(y).sum().item();
            double mllibSum = bx.multiply(by).blocks().toJavaRDD().map(b -> sum(b._2())).reduce(Double::sum);
            double localSum = xl.matmul(yl).sum().item();

            System.out.println();
            System.out.printf(Locale.ROOT, "matmul %d x %d float64, blocks %d x %d, local[2], median of %d%n", n, n, block,
                    block, reps);
            System.out.printf(Locale.ROOT, "MLlib BLAS: %s (native library %s)%n",
                    dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getSimpleName(), lib);
            System.out.println("auto plan: " + autoPlan);
            System.out.println("plan with y * 1.0 on the right: " + driverPlan);
            System.out.println("| run | seconds |");
            System.out.println("|---|---|");
            row("single-node engine (reference)", single);
            row("Tessera distributed, auto strategy", auto);
            row("Tessera distributed, broadcast", broadcast);
            row("Tessera distributed, broadcast of a computed right side (y * 1.0) through the driver", viaDriver);
            row("Tessera distributed, shuffle", shuffle);
            row("MLlib BlockMatrix.multiply", mllib);
            System.out.printf(Locale.ROOT, "BlockMatrix / Tessera auto = %.2fx (target >= 3)%n", mllib / auto);
            System.out.printf(Locale.ROOT, "BlockMatrix / Tessera shuffle = %.2fx%n", mllib / shuffle);
            System.out.printf(Locale.ROOT, "Tessera auto / single-node = %.2fx (target <= 1.3)%n", auto / single);
            System.out.printf(Locale.ROOT, "Tessera broadcast / single-node = %.2fx%n", broadcast / single);
            System.out.printf(Locale.ROOT, "checksums: single %.6e, Tessera %.6e, MLlib %.6e%n", localSum, tesseraSum,
                    mllibSum);
        }
    }

    private static long count(TesseraSession ts, Tensor t) {
        JavaRDD<Block> blocks = ts.blocks(t);
        return blocks == null ? 0 : blocks.count();
    }

    private static double sum(Matrix m) {
        double s = 0;
        for (double v : m.toArray()) {
            s += v;
        }
        return s;
    }

    private static BlockMatrix blockMatrix(JavaRDD<Block> blocks, int block, int n) {
        JavaRDD<Tuple2<Tuple2<Object, Object>, Matrix>> rdd = blocks.map(b -> {
            int rows = (int) b.data().size(0);
            int cols = (int) b.data().size(1);
            Matrix m = new DenseMatrix(rows, cols, b.data().toDoubleArray(), true);
            return new Tuple2<>(new Tuple2<>(b.index(0), b.index(1)), m);
        });
        BlockMatrix bm = new BlockMatrix(rdd.rdd(), block, block, n, n);
        bm.cache();
        bm.blocks().count();
        return bm;
    }

    private static void row(String what, double seconds) {
        System.out.printf(Locale.ROOT, "| %s | %.2f |%n", what, seconds);
    }
}
