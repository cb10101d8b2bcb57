package org.tessera.backend.cpu;

import org.tessera.DType;
import org.tessera.backend.GemmLayout;
import org.tessera.graph.Node;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;

/**
 * Batched {@code [B, M, K] @ [B, K, N]}: float types through OpenBLAS, reading transposed or
 * row-sliced operands in place (only other layouts are copied first); integers by a plain loop.
 */
final class MatmulKernel {
    private MatmulKernel() {
    }

    static void matmul(Node n, Storage out) {
        Node a = n.input(0);
        Node b = n.input(1);
        // OpenBLAS reads the operands natively: a mapped file truncated since would stop the JVM there
        a.storage().checkMapped("matmul");
        b.storage().checkMapped("matmul");
        long batch = n.shape().get(0);
        long m = n.shape().get(1);
        long nn = n.shape().get(2);
        long k = a.shape().get(2);
        DType t = n.dtype();
        int es = t.byteSize();
        if (m * nn == 0 || batch == 0) {
            return;
        }
        if (k == 0) {
            Memory.zero(out.address(), batch * m * nn * es);
            return;
        }
        Storage ta = null;
        Storage tb = null;
        try {
            long aAddr = a.address();
            long[] as = a.strides();
            GemmLayout la = GemmLayout.of(m, k, as[1], as[2]);
            if (la == null || !t.isFloatingPoint()) {
                ta = CpuBackend.contiguousCopy(a);
                aAddr = ta.address();
                as = new long[] {m * k, k, 1};
                la = new GemmLayout(false, k);
            }
            long bAddr = b.address();
            long[] bs = b.strides();
            GemmLayout lb = GemmLayout.of(k, nn, bs[1], bs[2]);
            if (lb == null || !t.isFloatingPoint()) {
                tb = CpuBackend.contiguousCopy(b);
                bAddr = tb.address();
                bs = new long[] {k * nn, nn, 1};
                lb = new GemmLayout(false, nn);
            }
            long cAddr = out.address();
            for (long i = 0; i < batch; i++) {
                long pa = aAddr + i * as[0] * es;
                long pb = bAddr + i * bs[0] * es;
                long pc = cAddr + i * m * nn * es;
                if (t == DType.FLOAT32) {
                    Blas.sgemm(la.trans(), lb.trans(), (int) m, (int) nn, (int) k, pa, (int) la.ld(), pb,
                            (int) lb.ld(), pc, (int) nn);
                } else if (t == DType.FLOAT64) {
                    Blas.dgemm(la.trans(), lb.trans(), (int) m, (int) nn, (int) k, pa, (int) la.ld(), pb,
                            (int) lb.ld(), pc, (int) nn);
                } else {
                    integerGemm(t, m, nn, k, pa, pb, pc);
                }
            }
        } finally {
            if (ta != null) {
                ta.release();
            }
            if (tb != null) {
                tb.release();
            }
        }
    }

    private static void integerGemm(DType t, long m, long n, long k, long a, long b, long c) {
        int es = t.byteSize();
        int cols = (int) n;
        Parallel.forRange(m, 1, 1, (rs, re) -> {
            long[] row = new long[cols];
            long[] brow = new long[cols];
            long[] one = new long[1];
            for (long i = rs; i < re; i++) {
                java.util.Arrays.fill(row, 0);
                for (long p = 0; p < k; p++) {
                    Runs.read(t, a + (i * k + p) * es, es, 1, one, 0);
                    long av = one[0];
                    Runs.read(t, b + p * n * es, es, cols, brow, 0);
                    for (int j = 0; j < cols; j++) {
                        row[j] += av * brow[j];
                    }
                }
                Runs.write(t, c + i * n * es, es, cols, row, 0);
            }
        });
    }
}
