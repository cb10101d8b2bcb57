package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.Backends;

/** What only the CUDA backend has: the pool, cuBLAS next to the own GEMM, large transfers. */
@Tag("gpu")
class CudaBackendTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needsCuda() {
        CudaTestSupport.assumeCuda();
    }

    private static CudaBackend backend() {
        return (CudaBackend) Backends.forDevice(GPU);
    }

    private static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void repeatedOpsAreServedByThePoolWithoutNewDriverAllocations() {
        Tensor x = Tessera.rand(1 << 20).to(GPU);
        for (int i = 0; i < 3; i++) {
            x.mul(2).add(1).sum().item();
        }
        long before = Cuda.memoryStats(GPU).rawAllocations();
        for (int i = 0; i < 50; i++) {
            x.mul(2).add(1).sum().item();
        }
        assertEquals(before, Cuda.memoryStats(GPU).rawAllocations(), Cuda.memoryStats(GPU).toString());
        assertTrue(Cuda.memoryStats(GPU).reuses() >= 50);
    }

    @Test
    void ownGemmKernelAgreesWithCublasForEveryLayoutAndType() {
        Tensor a = Tessera.randn(300, 211).to(GPU);
        Tensor b = Tessera.randn(211, 157).to(GPU);
        float[] expected = a.cpu().matmul(b.cpu()).toFloatArray();
        try {
            for (MatmulKernel.Impl impl : MatmulKernel.Impl.values()) {
                if (impl == MatmulKernel.Impl.CUBLAS && !Cuda.cublasStatus(GPU).startsWith("cuBLAS")) {
                    continue;
                }
                backend().setMatmulImpl(impl);
                assertClose(expected, a.matmul(b).toFloatArray(), 1e-4);
                assertClose(expected, a.t().contiguous().t().matmul(b).toFloatArray(), 1e-4);
                assertClose(expected, a.matmul(b.t().contiguous().t()).toFloatArray(), 1e-4);
                assertClose(expected, a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64)).toFloatArray(), 1e-6);
                Tensor batch = Tessera.stack(java.util.List.of(a, a), 0);
                float[] twice = batch.matmul(b).get("1").toFloatArray();
                assertClose(expected, twice, 1e-4);
            }
        } finally {
            backend().setMatmulImpl(MatmulKernel.Impl.AUTO);
        }
    }

    @Test
    void largeTransfersKeepEveryByte() {
        int n = 10_000_019;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i * 0.5f - 7;
        }
        assertArrayEquals(v, Tessera.fromArray(v, n).to(GPU).cpu().toFloatArray());
        long[] l = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE};
        assertArrayEquals(l, Tessera.fromArray(l, 5).to(GPU).toLongArray());
    }

    @Test
    void longReductionsSplitIntoSegmentsAndMatchTheCpu() {
        Tensor x = Tessera.rand(1 << 24);
        double cpu = x.to(DType.FLOAT64).sum().item();
        Tensor g = x.to(GPU);
        assertEquals(cpu, g.sum().item(), 1e-6 * cpu);
        assertEquals(x.max().item(), g.max().item());
        assertEquals(x.argmin().longItem(), g.argmin().longItem());
        Tensor narrow = Tessera.rand(1 << 20, 3);
        assertClose(narrow.sum(0).toFloatArray(), narrow.to(GPU).sum(0).toFloatArray(), 1e-5);
    }

    @Test
    void highRanksMergeWhenContiguousAndOtherwiseSayWhy() {
        long[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
        Tensor x = Tessera.arange(0, 1024).reshape(shape).to(GPU);
        assertEquals(1024 * 1023 / 2, x.add(0).sum().longItem());
        int[] perm = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> x.permute(perm).add(1).realize());
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
    }

    @Test
    void describesTheDevice() {
        String d = Cuda.describe(GPU);
        assertTrue(d.contains("sm_"), d);
        assertTrue(Cuda.deviceCount() >= 1);
    }
}
