package org.tessera.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.EngineProperty;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Node;

/**
 * The gradient graph's intermediate buffers go back as soon as the nodes reading them are
 * computed ({@code tessera.memory.releaseEarly}), and only those: values are the same bits either
 * way, and nothing a handle reaches is released.
 */
@ExtendWith(LeakCheck.class)
class EarlyReleaseTest {
    private static final int B = 1024;
    private static final int D = 256;
    private static final int H = 512;
    private static final int O = 8;

    /** Gradients of an MLP's loss, and the bytes still allocated once they are computed (beyond the forward pass's). */
    private record Step(float[] g1, float[] g2, long heldAfter, long peak) {
    }

    private static Step mlpStep() {
        try (Scope outer = Tessera.scope()) {
            Tessera.manualSeed(11);
            Tensor x = Tessera.randn(B, D);
            Tensor w1 = Tessera.randn(D, H).mul(0.05).realize().requiresGrad(true);
            Tensor w2 = Tessera.randn(H, O).mul(0.05).realize().requiresGrad(true);
            Tensor loss = x.matmul(w1).relu().matmul(w2).square().sum();
            loss.realize();
            long before = Memory.allocatedBytes();
            try (Scope step = Tessera.scope()) {
                loss.backward();
                float[] g1 = w1.grad().toFloatArray();
                float[] g2 = w2.grad().toFloatArray();
                return new Step(g1, g2, Memory.allocatedBytes() - before, step.peakBytes());
            }
        }
    }

