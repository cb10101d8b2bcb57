package org.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Generator;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;
import org.tessera.memory.LeakCheck;
import org.tessera.ops.Indexing;

/**
 * The offload rebuild, checked on the CPU: a graph rebuilt CPU to CPU through a counting leaf
 * copy must give what direct realization of an independent copy of the same graph gives; and
 * the public path, end to end, on a stand-in device whose data lives in CPU buffers.
 */
@ExtendWith(LeakCheck.class)
class OffloadTest {
    /** A leaf copy that makes a fresh contiguous CPU buffer (as an upload would) and counts its calls per leaf. */
    private static final class CountingCopy implements java.util.function.UnaryOperator<Node> {
        final Map<Node, Integer> calls = new IdentityHashMap<>();
        final List<Node> copies = new ArrayList<>();

        @Override
        public Node apply(Node leaf) {
            assertTrue(leaf.isRealized(), "only realized nodes are copied: " + leaf);
            assertEquals(Device.CPU, leaf.device());
            calls.merge(leaf, 1, Integer::sum);
            Node c = Graph.nodeOn(Op.CAST, leaf.shape(), leaf.dtype(), Device.CPU, null, leaf);
            Tensor.of(c).realize();
            copies.add(c);
            return c;
        }

        int total() {
            return calls.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** Rebuilds {@code graph.get()} CPU to CPU, realizes it, and compares with a second, directly realized build. */
    private static CountingCopy checkRebuild(Supplier<Tensor> graph, double tol) {
        Tensor viaRebuild = graph.get();
        Tensor direct = graph.get();
        assertFalse(viaRebuild.node().isRealized(), "the graph under test must be pending");
        assertTrue(viaRebuild.node() != direct.node(), "two independent graphs");
        CountingCopy copy = new CountingCopy();
        Offload.Rebuilt r = Offload.rebuild(viaRebuild.node(), Device.CPU, copy);
        assertFalse(viaRebuild.node().isRealized(), "rebuilding computes nothing of the original graph");
        assertTrue(r.root() != viaRebuild.node(), "the root is rebuilt");
        for (Map.Entry<Node, Integer> e : copy.calls.entrySet()) {
            assertEquals(1, e.getValue(), "leaf copied more than once: " + e.getKey());
        }
        for (Node c : copy.copies) {
            assertTrue(r.created().stream().anyMatch(n -> n == c), "copies are listed for freeing");
        }
        Tensor out = Tensor.of(r.root()).realize();
        assertEquals(direct.shape(), out.shape());
        assertEquals(direct.dtype(), out.dtype());
        double[] e = direct.toDoubleArray();
        double[] a = out.toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            if (Double.isNaN(e[i])) {
                assertTrue(Double.isNaN(a[i]), "element " + i);
            } else {
                assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "element " + i);
            }
        }
        return copy;
    }

    private static Tensor randn(long seed, long... shape) {
        return Tessera.randn(new Generator(seed), DType.FLOAT32, shape).realize();
    }

    @Test
    void elementwiseChainsWithBroadcastingMatchDirectRealization() {
        Tensor a = randn(1, 4, 1, 5);
        Tensor b = randn(2, 3, 5);
        Tensor c = Tessera.tensor(2.5);
        CountingCopy copy = checkRebuild(() -> a.mul(b).add(c).exp().sub(b.abs().sqrt()).tanh().div(a.add(3)), 1e-6);
        assertEquals(3, copy.total(), "a, b and c, once each");
        checkRebuild(() -> a.to(DType.FLOAT64).pow(2).add(b.to(DType.FLOAT64)).neg(), 0);
    }

    @Test
    void reductionsWithDimsAndKeepDimMatch() {
        Tensor x = randn(3, 4, 5, 6);
        checkRebuild(() -> x.mul(2).sum(new int[] {0, 2}, true), 1e-6);
        checkRebuild(() -> x.exp().sum(1, false), 1e-6);
        checkRebuild(() -> x.abs().add(0.5).prod(new int[] {2}, true), 1e-5);
        checkRebuild(() -> x.sin().max(1).values(), 0);
        checkRebuild(() -> x.mean(new int[] {0, 1}, false).add(x.sum()), 1e-6);
        checkRebuild(() -> x.mul(x).sum(), 1e-5);
    }

