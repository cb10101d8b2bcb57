package org.tessera.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * The encoding of fused elementwise chains for {@code ts_fused}, checked on the host with
 * nodes that pretend to be realized on cuda:0 (no driver is touched).
 */
class FusedKernelTest {
    private static final Device GPU = Device.cuda(0);
    private final DevicePool pool = new DevicePool("fake", new DevicePool.Raw() {
        private long next = 0x10000;

        @Override
        public long allocate(long bytes) {
            long a = next;
            next += bytes;
            return a;
        }

        @Override
        public void free(long address) {
        }
    }, () -> { });

    private Tensor realized(Shape shape, DType t, long[] strides) {
        Node n = new Node(Op.CONSTANT, shape, t, GPU, null);
        DevicePool.Block b = pool.allocate(shape.numel() * t.byteSize(), "test");
        n.setRemote(new CudaData(new DeviceBuffer(pool, b, shape.numel() * t.byteSize()), 0, strides));
        return Tensor.of(n);
    }

    private static int op(long code) {
        return (int) (code & 0xff);
    }

    private static int arg(long code, int i) {
        return (int) ((code >> (24 + 8 * i)) & 0xff);
    }

    @Test
    void aChainBecomesOneProgramWithLoadsOnlyForRealizedLeaves() {
        Tensor a = realized(Shape.of(2, 3), DType.FLOAT32, new long[] {3, 1});
        Tensor b = realized(Shape.of(3), DType.FLOAT32, new long[] {1});
        Tensor r = a.mul(b).add(1.5).relu();
        FusedKernel k = FusedKernel.plan(r.node());
        assertEquals(2, k.leafCount());
        assertEquals(9, k.stepCount());
        assertTrue(k.dependencies().isEmpty());
        long[] w = k.encode(0xABC0, CudaBackend::data);
        assertEquals(FusedKernel.WORDS * 8, w.length * 8);
        assertTrue(FusedKernel.WORDS * 8 <= 4096, "kernel parameters must fit 4 KiB");
        assertEquals(6, w[0]);
        assertEquals(2, w[1]);
        assertEquals(9, w[2]);
        assertEquals(2, w[3]);
        assertEquals(0xABC0, w[4]);
        assertEquals(DType.FLOAT32.ordinal(), w[5]);
        assertEquals(1, w[6], "b is broadcast along rows, so indexing is general");
        assertEquals(2, w[7]);
        assertEquals(3, w[8]);
        int leaf0 = FusedKernel.HEADER;
        int leaf1 = leaf0 + FusedKernel.LEAF_WORDS;
        assertEquals(0, w[leaf0 + 2], "a is contiguous");
        assertEquals(2, w[leaf1 + 2], "b is strided");
        assertEquals(0, w[leaf1 + 3]);
        assertEquals(1, w[leaf1 + 4]);
        int steps = FusedKernel.HEADER + FusedKernel.MAX_LEAVES * FusedKernel.LEAF_WORDS;
        long last = w[steps + 2 * 8];
        assertEquals(FusedKernel.code(Op.WHERE), op(last));
        // relu is where(x <= 0, 0, x)
        assertEquals(FusedKernel.code(Op.LE), op(w[steps + 2 * arg(last, 0)]));
        int fillStep = arg(last, 1);
        assertEquals(FusedKernel.FILL, op(w[steps + 2 * fillStep]));
        assertEquals(Float.floatToRawIntBits(0f), w[steps + 2 * fillStep + 1]);
        assertEquals(FusedKernel.code(Op.ADD), op(w[steps + 2 * arg(last, 2)]));
        int add = arg(last, 2);
        long addCode = w[steps + 2 * add];
        assertEquals(FusedKernel.code(Op.MUL), op(w[steps + 2 * arg(addCode, 0)]));
        assertEquals(Integer.toUnsignedLong(Float.floatToRawIntBits(1.5f)), w[steps + 2 * arg(addCode, 1) + 1]);
    }

    @Test
    void comparisonsComputeInTheInputKindAndCastsRecordBothTypes() {
        Tensor a = realized(Shape.of(4), DType.FLOAT64, new long[] {1});
        Tensor c = a.gt(0).to(DType.INT32);
        FusedKernel k = FusedKernel.plan(c.node());
        long[] w = k.encode(0, CudaBackend::data);
        int steps = FusedKernel.HEADER + FusedKernel.MAX_LEAVES * FusedKernel.LEAF_WORDS;
        long cast = w[steps + 2 * (k.stepCount() - 1)];
        assertEquals(FusedKernel.code(Op.CAST), op(cast));
        assertEquals(DType.INT32.ordinal(), (cast >> 8) & 0xff);
        assertEquals(2, (cast >> 16) & 0xff, "the input (bool) computes as integers");
        long gt = w[steps + 2 * arg(cast, 0)];
        assertEquals(1, (gt >> 16) & 0xff, "the comparison reads float64");
        assertEquals(DType.BOOL.ordinal(), (gt >> 8) & 0xff);
        assertEquals(0, w[6], "a single contiguous leaf needs no index arithmetic");
    }

    @Test
    void longChainsAreCutToFitTheKernelLimits() {
        Tensor x = realized(Shape.of(8), DType.FLOAT32, new long[] {1});
        Tensor[] leaves = new Tensor[30];
        Tensor acc = x;
        for (int i = 0; i < leaves.length; i++) {
            leaves[i] = realized(Shape.of(8), DType.FLOAT32, new long[] {1});
            acc = acc.mul(leaves[i]).add(i);
        }
        FusedKernel k = FusedKernel.plan(acc.node());
        assertTrue(k.stepCount() <= FusedKernel.MAX_STEPS, "steps " + k.stepCount());
        assertTrue(k.leafCount() <= FusedKernel.MAX_LEAVES, "leaves " + k.leafCount());
        assertTrue(!k.dependencies().isEmpty(), "the rest of the chain is realized first");
    }

    @Test
    void fillImmediatesUseTheRegisterEncodingOfTheirType() {
        assertEquals(Integer.toUnsignedLong(Float.floatToRawIntBits(-2.5f)), FusedKernel.immediate(DType.FLOAT32, -2.5));
        assertEquals(Double.doubleToRawLongBits(0.1), FusedKernel.immediate(DType.FLOAT64, 0.1));
        assertEquals(-1, FusedKernel.immediate(DType.INT32, 0xFFFFFFFFL));
        assertEquals(1, FusedKernel.immediate(DType.BOOL, 7));
    }
}
