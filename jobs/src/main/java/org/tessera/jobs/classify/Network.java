package org.tessera.jobs.classify;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;

/**
 * The parameters of a network as one flat array {@code [w0, b0, w1, b1, ...]} (each {@code wᵢ}
 * row-major [layers[i], layers[i+1]]), their seeded initial values, and the loss of a batch with
 * its gradient from autograd. Every training mode goes through {@link #lossAndGradient}, so the
 * modes differ only in where the rows are and how the partial gradients are added.
 */
public final class Network implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int[] layers;
    private final DType dtype;
    private final int[] offsets;

    /** A network with layer sizes {@code [d, h1, ..., k]} computing in {@code dtype}. */
    public Network(int[] layers, DType dtype) {
        this.layers = layers.clone();
        this.dtype = dtype;
        offsets = new int[2 * (layers.length - 1) + 1];
        long total = 0;
        for (int i = 0; i + 1 < layers.length; i++) {
            offsets[2 * i] = (int) total;
            total += (long) layers[i] * layers[i + 1];
            offsets[2 * i + 1] = (int) total;
            total += layers[i + 1];
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("classify: layers " + java.util.Arrays.toString(layers) + " have "
                    + total + " parameters; at most " + (Integer.MAX_VALUE - 8) + " are supported");
        }
        offsets[offsets.length - 1] = (int) total;
    }

    /** The layer sizes. */
    public int[] layers() {
        return layers.clone();
    }

    /** The dtype the network computes in. */
    public DType dtype() {
        return dtype;
    }

    /** The number of parameters. */
    public int size() {
        return offsets[offsets.length - 1];
    }

    /** The number of classes. */
    public int classes() {
        return layers[layers.length - 1];
    }

    /** Whether flat position {@code i} belongs to a weight matrix (the L2 penalty applies to those only). */
    boolean[] weightMask() {
        boolean[] m = new boolean[size()];
        for (int i = 0; i + 1 < layers.length; i++) {
            java.util.Arrays.fill(m, offsets[2 * i], offsets[2 * i + 1], true);
        }
        return m;
    }

    /**
     * Seeded initial parameters, as PyTorch's {@code nn.Linear} draws them: weights and biases
     * uniform in ±1/√fan_in; rounded to float32 for a float32 network.
     */
    public double[] init(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] p = new double[size()];
        for (int i = 0; i + 1 < layers.length; i++) {
            double bound = 1 / Math.sqrt(layers[i]);
            for (int j = offsets[2 * i]; j < offsets[2 * i + 2]; j++) {
                p[j] = r.nextDouble(-bound, bound);
            }
        }
        return round(p);
    }

    /** {@code p} rounded to the network's dtype (in place), so that arrays and tensors hold the same values. */
    public double[] round(double[] p) {
        if (dtype == DType.FLOAT32) {
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) p[i];
            }
        }
        return p;
    }

    /** The flat parameters as tensors {@code w0, b0, ...} in the network's dtype, each requiring a gradient. */
    public List<Tensor> tensors(double[] flat, boolean requiresGrad) {
        List<Tensor> t = new ArrayList<>();
        for (int i = 0; i + 1 < layers.length; i++) {
            t.add(slice(flat, 2 * i, layers[i], layers[i + 1]).requiresGrad(requiresGrad));
            t.add(slice(flat, 2 * i + 1, layers[i + 1]).requiresGrad(requiresGrad));
        }
        return t;
    }

    private Tensor slice(double[] flat, int part, long... shape) {
        double[] a = java.util.Arrays.copyOfRange(flat, offsets[part], offsets[part + 1]);
        return Tessera.fromArray(a, shape).to(dtype).detach();
    }

    /** The weights of layer {@code i} out of a flat array. */
    double[] weights(double[] flat, int i) {
        return java.util.Arrays.copyOfRange(flat, offsets[2 * i], offsets[2 * i + 1]);
    }

    /** The biases of layer {@code i} out of a flat array. */
    double[] biases(double[] flat, int i) {
        return java.util.Arrays.copyOfRange(flat, offsets[2 * i + 1], offsets[2 * i + 2]);
    }

    /**
     * The summed cross-entropy of rows {@code x} (standardized, [m, d]) with one-hot labels
     * {@code onehot} ([m, k]): {@code −Σ log softmax(f(x))[label]}, a differentiable scalar. The
     * label's log-probability is picked by the product with the one-hot rows.
     */
    public static Tensor lossSum(Tensor x, Tensor onehot, List<Tensor> params) {
        return ClassifierModel.forward(x, params).logSoftmax(1).mul(onehot).sum().neg();
    }

    /** The one-hot rows of class indices {@code y} as an [m, k] tensor in {@code dtype}. */
    public static Tensor oneHot(int[] y, int k, DType dtype) {
        double[] a = new double[y.length * k];
        for (int i = 0; i < y.length; i++) {
            a[i * k + y[i]] = 1;
        }
        return Tessera.fromArray(a, y.length, k).to(dtype);
    }

    /**
     * What one batch part contributes: {@code Σ loss / scale} and its gradient w.r.t. every
     * parameter (flat), and how many rows were classified correctly.
     */
    public record Part(double loss, double[] gradient, long correct, long rows) {
    }

    /**
     * The loss of rows {@code x} ([m, d], standardized) with labels {@code y} divided by {@code scale}
     * (the size of the whole batch), its gradient by autograd, and the rows predicted right.
     */
    public Part lossAndGradient(Tensor x, int[] y, double scale, double[] flat) {
        if (y.length == 0) {
            return new Part(0, new double[size()], 0, 0);
        }
        try (var scope = Tessera.scope()) {
            return lossAndGradient(x, oneHot(y, classes(), dtype), scale, flat);
        }
    }

    /**
     * As {@link #lossAndGradient(Tensor, int[], double, double[])} with one-hot labels ([m, k]); local or
     * distributed rows alike (distributed ones run a distributed forward and backward pass).
     */
    public Part lossAndGradient(Tensor x, Tensor onehot, double scale, double[] flat) {
        try (var scope = Tessera.scope()) {
            List<Tensor> p = tensors(flat, true);
            Tensor logits = ClassifierModel.forward(x, p);
            Tensor loss = logits.logSoftmax(1).mul(onehot).sum().neg().div(scale);
            loss.backward();
            double value = loss.item();
            long correct = logits.detach().argmax(1, false).eq(onehot.argmax(1, false)).sum().longItem();
            double[] g = new double[size()];
            for (int i = 0; i < p.size(); i++) {
                double[] gi = p.get(i).grad().toDoubleArray();
                System.arraycopy(gi, 0, g, offsets[i], gi.length);
            }
            return new Part(value, g, correct, x.size(0));
        }
    }

    /**
     * Adds the L2 penalty {@code (l2/2)·Σ w²} over the weights to a summed gradient (in place) and
     * returns the penalty's value.
     */
    public double addPenalty(double[] flat, double[] gradient, double l2) {
        if (l2 == 0) {
            return 0;
        }
        double pen = 0;
        for (int i = 0; i + 1 < layers.length; i++) {
            for (int j = offsets[2 * i]; j < offsets[2 * i + 1]; j++) {
                gradient[j] += l2 * flat[j];
                pen += flat[j] * flat[j];
            }
        }
        return 0.5 * l2 * pen;
    }
}