    @Test
    void argmaxMatches() {
        Tensor x = randn(4, 4, 7, 9);
        checkRebuild(() -> x.add(1).argmax(1, false), 0);
        checkRebuild(() -> x.neg().argmax(2, true), 0);
        checkRebuild(() -> x.cos().argmax(), 0);
    }

    @Test
    void matmulMatches() {
        Tensor a = randn(5, 9, 7);
        Tensor b = randn(6, 7, 3);
        checkRebuild(() -> a.matmul(b).relu(), 1e-5);
        Tensor x = randn(7, 3, 2, 7);
        Tensor y = randn(8, 3, 7, 4);
        checkRebuild(() -> x.mul(2).matmul(y.add(1)).sum(1), 1e-5);
    }

    @Test
    void transposedAndSlicedInputsAreCopiedWithTheirLayout() {
        Tensor base = randn(9, 12, 10);
        Tensor transposed = base.t().realize();
        Tensor sliced = base.get("1:, 2:10:3").realize();
        assertFalse(transposed.node().isContiguous());
        assertFalse(sliced.node().isContiguous());
        checkRebuild(() -> transposed.mul(3).add(transposed.exp()), 1e-6);
        checkRebuild(() -> sliced.sub(1).sum(0, true), 1e-6);
        Tensor m = randn(10, 6, 8).get(":, 1:7:2").realize(); // [6, 3] strided
        checkRebuild(() -> m.t().matmul(m).add(1), 1e-5);
    }

    @Test
    void pendingSlicesOfALeafAreTakenOnTheCpuAndOnlyTheirElementsCopied() {
        Tensor big = randn(11, 40, 30);
        CountingCopy copy = checkRebuild(() -> big.get("3:7, 5:25:2").mul(2).add(big.get("3:7, 0:10")), 1e-6);
        assertEquals(2, copy.total());
        for (Node leaf : copy.calls.keySet()) {
            assertEquals(Op.SLICE, leaf.op(), "the slice is copied, not the whole buffer");
            assertTrue(leaf.shape().numel() <= 40, leaf.shape().toString());
        }
    }

    @Test
    void whereCastsAndComparisonsMatch() {
        Tensor a = randn(12, 5, 4);
        Tensor b = randn(13, 5, 4);
        checkRebuild(() -> Tessera.where(a.gt(b), a, b.mul(2)), 0);
        checkRebuild(() -> a.mul(10).to(DType.INT64).add(3), 0);
        checkRebuild(() -> a.le(0.25).logicalAnd(b.gt(-0.5)).to(DType.INT32), 0);
        checkRebuild(() -> a.to(DType.FLOAT64).eq(b.to(DType.FLOAT64)).logicalAnd(a.gt(0)).to(DType.FLOAT32), 0);
    }

    @Test
    void maskedOpsMatch() {
        Tensor x = randn(14, 6, 5);
        Tensor mask = x.gt(0).realize();
        checkRebuild(() -> x.mul(2).maskedSelect(mask).add(1), 0);
        checkRebuild(() -> x.exp().maskedFill(mask, 0), 0);
        long count = mask.to(DType.INT64).sum().longItem();
        Tensor values = randn(15, count);
        checkRebuild(() -> Indexing.maskedScatter(values.mul(3), mask).sum(0), 1e-6);
    }

    @Test
    void aSharedLeafIsCopiedOnce() {
        Tensor x = randn(16, 8, 8);
        CountingCopy copy = checkRebuild(() -> x.mul(x).add(x.sum(1, true)).matmul(x).sub(x.t()), 1e-5);
        assertEquals(1, copy.total(), "x is read five times and copied once");
        assertEquals(1, copy.calls.get(x.node()));
    }

