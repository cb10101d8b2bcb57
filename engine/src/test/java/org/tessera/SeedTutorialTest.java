package org.tessera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.Tessera.arange;
import static org.tessera.Tessera.full;
import static org.tessera.Tessera.ones;
import static org.tessera.Tessera.rand;
import static org.tessera.Tessera.randn;
import static org.tessera.Tessera.tensor;
import static org.tessera.Tessera.zeros;

import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.memory.LeakCheck;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;

/**
 * The parity list of the design (PyTorch's tensor and autograd tutorial), in Java. Expected
 * values are what PyTorch 2 prints for the expression named in the comment above each check.
 */
@ExtendWith(LeakCheck.class)
class SeedTutorialTest {

    // ------------------------------------------------------------------ create

    @Test
    void tensorsFromJavaDataInferTheirDtype() {
        // torch.tensor([[1, 2], [3, 4]])
        Tensor ints = tensor(new int[][] {{1, 2}, {3, 4}});
        assertEquals(DType.INT64, ints.dtype());
        assertEquals("tensor([[1, 2],\n        [3, 4]])", ints.toString());
        // torch.tensor([[1., 2.], [3., 4.]])
        Tensor floats = tensor(new double[][] {{1, 2}, {3, 4}});
        assertEquals(DType.FLOAT32, floats.dtype());
        assertEquals("tensor([[1., 2.],\n        [3., 4.]])", floats.toString());
        // torch.tensor([[1, 2], [3, 4]]) from nested lists
        assertEquals(ints.toString(), tensor(List.of(List.of(1, 2), List.of(3, 4))).toString());
        // torch.tensor([True, False])
        assertEquals(DType.BOOL, tensor(new boolean[] {true, false}).dtype());
    }

    @Test
    void filledAndRangedTensors() {
        // torch.zeros(2, 3)
        assertEquals("tensor([[0., 0., 0.],\n        [0., 0., 0.]])", zeros(2, 3).toString());
        // torch.ones(2, 3, dtype=torch.int64)
        assertEquals("tensor([[1, 1, 1],\n        [1, 1, 1]])", ones(DType.INT64, 2, 3).toString());
        // torch.full((2, 2), 7)
        assertEquals("tensor([[7, 7],\n        [7, 7]])", full(7, 2, 2).toString());
        // torch.arange(0, 10, 2)
        assertEquals("tensor([0, 2, 4, 6, 8])", arange(0, 10, 2).toString());
        // torch.arange(0, 1, 0.25)
        assertEquals("tensor([0.0000, 0.2500, 0.5000, 0.7500])", arange(0, 1, 0.25).toString());
    }

    @Test
    void randomTensorsHaveTheirShapeRangeAndSeed() {
        Tensor r = rand(3, 4, 5);
        assertEquals(Shape.of(3, 4, 5), r.shape());
        assertEquals(DType.FLOAT32, r.dtype());
        for (float v : r.toFloatArray()) {
            assertTrue(v >= 0 && v < 1, "rand value " + v);
        }
        Tensor n = randn(1000);
        assertEquals(0, n.mean().item(), 0.15);
        assertEquals(1, n.sub(n.mean()).pow(2).mean().sqrt().item(), 0.15);
        Tessera.manualSeed(42);
        float[] first = rand(4).toFloatArray();
        Tessera.manualSeed(42);
        assertArrayEquals(first, rand(4).toFloatArray());
    }

    // ------------------------------------------------------------------ attributes

    @Test
    void shapeDtypeAndDevice() {
        // t = torch.rand(3, 4, 5): t.shape is torch.Size([3, 4, 5]), t.dtype torch.float32, t.device cpu
        Tensor t = rand(3, 4, 5);
        assertEquals("[3, 4, 5]", t.shape().toString());
        assertEquals("float32", t.dtype().toString());
        assertEquals("cpu", t.device().toString());
        assertEquals(3, t.dim());
        assertEquals(60, t.numel());
        assertEquals(4, t.size(1));
    }

    // ------------------------------------------------------------------ indexing

    @Test
    void indexingElementsSlicesColumnsAndMasks() {
        // x = torch.arange(12).reshape(3, 4)
        Tensor x = arange(12).reshape(3, 4);
        assertEquals("tensor([[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]])", x.toString());
        // x[1, 2]
        assertEquals("tensor(6)", x.get(1, 2).toString());
        assertEquals(6, x.get(1, 2).longItem());
        // x[:, 0]
        assertEquals("tensor([0, 4, 8])", x.get(":, 0").toString());
        // x[0:3:2, 1::2]
        assertEquals("tensor([[ 1,  3],\n        [ 9, 11]])", x.get("0:3:2, 1::2").toString());
        // x[x > 5]
        assertEquals("tensor([ 6,  7,  8,  9, 10, 11])", x.get(x.gt(5)).toString());
        // x[-1]
        assertEquals("tensor([ 8,  9, 10, 11])", x.get(-1).toString());
        // x[1:, -2:]
        assertEquals("tensor([[ 6,  7],\n        [10, 11]])", x.get(Index.slice(1L, null), Index.slice(-2L, null))
                .toString());
    }

