package org.tessera.jobs.fit;

import java.util.List;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.Tessera;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.data.Tensors;

/**
 * The function every solver minimizes, over the distributed data, in standardized coordinates.
 *
 * <p>The parameters {@code θ = [w̃; b̃]} (d + 1 values) act on the standardized features:
 * {@code w = w̃ / σ} and {@code b = b̃ − μ·w} in the data's own units ({@code μ}, {@code σ} the
 * columns' means and population standard deviations). In these coordinates every column has the
 * same scale, which is what makes one step size (gradient descent) or an identity start (L-BFGS)
 * reasonable; the data itself is never rewritten.
 *
 * <p>The objective is the model's mean loss plus, with {@code l2 = λ > 0}, the ridge penalty of Spark
 * MLlib for {@code regParam = λ, elasticNetParam = 0} and standardization on (the intercept is not
 * penalized). Logistic (MLlib's {@code LogisticRegression}): the mean log-loss plus
 * {@code ½λ Σ (sⱼ wⱼ)²}, {@code sⱼ} the features' sample standard deviations. Linear (MLlib's
 * {@code LinearRegression} with its exact "normal" solver, which also standardizes the label):
 * {@code ½·mean((z − y)²) + ½(λ/σ_y) Σ (σⱼ wⱼ)²} with population standard deviations; because the
 * linear loss here is the mean square (not halved), its penalty is doubled to keep the minimizer.
 *
 * <p>Values and gradients come from the distributed data through autograd, as the model defines
 * its loss: one Spark job for the linear model (its residual is one product {@code [X, 1, y]·p}),
 * two for the logistic one. The logistic Hessian {@code XᵀWX/n} is one more distributed product.
 */
public final class Objective {
    /** A value of the objective and its gradient with respect to {@code θ}. */
    public record Evaluation(double value, double loss, double[] gradient) {
        /** The Euclidean norm of the gradient. */
        public double gradientNorm() {
            return Vectors.norm(gradient);
        }
    }

    private final Model model;
    private final Tensors data;
    private final Moments moments;
    private final double l2;
    private final int d;
    private final double[] mu;
    private final double[] sigma;
    private final double[] invSigma;
    private final double penaltyScale;
    private final Tensor inv;
    private final Tensor mean;
    private final Tensor minusOne;
    private int evaluations;
    private int hessians;

    /**
     * The objective of {@code model} on {@code data} with these moments and L2 strength.
     *
     * @throws JobException when a feature column is constant (nothing to standardize by), naming it
     */
    public Objective(Model model, Tensors data, Moments moments, List<String> featureNames, double l2) {
        this.model = model;
        this.data = data;
        this.moments = moments;
        this.l2 = l2;
        this.d = moments.d();
        this.mu = moments.mean();
        this.sigma = moments.std();
        this.invSigma = new double[d];
        for (int j = 0; j < d; j++) {
            if (!(sigma[j] > 0) || !Double.isFinite(sigma[j])) {
                throw new JobException("feature column '" + featureNames.get(j) + "' is constant (every value "
                        + mu[j] + "); leave it out with --features, the intercept already covers a constant");
            }
            invSigma[j] = 1 / sigma[j];
        }
        long n = moments.n();
        if (model == Model.LINEAR) {
            // mean(r²) + (λ/σ_y)·Σ(σⱼwⱼ)², and σⱼwⱼ = w̃ⱼ
            double sy = Math.sqrt(moments.labelVariance());
            this.penaltyScale = sy > 0 ? l2 / sy : l2;
        } else {
            // ½λ·Σ(sⱼwⱼ)² with (sⱼwⱼ)² = (n / (n − 1))·w̃ⱼ²
            this.penaltyScale = (n > 1 ? l2 * n / (n - 1.0) : l2) / 2;
        }
        Tensor a = data.augmented();
        DType dt = a.dtype();
        this.inv = Tessera.fromArray(invSigma, d, 1).to(dt);
        this.mean = Tessera.fromArray(mu, 1, d).to(dt);
        this.minusOne = Tessera.full(dt, -1, 1, 1);
    }

    /** The model. */
    public Model model() {
        return model;
    }

    /** The number of parameters, d + 1. */
    public int size() {
        return d + 1;
    }

    /** The moments of the data. */
    public Moments moments() {
        return moments;
    }

    /** The L2 strength λ. */
    public double l2() {
        return l2;
    }

    /** The factor {@code c} of the penalty {@code c·Σ w̃ⱼ²} in standardized coordinates. */
    public double penaltyScale() {
        return penaltyScale;
    }

