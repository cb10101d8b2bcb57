package org.tessera.backend.cuda;

import org.tessera.DType;
import org.tessera.graph.Node;
import org.tessera.backend.GemmLayout;

/**
 * Batched {@code [B, M, K] @ [B, K, N]} on CUDA: cuBLAS for float32 and float64 when it is
 * loaded and the operands are row-major or transposed views; otherwise the backend's tiled
 * GEMM kernel (gemm.cuh), which reads any strides and so needs no staging copies.
 */
final class MatmulKernel {
    /** Which implementation {@link #matmul} uses: chosen automatically, or forced for benchmarks. */
    enum Impl { AUTO, CUBLAS, KERNEL }

    private MatmulKernel() {
    }

    static void matmul(CudaContext ctx, Node n, CudaData a, CudaData b, long out, Impl impl) {
        Node x = n.input(0);
        Node y = n.input(1);
        long batch = n.shape().get(0);
        long m = n.shape().get(1);
        long nn = n.shape().get(2);
        long k = x.shape().get(2);
        DType t = n.dtype();
        if (batch * m * nn == 0) {
            return;
        }
        if (k == 0) {
            ctx.zero(out, batch * m * nn * t.byteSize());
            return;
        }
        gemm(ctx, t, batch, m, nn, k, a.address(t), a.strides(), b.address(t), b.strides(), out, impl);
    }

    /** {@code C = A @ B} for strided A {@code [batch, m, k]} and B {@code [batch, k, n]} into contiguous C. */
    static void gemm(CudaContext ctx, DType t, long batch, long m, long n, long k, long a, long[] as, long b,
                     long[] bs, long c, Impl impl) {
        if (t.isFloatingPoint() && impl != Impl.KERNEL && ctx.cublas().isLoaded()) {
            GemmLayout la = GemmLayout.of(m, k, as[1], as[2]);
            GemmLayout lb = GemmLayout.of(k, n, bs[1], bs[2]);
            if (la != null && lb != null && ctx.cublas().gemm(ctx, t == DType.FLOAT64, batch, m, n, k,
                    a, la.trans(), la.ld(), batch == 1 ? 0 : as[0], b, lb.trans(), lb.ld(), batch == 1 ? 0 : bs[0], c)) {
                return;
            }
        }
        if (impl == Impl.CUBLAS) {
            throw new IllegalStateException(ctx.label() + ": cuBLAS was asked for but cannot run this product ("
                    + (ctx.cublas().isLoaded() ? "layout or dtype " + t : ctx.cublas().reason()) + ")");
        }
        String name;
        int tile;
        switch (t) {
            case FLOAT32 -> {
                name = "ts_gemm_f32";
                tile = 128;
            }
            case FLOAT64 -> {
                name = "ts_gemm_f64";
                tile = 64;
            }
            case INT64 -> {
                name = "ts_gemm_i64";
                tile = 64;
            }
            case INT32 -> {
                name = "ts_gemm_i32";
                tile = 64;
            }
            default -> throw new IllegalStateException("matmul on cuda: no kernel for " + t);
        }
        long gx = (n + tile - 1) / tile;
        long gy = (m + tile - 1) / tile;
        if (gy > 65535) {
            throw new UnsupportedOperationException("matmul on cuda: " + m + " rows exceed the kernel's grid ("
                    + 65535 * tile + " rows)");
        }
        ctx.launch(name, gx, (int) gy, (int) Math.min(batch, 65535), 256, new KernelArgs()
                .ptr(a).ptr(b).ptr(c).i64(batch).i64(m).i64(n).i64(k)
                .i64(as[0]).i64(as[1]).i64(as[2]).i64(bs[0]).i64(bs[1]).i64(bs[2]));
    }
}