    // ------------------------------------------------------------------ arithmetic

    @Test
    void elementwiseArithmeticWithBroadcasting() {
        // a = torch.tensor([[1., 2.], [3., 4.]]); b = torch.tensor([10., 20.])
        Tensor a = tensor(new float[][] {{1, 2}, {3, 4}});
        Tensor b = tensor(new float[] {10, 20});
        // a + b
        assertEquals("tensor([[11., 22.],\n        [13., 24.]])", a.add(b).toString());
        // a - b
        assertEquals("tensor([[ -9., -18.],\n        [ -7., -16.]])", a.sub(b).toString());
        // a * b
        assertEquals("tensor([[10., 40.],\n        [30., 80.]])", a.mul(b).toString());
        // a / b
        assertEquals("tensor([[0.1000, 0.1000],\n        [0.3000, 0.2000]])", a.div(b).toString());
        // a ** 2
        assertEquals("tensor([[ 1.,  4.],\n        [ 9., 16.]])", a.pow(2).toString());
        // b / 3
        assertEquals("tensor([3.3333, 6.6667])", b.div(3).toString());
    }

    // ------------------------------------------------------------------ matrices

    @Test
    void matmulAndTranspose() {
        Tensor a = tensor(new float[][] {{1, 2}, {3, 4}});
        Tensor b = tensor(new float[] {10, 20});
        // a @ a.T
        assertEquals("tensor([[ 5., 11.],\n        [11., 25.]])", a.matmul(a.t()).toString());
        // a.t()
        assertEquals("tensor([[1., 3.],\n        [2., 4.]])", a.t().toString());
        // a @ b
        assertEquals("tensor([ 50., 110.])", a.matmul(b).toString());
        // torch.tensor([1., 2., 3.]) @ torch.tensor([4., 5., 6.])
        assertEquals("tensor(32.)", tensor(new float[] {1, 2, 3}).matmul(tensor(new float[] {4, 5, 6})).toString());
    }

    // ------------------------------------------------------------------ reductions

    @Test
    void sumsAndMaxWithIndices() {
        Tensor x = arange(12).reshape(3, 4);
        // x.sum(), x.sum(0), x.sum(1)
        assertEquals("tensor(66)", x.sum().toString());
        assertEquals("tensor([12, 15, 18, 21])", x.sum(0).toString());
        assertEquals("tensor([ 6, 22, 38])", x.sum(1).toString());
        // torch.max(torch.tensor([[1., 5., 2.], [7., 0., 3.]]), 1): values tensor([5., 7.]), indices tensor([1, 0])
        Tensor y = tensor(new float[][] {{1, 5, 2}, {7, 0, 3}});
        ValuesIndices m = y.max(1);
        assertEquals("tensor([5., 7.])", m.values().toString());
        assertEquals("tensor([1, 0])", m.indices().toString());
        // torch.max(x, 0): values tensor([ 8,  9, 10, 11]), indices tensor([2, 2, 2, 2])
        ValuesIndices m0 = x.max(0);
        assertEquals("tensor([ 8,  9, 10, 11])", m0.values().toString());
        assertEquals("tensor([2, 2, 2, 2])", m0.indices().toString());
        // y.sum(1), y.mean(), y.max()
        assertEquals("tensor([ 8., 10.])", y.sum(1).toString());
        assertEquals("tensor(3.)", y.mean().toString());
        assertEquals("tensor(7.)", y.max().toString());
    }

    // ------------------------------------------------------------------ interop

