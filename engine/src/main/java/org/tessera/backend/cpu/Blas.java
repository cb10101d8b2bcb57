package org.tessera.backend.cpu;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major GEMM through OpenBLAS (JavaCPP's bundled library), called directly on off-heap
 * addresses: no copy, no JNI array pinning.
 */
public final class Blas {
    private static volatile int threads = -1;

    /** The file of the OpenBLAS library loaded for Tessera, or null when it could not be found. */
    private static final String LIBRARY;

    static {
        org.bytedeco.javacpp.Loader.load(openblas_nolapack.class);
        LIBRARY = loadedLibrary();
        shareWithNetlib(LIBRARY);
    }

    private Blas() {
    }

    /** A float pointer over raw memory that JavaCPP must not free. */
    private static final class RawFloat extends FloatPointer {
        RawFloat(long address, long count) {
            super((Pointer) null);
            this.address = address;
            this.capacity = count;
            this.limit = count;
        }
    }

    /** A double pointer over raw memory that JavaCPP must not free. */
    private static final class RawDouble extends DoublePointer {
        RawDouble(long address, long count) {
            super((Pointer) null);
            this.address = address;
            this.capacity = count;
            this.limit = count;
        }
    }

    /** A JavaCPP float pointer over {@code count} floats at a raw address (not owned, never freed). */
    public static FloatPointer floatPointer(long address, long count) {
        return new RawFloat(address, count);
    }

    /** A JavaCPP double pointer over {@code count} doubles at a raw address (not owned, never freed). */
    public static DoublePointer doublePointer(long address, long count) {
        return new RawDouble(address, count);
    }

    /** The path of the loaded {@code libopenblas_nolapack}, from {@code /proc/self/maps}, or null. */
    private static String loadedLibrary() {
        java.nio.file.Path maps = java.nio.file.Path.of("/proc/self/maps");
        if (!java.nio.file.Files.isReadable(maps)) {
            return null;
        }
        try (var lines = java.nio.file.Files.lines(maps)) {
            return lines.map(l -> l.substring(l.lastIndexOf(' ') + 1)).filter(l -> l.contains("libopenblas_nolapack"))
                    .findFirst().orElse(null);
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Points the BLAS of netlib-java's successor ({@code dev.ludovic.netlib}, which Spark MLlib uses)
     * at Tessera's OpenBLAS, unless the application configured it. The library Tessera loads exports
     * its symbols process-wide; when netlib then loads a system {@code libblas.so.3} that is another
     * OpenBLAS build (Debian's {@code libopenblas0} makes it one), the two builds' internal symbols
     * mix and MLlib's BLAS calls can crash the JVM (a SIGSEGV in {@code dspr}) or compute wrong values.
     * With one library for both that cannot happen. netlib's LAPACK is then its Java implementation
     * (a system LAPACK may be the other OpenBLAS too), unless configured.
     */
    private static void shareWithNetlib(String library) {
        String share = org.tessera.EngineProperty.BLAS_SHARE.value();
        if (library == null || (share != null && share.trim().equalsIgnoreCase("false"))) {
            return;
        }
        try {
            if (System.getProperty("dev.ludovic.netlib.blas.nativeLibPath") == null
                    && System.getProperty("dev.ludovic.netlib.blas.nativeLib") == null) {
                System.setProperty("dev.ludovic.netlib.blas.nativeLibPath", library);
            }
            if (System.getProperty("dev.ludovic.netlib.lapack.nativeLibPath") == null
                    && System.getProperty("dev.ludovic.netlib.lapack.nativeLib") == null) {
                System.setProperty("dev.ludovic.netlib.lapack.nativeLib", "no-native-lapack");
            }
        } catch (SecurityException e) {
            // properties cannot be set here: netlib keeps its own choice
        }
    }

    /** The file of the OpenBLAS library Tessera calls, or null when it is not known. */
    public static String library() {
        return LIBRARY;
    }

    private static void useThreads() {
        int t = Parallel.threads();
        if (t != threads) {
            synchronized (Blas.class) {
                if (t != threads) {
                    openblas_nolapack.blas_set_num_threads(t);
                    threads = t;
                }
            }
        }
    }

    /**
     * {@code C[M, N] = A[M, K] · B[K, N]} (or with A, B transposed as stored), float32, with
     * leading dimensions in elements.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             long a, int lda, long b, int ldb, long c, int ldc) {
        useThreads();
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, 1f, new RawFloat(a, (long) m * k), lda, new RawFloat(b, (long) k * n), ldb,
                0f, new RawFloat(c, (long) m * n), ldc);
    }

    /** As {@link #sgemm} for float64. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k,
                             long a, int lda, long b, int ldb, long c, int ldc) {
        useThreads();
        openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, 1d, new RawDouble(a, (long) m * k), lda, new RawDouble(b, (long) k * n), ldb,
                0d, new RawDouble(c, (long) m * n), ldc);
    }
}
