package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Generator;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Attrs;

/** The tile kernels of rand and randn produce exactly the per-element pure functions. */
class RandomSourceTest {
    private static final int N = 3 * FusedProgram.TILE + 17;

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
}