    @Test
    void javaArraysRoundTrip() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tessera.fromArray(data, 2, 3);
        assertArrayEquals(data, t.toFloatArray());
        assertArrayEquals(new float[][] {{1, 2, 3}, {4, 5, 6}}, (float[][]) t.toArray());
        data[0] = 100;
        assertEquals(1, t.get(0, 0).item(), "a Java array is copied (it is on the heap)");
    }

    @Test
    void arrowBufferSharesMemoryWithTheTensor() {
        // as the tutorial's NumPy bridge: change one, see it in the other
        ArrowBuf buf = Memory.root().buffer(16);
        try {
            for (int i = 0; i < 4; i++) {
                buf.setFloat(4L * i, i + 1);
            }
            Tensor t = Creation.fromStorage(Storage.wrap(buf, 16, "arrow buffer"), Shape.of(4), DType.FLOAT32, 0,
                    new long[] {1});
            assertEquals("tensor([1., 2., 3., 4.])", t.toString());
            buf.setFloat(0, 9);
            assertEquals("tensor([9., 2., 3., 4.])", t.toString());
            t.set(5, 1);
            assertEquals(5, buf.getFloat(4));
            assertEquals(t.node().address(), buf.memoryAddress());
            t.node().storage().release(); // give back the tensor's reference now rather than when it is collected
        } finally {
            buf.close();
        }
    }

    // ------------------------------------------------------------------ devices

    @Test
    void tensorsLiveOnTheCpuUnlessMoved() {
        Tensor x = ones(2, 2);
        assertEquals(Device.CPU, x.device());
        assertSame(x, x.to(Device.CPU));
        assertNotSame(null, x.cpu());
        if (!Tessera.isCudaAvailable()) {
            Exception e = assertThrows(RuntimeException.class, () -> x.to(Device.cuda(0)));
            assertTrue(e.getMessage().contains("cuda"), e.getMessage());
        }
    }

    @Test
    void computeOnCudaWhenAvailable() {
        Assumptions.assumeTrue(Tessera.isCudaAvailable(), "no usable CUDA device");
        Tensor a = tensor(new float[][] {{1, 2}, {3, 4}});
        Tensor g = a.to(Device.cuda(0));
        assertEquals(Device.cuda(0), g.device());
        assertEquals("tensor([[ 5., 11.],\n        [11., 25.]])", g.matmul(g.t()).cpu().toString());
    }

    // ------------------------------------------------------------------ autograd

    @Test
    void gradientsOfXSquaredPlusYCubedAccumulateUntilZeroed() {
        // x = torch.tensor(2.0, requires_grad=True); y = torch.tensor(3.0, requires_grad=True); z = x**2 + y**3
        Tensor x = tensor(2.0).requiresGrad(true);
        Tensor y = tensor(3.0).requiresGrad(true);
        Tensor z = x.pow(2).add(y.pow(3));
        // z.backward(): x.grad tensor(4.), y.grad tensor(27.)
        z.backward();
        assertEquals("tensor(4.)", x.grad().toString());
        assertEquals("tensor(27.)", y.grad().toString());
        // a second z.backward() without zeroing: tensor(8.) and tensor(54.)
        z.backward();
        assertEquals("tensor(8.)", x.grad().toString());
        assertEquals("tensor(54.)", y.grad().toString());
        // x.grad.zero_()
        x.zeroGrad();
        assertEquals("tensor(0.)", x.grad().toString());
        assertEquals("tensor(54.)", y.grad().toString());
    }

    @Test
    void gradientOfAMeanOverAComputedTensor() {
        // x = torch.ones(2, 2, requires_grad=True); z = (x + 2) * (x + 2) * 3; out = z.mean()
        Tensor x = ones(2, 2).requiresGrad(true);
        Tensor y = x.add(2);
        Tensor z = y.mul(y).mul(3);
        Tensor out = z.mean();
        assertEquals(27, out.item());
        // out.backward(): x.grad tensor([[4.5000, 4.5000], [4.5000, 4.5000]])
        out.backward();
        assertEquals("tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])", x.grad().toString());
    }

    // ------------------------------------------------------------------ printing

    @Test
    void toStringMatchesPyTorch() {
        // torch.tensor([1.5, 2.0, -3.25])
        assertEquals("tensor([ 1.5000,  2.0000, -3.2500])", tensor(new float[] {1.5f, 2f, -3.25f}).toString());
        // torch.tensor([True, False])
        assertEquals("tensor([ True, False])", tensor(new boolean[] {true, false}).toString());
        // torch.tensor([1.5, 2.], dtype=torch.float64)
        assertEquals("tensor([1.5000, 2.0000], dtype=torch.float64)",
                tensor(new double[] {1.5, 2}, DType.FLOAT64).toString());
        // torch.tensor([1, 2], dtype=torch.int32)
        assertEquals("tensor([1, 2], dtype=torch.int32)", tensor(new int[] {1, 2}, DType.INT32).toString());
        // torch.tensor(3.5)
        assertEquals("tensor(3.5000)", tensor(3.5).toString());
        // torch.tensor([1., 2.], requires_grad=True)
        assertEquals("tensor([1., 2.], requires_grad=True)", tensor(new float[] {1, 2}).requiresGrad(true).toString());
        // torch.tensor([[0.1234567, 100.5], [1e-3, 2.]])
        assertEquals("tensor([[1.2346e-01, 1.0050e+02],\n        [1.0000e-03, 2.0000e+00]])",
                tensor(new double[][] {{0.1234567, 100.5}, {1e-3, 2}}).toString());
        // torch.tensor([1e10, 1.])
        assertEquals("tensor([1.0000e+10, 1.0000e+00])", tensor(new double[] {1e10, 1}).toString());
        // torch.arange(12.).reshape(3, 4) / 3
        assertEquals("tensor([[0.0000, 0.3333, 0.6667, 1.0000],\n        [1.3333, 1.6667, 2.0000, 2.3333],\n"
                + "        [2.6667, 3.0000, 3.3333, 3.6667]])", arange(0.0, 12.0).reshape(3, 4).div(3).toString());
    }
}
