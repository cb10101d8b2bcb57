package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.memory.LeakCheck;

/**
 * Reductions that consume their elementwise producer chain tile by tile: the values must equal
 * those of the same reduction over the realized chain (same kernel, same order, so bit for
 * bit), and agree with plain Java loops; the chain itself must stay unrealized.
 */
@ExtendWith(LeakCheck.class)
class FusedReductionTest {

    private static final List<Function<Tensor, Tensor>> REDUCTIONS = List.of(
            Tensor::sum,
            t -> t.sum(0, false),
            t -> t.sum(t.dim() - 1, true),
            Tensor::mean,
            t -> t.mean(t.dim() - 1, false),
            t -> t.prod(0, true),
            Tensor::max,
            Tensor::min,
            t -> t.max(0).values(),
            t -> t.max(t.dim() - 1).indices(),
            t -> t.min(t.dim() - 1, true).values(),
            t -> t.min(0).indices(),
            t -> t.argmax(t.dim() - 1, true),
            t -> t.amax(new int[] {0, t.dim() - 1}, false),
            t -> t.sum(new int[] {0, t.dim() - 1}, true),
            Tensor::argmax,
            Tensor::argmin);

    static Stream<Arguments> chains() {
        return Stream.of(DType.FLOAT32, DType.FLOAT64).flatMap(dt -> Stream.of(
                // contiguous leaves, three ops (what relu(a * b + c) builds)
                Arguments.of(dt, "relu(a*b+c) [5, 7, 9]", (Supplier<Tensor[]>) () -> leaves(dt, 5, 7, 9),
                        (Function<Tensor[], Tensor>) l -> l[0].mul(l[1]).add(l[2]).relu()),
                // a transposed leaf and a sliced leaf with a step
                Arguments.of(dt, "strided [6, 40]", (Supplier<Tensor[]>) () -> new Tensor[] {
                    random(dt, 40, 6).t(), random(dt, 6, 81).slice(1, 1, 81, 2), random(dt, 6, 40)},
                        (Function<Tensor[], Tensor>) l -> l[0].sub(l[1]).square().mul(l[2])),
                // broadcasting producers: [3, 1, 5] with [4, 1] and a scalar
                Arguments.of(dt, "broadcast [3, 4, 5]", (Supplier<Tensor[]>) () -> new Tensor[] {
                    random(dt, 3, 1, 5), random(dt, 4, 1), Tessera.tensor(2.5).to(dt)},
                        (Function<Tensor[], Tensor>) l -> l[0].add(l[1]).mul(l[2]).exp()),
                // long enough that rows split across threads and span several tiles
                Arguments.of(dt, "long rows [3, 20011]", (Supplier<Tensor[]>) () -> leaves(dt, 3, 20011),
                        (Function<Tensor[], Tensor>) l -> l[0].mul(0.5).add(l[1]).tanh().sub(l[2])),
                Arguments.of(dt, "tall [9000, 3]", (Supplier<Tensor[]>) () -> leaves(dt, 9000, 3),
                        (Function<Tensor[], Tensor>) l -> l[0].maximum(l[1]).add(l[2]).abs())));
    }

    private static Tensor random(DType dt, long... shape) {
        return Tessera.randn(GEN, dt, shape).realize();
    }

    private static Tensor[] leaves(DType dt, long... shape) {
        return new Tensor[] {random(dt, shape), random(dt, shape), random(dt, shape)};
    }