    @Test
    void randomSourcesAreComputedOnTheCpuAndCopiedBitIdentical() {
        Supplier<Tensor> g = () -> Tessera.rand(new Generator(77), DType.FLOAT32, 6, 5).mul(2)
                .add(Tessera.randn(new Generator(78), DType.FLOAT64, 6, 5)).add(Tessera.arange(0, 5))
                .add(Tessera.full(0.5, 6, 5));
        CountingCopy copy = checkRebuild(g, 0);
        List<Op> copied = copy.calls.keySet().stream().map(Node::op).sorted().toList();
        assertEquals(List.of(Op.ARANGE, Op.RAND, Op.RANDN), copied, "sources reach the device as copies");
        Offload.Rebuilt r = Offload.rebuild(g.get().node(), Device.CPU, new CountingCopy());
        for (Node n : r.created()) {
            assertFalse(!n.isRealized() && (n.op() == Op.RAND || n.op() == Op.RANDN || n.op() == Op.ARANGE),
                    "a random source rebuilt on the target: " + n);
        }
        assertTrue(r.created().stream().anyMatch(n -> n.op() == Op.FILL && !n.isRealized()),
                "fill is rebuilt on the target");
    }

    @Test
    void movementOnlyGraphsStayOnTheCpu() {
        Tensor x = randn(17, 4, 6);
        assertFalse(Offload.needsCompute(x.t().reshape(3, 8).node()));
        assertFalse(Offload.needsCompute(x.get("1:3").expand(5, 2, 6).permute(2, 0, 1).node()));
        assertFalse(Offload.needsCompute(Tessera.cat(x, x.get("0:1")).node()));
        assertFalse(Offload.needsCompute(Tessera.rand(4, 6).reshape(24).node()));
        assertFalse(Offload.needsCompute(Tessera.zeros(3, 3).node()));
        assertFalse(Offload.needsCompute(x.node()), "a realized tensor has nothing pending");
        Tensor xt = x.t();
        assertFalse(Offload.needsCompute(Graph.node(Op.CAST, xt.shape(), xt.dtype(), null, xt.node())),
                "a same-dtype cast (a contiguous copy) only moves data");
        assertTrue(Offload.needsCompute(x.t().add(1).reshape(24).node()));
        assertTrue(Offload.needsCompute(x.sum(0).node()));
        assertTrue(Offload.needsCompute(x.to(DType.FLOAT64).node()), "a cast that converts computes");
        // no backend exists for this device type: only a graph that stays on the CPU can succeed
        Device nowhere = Device.of("nowhere", 0);
        Tensor moved = x.t().reshape(3, 8);
        assertSame(moved, Offload.realize(moved, nowhere));
        assertTrue(moved.node().isRealized());
        assertArrayEquals(x.t().contiguous().toFloatArray(), moved.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> Offload.realize(x.add(1), nowhere));
        Tensor sum = x.add(1);
        assertSame(sum, Offload.realize(sum, Device.CPU));
        assertTrue(sum.node().isRealized());
    }

    // ------------------------------------------------------------ the public path on a stand-in device

    /** Device data of the stand-in: a CPU node with the values, and whether it was freed. */
    private static final class Held {
        final Node cpu;
        boolean freed;

        Held(Node cpu) {
            this.cpu = cpu;
        }
    }

    /**
     * A backend for device type {@code fake}: realizes a graph by mirroring it on the CPU, counts
     * uploads and the data it holds, and fails on realize when asked to.
     */
    private static final class FakeDevice implements Backend {
        int uploads;
        int live;
        int doubleFrees;
        boolean failRealize;

        @Override
        public String deviceType() {
            return "fake";
        }

        @Override
        public boolean isAvailable(Device device) {
            return true;
        }

        private static Node cpuCopy(Node n) {
            Node c = Graph.nodeOn(Op.CAST, n.shape(), n.dtype(), Device.CPU, null, n);
            Tensor.of(c).realize();
            return c;
        }

        private void hold(Node n, Node cpu) {
            n.setRemote(new Held(cpu));
            live++;
        }

        @Override
        public synchronized void realize(Node target) {
            if (target.isRealized()) {
                return;
            }
            if (failRealize) {
                throw new IllegalStateException("fake device: injected failure");
            }
            Map<Node, Node> mirror = new IdentityHashMap<>();
            for (Node n : Offload.pending(target)) {
                assertEquals(target.device(), n.device(), "every pending node is on the device");
                Node[] ins = new Node[n.inputs().length];
                for (int i = 0; i < ins.length; i++) {
                    Node in = n.input(i);
                    ins[i] = in.isRealized() ? held(in).cpu : mirror.get(in);
                }
                mirror.put(n, Graph.nodeOn(n.op(), n.shape(), n.dtype(), Device.CPU, n.attrs(), ins));
            }
            Node m = mirror.get(target);
            Tensor.of(m).realize();
            hold(target, m);
        }

