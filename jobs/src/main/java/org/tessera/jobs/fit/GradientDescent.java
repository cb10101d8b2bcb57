package org.tessera.jobs.fit;

import java.util.function.ObjDoubleConsumer;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.data.Tensors;

/**
 * Fits a linear model {@code z = Xw + b} by full-batch gradient descent, with gradients from
 * autograd: each epoch builds the loss over the (distributed) data, calls {@code backward()},
 * and steps the two local parameters.
 *
 * <p>The parameters live in standardized coordinates ({@code w = w̃ / σ}, {@code b = b̃ − μ·w}),
 * which makes one step size fit every column scale; the data itself is not rewritten. The
 * default step is {@code 1 / L}, with {@code L} the largest curvature of the loss in those
 * coordinates, so the descent converges without tuning.
 */
public final class GradientDescent {
    /**
     * The result of a fit.
     *
     * @param weights coefficients of the features, in the data's own units
     * @param bias the intercept
     * @param losses the loss at the start of each epoch
     * @param learningRate the step size used (in standardized coordinates)
     */
    public record Fit(double[] weights, double bias, double[] losses, double learningRate) {
    }

    private GradientDescent() {
    }

    /** The default step size for {@code model} on data with these moments. */
    public static double defaultLearningRate(Model model, Moments m) {
        return 1 / model.curvature(m.largestCorrelationEigenvalue());
    }

    /**
     * Runs {@code epochs} steps on {@code data} ({@code [X, 1, y]}); {@code onEpoch} receives the
     * epoch number (1-based) and the loss at the start of that epoch.
     *
     * <p>For the linear model each epoch is one pass over the data: with {@code p = [w; b; −1]} the
     * residual is {@code r = A·p}, autograd gives {@code g = ∂L/∂p = 2Aᵀr/n} in one distributed job,
     * and the loss {@code L = rᵀr/n} equals {@code pᵀg/2} exactly, so it costs no second pass. The
     * gradient then flows on the driver from {@code p} to the standardized parameters by a local
     * backward. Logistic regression reads the loss and the gradient in two passes.
     *
     * @throws IllegalArgumentException when a feature column is constant (no scale to standardize by)
     */
    public static Fit fit(Model model, Tensors data, Moments m, int epochs, double learningRate,
            ObjDoubleConsumer<Integer> onEpoch) {
        int d = m.d();
        double[] mu = m.mean();
        double[] sigma = m.std();
        double[] invSigma = new double[d];
        for (int j = 0; j < d; j++) {
            if (!(sigma[j] > 0)) {
                throw new IllegalArgumentException("feature " + j + " is constant (standard deviation " + sigma[j]
                        + "); drop it, the intercept already covers a constant");
            }
            invSigma[j] = 1 / sigma[j];
        }
        Tensor a = data.augmented();
        DType dt = a.dtype();
        Tensor inv = Tessera.fromArray(invSigma, d, 1).to(dt);
        Tensor mean = Tessera.fromArray(mu, 1, d).to(dt);
        Tensor minusOne = Tessera.full(dt, -1, 1, 1);
        Tensor x = model == Model.LINEAR ? null : data.x();
        Tensor y = model == Model.LINEAR ? null : data.y();
        double[] w = new double[d];
        double b = 0;
        double[] losses = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            Tensor wt = Tessera.fromArray(w, d, 1).to(dt).requiresGrad(true);
            Tensor bt = Tessera.fromArray(new double[] {b}, 1, 1).to(dt).requiresGrad(true);
            Tensor we = wt.mul(inv);
            Tensor be = bt.sub(mean.matmul(we));
            if (model == Model.LINEAR) {
                Tensor params = Tessera.cat(we, be, minusOne);
                Tensor p = params.detach().requiresGrad(true);
                a.matmul(p).square().mean().backward();
                Tensor g = p.grad();
                double[] pv = p.toDoubleArray();
                double[] gv = g.toDoubleArray();
                double pg = 0;
                for (int i = 0; i < pv.length; i++) {
                    pg += pv[i] * gv[i];
                }
                losses[e] = pg / 2;
                params.backward(g);
            } else {
                // one distributed product for weights and intercept: its backward is one pass, xᵀ·dz
                Tensor loss = model.loss(x.matmul(Tessera.cat(we, be)), y);
                loss.backward();
                losses[e] = loss.item();
            }
            double[] gw = wt.grad().toDoubleArray();
            double gb = bt.grad().item();
            for (int j = 0; j < d; j++) {
                w[j] -= learningRate * gw[j];
            }
            b -= learningRate * gb;
            onEpoch.accept(e + 1, losses[e]);
        }
        double[] weights = new double[d];
        double bias = b;
        for (int j = 0; j < d; j++) {
            weights[j] = w[j] * invSigma[j];
            bias -= mu[j] * weights[j];
        }
        return new Fit(weights, bias, losses, learningRate);
    }
}
