package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Scope;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Attrs;
import org.tessera.graph.Op;
import org.tessera.memory.LeakCheck;
import org.tessera.memory.Memory;

/**
 * The tile kernels of rand, randn and arange produce exactly the per-element pure functions,
 * whatever range or order of elements they are asked for, and a fused program that reads a
 * source generates the values the realized source holds.
 */
@ExtendWith(LeakCheck.class)
class RandomSourceTest {
    private static final int N = Math.max(3 * FusedProgram.TILE, 3 * 8192) + 17;

    @Test
    void randnElementsAreTheNormalFunctionOfTheirIndex() {
        Generator g = new Generator(99);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor x = Tessera.randn(g, t, N);
            Attrs.Random r = (Attrs.Random) x.node().attrs();
            double[] v = x.toDoubleArray();
            for (int i = 0; i < N; i++) {
                double expected = SourceKernels.normal(r.seed(), r.stream(), i);
                assertEquals(t == DType.FLOAT32 ? (double) (float) expected : expected, v[i], 0, t + " element " + i);
            }
        }
    }

    @Test
    void randElementsAreTheUniformFunctionOfTheirIndex() {
        Generator g = new Generator(98);
        Tensor f = Tessera.rand(g, DType.FLOAT32, N);
        Tensor d = Tessera.rand(g, DType.FLOAT64, N);
        Attrs.Random rf = (Attrs.Random) f.node().attrs();
        Attrs.Random rd = (Attrs.Random) d.node().attrs();
        float[] vf = f.toFloatArray();
        double[] vd = d.toDoubleArray();
        for (int i = 0; i < N; i++) {
            assertEquals(SourceKernels.uniformFloat(rf.seed(), rf.stream(), i), vf[i], 0, "float32 element " + i);
            assertEquals(SourceKernels.uniform(rd.seed(), rd.stream(), i), vd[i], 0, "float64 element " + i);
        }
    }

    /** The realized values of {@code x} as float64, and its dtype's tile generator for the same node. */
    private static void assertRangesMatch(Tensor x, String what) {
        double[] full = x.toDoubleArray();
        SourceKernels.Source src = new SourceKernels.Source(x.node().op(), x.node().attrs(), x.dtype());
        // starts and lengths that cut the hashing chunks and the tiles anywhere, and strides of a view
        long[][] cases = {{0, 1, 1}, {1, 1, 1023}, {1023, 1, 2}, {1000, 1, 5000}, {N - 300, 1, 300}, {8191, 1, 8193},
            {5, 7, 3000}, {N - 1, -3, 2000}, {17, 0, 40}, {12345, 1, 1}};
        for (long[] c : cases) {
            long first = c[0];
            long stride = c[1];
            int len = (int) c[2];
            Object tile = Kind.of(x.dtype()).newTile(len + 3);
            src.generate(first, stride, len, tile, 3);
            for (int k = 0; k < len; k++) {
                double expected = full[(int) (first + k * stride)];
                double got = switch (Kind.of(x.dtype())) {
                    case F32 -> ((float[]) tile)[3 + k];
                    case F64 -> ((double[]) tile)[3 + k];
                    case I64 -> ((long[]) tile)[3 + k];
                };
                assertEquals(expected, got, 0, what + ": element " + (first + k * stride) + " generated from "
                        + first + " by " + stride);
            }
        }
    }

    @Test
    void anyRangeGeneratedAloneEqualsThatRangeOfTheWholeSource() {
        Generator g = new Generator(97);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            assertRangesMatch(Tessera.randn(g, t, N), "randn " + t);
            assertRangesMatch(Tessera.rand(g, t, N), "rand " + t);
            assertRangesMatch(Tessera.arange(-3, -3 + 0.25 * N, 0.25, t), "arange " + t);
        }
        assertRangesMatch(Tessera.arange(5, 5 + 3L * N, 3, DType.INT64), "arange int64");
        assertRangesMatch(Tessera.arange(-7, -7 + N, 1, DType.INT32), "arange int32");
    }

    @Test
    void randnElementsBeyondTheFirstBillionAreTheirPureFunction() {
        // a block far into a large tensor is generated from its global element indices
        Attrs.Random r = new Attrs.Random(96, 5);
        SourceKernels.Source src = new SourceKernels.Source(Op.RANDN, r, DType.FLOAT64);
        double[] tile = new double[1000];
        src.generate(2_999_999_000L, 1, 1000, tile, 0);
        for (int k = 0; k < 1000; k++) {
            assertEquals(SourceKernels.normal(r.seed(), r.stream(), 2_999_999_000L + k), tile[k], 0, "element " + k);
        }
    }

    /** Asserts that {@code f} over an unrealized source equals {@code f} over the same source realized, bit for bit. */
    private static void assertFusedEqualsRealized(Tensor source, Function<Tensor, Tensor> f, String what) {
        Tensor fused = f.apply(source).realize();
        assertFalse(source.node().isRealized(), what + ": the source was materialized");
        Tensor reference = f.apply(source.realize());
        assertEquals(reference.shape(), fused.shape(), what);
        assertArrayEquals(reference.toDoubleArray(), fused.toDoubleArray(), 0, what);
    }

    @Test
    void fusedProgramsGenerateTheValuesOfTheRealizedSource() {
        Generator g = new Generator(95);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor other = Tessera.randn(g, t, 3, 4, 5).realize();
            assertFusedEqualsRealized(Tessera.randn(g, t, 3, 20011), x -> x.square().sum(), "randn square sum " + t);
            assertFusedEqualsRealized(Tessera.randn(g, t, 3, 20011), x -> x.square().mean(1, false), "row means " + t);
            assertFusedEqualsRealized(Tessera.randn(g, t, 3, 20011), x -> x.mul(2).add(1), "randn chain " + t);
            assertFusedEqualsRealized(Tessera.randn(g, t, 3, 20011), Tensor::sum, "randn sum " + t);
            assertFusedEqualsRealized(Tessera.rand(g, t, 40000), x -> x.max(0).indices(), "rand argmax " + t);
            // broadcast sources: [3, 1, 5] and [5] against [3, 4, 5]
            assertFusedEqualsRealized(Tessera.randn(g, t, 3, 1, 5), x -> x.add(other), "broadcast randn " + t);
            assertFusedEqualsRealized(Tessera.rand(g, t, 5), x -> other.mul(x).sum(1, true), "broadcast rand " + t);
            // reduced dims that are not one block: the source is read in a permuted order
            assertFusedEqualsRealized(Tessera.randn(g, t, 4, 6, 700), x -> x.exp().sum(new int[] {0, 2}, false),
                    "permuted randn " + t);
            assertFusedEqualsRealized(Tessera.arange(0, 4 * 6 * 7, 1, t).sub(1), x -> x.sum(0, false),
                    "arange chain " + t);
        }
        assertFusedEqualsRealized(Tessera.arange(3, 3 + 5 * 4000, 5, DType.INT64), x -> x.mul(3).sum(), "arange int64");
    }

    @Test
    void aReductionOfRandnNeedsNoBufferOfItsSize() {
        long limit = Memory.limit();
        try (Scope s = Tessera.scope()) {
            Tensor x = Tessera.randn(new Generator(94), DType.FLOAT32, 1 << 24); // 64 MiB
            Memory.trimPool();
            Memory.setLimit(Memory.root().getAllocatedMemory() + (16L << 20));
            double mean = x.square().mean().item();
            assertEquals(1, mean, 5 * Math.sqrt(2.0 / (1 << 24)), "mean of squares");
        } finally {
            Memory.setLimit(limit);
        }
    }
}
