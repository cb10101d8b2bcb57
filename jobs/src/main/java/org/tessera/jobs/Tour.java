package org.tessera.jobs;

import static org.tessera.Tessera.arange;
import static org.tessera.Tessera.manualSeed;
import static org.tessera.Tessera.ones;
import static org.tessera.Tessera.rand;
import static org.tessera.Tessera.randn;
import static org.tessera.Tessera.tensor;
import static org.tessera.Tessera.zeros;

import java.io.PrintStream;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.ValuesIndices;

/**
 * Walks the PyTorch tensor basics in Tessera's spelling and prints each result, so that a
 * newcomer can compare them line by line with the tutorial.
 */
public final class Tour {
    private final PrintStream out;

    public Tour(PrintStream out) {
        this.out = out;
    }

    private void show(String code, Object value) {
        out.println(">>> " + code);
        out.println(value);
    }

    /** Runs every step of the tour. */
    public void run() {
        out.println("# Creating tensors");
        show("tensor(new int[][] {{1, 2}, {3, 4}})", tensor(new int[][] {{1, 2}, {3, 4}}));
        show("tensor(new double[] {1.5, 2.5})", tensor(new double[] {1.5, 2.5}));
        show("zeros(2, 3)", zeros(2, 3));
        show("ones(2, 3)", ones(2, 3));
        manualSeed(42);
        show("rand(2, 3)   // after manualSeed(42)", rand(2, 3));
        show("randn(2, 3)", randn(2, 3));
        show("arange(0, 10, 2)", arange(0, 10, 2));

        out.println("\n# Attributes");
        Tensor x = rand(3, 4, 5);
        show("x.shape()", x.shape());
        show("x.dtype()", x.dtype());
        show("x.device()", x.device());

        out.println("\n# Indexing, slicing and masks");
        Tensor m = arange(1, 13).reshape(3, 4);
        show("m", m);
        show("m.get(1, 2)", m.get(1, 2));
        show("m.get(\":, 0\")   // m[:, 0]", m.get(":, 0"));
        show("m.get(\"0:2, 1::2\")", m.get("0:2, 1::2"));
        show("m.get(m.gt(5))   // m[m > 5]", m.get(m.gt(5)));

        out.println("\n# Arithmetic with broadcasting");
        Tensor a = tensor(new double[][] {{1, 2, 3}, {4, 5, 6}});
        Tensor row = tensor(new double[] {10, 20, 30});
        show("a.add(row)", a.add(row));
        show("a.mul(2).sub(1)", a.mul(2).sub(1));
        show("a.div(a.add(1)).exp()", a.div(a.add(1)).exp());

        out.println("\n# Matrices");
        show("a.matmul(a.t())   // a @ a.T", a.matmul(a.t()));
        show("a.t()", a.t());

        out.println("\n# Reductions");
        show("a.sum()", a.sum());
        show("a.sum(0)", a.sum(0));
        ValuesIndices mx = a.max(1);
        show("a.max(1).values()", mx.values());
        show("a.max(1).indices()", mx.indices());

        out.println("\n# Devices");
        show("Tessera.isCudaAvailable()", Tessera.isCudaAvailable());
        show("a.to(Device.CPU).device()", a.to(Device.CPU).device());

        out.println("\n# Autograd: z = x^2 + y^3");
        Tensor gx = tensor(2.0).requiresGrad(true);
        Tensor gy = tensor(3.0).requiresGrad(true);
        Tensor z = gx.pow(2).add(gy.pow(3));
        z.backward();
        show("x.grad()", gx.grad());
        show("y.grad()", gy.grad());
        z.backward();
        show("x.grad() after a second backward", gx.grad());
        show("y.grad() after a second backward", gy.grad());
        gx.zeroGrad();
        show("x.grad() after zeroGrad()", gx.grad());
    }

    public static void main(String[] args) {
        new Tour(System.out).run();
    }
}