        private static Held held(Node n) {
            Held h = (Held) n.remote();
            assertFalse(h.freed, "read after free: " + n);
            return h;
        }

        @Override
        public synchronized Node toHost(Node node) {
            realize(node);
            return cpuCopy(held(node).cpu);
        }

        @Override
        public synchronized Node fromHost(Node hostNode, Device device) {
            uploads++;
            Node n = new Node(Op.CONSTANT, hostNode.shape(), hostNode.dtype(), device, null);
            hold(n, cpuCopy(hostNode));
            return n;
        }

        @Override
        public synchronized void free(Node node) {
            if (node.remote() instanceof Held h) {
                if (h.freed) {
                    doubleFrees++;
                }
                h.freed = true;
                live--;
            }
        }
    }

    private FakeDevice fake;

    @BeforeEach
    void registerFake() {
        fake = new FakeDevice();
        Backends.register(fake);
    }

    @AfterEach
    void checkFake() {
        assertEquals(0, fake.doubleFrees, "device data freed twice");
    }

    @Test
    void realizeComputesOnTheDeviceAndFreesEveryCopyAndIntermediate() {
        Device dev = Device.of("fake", 0);
        Tensor a = randn(20, 6, 7);
        Tensor b = randn(21, 7, 5);
        Tensor lazy = a.mul(2).add(a.sin()).matmul(b).sum(1, true).add(Tessera.rand(new Generator(3), DType.FLOAT32, 6, 1));
        Tensor expected = a.mul(2).add(a.sin()).matmul(b).sum(1, true).add(Tessera.rand(new Generator(3), DType.FLOAT32, 6, 1));
        Tensor out = Offload.realize(lazy, dev);
        assertSame(lazy, out, "the tensor itself is realized");
        assertTrue(lazy.node().isRealized());
        assertEquals(Device.CPU, lazy.device());
        assertEquals(0, lazy.node().inputs().length, "a realized node forgets its inputs, as with realize()");
        assertEquals(3, fake.uploads, "a, b and the random source, once each");
        assertEquals(0, fake.live, "every copy and intermediate on the device was freed");
        float[] e = expected.toFloatArray();
        float[] g = lazy.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], g[i], 1e-5 * Math.max(1, Math.abs(e[i])), "element " + i);
        }
        // the inputs are untouched and still usable
        assertEquals(a.mul(2).sum().item(), a.sum().item() * 2, 1e-4);
    }

    @Test
    void realizedAndMovementOnlyTensorsDoNotReachTheDevice() {
        Device dev = Device.of("fake", 0);
        Tensor a = randn(22, 5, 4);
        Offload.realize(a, dev);
        Offload.realize(a.t().get("1:3"), dev);
        Offload.realize(Tessera.randn(3, 3), dev);
        assertEquals(0, fake.uploads);
    }

    @Test
    void aFailureOnTheDeviceStillFreesTheCopiesAndTheHostBuffers() {
        Device dev = Device.of("fake", 0);
        Tensor a = randn(23, 64, 64);
        fake.failRealize = true;
        Tensor lazy = a.exp().add(Tessera.randn(new Generator(5), DType.FLOAT32, 64, 64));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Offload.realize(lazy, dev));
        assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
        assertEquals(2, fake.uploads);
        assertEquals(0, fake.live, "copies freed after the failure");
        assertFalse(lazy.node().isRealized());
        fake.failRealize = false;
        assertEquals(a.exp().sum().item(), lazy.sub(Tessera.randn(new Generator(5), DType.FLOAT32, 64, 64)).sum().item(),
                1e-2);
    }

    @Test
    void offloadRecordsNoGradientHistoryOnTheDevice() {
        Device dev = Device.of("fake", 0);
        Tensor w = randn(24, 4, 3).requiresGrad(true);
        Tensor y = w.mul(w).sum();
        Offload.realize(y, dev);
        assertTrue(y.requiresGrad(), "the tensor keeps its own history");
        y.backward();
        assertArrayEquals(w.mul(2).toFloatArray(), w.grad().toFloatArray(), 1e-6f);
        assertEquals(0, fake.live);
    }
}
