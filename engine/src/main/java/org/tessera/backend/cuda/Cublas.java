package org.tessera.backend.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;

/**
 * cuBLAS through JCublas, when {@code libcublas.so.12} loads; otherwise unavailable with a
 * reason, and matmul uses the backend's own GEMM kernel.
 */
final class Cublas {
    private final cublasHandle handle;
    private final String reason;
    private final int version;

    private Cublas(cublasHandle handle, String reason, int version) {
        this.handle = handle;
        this.reason = reason;
        this.version = version;
    }

    /** Loads cuBLAS for the current context, or records why it cannot be used. */
    static Cublas load() {
        if (org.tessera.EngineProperty.CUDA_NO_CUBLAS.isTrue()) {
            return new Cublas(null, "disabled by -Dtessera.cuda.noCublas=true", 0);
        }
        try {
            JCublas2.setExceptionsEnabled(false);
            cublasHandle h = new cublasHandle();
            int r = JCublas2.cublasCreate(h);
            if (r != cublasStatus.CUBLAS_STATUS_SUCCESS) {
                return new Cublas(null, "cublasCreate failed: " + cublasStatus.stringFor(r), 0);
            }
            int[] v = new int[1];
            JCublas2.cublasGetVersion(h, v);
            return new Cublas(h, null, v[0]);
        } catch (LinkageError e) {
            String m = String.valueOf(e.getMessage());
            return new Cublas(null, m.contains("libcublas") ? "libcublas.so.12 not found" : "JCublas could not be"
                    + " loaded: " + m.lines().findFirst().orElse(m), 0);
        }
    }

    boolean isLoaded() {
        return handle != null;
    }

    String reason() {
        return reason;
    }

    String version() {
        return version / 10000 + "." + (version / 100) % 100 + "." + version % 100;
    }

    /**
     * Row-major {@code C[b] = A[b] @ B[b]} for float32 or float64, through the column-major
     * identity {@code Cᵀ = Bᵀ Aᵀ}: a row-major operand is its transpose in column-major terms.
     * Returns false (doing nothing) when a size does not fit cuBLAS's int arguments.
     */
    boolean gemm(CudaContext ctx, boolean f64, long batch, long m, long n, long k,
                 long a, boolean transA, long lda, long strideA,
                 long b, boolean transB, long ldb, long strideB, long c) {
        if (Math.max(Math.max(m, n), Math.max(k, Math.max(lda, ldb))) > Integer.MAX_VALUE || batch > Integer.MAX_VALUE) {
            return false;
        }
        int opA = transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opB = transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        Pointer one = f64 ? Pointer.to(new double[] {1}) : Pointer.to(new float[] {1});
        Pointer zero = f64 ? Pointer.to(new double[] {0}) : Pointer.to(new float[] {0});
        int r;
        if (batch == 1) {
            r = f64
                    ? JCublas2.cublasDgemm(handle, opB, opA, (int) n, (int) m, (int) k, one, Pointers.device(b), (int) ldb,
                            Pointers.device(a), (int) lda, zero, Pointers.device(c), (int) n)
                    : JCublas2.cublasSgemm(handle, opB, opA, (int) n, (int) m, (int) k, one, Pointers.device(b), (int) ldb,
                            Pointers.device(a), (int) lda, zero, Pointers.device(c), (int) n);
        } else {
            r = f64
                    ? JCublas2.cublasDgemmStridedBatched(handle, opB, opA, (int) n, (int) m, (int) k, one,
                            Pointers.device(b), (int) ldb, strideB, Pointers.device(a), (int) lda, strideA, zero,
                            Pointers.device(c), (int) n, m * n, (int) batch)
                    : JCublas2.cublasSgemmStridedBatched(handle, opB, opA, (int) n, (int) m, (int) k, one,
                            Pointers.device(b), (int) ldb, strideB, Pointers.device(a), (int) lda, strideA, zero,
                            Pointers.device(c), (int) n, m * n, (int) batch);
        }
        if (r != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException(ctx.label() + ": cuBLAS gemm [" + batch + ", " + m + ", " + k + "] @ ["
                    + batch + ", " + k + ", " + n + "] failed: " + cublasStatus.stringFor(r));
        }
        return true;
    }
}
