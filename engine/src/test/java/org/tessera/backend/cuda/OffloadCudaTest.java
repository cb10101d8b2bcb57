package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Generator;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.backend.Offload;
import org.tessera.memory.LeakCheck;

/** Offload of lazy CPU graphs to cuda:0: the values of the CPU, and no device memory left behind. */
@Tag("gpu")
@ExtendWith(LeakCheck.class)
class OffloadCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needsCuda() {
        CudaTestSupport.assumeCuda();
    }

    private static Tensor randn(long seed, long... shape) {
        return Tessera.randn(new Generator(seed), DType.FLOAT32, shape).realize();
    }

    /** Device bytes held by tensors once earlier tests' unreachable tensors have been released. */
    private static long settledInUse() {
        long last = -1;
        for (int i = 0; i < 10 && Cuda.memoryStats(GPU).inUseBytes() != last; i++) {
            last = Cuda.memoryStats(GPU).inUseBytes();
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return Cuda.memoryStats(GPU).inUseBytes();
    }

    /** Offloads one build of the graph, realizes another on the CPU, compares, and checks device memory. */
    private static void check(Supplier<Tensor> graph, double tol) {
        Tensor onGpu = graph.get();
        Tensor onCpu = graph.get().realize();
        long before = settledInUse();
        long requests = Cuda.memoryStats(GPU).rawAllocations() + Cuda.memoryStats(GPU).reuses();
        assertSame(onGpu, Offload.realize(onGpu, GPU));
        assertEquals(Device.CPU, onGpu.device());
        assertTrue(Cuda.memoryStats(GPU).rawAllocations() + Cuda.memoryStats(GPU).reuses() > requests,
                "the graph was computed on " + GPU);
        assertTrue(Cuda.memoryStats(GPU).inUseBytes() <= before, "device memory left held: "
                + Cuda.memoryStats(GPU) + ", " + before + " bytes before");
        double[] e = onCpu.toDoubleArray();
        double[] a = onGpu.toDoubleArray();
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "element " + i);
        }
    }

    @Test
    void aFusedChainMatchesTheCpu() {
        Tensor a = randn(1, 1000, 257);
        Tensor b = randn(2, 257);
        check(() -> a.mul(b).add(1).exp().sub(a.abs().sqrt()).tanh(), 1e-5);
        check(() -> Tessera.where(a.gt(b), a, b.mul(2)).to(DType.FLOAT64).add(0.5), 1e-6);
    }

    @Test
    void aMatmulMatchesTheCpu() {
        Tensor a = randn(3, 300, 211);
        Tensor b = randn(4, 211, 157);
        check(() -> a.matmul(b).relu(), 1e-4);
        check(() -> a.t().matmul(a.mul(0.5)), 1e-4);
    }

    @Test
    void reductionsMatchTheCpu() {
        Tensor x = randn(5, 64, 300, 7);
        check(() -> x.exp().sum(new int[] {0, 2}, true), 1e-5);
        check(() -> x.sin().max(1).values(), 0);
        check(() -> x.add(1).argmax(1, false), 0);
        check(() -> x.mean(), 1e-5);
    }

    @Test
    void randomSourcesAreBitIdentical() {
        Tensor onGpu = Tessera.rand(new Generator(9), DType.FLOAT32, 513, 17).mul(1);
        Tensor onCpu = Tessera.rand(new Generator(9), DType.FLOAT32, 513, 17);
        Offload.realize(onGpu, GPU);
        assertArrayEquals(onCpu.toFloatArray(), onGpu.toFloatArray());
    }
}
