package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.fit.Model;
import org.tessera.jobs.report.Progress;

/** The pieces of the fit that need no Spark: the logistic loss and its gradient, progress lines. */
class FitPartsTest {
    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    @Test
    void softplusHasTheGradientSigmaEverywhereZeroIncluded() {
        double[] z = {0, 1e-300, -1e-300, 0.5, -2, 30, -30, 800, -800};
        Tensor t = Tessera.fromArray(z, z.length).to(DType.FLOAT64).requiresGrad(true);
        Tensor sp = Model.softplus(t);
        sp.sum().backward();
        double[] v = sp.toDoubleArray();
        double[] g = t.grad().toDoubleArray();
        for (int i = 0; i < z.length; i++) {
            double expected = z[i] > 30 ? z[i] + Math.exp(-z[i]) : Math.log1p(Math.exp(z[i]));
            assertEquals(expected, v[i], 1e-15 * Math.max(1, Math.abs(expected)), "softplus(" + z[i] + ")");
            assertEquals(sigmoid(z[i]), g[i], 1e-15, "softplus'(" + z[i] + ")");
        }
        assertEquals(0.5, g[0], 0, "the gradient at exactly 0 is 1/2");
    }

    @Test
    void logisticLossGradientAtZeroIsHalfMinusTheLabels() {
        double[] y = {0, 1, 1, 0, 1};
        Tensor z = Tessera.zeros(DType.FLOAT64, 5, 1).requiresGrad(true);
        Tensor loss = Model.LOGISTIC.loss(z, Tessera.fromArray(y, 5, 1).to(DType.FLOAT64));
        loss.backward();
        assertEquals(Math.log(2), loss.item(), 1e-15);
        double[] g = z.grad().toDoubleArray();
        for (int i = 0; i < y.length; i++) {
            assertEquals((0.5 - y[i]) / y.length, g[i], 1e-16, "dL/dz at z = 0, sample " + i);
        }
    }

    @Test
    void progressOffATerminalPrintsAboutTwentyLinesWithTenDigits() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Progress p = new Progress(out, 1800, "epoch", false);
        for (int e = 1; e <= 1800; e++) {
            p.update(e, 1000 + 1.0 / e, 1.0 / e);
        }
        p.finish();
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.size() <= 32, lines.size() + " lines:\n" + String.join("\n", lines));
        assertTrue(lines.get(lines.size() - 1).startsWith("epoch 1800/1800 objective 1000.000556"),
                lines.get(lines.size() - 1));
    }
}
