package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * Constant-operand multiply/add pairs and relus folded into one loop give, bit for bit, what the
 * ops give one at a time, on values where rounding, signed zeros, NaN and overflow show.
 */
class AffineFoldTest {
    private static float[] awkward(int n) {
        SplittableRandom r = new SplittableRandom(23);
        float[] special = {Float.NaN, Float.intBitsToFloat(0xffc00001), 0f, -0f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-38f,
            -1e-38f, 0.5f, -0.5f, 1f / 3, -1f / 3, 0.25f, -0.25f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 7 == 0 ? special[r.nextInt(special.length)]
                    : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 7)));
        }
        return x;
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Float.floatToIntBits(x[i]);
        }
        return b;
    }

    /** The steps applied one at a time, each realized, and applied together as one fused chain. */
    private static void check(String what, int folded, List<UnaryOperator<Tensor>> ops) {
        for (int n : new int[] {5, 16, 1000, 5000}) {
            Tensor x = Tessera.fromArray(awkward(n), n);
            Tensor reference = x;
            Tensor fused = x;
            for (UnaryOperator<Tensor> op : ops) {
                reference = op.apply(reference).realize();
                fused = op.apply(fused);
            }
            assertEquals(folded, FusedProgram.plan(fused.node()).affineSteps(), what + ": steps folded");
            assertArrayEquals(bits(reference.toFloatArray()), bits(fused.realize().toFloatArray()), what + ", n=" + n);
        }
    }

    @Test
    void foldedPairsAndRelusMatchOpByOpBitForBit() {
        check("mul add relu", 1, List.of(t -> t.mul(3), t -> t.add(1), Tensor::relu));
        check("mul add", 1, List.of(t -> t.mul(3), t -> t.add(1)));
        check("mul sub", 1, List.of(t -> t.mul(-2.5), t -> t.sub(0.1)));
        check("sub mul", 1, List.of(t -> t.sub(0.5), t -> t.mul(2)));
        check("add mul relu", 1, List.of(t -> t.add(0.1), t -> t.mul(1e30), Tensor::relu));
        check("add relu", 1, List.of(t -> t.add(-2), Tensor::relu));
        check("mul relu", 1, List.of(t -> t.mul(-1), Tensor::relu));
        check("mul by zero relu", 1, List.of(t -> t.mul(0), Tensor::relu));
        check("overflow", 1, List.of(t -> t.mul(1e30), t -> t.add(3e38)));
        // two folds in one chain, and ops that stay as they are
        check("two pairs", 2, List.of(t -> t.mul(3), t -> t.add(1), Tensor::relu, t -> t.sub(1), t -> t.mul(0.5)));
        check("add add", 0, List.of(t -> t.add(0.1), t -> t.add(0.2)));
        check("div add", 0, List.of(t -> t.div(3), t -> t.add(1)));
    }

    @Test
    void anOpReadTwiceIsNotFolded() {
        Tensor x = Tessera.fromArray(awkward(3000), 3000);
        Tensor y = x.mul(3);
        Tensor z = y.add(1).mul(y);
        Tensor reference = y.realize().add(1).realize().mul(y);
        assertEquals(0, FusedProgram.plan(z.node()).affineSteps(), "the shared mul was folded");
        assertArrayEquals(bits(reference.toFloatArray()), bits(z.realize().toFloatArray()));
    }

    @Test
    void reductionsOverAFoldedChainMatchTheRealizedChain() {
        Tensor x = Tessera.fromArray(awkward(40_000), 200, 200).relu().realize().mul(1e-3).realize();
        UnaryOperator<Tensor> chain = t -> t.mul(3).add(1).relu();
        Tensor realized = chain.apply(x).realize();
        assertEquals(realized.sum().item(), chain.apply(x).sum().item());
        assertArrayEquals(bits(realized.sum(0).toFloatArray()), bits(chain.apply(x).sum(0).toFloatArray()));
        assertArrayEquals(bits(realized.sum(1).toFloatArray()), bits(chain.apply(x).sum(1).toFloatArray()));
        assertArrayEquals(bits(realized.max(1).values().toFloatArray()),
                bits(chain.apply(x).max(1).values().toFloatArray()));
        // summed as computed from a strided leaf, from a leaf another step also reads, and from a
        // computed input
        Tensor xt = x.transpose(0, 1);
        assertEquals(chain.apply(xt.realize()).realize().sum().item(), chain.apply(xt).sum().item());
        Tensor shared = x.mul(3).add(1).relu().add(x);
        assertEquals(shared.realize().sum().item(), x.mul(3).add(1).relu().add(x).sum().item());
        Tensor computed = x.exp().mul(3).add(1).relu();
        assertEquals(x.exp().realize().mul(3).realize().add(1).realize().relu().realize().sum().item(),
                computed.sum().item());
    }
}