    /**
     * How many times the objective and its gradient (one Spark job for the linear model, two for the
     * logistic one) or the Hessian (one) were computed from the data.
     */
    public int evaluations() {
        return evaluations + hessians;
    }

    /** The objective and its gradient at {@code theta}. */
    public Evaluation evaluate(double[] theta) {
        evaluations++;
        Tensor a = data.augmented();
        DType dt = a.dtype();
        Tensor wt = Tessera.fromArray(java.util.Arrays.copyOf(theta, d), d, 1).to(dt).requiresGrad(true);
        Tensor bt = Tessera.fromArray(new double[] {theta[d]}, 1, 1).to(dt).requiresGrad(true);
        Tensor we = wt.mul(inv);
        Tensor be = bt.sub(mean.matmul(we));
        double loss;
        if (model == Model.LINEAR) {
            // one pass: g = ∂mean(r²)/∂p = 2Aᵀr/n for p = [w; b; −1], and the loss is pᵀg/2
            Tensor params = Tessera.cat(we, be, minusOne);
            Tensor p = params.detach().requiresGrad(true);
            a.matmul(p).square().mean().backward();
            Tensor g = p.grad();
            double[] pv = p.toDoubleArray();
            double[] gv = g.toDoubleArray();
            loss = Vectors.dot(pv, gv) / 2;
            params.backward(g);
        } else {
            // one distributed product for weights and intercept: its backward is one pass, xᵀ·dz
            Tensor l = model.loss(data.x().matmul(Tessera.cat(we, be)), data.y());
            l.backward();
            loss = l.item();
        }
        double[] grad = new double[d + 1];
        System.arraycopy(wt.grad().toDoubleArray(), 0, grad, 0, d);
        grad[d] = bt.grad().item();
        double penalty = 0;
        for (int j = 0; j < d; j++) {
            penalty += penaltyScale * theta[j] * theta[j];
            grad[j] += 2 * penaltyScale * theta[j];
        }
        return new Evaluation(loss + penalty, loss, grad);
    }

    /**
     * The Hessian of the logistic objective at {@code theta} in standardized coordinates, (d+1)×(d+1)
     * row-major: {@code Tᵀ (XᵀWX/n) T} plus the penalty, with {@code W = σ(z)(1 − σ(z))} and {@code T}
     * the map from standardized to raw parameters; {@code XᵀWX} is one distributed product.
     */
    public double[] logisticHessian(double[] theta) {
        hessians++;
        double[] raw = toRaw(theta);
        Tensor x = data.x();
        DType dt = x.dtype();
        Tensor z = x.matmul(Tessera.fromArray(raw, d + 1, 1).to(dt));
        Tensor s = z.sigmoid();
        Tensor weights = s.mul(s.neg().add(1));
        double[] h = x.t().matmul(x.mul(weights)).div(moments.n()).toDoubleArray();
        int k = d + 1;
        // T: raw = T·θ, T[j][j] = 1/σⱼ, T[d][j] = −μⱼ/σⱼ, T[d][d] = 1
        double[] ht = new double[k * k]; // H·T
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                ht[i * k + j] = j < d ? h[i * k + j] * invSigma[j] - h[i * k + d] * mu[j] * invSigma[j] : h[i * k + d];
            }
        }
        double[] out = new double[k * k]; // Tᵀ·(H·T)
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                out[i * k + j] = i < d ? invSigma[i] * ht[i * k + j] - mu[i] * invSigma[i] * ht[d * k + j]
                        : ht[d * k + j];
            }
        }
        for (int j = 0; j < d; j++) {
            out[j * k + j] += 2 * penaltyScale;
        }
        return out;
    }

    /** The raw parameters {@code [w; b]} (data units) of standardized {@code theta}. */
    public double[] toRaw(double[] theta) {
        double[] raw = new double[d + 1];
        double b = theta[d];
        for (int j = 0; j < d; j++) {
            raw[j] = theta[j] * invSigma[j];
            b -= mu[j] * raw[j];
        }
        raw[d] = b;
        return raw;
    }

    /** The standardized parameters of raw {@code [w; b]}. */
    public double[] toStandardized(double[] raw) {
        double[] theta = new double[d + 1];
        double b = raw[d];
        for (int j = 0; j < d; j++) {
            theta[j] = raw[j] * sigma[j];
            b += mu[j] * raw[j];
        }
        theta[d] = b;
        return theta;
    }
}
