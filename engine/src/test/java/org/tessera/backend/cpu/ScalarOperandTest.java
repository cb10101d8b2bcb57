package org.tessera.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/** Binary ops with a constant operand run a loop with a scalar; the values are Java's arithmetic. */
class ScalarOperandTest {
    private static final float[] X = {-3.5f, -0f, 0f, 1e-30f, 2.25f, 7f, Float.NaN, 1e30f, -1f};

    @Test
    void float32ArithmeticWithAConstantOnEitherSide() {
        Tensor x = Tessera.tensor(X);
        float c = 1.7f;
        float[] add = new float[X.length];
        float[] rsub = new float[X.length];
        float[] sub = new float[X.length];
        float[] rdiv = new float[X.length];
        float[] div = new float[X.length];
        float[] mul = new float[X.length];
        float[] max = new float[X.length];
        float[] min = new float[X.length];
        float[] sq = new float[X.length];
        for (int i = 0; i < X.length; i++) {
            add[i] = X[i] + c;
            rsub[i] = c - X[i];
            sub[i] = X[i] - c;
            rdiv[i] = c / X[i];
            div[i] = X[i] / c;
            mul[i] = X[i] * c;
            max[i] = Math.max(X[i], c);
            min[i] = Math.min(X[i], c);
            sq[i] = (float) Math.pow(X[i], 2);
        }
        Tensor k = Tessera.full(DType.FLOAT32, c);
        assertArrayEquals(add, x.add(c).toFloatArray());
        assertArrayEquals(rsub, k.sub(x).toFloatArray());
        assertArrayEquals(sub, x.sub(c).toFloatArray());
        assertArrayEquals(rdiv, k.div(x).toFloatArray());
        assertArrayEquals(div, x.div(c).toFloatArray());
        assertArrayEquals(mul, k.mul(x).toFloatArray());
        assertArrayEquals(max, x.maximum(k).toFloatArray());
        assertArrayEquals(min, k.minimum(x).toFloatArray());
        assertArrayEquals(sq, x.pow(2).toFloatArray());
    }

    @Test
    void float64ArithmeticWithAConstantOnEitherSide() {
        Tensor x = Tessera.tensor(X).to(DType.FLOAT64);
        double c = 1.7;
        double[] rsub = new double[X.length];
        double[] div = new double[X.length];
        double[] max = new double[X.length];
        for (int i = 0; i < X.length; i++) {
            rsub[i] = c - X[i];
            div[i] = X[i] / c;
            max[i] = Math.max(c, X[i]);
        }
        Tensor k = Tessera.full(DType.FLOAT64, c);
        assertArrayEquals(rsub, k.sub(x).toDoubleArray());
        assertArrayEquals(div, x.div(c).toDoubleArray());
        assertArrayEquals(max, k.maximum(x).toDoubleArray());
    }
}
