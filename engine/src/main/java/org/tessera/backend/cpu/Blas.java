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
