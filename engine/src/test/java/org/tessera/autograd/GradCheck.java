package org.tessera.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.SplittableRandom;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * Compares the gradients that {@code backward()} computes with central finite differences, in
 * float64.
 *
 * <p>The function's output is weighted by fixed pseudo-random values {@code w} (so that every
 * output element matters and the upstream gradient is not all ones) and the analytic gradient of
 * {@code sum(w * f(x))} is taken with {@code f(x).backward(w)}; the numeric one perturbs each
 * input element by {@code ±eps}. An element passes when
 * {@code |analytic - numeric| <= atol + rtol * |numeric|}.
 *
 * <pre>{@code
 * GradCheck.check(xs -> xs[0].exp().mul(xs[1]), GradCheck.uniform(1, -1, 1, 2, 3), GradCheck.uniform(2, -1, 1, 3));
 * }</pre>
 */
public final class GradCheck {
    /** Default perturbation. */
    public static final double EPS = 1e-6;
    /** Default absolute tolerance. */
    public static final double ATOL = 1e-6;
    /** Default relative tolerance. */
    public static final double RTOL = 1e-5;

    private GradCheck() {
    }

    /** A function of float64 leaf tensors. */
    @FunctionalInterface
    public interface Fn {
        /** The output for these inputs (any shape). */
        Tensor apply(Tensor... xs);
    }

    /** The values and shape of one input, in row-major order. */
    public record Input(double[] values, long[] shape) {
        /** A float64 tensor of these values. */
        Tensor tensor() {
            return Tessera.fromArray(values.clone(), shape);
        }
    }

    /** An input with the given values and shape. */
    public static Input input(double[] values, long... shape) {
        return new Input(values, shape.length == 0 && values.length != 1 ? new long[] {values.length} : shape);
    }

    /** A 0-d input. */
    public static Input scalar(double value) {
        return new Input(new double[] {value}, new long[0]);
    }

    /** Uniform values in {@code [lo, hi)}, drawn from {@code seed} (distinct with overwhelming odds). */
    public static Input uniform(long seed, double lo, double hi, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * r.nextDouble();
        }
        return new Input(v, shape.clone());
    }

    /** Checks with the default perturbation and tolerances; returns the primitives of the checked graph. */
    public static Set<Op> check(Fn f, Input... inputs) {
        return check(f, EPS, ATOL, RTOL, inputs);
    }

    /**
     * Checks that the gradient of every input, computed by backward, matches finite differences.
     * Returns the primitive ops of the forward graph that was differentiated.
     *
     * @throws AssertionError naming the input, element, analytic and numeric values that differ
     */
    public static Set<Op> check(Fn f, double eps, double atol, double rtol, Input... inputs) {
        return check(f, eps, atol, rtol, t -> t, inputs);
    }

    /**
     * Like {@link #check(Fn, double, double, double, Input...)} with the leaves placed by {@code place}
     * (for instance distributed): the analytic gradient comes from backward over the placed leaves,
     * the finite differences from evaluating {@code f} on local inputs.
     */
    public static Set<Op> check(Fn f, double eps, double atol, double rtol, java.util.function.UnaryOperator<Tensor> place,
                                Input... inputs) {
        Tensor[] leaves = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            leaves[i] = place.apply(inputs[i].tensor()).requiresGrad(true);
        }
        Tensor out = f.apply(leaves);
        assertTrue(out.requiresGrad(), "the output must require grad");
        assertEquals(DType.FLOAT64, out.dtype(), "gradcheck runs in float64");
        Set<Op> ops = opsOf(out);
        double[] w = weights(out.numel());
        if (out.dim() == 0) {
            w[0] = 1;
            out.backward();
        } else {
            out.backward(Tessera.fromArray(w.clone(), out.shape().dims()));
        }
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = leaves[i].grad();
            assertNotNull(g, "input " + i + " received no gradient");
            assertEquals(leaves[i].shape(), g.shape(), "shape of the gradient of input " + i);
            assertEquals(DType.FLOAT64, g.dtype(), "dtype of the gradient of input " + i);
            double[] analytic = g.toDoubleArray();
            double[] numeric = numeric(f, inputs, i, w, eps);
            for (int k = 0; k < numeric.length; k++) {
                double diff = Math.abs(analytic[k] - numeric[k]);
                if (!(diff <= atol + rtol * Math.abs(numeric[k]))) {
                    throw new AssertionError("gradient of input " + i + " (shape " + Arrays.toString(inputs[i].shape())
                            + ") differs at element " + k + ": analytic " + analytic[k] + ", numeric " + numeric[k]
                            + "\n analytic: " + Arrays.toString(analytic) + "\n numeric:  " + Arrays.toString(numeric));
                }
            }
        }
        return ops;
    }

    /** Central differences of {@code sum(w * f(x))} with respect to every element of input {@code which}. */
    static double[] numeric(Fn f, Input[] inputs, int which, double[] w, double eps) {
        double[] x = inputs[which].values();
        double[] out = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            double saved = x[k];
            x[k] = saved + eps;
            double plus = weighted(f, inputs, w);
            x[k] = saved - eps;
            double minus = weighted(f, inputs, w);
            x[k] = saved;
            out[k] = (plus - minus) / (2 * eps);
        }
        return out;
    }

    private static double weighted(Fn f, Input[] inputs, double[] w) {
        Tensor[] xs = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            xs[i] = inputs[i].tensor();
        }
        double[] y;
        try (GradMode.NoGrad ignored = GradMode.disable()) {
            y = f.apply(xs).toDoubleArray();
        }
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += w[i] * y[i];
        }
        return s;
    }

    /** Fixed weights in [0.5, 1.5), the same for every call of one size. */
    static double[] weights(long n) {
        SplittableRandom r = new SplittableRandom(7919);
        double[] w = new double[(int) n];
        for (int i = 0; i < w.length; i++) {
            w[i] = 0.5 + r.nextDouble();
        }
        return w;
    }

    /** The primitive ops in the (unrealized) graph of {@code out}, found by walking its inputs. */
    public static Set<Op> opsOf(Tensor out) {
        Set<Op> ops = EnumSet.noneOf(Op.class);
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> todo = new ArrayDeque<>();
        todo.push(out.node());
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!seen.add(n)) {
                continue;
            }
            ops.add(n.op());
            for (Node in : n.inputs()) {
                todo.push(in);
            }
        }
        return ops;
    }
}
