package org.tessera.spark;

import org.tessera.Tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one Spark session shared by every test class: two worker threads, retries allowed (so
 * injected task failures are retried), Kryo with registration required, no UI.
 */
public final class SharedSpark {
    private static TesseraSession session;
    private static final java.util.concurrent.atomic.AtomicInteger JOBS = new java.util.concurrent.atomic.AtomicInteger();

    private SharedSpark() {
    }

    /** The shared session, created on first use and stopped when the test JVM exits. */
    public static synchronized TesseraSession session() {
        if (session == null) {
            session = TesseraSession.builder()
                    .master("local[2,4]")
                    .appName("tessera-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.default.parallelism", "2")
                    .config("spark.kryo.registrationRequired", "true")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            session.sparkContext().sc().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
                @Override
                public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart jobStart) {
                    JOBS.incrementAndGet();
                }
            });
            TesseraSession s = session;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        }
        return session;
    }

    /** How many Spark jobs have started so far (listener events arrive asynchronously: wait a little). */
    public static int jobsStarted() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return JOBS.get();
    }

    /**
     * {@code t} distributed on the shared session with every dim of size 2 or more cut into two
     * chunks (so a tensor spans several partitions); a 0-d tensor stays local.
     */
    public static Tensor splitEveryDim(Tensor t) {
        if (t.dim() == 0) {
            return t;
        }
        long[] block = new long[t.dim()];
        for (int d = 0; d < block.length; d++) {
            block[d] = Math.max(1, (t.shape().get(d) + 1) / 2);
        }
        return session().distribute(t, block);
    }

    /** A random block size in [1, size], usually not dividing size. */
    public static long block(java.util.Random r, long size) {
        return 1 + r.nextInt((int) Math.max(1, size));
    }

    /** Local float64 standard normal values from the global generator. */
    public static Tensor randn(long... shape) {
        return org.tessera.Tessera.randn(org.tessera.Tessera.defaultGenerator(), org.tessera.DType.FLOAT64, shape);
    }

    /** Asserts equal shapes and values within {@code tol} relative to the largest magnitude. */
    public static void assertClose(Tensor expected, Tensor actual, double tol) {
        assertEquals(expected.shape(), actual.shape(), "shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        double scale = 1e-300;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i])) {
                assertTrue(Double.isNaN(a[i]), "element " + i + ": expected NaN, got " + a[i]);
                continue;
            }
            double err = Math.abs(e[i] - a[i]) / Math.max(scale, 1e-300);
            assertTrue(err <= tol, "element " + i + ": expected " + e[i] + ", got " + a[i] + " (relative error "
                    + err + " > " + tol + ")");
        }
    }

    /** Asserts identical bits. */
    public static void assertSameBits(Tensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape());
        assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray());
    }
}