    private static final Generator GEN = new Generator(2026);

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("chains")
    void fusedReductionEqualsReductionOfTheRealizedChain(DType dt, String name, Supplier<Tensor[]> leaves,
            Function<Tensor[], Tensor> chain) {
        Tensor[] l = leaves.get();
        for (int k = 0; k < REDUCTIONS.size(); k++) {
            Function<Tensor, Tensor> reduction = REDUCTIONS.get(k);
            Tensor fusedInput = chain.apply(l);
            Tensor fused = reduction.apply(fusedInput).realize();
            // argmax() and argmin() flatten first, and a reshape reads realized data
            boolean flattens = k >= REDUCTIONS.size() - 2;
            assertEquals(flattens, fusedInput.node().isRealized(), name + " reduction " + k
                    + ": the chain was materialized");
            Tensor realizedInput = chain.apply(l).realize();
            Tensor reference = reduction.apply(realizedInput);
            assertEquals(reference.shape(), fused.shape(), name + " reduction " + k);
            assertEquals(reference.dtype(), fused.dtype(), name + " reduction " + k);
            assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), 0, name + " reduction " + k);
        }
    }

    @Test
    void fusedSumsMatchJavaLoops() {
        double[] a = new double[6 * 50];
        double[] b = new double[50];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.sin(i) * 3;
        }
        for (int j = 0; j < b.length; j++) {
            b[j] = j * 0.25 - 4;
        }
        Tensor ta = Tessera.tensor(a, DType.FLOAT64).reshape(6, 50);
        Tensor tb = Tessera.tensor(b, DType.FLOAT64);
        // (a - b)^2 summed over rows, over columns and in total; max and argmax of relu(a + b) per row
        double[] perCol = new double[50];
        double[] perRow = new double[6];
        double[] rowMax = new double[6];
        long[] rowArg = new long[6];
        double total = 0;
        for (int i = 0; i < 6; i++) {
            rowMax[i] = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 50; j++) {
                double d = a[i * 50 + j] - b[j];
                perCol[j] += d * d;
                perRow[i] += d * d;
                total += d * d;
                double r = Math.max(a[i * 50 + j] + b[j], 0);
                if (r > rowMax[i]) {
                    rowMax[i] = r;
                    rowArg[i] = j;
                }
            }
        }
        assertArrayEquals(perCol, ta.sub(tb).pow(2).sum(0, false).toDoubleArray(), 1e-9);
        assertArrayEquals(perRow, ta.sub(tb).pow(2).sum(1, false).toDoubleArray(), 1e-9);
        assertEquals(total / 300, ta.sub(tb).square().mean().item(), 1e-9);
        assertArrayEquals(rowMax, ta.add(tb).relu().max(1).values().toDoubleArray(), 0);
        assertArrayEquals(rowArg, ta.add(tb).relu().max(1).indices().toLongArray());
    }

    @Test
    void float32ReductionsOfRunsOfEveryParityMatchJavaLoops() {
        // lengths around the pairwise folds' widths and the tile size, odd and even
        for (int n : new int[] {1, 2, 31, 33, 65, 127, 1000, 2047, 2049, 4097, 20011}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) Math.sin(i * 0.37 + n) * 5;
            }
            v[(n * 7) / 11] = 9.5f; // a unique maximum
            v[(n * 3) / 13] = n == 1 ? 9.5f : -9.5f; // a unique minimum
            double sum = 0;
            float max = Float.NEGATIVE_INFINITY;
            float min = Float.POSITIVE_INFINITY;
            for (float x : v) {
                sum += x;
                max = Math.max(max, x);
                min = Math.min(min, x);
            }
            Tensor t = Tessera.tensor(v);
            Tensor rows = Tessera.tensor(v).reshape(1, n).expand(3, n).add(0f);
            String at = "length " + n;
            assertEquals(sum, t.sum().item(), 1e-5 * n, at);
            assertEquals(max, t.max().item(), 0, at);
            assertEquals(min, t.min().item(), 0, at);
            assertEquals((n * 7) / 11, (long) t.argmax().item(), at);
            assertEquals(n == 1 ? 0 : (n * 3) / 13, (long) t.argmin().item(), at);
            for (double s : rows.sum(1, false).toDoubleArray()) {
                assertEquals(sum, s, 1e-5 * n, at);
            }
            for (double m : rows.amax(new int[] {1}, false).toDoubleArray()) {
                assertEquals(max, m, 0, at);
            }
            for (long i : rows.argmax(1, false).toLongArray()) {
                assertEquals((n * 7) / 11, i, at);
            }
        }
        float[] withNaN = new float[4097];
        withNaN[3001] = Float.NaN;
        withNaN[17] = 1;
        assertTrue(Double.isNaN(Tessera.tensor(withNaN).max().item()));
        assertTrue(Double.isNaN(Tessera.tensor(withNaN).min().item()));
        assertEquals(3001, (long) Tessera.tensor(withNaN).argmax().item());
    }

    @Test
    void float32SumsOfManyValuesStayAccurate() {
        // a running float32 sum of 2^22 copies of 0.1f drifts by percents; the blocked sums must not
        double v = 0.1f;
        Tensor flat = Tessera.full(DType.FLOAT32, 0.1f, 1 << 22).realize();
        assertEquals((1 << 22) * v, flat.sum().item(), 1e-6 * (1 << 22) * v);
        assertEquals((1 << 22) * v, Tessera.full(DType.FLOAT32, 0.1f, 1 << 22).sum().item(), 1e-6 * (1 << 22) * v);
        Tensor tall = Tessera.full(DType.FLOAT32, 0.1f, 300_000, 3).realize();
        for (double s : tall.sum(0, false).toDoubleArray()) {
            assertEquals(300_000 * v, s, 1e-6 * 300_000 * v);
        }
        for (double s : tall.add(0f).sum(0, false).toDoubleArray()) {
            assertEquals(300_000 * v, s, 1e-6 * 300_000 * v);
        }
    }

    @Test
    void countOfAComparisonIsFused() {
        Tensor x = Tessera.arange(0, 1000, 1, DType.FLOAT32);
        Tensor mask = x.gt(899.5);
        assertEquals(100L, (long) mask.sum().item());
        assertFalse(mask.node().isRealized());
        Tensor y = Tessera.arange(0, 10, 1, DType.INT64).mul(3);
        assertEquals(135L, (long) y.sum().item());
        assertEquals(27L, (long) y.max().item());
    }

    @Test
    void gradientOfABroadcastOperandIsReducedFromTheFusedChain() {
        // the gradient of b in (a + b)^2 summed is 2 * (a + b) summed over the broadcast rows
        double[] a = {1, 2, 3, 4, 5, 6};
        double[] b = {0.5, -1, 2};
        Tensor ta = Tessera.tensor(a, DType.FLOAT64).reshape(2, 3);
        Tensor tb = Tessera.tensor(b, DType.FLOAT64).requiresGrad(true);
        ta.add(tb).square().sum().backward();
        double[] expected = new double[3];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                expected[j] += 2 * (a[i * 3 + j] + b[j]);
            }
        }
        assertArrayEquals(expected, tb.grad().toDoubleArray(), 1e-12);
    }
}