    private static <T> T withReleaseEarly(boolean on, Supplier<T> body) {
        String key = EngineProperty.MEMORY_RELEASE_EARLY.key();
        String old = System.getProperty(key);
        System.setProperty(key, Boolean.toString(on));
        try {
            return body.get();
        } finally {
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    @Test
    void backwardGivesItsIntermediateBuffersBackOnceReadWithTheSameGradients() {
        Step early = withReleaseEarly(true, EarlyReleaseTest::mlpStep);
        Step kept = withReleaseEarly(false, EarlyReleaseTest::mlpStep);
        assertArrayEquals(kept.g1(), early.g1(), "the same gradient bits either way");
        assertArrayEquals(kept.g2(), early.g2());
        long grads = (long) (D * H + H * O) * Float.BYTES;
        long hidden = (long) B * H * Float.BYTES; // each of the hidden layer's gradient intermediates
        // kept until the scope closes: d(loss)/d(h) and d(loss)/d(z) of [B, H], and more
        assertTrue(kept.heldAfter() >= grads + 2 * hidden, "without early release: " + kept);
        // given back at once: what stays is the two gradients and a few small values
        assertTrue(early.heldAfter() < grads + hidden / 4, "with early release: " + early + ", gradients "
                + grads + " bytes");
        // d(loss)/d(z) is written over d(loss)/d(h), its only reader: one [B, H] buffer fewer at the peak
        assertTrue(early.peak() <= kept.peak() - hidden, "peak " + early.peak() + " against " + kept.peak());
    }

    /** Bytes of the largest set of buffers {@code body} had allocated at once, in a scope of its own. */
    private static long peakOf(Runnable body) {
        try (Scope s = Tessera.scope()) {
            body.run();
            return s.peakBytes();
        }
    }

    @Test
    void anInternalNodeGoesBackWhenItsOnlyReaderIsComputedAndItsReaderTakesItsBuffer() {
        Tensor x = Tessera.rand(64, 64);
        Tensor w = Tessera.rand(64, 64);
        float[] p = x.matmul(w).toFloatArray(); // the same product, computed apart
        long bytes = 64 * 64 * Float.BYTES;
        Tensor[] made = new Tensor[2];
        float[][] o = new float[1][];
        boolean[] released = new boolean[1];
        long peak = peakOf(() -> {
            try (Node.InternalNodes in = Node.internalNodes()) {
                made[0] = x.matmul(w); // realized as a matmul's output, as the input of:
                made[1] = made[0].mul(2).add(1); // its only reader, one fused step
            }
            o[0] = made[1].toFloatArray();
            released[0] = made[0].node().storage().isReleased();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> made[0].mul(3));
            assertTrue(e.getMessage().contains("released buffer"), e.getMessage());
        });
        for (int i = 0; i < p.length; i++) {
            assertEquals(p[i] * 2f + 1f, o[0][i], "element " + i);
        }
        assertTrue(released[0], "its only reader is computed");
        assertEquals(bytes, peak, "the result is written over the product's buffer: one buffer in all");
    }

    @Test
    void anInternalNodeAskedForByNameKeepsItsData() {
        Tensor x = Tessera.rand(64, 64);
        Tensor prod;
        Tensor out;
        try (Node.InternalNodes in = Node.internalNodes()) {
            prod = x.matmul(x);
            out = prod.mul(2);
        }
        float[] p = prod.realize().toFloatArray(); // its holder may make more readers of it
        float[] o = out.toFloatArray();
        assertFalse(prod.node().storage().isReleased());
        assertArrayEquals(p, prod.toFloatArray());
        assertArrayEquals(o, prod.mul(2).toFloatArray());
    }

    @Test
    void anInternalNodeReadThroughAnInlinedNodeWithTwoReadersWaitsForBoth() {
        Tensor x = Tessera.rand(32, 48);
        Tensor w = Tessera.rand(48, 16);
        float[] p = x.matmul(w).toFloatArray();
        Tensor prod;
        Tensor first;
        Tensor second;
        try (Node.InternalNodes in = Node.internalNodes()) {
            prod = x.matmul(w);
            Tensor shared = prod.mul(2); // inlined in both readers' chains
            first = shared.add(1);
            second = shared.sub(1);
        }
        float[] a = first.toFloatArray();
        assertFalse(prod.node().storage().isReleased(), "the shared node's second reader still reads prod");
        float[] b = second.toFloatArray();
        for (int i = 0; i < p.length; i++) {
            assertEquals(p[i] * 2f + 1f, a[i], "element " + i);
            assertEquals(p[i] * 2f - 1f, b[i], "element " + i);
        }
        assertTrue(prod.node().storage().isReleased(), "both readers are computed");
    }

    @Test
    void aLeafIsOverwrittenOnlyWhenReadElementForElementByItsLastReader() {
        Tensor x = Tessera.rand(64, 64);
        float[] p = x.matmul(x).toFloatArray();
        Tensor prod;
        Tensor row;
        Tensor broadcast;
        Tensor cast;
        Tensor other;
        Tensor last;
        try (Node.InternalNodes in = Node.internalNodes()) {
            prod = x.matmul(x);
            row = prod.sum(0, true); // [1, 64]: read broadcast below
            broadcast = prod.add(row); // reads prod element for element, but prod has other readers left
            cast = prod.to(org.tessera.DType.FLOAT64); // another dtype: cannot take the buffer
            other = prod.neg();
            last = prod.mul(-1); // the last reader, and one the buffer fits
        }
        long bytes = 64 * 64 * Float.BYTES;
        long start = Memory.allocatedBytes();
        row.realize();
        broadcast.realize();
        cast.realize();
        other.realize();
        long mid = Memory.allocatedBytes();
        assertFalse(prod.node().storage().isReleased(), "one reader left");
        // the product, the row, and three results of their own (the float64 one twice the size)
        assertTrue(mid - start >= 5 * bytes, "allocated " + (mid - start));
        last.realize();
        // the buffer keeps the description it was allocated with
        assertTrue(last.node().storage().toString().startsWith("Storage[MATMUL output"), "the last reader takes the"
                + " product's buffer: " + last.node().storage());
        for (Tensor t : new Tensor[] {broadcast, cast, other}) {
            assertTrue(t.node().storage().toString().startsWith("Storage[" + t.node().op() + " output"),
                    t.node().storage().toString());
        }
        assertTrue(prod.node().storage().isReleased());
        assertArrayEquals(other.toFloatArray(), last.toFloatArray());
        float[] b = broadcast.toFloatArray();
        float[] r = row.toFloatArray();
        for (int i = 0; i < p.length; i++) {
            assertEquals(p[i] + r[i % 64], b[i], "element " + i);
        }
    }

    @Test
    void anExposedNodeAndAViewOfAReleasedNodeKeepTheirData() {
        Tensor x = Tessera.rand(16, 16);
        Tensor prod;
        Tensor view;
        Tensor user;
        try (Node.InternalNodes in = Node.internalNodes()) {
            prod = x.matmul(x);
            view = prod.t(); // shares prod's buffer
            user = prod.add(0);
        }
        view.node().expose();
        user.node().expose();
        float[] v = view.realize().toFloatArray();
        user.realize();
        assertTrue(prod.node().storage().isReleased(), "both readers are computed");
        assertFalse(view.node().storage().isReleased(), "the view's reference keeps the shared buffer");
        assertArrayEquals(v, view.toFloatArray(), "the view still reads the product");
        assertArrayEquals(user.toFloatArray(), view.t().toFloatArray());
    }

    @Test
    void gradientsComputedOnTwoThreadsAtOnceShareTheirIntermediatesSafely() throws Exception {
        Tessera.manualSeed(5);
        Tensor x = Tessera.randn(256, 96);
        Tensor w1 = Tessera.randn(96, 128).mul(0.1).realize().requiresGrad(true);
        Tensor w2 = Tessera.randn(128, 4).mul(0.1).realize().requiresGrad(true);
        java.util.function.Supplier<Tensor> loss = () -> x.matmul(w1).relu().matmul(w2).square().sum();
        loss.get().backward();
        float[] r1 = w1.grad().toFloatArray();
        float[] r2 = w2.grad().toFloatArray();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 60; round++) {
                w1.zeroGrad();
                w2.zeroGrad();
                w1.grad().realize();
                w2.grad().realize();
                loss.get().backward();
                // both gradients read d(loss)/d(out), and d(loss)/d(w1) reads what relu's gradient overwrote
                Tensor g1 = w1.grad();
                Tensor g2 = w2.grad();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Future<float[]> a = pool.submit(() -> {
                    go.await();
                    return g1.toFloatArray();
                });
                java.util.concurrent.Future<float[]> b = pool.submit(() -> {
                    go.await();
                    return g2.toFloatArray();
                });
                go.countDown();
                assertArrayEquals(r1, a.get(), "round " + round);
                assertArrayEquals(r2, b.get(), "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aNodeReadFromAnotherThreadIsNeitherReleasedNorOverwritten() throws Exception {
        Tensor x = Tessera.rand(64, 64);
        float[] p = x.sum(1).toFloatArray();
        Tensor prod;
        Tensor first;
        Tensor last;
        try (Node.InternalNodes in = Node.internalNodes()) {
            prod = x.sum(1); // realized as a reduction's output, a buffer of its own
            first = prod.add(1);
            last = prod.mul(2); // the last reader, which would otherwise take prod's buffer
        }
        Thread other = new Thread(first::realize);
        other.start();
        other.join();
        last.realize();
        assertFalse(prod.node().storage().isReleased(), "read by another thread: kept until its scope closes");
        assertTrue(last.node().storage().toString().startsWith("Storage[MUL output"), last.node().storage().toString());
        float[] a = first.toFloatArray();
        float[] b = last.toFloatArray();
        for (int i = 0; i < p.length; i++) {
            assertEquals(p[i] + 1f, a[i], "element " + i);
            assertEquals(p[i] * 2f, b[i], "element " + i);
        }
    }

    /** Programs whose backward passes read intermediates in many ways: shared, broadcast, viewed, cut, joined. */
    private static final java.util.Map<String, java.util.function.BiFunction<Tensor, Tensor, Tensor>> PROGRAMS =
            new java.util.LinkedHashMap<>();

    static {
        PROGRAMS.put("x read twice", (x, w) -> x.mul(x).sum().add(x.relu().sum()));
        PROGRAMS.put("softmax cross-entropy", (x, w) -> x.matmul(w).logSoftmax(1).mul(-1).mean());
        PROGRAMS.put("two layers, tanh and sigmoid", (x, w) -> x.matmul(w).tanh().matmul(w.t()).sigmoid().square().mean());
        PROGRAMS.put("broadcast bias and row means", (x, w) -> x.matmul(w).add(w.sum(0, true)).sub(x.mean(1, true).matmul(
                w.sum(0, true))).pow(2).sum());
        PROGRAMS.put("slices and cat", (x, w) -> Tessera.cat(java.util.List.of(x.slice(1, 0, 32, 1).exp(), x.slice(1, 32, 64, 1).abs()), 1)
                .matmul(w).maximum(x.matmul(w).neg()).sum());
        PROGRAMS.put("transpose and reshape", (x, w) -> x.t().matmul(x.matmul(w)).reshape(-1).softmax(0).log().neg()
                .mean());
        PROGRAMS.put("where and sqrt", (x, w) -> Tessera.where(x.gt(0), x.add(1).sqrt(), x.square()).matmul(w).sum());
    }

    @Test
    void gradientsOfManyProgramsAreTheSameBitsWithAndWithoutEarlyRelease() {
        for (java.util.Map.Entry<String, java.util.function.BiFunction<Tensor, Tensor, Tensor>> e : PROGRAMS.entrySet()) {
            float[][] early = withReleaseEarly(true, () -> gradients(e.getValue()));
            float[][] kept = withReleaseEarly(false, () -> gradients(e.getValue()));
            assertArrayEquals(kept[0], early[0], e.getKey() + ": d/dx");
            assertArrayEquals(kept[1], early[1], e.getKey() + ": d/dw");
        }
    }

    private static float[][] gradients(java.util.function.BiFunction<Tensor, Tensor, Tensor> program) {
        try (Scope s = Tessera.scope()) {
            Tessera.manualSeed(3);
            Tensor x = Tessera.randn(128, 64).realize().requiresGrad(true);
            Tensor w = Tessera.randn(64, 64).mul(0.1).realize().requiresGrad(true);
            program.apply(x, w).backward();
            // a program that does not read w leaves it without a gradient
            return new float[][] {x.grad().toFloatArray(), w.grad() == null ? new float[0] : w.grad().toFloatArray()};
        }
    }

    @Test
    void aChainLongerThanTheFusionBudgetKeepsWhatItsInlinedNodesRead() {
        // past the chain's budget of inlined nodes, a node whose inputs were already inlined stays
        // inlined; counted once as inlined and once as a step of its own, it gave back what it read
        for (int depth = 6; depth <= 14; depth++) {
            int d = depth;
            float[] early = withReleaseEarly(true, () -> deepChainGradient(d));
            float[] kept = withReleaseEarly(false, () -> deepChainGradient(d));
            assertArrayEquals(kept, early, "depth " + depth);
        }
    }

    private static float[] deepChainGradient(int depth) {
        try (Scope s = Tessera.scope()) {
            Tensor x = Tessera.tensor(new float[] {0.1f, 0.2f, 0.3f}).requiresGrad(true);
            Tensor y = x;
            for (int i = 0; i < depth; i++) {
                y = y.sin().add(y.mul(0.5));
            }
            y.sum().backward();
            return x.grad().toFloatArray();
        }
    }

    @Test
    void aStepWhoseChainWasPartlyComputedMeanwhileIsPlannedAgain() {
        // v1 is inlined in the root's plan, then computed as a step of its own (it feeds a matmul),
        // which gives back what it read: the root's first plan must not be pinned and run
        float[] early = withReleaseEarly(true, EarlyReleaseTest::partlyComputedChainGradient);
        float[] kept = withReleaseEarly(false, EarlyReleaseTest::partlyComputedChainGradient);
        assertArrayEquals(kept, early);
    }

    private static float[] partlyComputedChainGradient() {
        try (Scope s = Tessera.scope()) {
            Tessera.manualSeed(709);
            Tensor v0 = Tessera.randn(4, 4).requiresGrad(true);
            Tensor v1 = v0.sub(v0.mul(0.5));
            Tensor v2 = v1.pow(2).mul(0.5);
            Tensor v3 = v1.get(":, ::2").mul(3).reshape(4, 2).matmul(v2.get("::2, :"));
            Tensor v4 = v3.sub(v1);
            v4.sum().add(v4.mul(v0).sum()).backward();
            return v0.grad().toFloatArray();
        }
    }

    @Test
    void randomProgramsGiveTheSameGradientsWithAndWithoutEarlyRelease() {
        for (long seed = 0; seed < 400; seed++) {
            long sd = seed;
            String early = withReleaseEarly(true, () -> randomProgram(sd));
            String kept = withReleaseEarly(false, () -> randomProgram(sd));
            assertEquals(kept, early, "program " + seed);
        }
    }

    /**
     * A random program of 1 to 12 ops over 1 to 3 leaves of 4 x 4, its backward, and its
     * gradients read as text: directly, after ops on them, after a second backward, or after a view
     * of one is read and the first backward is run again.
     */
    private static String randomProgram(long seed) {
        try (Scope s = Tessera.scope()) {
            java.util.Random r = new java.util.Random(seed);
            Tessera.manualSeed(seed);
            java.util.List<Tensor> leaves = new java.util.ArrayList<>();
            java.util.List<Tensor> vs = new java.util.ArrayList<>();
            for (int i = 1 + r.nextInt(3); i > 0; i--) {
                Tensor l = Tessera.randn(4, 4).requiresGrad(true);
                leaves.add(l);
                vs.add(l);
            }
            for (int i = 1 + r.nextInt(12); i > 0; i--) {
                vs.add(randomOp(r, vs.get(r.nextInt(vs.size())), vs.get(r.nextInt(vs.size()))));
            }
            Tensor loss = vs.get(vs.size() - 1).sum();
            if (r.nextBoolean()) {
                loss = loss.add(vs.get(r.nextInt(vs.size())).mul(vs.get(r.nextInt(vs.size()))).sum());
            }
            loss.backward();
            StringBuilder out = new StringBuilder();
            int mode = r.nextInt(4);
            java.util.List<Tensor> order = new java.util.ArrayList<>(leaves);
            java.util.Collections.shuffle(order, r);
            if (mode == 1) {
                for (Tensor l : order) {
                    if (l.grad() != null) {
                        out.append(java.util.Arrays.toString(l.grad().mul(2).sum(0).toFloatArray()));
                    }
                }
            } else if (mode == 2) {
                Tensor again = vs.get(r.nextInt(vs.size())).mul(vs.get(r.nextInt(vs.size()))).sum();
                if (again.requiresGrad()) {
                    again.backward();
                }
            } else if (mode == 3 && order.get(0).grad() != null) {
                out.append(java.util.Arrays.toString(order.get(0).grad().t().get("1:, :").reshape(-1).toFloatArray()));
                loss.backward();
            }
            for (Tensor l : leaves) {
                out.append(l.grad() == null ? "none" : java.util.Arrays.toString(l.grad().toFloatArray())).append('\n');
            }
            return out.toString();
        }
    }

    private static Tensor randomOp(java.util.Random r, Tensor a, Tensor b) {
        return switch (r.nextInt(26)) {
            case 0 -> a.relu();
            case 1 -> a.tanh().exp();
            case 2 -> a.sigmoid();
            case 3 -> a.neg();
            case 4 -> a.add(b);
            case 5 -> a.mul(b);
            case 6 -> a.sub(b);
            case 7 -> a.maximum(b);
            case 8 -> a.add(b.sum(0, true));
            case 9 -> a.mul(b.mean(1, true));
            case 10 -> a.t();
            case 11 -> a.matmul(b).mul(0.25);
            case 12 -> a.reshape(16).mul(2).reshape(4, 4);
            case 13 -> Tessera.cat(a.get("1:, :"), a.get(":1, :"));
            case 14 -> a.sum(0, true).expand(4, 4);
            case 15 -> a.max(1).values().unsqueeze(1).expand(4, 4);
            case 16 -> a.softmax(1);
            case 17 -> Tessera.where(a.gt(0), a, b);
            case 18 -> a.pow(2).mul(0.5);
            case 19 -> a.div(b.abs().add(1));
            case 20 -> a.square().add(1).sqrt();
            case 21 -> a.transpose(0, 1).mul(b);
            case 22 -> a.abs();
            case 23 -> a.clamp(-0.5, 0.5);
            case 24 -> a.get(":, ::2").mul(3).reshape(4, 2).matmul(b.get("::2, :"));
            default -> Tessera.stack(a.get(0), a.get(1), b.get(2), b.get(3)).sin();
        };
    }

    @Test
    void nodesMadeOutsideAnInternalBlockAreNeverReleased() {
        Tensor x = Tessera.rand(16, 16);
        Tensor prod = x.matmul(x);
        Tensor out = prod.mul(2);
        out.realize();
        assertFalse(prod.node().isInternal());
        assertFalse(prod.node().storage().isReleased(), "a node a handle may reach keeps its data");
        assertEquals(prod.mul(2).sum().item(), out.sum().item());
    }
}
